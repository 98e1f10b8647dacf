"""Golden Meta webhook payloads (tests/fixtures/meta) against ``parse_update``.

Each fixture is ``{"description", "payload", "expect"}``; ``expect`` lists only the behaviour
that matters (types, ids, sender, text, summary, statuses, ignored fields, problem count).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cdmx.whatsapp.payload import (
    InboundMessage,
    PayloadError,
    StatusUpdate,
    Update,
    parse_update,
)

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "meta"
FILES = sorted(GOLDEN.glob("*.json"))

# The cases the suite promises to cover; deleting or renaming one must fail a test.
REQUIRED = {
    "text", "text_non_ascii", "image_caption", "audio_voice", "document_filename", "sticker",
    "location_named", "location_pin", "contacts", "interactive_button_reply",
    "interactive_list_reply", "template_button", "reaction", "reaction_removed", "order",
    "system_user_changed_number", "unsupported_poll", "unknown_legacy", "future_type",
    "request_welcome", "username_only_sender", "multi_entry_multi_change", "statuses",
    "calls_field_ignored", "value_errors_only", "template_status_update_ignored",
    "message_missing_id",
}  # fmt: skip

MESSAGE_KEYS = {
    "wamid", "type", "sender", "text", "summary", "timestamp", "phone_number_id",
    "display_phone_number", "error_codes",
}  # fmt: skip
STATUS_KEYS = {
    "wamid", "status", "recipient_id", "timestamp", "phone_number_id", "error_codes",
    "error_titles", "error_details",
}  # fmt: skip


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def meta_body(payload: dict[str, Any], *, ascii_only: bool = True) -> bytes:
    """Bytes as Meta sends them: non-ASCII escaped as \\uXXXX (or raw UTF-8 when asked)."""
    return json.dumps(payload, ensure_ascii=ascii_only, separators=(",", ":")).encode()


def golden(path: Path) -> Any:
    return pytest.param(path, id=path.stem)


def check_message(got: InboundMessage, want: dict[str, Any]) -> None:
    assert set(want) <= MESSAGE_KEYS, f"unknown expect keys {set(want) - MESSAGE_KEYS}"
    assert got.wamid == want["wamid"]
    assert got.type == want["type"]
    if "sender" in want:
        sender = want["sender"]
        assert (got.sender.wa_id, got.sender.user_id, got.sender.name) == (
            sender["wa_id"], sender["user_id"], sender["name"],
        )  # fmt: skip
    if "text" in want:
        assert got.text == want["text"]
    if "summary" in want:
        assert got.summary == want["summary"]
    if "timestamp" in want:
        assert got.timestamp.timestamp() == want["timestamp"]
        assert got.timestamp.utcoffset() is not None, "timestamps must be timezone-aware"
    if "phone_number_id" in want:
        assert got.phone_number_id == want["phone_number_id"]
    if "display_phone_number" in want:
        assert got.display_phone_number == want["display_phone_number"]
    if "error_codes" in want:
        assert [e.code for e in got.errors] == want["error_codes"]


def check_status(got: StatusUpdate, want: dict[str, Any]) -> None:
    assert set(want) <= STATUS_KEYS, f"unknown expect keys {set(want) - STATUS_KEYS}"
    assert (got.wamid, got.status) == (want["wamid"], want["status"])
    if "recipient_id" in want:
        assert got.recipient_id == want["recipient_id"]
    if "timestamp" in want:
        assert got.timestamp.timestamp() == want["timestamp"]
    if "phone_number_id" in want:
        assert got.phone_number_id == want["phone_number_id"]
    if "error_codes" in want:
        assert [e.code for e in got.errors] == want["error_codes"]
    if "error_titles" in want:
        assert [e.title for e in got.errors] == want["error_titles"]
    if "error_details" in want:
        assert [e.details for e in got.errors] == want["error_details"]


def test_every_required_case_has_a_golden_file() -> None:
    assert REQUIRED <= {path.stem for path in FILES}


@pytest.mark.parametrize("path", [golden(p) for p in FILES])
def test_golden_file_is_well_formed(path: Path) -> None:
    case = load(path)
    assert set(case) == {"description", "payload", "expect"}
    assert case["description"].strip()
    assert case["payload"]["object"] == "whatsapp_business_account"
    assert set(case["expect"]) <= {
        "messages", "statuses", "ignored_fields", "problems", "problems_mention",
    }  # fmt: skip


@pytest.mark.parametrize("path", [golden(p) for p in FILES])
def test_golden_payload_parses_to_expected_update(path: Path) -> None:
    case = load(path)
    expect = case["expect"]
    update = parse_update(meta_body(case["payload"]))

    assert isinstance(update, Update)
    want_messages = expect.get("messages", [])
    assert [m.wamid for m in update.messages] == [m["wamid"] for m in want_messages]
    for got, want in zip(update.messages, want_messages, strict=True):
        check_message(got, want)

    want_statuses = expect.get("statuses", [])
    assert [(s.wamid, s.status) for s in update.statuses] == [
        (s["wamid"], s["status"]) for s in want_statuses
    ]
    for got_status, want_status in zip(update.statuses, want_statuses, strict=True):
        check_status(got_status, want_status)

    assert list(update.ignored_fields) == expect.get("ignored_fields", [])
    assert len(update.problems) == expect.get("problems", 0), update.problems
    for fragment in expect.get("problems_mention", []):
        assert any(fragment in problem for problem in update.problems), update.problems


@pytest.mark.parametrize("path", [golden(p) for p in FILES])
def test_golden_payload_parses_the_same_escaped_or_raw_utf8(path: Path) -> None:
    payload = load(path)["payload"]
    assert parse_update(meta_body(payload)) == parse_update(meta_body(payload, ascii_only=False))


@pytest.mark.parametrize("path", [golden(p) for p in FILES])
def test_parsed_items_keep_the_raw_dict_they_came_from(path: Path) -> None:
    payload = load(path)["payload"]
    raw_messages = [
        item
        for entry in payload["entry"]
        for change in entry["changes"]
        if change["field"] == "messages"
        for item in change["value"].get("messages", [])
        if "id" in item
    ]
    raw_statuses = [
        item
        for entry in payload["entry"]
        for change in entry["changes"]
        if change["field"] == "messages"
        for item in change["value"].get("statuses", [])
    ]
    update = parse_update(meta_body(payload))
    assert [m.raw for m in update.messages] == raw_messages
    assert [s.raw for s in update.statuses] == raw_statuses


def test_sender_name_is_matched_by_identity_not_by_array_position() -> None:
    payload = load(GOLDEN / "multi_entry_multi_change.json")["payload"]
    value = payload["entry"][0]["changes"][0]["value"]
    # The fixture lists contacts in the reverse order of messages on purpose.
    assert [c["wa_id"] for c in value["contacts"]] != [m["from"] for m in value["messages"]]
    update = parse_update(meta_body(payload))
    assert [m.sender.name for m in update.messages[:2]] == ["Alma", "Beto"]


def test_sender_without_a_matching_contact_has_an_empty_name() -> None:
    payload = load(GOLDEN / "text.json")["payload"]
    payload["entry"][0]["changes"][0]["value"]["contacts"] = [
        {"profile": {"name": "Otra persona"}, "wa_id": "5215599999999"}
    ]
    (message,) = parse_update(meta_body(payload)).messages
    assert message.sender.name == ""


def test_sender_matched_by_bsuid_when_contact_has_no_wa_id() -> None:
    payload = load(GOLDEN / "text.json")["payload"]
    value = payload["entry"][0]["changes"][0]["value"]
    del value["contacts"][0]["wa_id"]
    (message,) = parse_update(meta_body(payload)).messages
    assert message.sender.name == "Lucía Hernández"


def test_message_with_neither_from_nor_from_user_id_is_skipped_and_reported() -> None:
    payload = load(GOLDEN / "text.json")["payload"]
    item = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    del item["from"], item["from_user_id"]
    update = parse_update(meta_body(payload))
    assert update.messages == ()
    assert len(update.problems) == 1
    assert item["id"] in update.problems[0]


def test_status_without_status_field_is_skipped_and_the_others_kept() -> None:
    payload = load(GOLDEN / "statuses.json")["payload"]
    statuses = payload["entry"][0]["changes"][0]["value"]["statuses"]
    del statuses[1]["status"]
    update = parse_update(meta_body(payload))
    assert [s.status for s in update.statuses] == ["sent", "read", "failed"]
    assert update.problems == ("statuses[1]: a status without id or status",)


def test_messages_change_without_phone_number_id_is_reported_not_attributed() -> None:
    payload = load(GOLDEN / "text.json")["payload"]
    del payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]
    update = parse_update(meta_body(payload))
    assert update.messages == ()
    assert update.problems == ("a messages change without metadata.phone_number_id",)


def test_message_without_type_is_read_as_unknown() -> None:
    payload = load(GOLDEN / "text.json")["payload"]
    del payload["entry"][0]["changes"][0]["value"]["messages"][0]["type"]
    (message,) = parse_update(meta_body(payload)).messages
    assert message.type == "unknown"
    assert message.summary == "Mensaje no compatible"


def test_unreadable_timestamp_falls_back_to_an_aware_now() -> None:
    payload = load(GOLDEN / "text.json")["payload"]
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = "mañana"
    before = datetime.now(UTC)
    (message,) = parse_update(meta_body(payload)).messages
    assert before <= message.timestamp <= datetime.now(UTC)


def test_change_without_field_is_ignored_under_a_placeholder_name() -> None:
    body = meta_body({"object": "whatsapp_business_account",
                      "entry": [{"id": "200000000000001", "changes": [{"value": {}}]}]})  # fmt: skip
    assert parse_update(body).ignored_fields == ("(no field)",)


def test_empty_object_is_an_empty_update() -> None:
    assert parse_update(b"{}") == Update(messages=(), statuses=(), ignored_fields=(), problems=())


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'"text"', b"42", b"null", b"\xff\xfe{", b'{"entry": [}'],
    ids=["empty", "text", "array", "string", "number", "null", "bad-utf8", "truncated"],
)
def test_non_object_body_raises_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_update(body)


@pytest.mark.parametrize(
    "body",
    [b'{"entry": [], "x": NaN}', b'{"x": -Infinity}', b'{"entry": [{"id": 1e999}]}'],
    ids=["nan", "infinity", "overflowing-float"],
)
def test_a_body_only_python_would_read_is_refused_as_not_json(body: bytes) -> None:
    """Not JSON by RFC 8259, and PostgreSQL's JSON column refuses it: the update would
    otherwise fail the processor on every retry instead of being recorded as bad input."""
    with pytest.raises(PayloadError, match="not JSON"):
        parse_update(body)
