"""``GraphClient`` against a fake Graph API (``httpx.MockTransport``), no network."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from cdmx.whatsapp.errors import (
    AuthFailed,
    GraphError,
    NeedsTemplate,
    Permanent,
    Retryable,
    Throttled,
)
from cdmx.whatsapp.graph import GraphClient, SendResult

PNID = "100000000000001"
TOKEN = "EAAG-test-token"
WAMID = "wamid.HBgNNTIxNTUxMjM0NTY3OBUCABEYEjQ1RTNBQjE2RkQzQTgwNTBFRAA="
TEXT = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "+5215512345678",
    "type": "text",
    "text": {"body": "¡Hola! Ya va en camino 🚚"},
}
OK = {
    "messaging_product": "whatsapp",
    "contacts": [{"input": "+5215512345678", "wa_id": "5215512345678"}],
    "messages": [{"id": WAMID}],
}

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    def __init__(self, answer: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self._answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self._answer(request)


def respond(status: int, body: Any = None, *, content: bytes | None = None) -> Handler:
    if content is not None:
        return lambda request: httpx.Response(status, content=content)
    return lambda request: httpx.Response(status, json=body)


def raising(exc_type: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("boom", request=request)

    return handler


async def send(handler: Handler, body: dict[str, Any] = TEXT) -> tuple[Recorder, SendResult]:
    recorder = Recorder(handler)
    client = GraphClient(
        "https://graph.facebook.com/", "v25.0", transport=httpx.MockTransport(recorder)
    )
    try:
        return recorder, await client.send_message(PNID, TOKEN, body)
    finally:
        await client.aclose()


async def send_error(handler: Handler) -> GraphError:
    with pytest.raises(GraphError) as caught:
        await send(handler)
    return caught.value


async def test_send_posts_json_to_versioned_messages_path_with_bearer_token() -> None:
    recorder, _ = await send(respond(200, OK))
    (request,) = recorder.requests
    assert request.method == "POST"
    assert request.url.host == "graph.facebook.com"
    assert request.url.path == f"/v25.0/{PNID}/messages"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == TEXT


async def test_send_returns_the_wamid_and_canonical_wa_id() -> None:
    _, result = await send(respond(200, OK))
    assert result == SendResult(wamid=WAMID, wa_id="5215512345678")


async def test_send_to_a_bsuid_without_wa_id_in_the_answer_has_no_wa_id() -> None:
    answer = {"messaging_product": "whatsapp", "contacts": [{"input": "MX.1384920571638205716",
              "user_id": "MX.1384920571638205716"}], "messages": [{"id": WAMID}]}  # fmt: skip
    _, result = await send(respond(200, answer))
    assert result == SendResult(wamid=WAMID, wa_id=None)


async def test_send_answer_without_contacts_still_gives_the_wamid() -> None:
    _, result = await send(respond(200, {"messages": [{"id": WAMID}]}))
    assert result == SendResult(wamid=WAMID, wa_id=None)


async def test_mark_read_posts_a_read_status_for_the_wamid() -> None:
    recorder = Recorder(respond(200, {"success": True}))
    client = GraphClient("https://graph.test", "v25.0", transport=httpx.MockTransport(recorder))
    try:
        await client.mark_read(PNID, TOKEN, WAMID)
    finally:
        await client.aclose()
    (request,) = recorder.requests
    assert request.url.path == f"/v25.0/{PNID}/messages"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(request.content) == {
        "messaging_product": "whatsapp", "status": "read", "message_id": WAMID,
    }  # fmt: skip


@pytest.mark.parametrize(
    "exc_type", [httpx.ConnectError, httpx.ReadTimeout, httpx.ConnectTimeout, httpx.ReadError]
)
async def test_transport_failure_becomes_retryable(exc_type: type[httpx.TransportError]) -> None:
    error = await send_error(raising(exc_type))
    assert type(error) is Retryable
    assert isinstance(error.__cause__, exc_type)


@pytest.mark.parametrize(
    "answer",
    [
        {"messaging_product": "whatsapp"},
        {"messaging_product": "whatsapp", "messages": []},
        {"messaging_product": "whatsapp", "messages": [{}]},
        {"messaging_product": "whatsapp", "messages": "wamid.x"},
    ],
    ids=["no-messages", "empty-messages", "no-id", "messages-not-a-list"],
)
async def test_success_without_a_message_id_becomes_retryable(answer: dict[str, Any]) -> None:
    assert type(await send_error(respond(200, answer))) is Retryable


@pytest.mark.parametrize(
    "answer",
    [{"messages": ["wamid.plain-string"]}, {"messages": [7]}],
    ids=["message-str", "message-int"],
)
async def test_message_entry_that_is_not_an_object_becomes_retryable(
    answer: dict[str, Any],
) -> None:
    assert type(await send_error(respond(200, answer))) is Retryable


@pytest.mark.parametrize(
    "contacts", [["5215512345678"], "5215512345678"], ids=["contact-str", "contacts-str"]
)
async def test_malformed_contacts_still_return_the_wamid_so_the_send_is_not_repeated(
    contacts: Any,
) -> None:
    _, result = await send(respond(200, {"messages": [{"id": WAMID}], "contacts": contacts}))
    assert result == SendResult(wamid=WAMID, wa_id=None)


@pytest.mark.parametrize(
    "content", [b"<html>ok</html>", b"[]", b""], ids=["html", "json-array", "empty"]
)
async def test_success_status_without_a_json_object_becomes_retryable(content: bytes) -> None:
    assert type(await send_error(respond(200, content=content))) is Retryable


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, 131047, NeedsTemplate),
        (401, 190, AuthFailed),
        (400, 130429, Throttled),
        (400, 131056, Throttled),
        (400, 131026, Permanent),
        (400, 100, Permanent),
        (500, 131000, Retryable),
    ],
)
async def test_error_body_becomes_its_class_with_code_and_fbtrace_id(
    status: int, code: int, expected: type[GraphError]
) -> None:
    body = {"error": {"message": f"(#{code}) nope", "type": "OAuthException", "code": code,
                      "error_data": {"messaging_product": "whatsapp", "details": "detalle"},
                      "fbtrace_id": "AzXy123"}}  # fmt: skip
    error = await send_error(respond(status, body))
    assert type(error) is expected
    assert (error.code, error.http_status, error.details, error.fbtrace_id) == (
        code, status, "detalle", "AzXy123",
    )  # fmt: skip


async def test_error_object_inside_a_200_is_still_an_error() -> None:
    error = await send_error(respond(200, {"error": {"message": "(#131047)", "code": 131047}}))
    assert type(error) is NeedsTemplate


@pytest.mark.parametrize(
    ("status", "content", "expected"),
    [(502, b"<html>Bad Gateway</html>", Retryable), (401, b"", AuthFailed)],
    ids=["502-html", "401-empty"],
)
async def test_error_status_without_json_falls_back_to_the_http_status(
    status: int, content: bytes, expected: type[GraphError]
) -> None:
    error = await send_error(respond(status, content=content))
    assert type(error) is expected
    assert error.http_status == status


async def test_base_url_with_trailing_slash_and_port_gives_a_clean_path() -> None:
    recorder = Recorder(respond(200, OK))
    client = GraphClient("http://sim.test:8001/", "v25.0", transport=httpx.MockTransport(recorder))
    try:
        await client.send_message(PNID, TOKEN, TEXT)
    finally:
        await client.aclose()
    assert str(recorder.requests[0].url) == f"http://sim.test:8001/v25.0/{PNID}/messages"
