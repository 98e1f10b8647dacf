"""Every operation of /api/v1/openapi.json, fuzzed by schemathesis over real HTTP as an agent
and as an admin: no answer is a 500, and none breaks the schema the API publishes.

Bounded: ``EXAMPLES`` generated cases per operation and role (derandomized, so a run is
repeatable), about a minute per database. ``GET /api/v1/events`` is left out: it is an event
stream that never ends, so no answer could be checked (tests/realtime covers it).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdmx.app import create_app
from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.settings import Settings
from tests.conftest import PASSWORD, GraphRecorder
from tests.media_helpers import media_webhook, record_inbound
from tests.servers import serving_in_thread

EXAMPLES = int(os.environ.get("CDMX_SCHEMATHESIS_EXAMPLES", "8"))
STREAMS = {"/api/v1/events"}


@pytest.mark.parametrize("role", ["agent", "admin"])
def test_no_operation_answers_500_or_breaks_its_schema(
    settings: Settings, db: Database, make_user: Callable[..., User], role: str
) -> None:
    schemathesis = pytest.importorskip("schemathesis")

    user = make_user(role=role)
    make_user()  # someone else to find, transfer to, mention
    record_inbound(db, media_webhook("image", "1", mime_type="image/jpeg"))
    app = create_app(settings, graph_transport=GraphRecorder().transport, run_workers=False)
    failures: list[str] = []
    with serving_in_thread(app) as base_url:
        token = httpx.post(
            f"{base_url}/api/v1/auth/token", json={"email": user.email, "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) > 40  # the whole API is there

        for operation in operations:
            if operation.path not in STREAMS:
                failures += _fuzz(operation, base_url, headers)
    assert failures == [], "\n\n".join(failures[:20])


def _fuzz(operation: Any, base_url: str, headers: dict[str, str]) -> list[str]:
    """Run ``EXAMPLES`` generated cases of one operation; the problems found, in words."""
    from hypothesis import HealthCheck, Phase, given
    from hypothesis import settings as hypothesis_settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    problems: list[str] = []

    # Valid input and invalid input alike: a refusal must be a 4xx of the published shape.
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @hypothesis_settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
        suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
    )  # fmt: skip
    def check(case: Any) -> None:
        try:
            case.call_and_validate(
                base_url=base_url, headers=headers, timeout=10,
                checks=[not_a_server_error, response_schema_conformance],
            )  # fmt: skip
        except Exception as exc:  # collected: every operation's problems at once
            problems.append(f"{operation.label}: {str(exc)[:600]}")

    check()
    return problems
