"""Body limits while the body streams: a route's limit is enforced before authentication and
parsing, and nothing past it is read — in the app (counting what it takes from ``receive``)
and in a real server process (whose memory does not grow under a 50 MB chunked body)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from cdmx.db.engine import Database
from cdmx.db.tables import User
from cdmx.settings import Settings
from cdmx.web.limits import DEFAULT_MAX_BODY_BYTES
from tests.conftest import bearer, signed
from tests.factories import text_message
from tests.media_helpers import jpeg, media_webhook, pdf, record_inbound
from tests.servers import ServerProcess, free_port
from tests.test_durability import server_env

MB = 1024 * 1024
CHUNK = 64 * 1024


class EndlessBody:
    """A client's body in 64 KB chunks, up to ``total`` bytes, counting what the app read."""

    def __init__(self, total: int, head: bytes = b"", tail: bytes = b"") -> None:
        self.total = total
        self.head = head
        self.tail = tail
        self.read = 0
        self.done = False

    async def receive(self) -> dict[str, Any]:
        if self.done:
            return {"type": "http.disconnect"}
        if self.read == 0 and self.head:
            chunk = self.head
        else:
            chunk = b"\0" * min(CHUNK, self.total - self.read - len(self.tail))
        self.read += len(chunk)
        more = self.read + len(self.tail) < self.total
        if not more:
            chunk += self.tail
            self.read += len(self.tail)
            self.done = True
        return {"type": "http.request", "body": chunk, "more_body": more}


