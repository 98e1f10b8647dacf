"""The event models: one per type, strict about their fields, and the console listens for
exactly the stored types."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cdmx.domain.events import (
    EVENT_MODELS,
    STORED_TYPES,
    AgentUpdated,
    MessageUpdated,
    Reset,
)

EVENTS_JS = Path(__file__).parents[2] / "cdmx" / "web" / "console" / "static" / "events.js"

MESSAGE: dict[str, Any] = {
    "id": 7, "conversation_id": 3, "direction": "outbound", "type": "text", "text": "Hola",
    "summary": "Hola", "status": "sent", "wamid": "wamid.X", "local_id": None,
    "created_at": "2026-12-02T10:00:00Z", "status_at": None,
    "author": {"id": 2, "name": "Ana"}, "error": None, "content": {"body": "Hola"},
    "context": None, "referral": None, "media": None,
}  # fmt: skip


def test_the_console_listens_for_every_stored_type_and_no_other() -> None:
    block = re.search(r"const TYPES = \[(.*?)\];", EVENTS_JS.read_text(), re.S)
    assert block is not None, "events.js no longer declares TYPES"
    listened = re.findall(r'"([a-z.]+)"', block.group(1))
    assert sorted(listened) == sorted(STORED_TYPES)


def test_every_type_has_its_own_model_named_by_its_type() -> None:
    assert len(set(EVENT_MODELS.values())) == len(EVENT_MODELS)
    assert all(model.type == name for name, model in EVENT_MODELS.items())


def test_a_field_no_model_declares_is_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        MessageUpdated.model_validate({"message": {**MESSAGE, "secret": "x"}})
    with pytest.raises(ValidationError, match="extra"):
        Reset.model_validate({"reason": "too slow", "hint": "reload"})


def test_a_missing_or_mistyped_field_is_refused() -> None:
    without_status = {k: v for k, v in MESSAGE.items() if k != "status"}
    with pytest.raises(ValidationError, match="status"):
        MessageUpdated.model_validate({"message": without_status})
    agent = {"id": 1, "name": "Ana", "email": "ana@example.mx", "role": "agent"}
    with pytest.raises(ValidationError, match="open_conversations"):
        AgentUpdated.model_validate({"agent": {**agent, "availability": "away"}})


def test_a_dumped_event_is_the_json_clients_read() -> None:
    event = MessageUpdated.model_validate({"message": MESSAGE})
    assert event.model_dump() == {"message": MESSAGE}


@pytest.mark.parametrize("name", sorted(EVENT_MODELS))
def test_every_type_has_a_json_schema_that_forbids_extra_fields(name: str) -> None:
    schema = EVENT_MODELS[name].model_json_schema()
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"]
