"""``parse_update`` never crashes: any body is an ``Update`` or, if not a JSON object, a
``PayloadError`` — never another exception, whatever Meta (or anyone) sends."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdmx.whatsapp.payload import PayloadError, Update, parse_update

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "meta"
PAYLOADS = [
    json.loads(path.read_text(encoding="utf-8"))["payload"]
    for path in sorted(GOLDEN.glob("*.json"))
]

# Keys the parser looks at, so generated objects reach deep into it rather than stopping at
# the first .get("entry").
KEYS = [
    "object", "entry", "id", "changes", "field", "value", "metadata", "phone_number_id",
    "display_phone_number", "contacts", "profile", "name", "username", "wa_id", "user_id",
    "messages", "statuses", "errors", "from", "from_user_id", "timestamp", "type", "text",
    "body", "caption", "filename", "image", "audio", "voice", "location", "latitude",
    "longitude", "address", "interactive", "button_reply", "title", "button", "reaction",
    "emoji", "order", "product_items", "system", "unsupported", "status", "recipient_id",
    "code", "message", "details", "error_data", "formatted_name",
]  # fmt: skip
FIELDS = ["messages", "calls", "message_template_status_update"]
TYPES = ["text", "image", "audio", "document", "sticker", "location", "contacts",
         "interactive", "button", "reaction", "order", "system", "unsupported", "unknown",
         "request_welcome", "edit", "revoke", "video", "future_type"]  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    # Finite floats: NaN and ±Infinity are not JSON and are refused whole
    # (tests/whatsapp/test_payload.py), since PostgreSQL could not store them.
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(FIELDS + TYPES + ["", "1767225600", "100000000000001"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=40,
)


def body_of(value: Any) -> bytes:
    return json.dumps(value).encode()


def parse_or_payload_error(body: bytes) -> Update | None:
    """Parse; None when PayloadError. Any other exception propagates and fails the test."""
    try:
        update = parse_update(body)
    except PayloadError:
        return None
    assert isinstance(update, Update)
    return update


@settings(max_examples=250, deadline=None)
@given(json_values)
def test_any_json_value_gives_an_update_or_a_payload_error_for_non_objects(value: Any) -> None:
    update = parse_or_payload_error(body_of(value))
    assert (update is not None) == isinstance(value, dict)


@settings(max_examples=120, deadline=None)
@given(
    st.builds(
        lambda entries: {"object": "whatsapp_business_account", "entry": entries},
        st.lists(
            st.fixed_dictionaries(
                {
                    "id": scalars,
                    "changes": st.lists(
                        st.fixed_dictionaries(
                            {"field": st.sampled_from(FIELDS) | scalars, "value": json_values}
                        ),
                        max_size=3,
                    ),
                }
            ),
            max_size=3,
        ),
    )
)
def test_envelope_with_arbitrary_values_always_parses(payload: dict[str, Any]) -> None:
    update = parse_update(body_of(payload))
    changes = [c for e in payload["entry"] for c in e["changes"]]
    assert len(update.ignored_fields) == sum(c["field"] != "messages" for c in changes)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path (keys and indices) to a node below the root."""
    found: list[tuple[Any, ...]] = []
    children: list[tuple[Any, Any]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    for key, child in children:
        found.append((*prefix, key))
        found.extend(_paths(child, (*prefix, key)))
    return found


@st.composite
def mutated_golden(draw: st.DrawFn) -> dict[str, Any]:
    """A golden payload with a few keys dropped and values swapped for wrong types."""
    payload = copy.deepcopy(draw(st.sampled_from(PAYLOADS)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(payload)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = payload
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return payload


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_golden())
def test_mutated_golden_payload_still_parses(payload: dict[str, Any]) -> None:
    assert isinstance(parse_update(body_of(payload)), Update)


@settings(max_examples=150, deadline=None)
@given(mutated_golden())
def test_mutated_golden_payload_parses_items_that_kept_id_and_sender(
    payload: dict[str, Any],
) -> None:
    """A message survives when it is still a dict with a string id and a string sender."""
    update = parse_update(body_of(payload))
    kept = 0
    for entry in payload.get("entry", []) if isinstance(payload.get("entry"), list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            if not isinstance(change, dict) or change.get("field") != "messages":
                continue
            value = change.get("value")
            if not isinstance(value, dict):
                continue
            metadata = value.get("metadata")
            pnid = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            if not isinstance(pnid, str) or not pnid:
                continue
            items = value.get("messages")
            for item in items if isinstance(items, list) else []:
                if (
                    isinstance(item, dict)
                    and isinstance(item.get("id"), str)
                    and item["id"]
                    and any(isinstance(item.get(k), str) and item[k] for k in
                            ("from", "from_user_id"))
                ):  # fmt: skip
                    kept += 1
    assert len(update.messages) >= kept


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_an_update_or_a_payload_error(body: bytes) -> None:
    parse_or_payload_error(body)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PAYLOADS), st.data())
def test_golden_bytes_with_corrupted_bytes_never_raise_anything_else(
    payload: dict[str, Any], data: st.DataObject
) -> None:
    body = bytearray(body_of(payload))
    for _ in range(data.draw(st.integers(min_value=1, max_value=5))):
        index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
        body[index] = data.draw(st.integers(min_value=0, max_value=255))
    cut = data.draw(st.integers(min_value=0, max_value=len(body)))
    parse_or_payload_error(bytes(body[:cut]) if data.draw(st.booleans()) else bytes(body))


@pytest.mark.parametrize("body", [b"[" * 100_000, b'{"entry":' * 50_000])
def test_deeply_nested_body_raises_payload_error(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_update(body)


def test_huge_integer_timestamp_does_not_crash() -> None:
    payload = copy.deepcopy(PAYLOADS[0])
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = 10**40
    (message,) = parse_update(body_of(payload)).messages
    assert message.timestamp.utcoffset() is not None
