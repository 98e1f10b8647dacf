"""Request body limits, enforced while the body streams, before authentication or parsing
(and NUL characters, which no text column can keep, refused with them).

``BodyLimit`` sits around the app. Every request's body is counted as it arrives, and the
request is refused with 413 the moment it passes its route's limit; nothing past the limit
is read (the answer says ``Connection: close``, so the server drops the rest). A declared
``Content-Length`` over the limit is refused before a byte is read.

- uploads (``…/media``, ``…/attachment``): WhatsApp's limit for the file's type (5 MB for
  an image, 16 MB for audio or video, 100 MB for a document), sniffed from the file's first
  bytes as they stream by, plus the form's overhead; counted while the route reads.
- ``POST /webhooks/sns``: SNS's (``cdmx.web.sns.MAX_BODY_BYTES``), once the route has seen
  that a topic is set (without one it reads nothing); counted while the route reads.
- ``POST /webhooks/whatsapp``: Meta's, counted by ``cdmx.web.webhooks.WebhookReceiver``,
  which runs before this layer on the hot path.
- everything else (JSON, forms): ``CDMX_MAX_BODY_BYTES`` (1 MiB), read in full here and
  then handed on.

The small limit is read here before the route runs, because FastAPI reads a JSON body before
it checks who is asking and would turn any error during that read into a 400. An upload is
too large to hold, so its route reads it itself (to a file on disk) and the count raises
``BodyTooLarge`` inside that read, which the error handlers render as the 413.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cdmx.domain.errors import ActionError, Invalid
from cdmx.storage.filetype import (
    HEAD_BYTES,
    MAX_UPLOAD_BYTES,
    RECORDED_TYPES,
    human_size,
    limit_for,
    sniff,
    whatsapp_type,
)
from cdmx.web import sns, webhooks
from cdmx.web.uploads import FORM_OVERHEAD

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
UPLOADS = re.compile(r"^/api/v1/(conversations/[^/]+/media|canned-responses/[^/]+/attachment)$")


class BodyTooLarge(ActionError):
    """A request body over its route's limit (413)."""

    status_code = 413


@dataclass(frozen=True, slots=True)
class _Rule:
    limit: int
    streamed: bool  # counted as the route reads, instead of read in full here
    upload: bool = False


class BodyLimit:
    """Refuses request bodies over their route's limit, reading no further than the limit."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    def rule(self, path: str) -> _Rule | None:
        if UPLOADS.match(path):
            return _Rule(MAX_UPLOAD_BYTES + FORM_OVERHEAD, streamed=True, upload=True)
        if path == "/webhooks/sns":
            return _Rule(sns.MAX_BODY_BYTES, streamed=True)
        if path == webhooks.PATH:
            return None  # WebhookReceiver counts it, on the hot path, before this layer
        return _Rule(self.max_body_bytes, streamed=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        rule = self.rule(scope["path"]) if scope["type"] == "http" else None
        if rule is None:
            await self.app(scope, receive, send)
            return
        if "\0" in scope["path"]:
            await _refuse(send, _NUL_REFUSED)
            return
        scope = _without_nul_in_query(scope)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > rule.limit:
            await _refuse(send, _too_large(rule, int(declared)))
            return
        if not rule.streamed:
            await self._read_then_call(scope, receive, send, rule.limit)
            return
        counter = _Counter(receive, rule)
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            if message["type"] == "http.response.start" and counter.refused:
                message.setdefault("headers", []).append((b"connection", b"close"))
            await send(message)

        try:
            await self.app(scope, counter.receive, tracked)
        except BodyTooLarge as exc:  # when no handler turned it into the answer
            if started:
                raise
            await _refuse(send, exc)

    async def _read_then_call(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, _too_large(_Rule(limit, streamed=False), size))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if _nul_in_body(scope, body):
            await _refuse(send, _NUL_REFUSED)
            return
        whole: Message = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay([whole], receive), send)


class _Counter:
    """The request's ``receive``, counting the body and raising once it passes the limit;
    for an upload, the limit narrows to the file type's once its first bytes are seen."""

    def __init__(self, receive: Receive, rule: _Rule) -> None:
        self._receive = receive
        self.rule = rule
        self.size = 0
        self.refused = False
        self.kind: str | None = None  # the upload's WhatsApp type, once sniffed
        self._sniffer = _UploadSniffer() if rule.upload else None

    async def receive(self) -> Message:
        if self.refused:
            raise self._error()
        message = await self._receive()
        if message["type"] != "http.request":
            return message
        chunk = message.get("body", b"")
        self.size += len(chunk)
        if self._sniffer is not None and (kind := self._sniffer.feed(chunk)) is not None:
            self.kind, limit = kind
            self.rule = _Rule(limit + FORM_OVERHEAD, streamed=True, upload=True)
            self._sniffer = None
        if self.size > self.rule.limit:
            self.refused = True
            raise self._error()
        return message

    def _error(self) -> BodyTooLarge:
        return _too_large(self.rule, self.size, self.kind)


