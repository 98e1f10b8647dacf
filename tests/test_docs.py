"""The docs cannot drift from the code: every setting, event type and API route is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cdmx.domain.audit import ACTIONS
from cdmx.domain.events import EVENT_TYPES
from cdmx.settings import Settings

DOCS = Path(__file__).parent.parent / "docs"


@pytest.mark.parametrize(
    "alias", [field.alias for field in Settings.model_fields.values() if field.alias]
)
def test_every_setting_is_documented(alias: str) -> None:
    assert f"`{alias}`" in (DOCS / "settings.md").read_text()


@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_every_event_type_is_documented(event_type: str) -> None:
    assert f"`{event_type}`" in (DOCS / "events.md").read_text()


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_audited_action_is_documented(action: str) -> None:
    assert f"`{action}`" in (DOCS / "api.md").read_text()


def test_every_api_route_is_documented(settings: Settings) -> None:
    from cdmx.app import create_app

    app = create_app(settings, run_workers=False)
    paths = app.openapi()["paths"]
    assert "/api/v1/conversations/{conversation_id}/messages" in paths  # the test sees routes
    documented = {
        re.sub(r"\{[^}]*\}", "{}", path)
        for path in re.findall(r"`(?:[A-Z]+ )?(/api/v1/[^`?\s]*)", (DOCS / "api.md").read_text())
    }
    missing = [
        path for path in paths
        if path.startswith("/api/v1/") and re.sub(r"\{[^}]*\}", "{}", path) not in documented
    ]  # fmt: skip
    assert missing == []