async def call(
    app: Any, method: str, path: str, body: EndlessBody, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Run one request through the ASGI app; (status, headers, JSON body)."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }  # fmt: skip
    await app(scope, body.receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, json.loads(content) if content else {}


async def test_a_chunked_json_body_over_the_limit_is_refused_before_authentication(
    app: Any,
) -> None:
    body = EndlessBody(50 * MB)
    status, headers, error = await call(
        app, "POST", "/api/v1/labels", body, {"content-type": "application/json"}
    )
    assert status == 413  # not 401: the body was refused before anyone asked who sends it
    assert error["error"]["code"] == "too_large"
    assert headers["connection"] == "close"
    assert "content-security-policy" in headers
    assert body.read <= DEFAULT_MAX_BODY_BYTES + CHUNK  # nothing read past the limit


async def test_a_declared_length_over_the_limit_is_refused_without_reading(app: Any) -> None:
    body = EndlessBody(2 * MB)
    status, _, error = await call(
        app, "POST", "/api/v1/auth/token", body, {"content-length": str(2 * MB)}
    )
    assert (status, error["error"]["code"], body.read) == (413, "too_large", 0)


async def test_a_body_under_the_limit_reaches_its_route(
    client: httpx.AsyncClient, make_user: Callable[..., User]
) -> None:
    auth = await bearer(client, make_user(role="admin"))
    label = {"name": "Venta", "color": "#1F8A4C"}
    created = await client.post("/api/v1/labels", json=label, headers=auth)
    assert created.status_code == 201, created.text
    # A body of almost the whole limit is still read and parsed (the route refuses the name).
    padded = json.dumps({"name": "z" * (DEFAULT_MAX_BODY_BYTES - 100), "color": "#1F8A4C"})
    near = await client.post(
        "/api/v1/labels", content=padded, headers={**auth, "content-type": "application/json"}
    )
    assert near.status_code == 422, near.text


async def test_the_limit_is_a_setting(settings: Settings, db: Database) -> None:
    from cdmx.app import create_app

    app = create_app(settings.model_copy(update={"max_body_bytes": 128 * 1024}), run_workers=False)
    body = EndlessBody(1 * MB)
    status, _, _ = await call(app, "POST", "/api/v1/labels", body)
    assert status == 413 and body.read <= 128 * 1024 + CHUNK


def _multipart_head(filename: str, first_bytes: bytes) -> tuple[bytes, bytes, str]:
    boundary = "cdmxboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + first_bytes
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, tail, f"multipart/form-data; boundary={boundary}"


async def test_a_chunked_image_upload_stops_at_the_image_limit(
    app: Any, client: httpx.AsyncClient, db: Database, make_user: Callable[..., User],
    settings: Settings,
) -> None:  # fmt: skip
    conversation = record_inbound(db, media_webhook("image", "1", mime_type="image/jpeg"))
    auth = await bearer(client, make_user())
    head, tail, content_type = _multipart_head("foto.jpg", jpeg(32, 32) + b"\0" * 8192)
    body = EndlessBody(50 * MB, head, tail)
    status, headers, error = await call(
        app, "POST", f"/api/v1/conversations/{conversation.conversation_id}/media", body,
        {**auth, "content-type": content_type},
    )  # fmt: skip
    assert status == 413, error
    assert error["error"]["code"] == "file_too_large"
    assert "at most 5 MB" in error["error"]["message"]
    assert headers["connection"] == "close"
    assert body.read <= 5 * MB + 64 * 1024 + 2 * CHUNK  # the image limit, not the document's
    assert not any(p.is_file() for p in Path(settings.media_root).rglob("*"))


async def test_a_chunked_document_may_pass_the_image_limit_but_not_its_own(
    app: Any, client: httpx.AsyncClient, db: Database, make_user: Callable[..., User]
) -> None:
    conversation = record_inbound(db, media_webhook("image", "1", mime_type="image/jpeg"))
    auth = await bearer(client, make_user())
    path = f"/api/v1/conversations/{conversation.conversation_id}/media"
    head, tail, content_type = _multipart_head("cotizacion.pdf", pdf() + b"\n%" + b"\0" * 8192)
    body = EndlessBody(7 * MB, head, tail)  # over an image's 5 MB, under a document's 100 MB
    status, _, answer = await call(app, "POST", path, body, {**auth, "content-type": content_type})
    assert status == 202, answer
    assert answer["type"] == "document"
    body = EndlessBody(120 * MB, head, tail)
    status, _, error = await call(app, "POST", path, body, {**auth, "content-type": content_type})
    assert status == 413 and "at most 100 MB" in error["error"]["message"]
    assert body.read <= 100 * MB + 64 * 1024 + 2 * CHUNK


async def test_an_upload_without_sign_in_reads_no_body(app: Any) -> None:
    head, tail, content_type = _multipart_head("foto.jpg", jpeg(32, 32))
    body = EndlessBody(50 * MB, head, tail)
    status, _, _ = await call(
        app, "POST", "/api/v1/conversations/1/media", body, {"content-type": content_type}
    )
    assert status == 401 and body.read == 0


async def test_sns_reads_no_body_without_a_topic_and_stops_at_its_limit_with_one(
    app: Any, settings: Settings, db: Database
) -> None:
    from cdmx.app import create_app
    from cdmx.web.sns import MAX_BODY_BYTES

    body = EndlessBody(50 * MB)
    status, _, error = await call(app, "POST", "/webhooks/sns", body)
    assert (status, error["error"]["code"], body.read) == (403, "no_topic", 0)
    topic = "arn:aws:sns:us-east-1:123456789012:eum-events"
    with_topic = create_app(
        settings.model_copy(update={"eum_sns_topic_arn": topic}), run_workers=False
    )
    body = EndlessBody(50 * MB)
    status, _, error = await call(with_topic, "POST", "/webhooks/sns", body)
    assert (status, error["error"]["code"]) == (413, "too_large")
    assert body.read <= MAX_BODY_BYTES + CHUNK


# A real server: its resident memory under a 50 MB chunked body.


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def _send_chunked(
    port: int, path: str, headers: dict[str, str], total: int, head: bytes = b""
) -> tuple[int, int]:
    """POST ``total`` bytes as a chunked body over a raw socket, reading the answer as it
    comes (the server may answer, and close, long before the body ends): (status, sent)."""
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Transfer-Encoding: chunked"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    answer = bytearray()
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)

    def read() -> None:
        try:
            while chunk := sock.recv(65536):
                answer.extend(chunk)
        except OSError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sent = 0
    piece = b"\0" * CHUNK
    frame = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        if head:
            sock.sendall(f"{len(head):x}\r\n".encode() + head + b"\r\n")
            sent += len(head)
        while sent < total and not answer:
            sock.sendall(frame)
            sent += len(piece)
        if sent >= total:
            sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass  # the server closed the connection after its 413
    reader.join(timeout=30)
    sock.close()
    status_line = bytes(answer).split(b"\r\n", 1)[0].split()
    return int(status_line[1]) if len(status_line) > 1 else 0, sent


@pytest.mark.parametrize(
    "route",
    ["/api/v1/labels", "/api/v1/conversations/{conversation}/media", "/webhooks/whatsapp"],
)
def test_a_server_refuses_a_50_mb_chunked_body_without_growing(
    settings: Settings, db: Database, make_user: Callable[..., User], tmp_path: Path, route: str
) -> None:
    conversation = record_inbound(db, media_webhook("image", "1", mime_type="image/jpeg"))
    env = server_env(settings, free_port())
    env.pop("WHATSAPP_BUSINESS_ACCOUNT_ID")
    server = ServerProcess(env, free_port(), tmp_path / "server.log", args=("--no-workers",))
    server.start()
    try:
        token = httpx.post(
            f"{server.url}/api/v1/auth/token",
            json={"email": make_user().email, "password": "correct horse battery"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        head = b""
        if "media" in route:
            head, _, headers["Content-Type"] = _multipart_head("foto.jpg", jpeg(32, 32))
            head += b"\0" * 8192
        else:
            headers["Content-Type"] = "application/json"
        # Warm up (imports, pools), then measure from there.
        body, signature = signed(text_message("hola"))
        httpx.post(f"{server.url}/webhooks/whatsapp", content=body, headers=signature)
        time.sleep(0.3)
        before = _rss_bytes(server.process.pid)
        path = route.format(conversation=conversation.conversation_id)
        status, sent = _send_chunked(server.port, path, headers, 50 * MB, head)
        time.sleep(0.3)
        grown = _rss_bytes(server.process.pid) - before
        assert status == 413, (status, sent)
        assert grown < 10 * MB, f"RSS grew {grown / MB:.1f} MB"
        # And the server still answers.
        assert httpx.get(f"{server.url}/healthz").status_code == 200
    finally:
        server.stop()