class _UploadSniffer:
    """Finds the uploaded file's first bytes in a multipart body as it streams by, and from
    them WhatsApp's type and limit (None until known, or when the type gives no limit)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.gave_up = False

    def feed(self, chunk: bytes) -> tuple[str, int] | None:
        if self.gave_up:
            return None
        self.buffer += chunk[: FORM_OVERHEAD + HEAD_BYTES]
        marker = self.buffer.find(b"filename=")
        start = self.buffer.find(b"\r\n\r\n", marker) if marker >= 0 else -1
        if start < 0 or len(self.buffer) < start + 4 + HEAD_BYTES:
            if len(self.buffer) > FORM_OVERHEAD + HEAD_BYTES:
                self.gave_up = True  # no file part early on: the form's own limit holds
            return None
        self.gave_up = True
        filename = re.search(rb'filename="([^"\r\n]*)"', self.buffer[marker:start])
        name = filename.group(1).decode("utf-8", "replace") if filename else None
        sniffed = sniff(bytes(self.buffer[start + 4 : start + 4 + HEAD_BYTES]), name)
        kind = whatsapp_type(sniffed)
        if kind is None and sniffed.mime_type in RECORDED_TYPES:
            kind = "audio"  # a voice note the browser recorded, converted after upload
        return (kind, limit_for(kind, sniffed.animated)) if kind else None


def _too_large(rule: _Rule, size: int, kind: str | None = None) -> BodyTooLarge:
    if rule.upload:
        limit = rule.limit - FORM_OVERHEAD
        what = f"a{'n' if kind and kind[0] in 'aeiou' else ''} {kind}" if kind else "a file"
        return BodyTooLarge(
            "file_too_large",
            f"The file is over {human_size(limit)}; WhatsApp accepts {what} of at most "
            f"{human_size(limit)}.",
        )
    return BodyTooLarge(
        "too_large", f"The request body is over {human_size(rule.limit)}, this route's limit."
    )


# PostgreSQL cannot store NUL in text, and no person types one: a NUL in the path, a form or
# a JSON string is refused (422) before any route sees it; in the query it is dropped. In
# JSON it is the escape \u0000 (one not itself escaped: \\u0000 is a backslash and text).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_NUL_REFUSED = Invalid("invalid", "Text may not contain the NUL character (U+0000).")


def _without_nul_in_query(scope: Scope) -> Scope:
    """The scope with NULs dropped from the query (a search for "pedido\\0" is "pedido")."""
    query: bytes = scope.get("query_string", b"")
    if b"%00" not in query and b"\0" not in query:
        return scope
    return {**scope, "query_string": query.replace(b"%00", b"").replace(b"\0", b"")}


def _nul_in_body(scope: Scope, body: bytes) -> bool:
    if b"\0" in body:
        return True
    content_type = dict(scope["headers"]).get(b"content-type", b"")
    if content_type.startswith(b"application/x-www-form-urlencoded") and b"%00" in body:
        return True
    return b"\\u0000" in body and _JSON_NUL.search(body) is not None


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """``receive`` that hands out ``messages`` first, then the request's own (a streaming
    answer still hears the client leave)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


async def _refuse(send: Send, error: ActionError) -> None:
    body = json.dumps({"error": {"code": error.code, "message": error.message}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
