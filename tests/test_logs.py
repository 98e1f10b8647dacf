"""Logs for operators: CDMX_LOG_FORMAT=json gives one JSON object a line naming the request,
its user and its conversation; every response carries X-Request-ID (the proxy's, when it is
a sane one); no message text, password, token or statement value reaches the logs."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cdmx.cli import main
from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, Message, User
from cdmx.logs import configure_logging, log_handler
from cdmx.settings import Settings
from cdmx.web.api import conversations as conversations_api
from tests.conftest import (
    ACCESS_TOKEN,
    APP_SECRET,
    PASSWORD,
    GraphRecorder,
    bearer,
    eventually,
    signed,
)  # fmt: skip
from tests.factories import text_message
from tests.servers import ServerProcess, free_port
from tests.test_durability import server_env


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What the root logger writes at INFO, as CDMX_LOG_FORMAT=json formats it."""
    stream = io.StringIO()
    handler = log_handler("json", stream)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


async def first_conversation(db: Database) -> int:
    def found() -> int | None:
        with db.read() as session:
            return session.scalar(select(Conversation.id))

    return int(await eventually(found, timeout=10))


async def test_a_json_line_names_the_request_its_user_and_its_conversation(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User],
    json_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    admin = make_user(role="admin")
    auth = await bearer(client, admin)
    body, headers = signed(text_message("hola"))
    assert (
        await client.post("/webhooks/whatsapp", content=body, headers=headers)
    ).status_code == 200
    conversation_id = await first_conversation(db)
    snapshot = conversations_api.conversation_snapshot

    def logged(session: object, cid: int) -> object:  # a line written inside the request
        logging.getLogger("cdmx.test").info("conversation %s read", cid)
        return snapshot(session, cid)  # type: ignore[arg-type]

    monkeypatch.setattr(conversations_api, "conversation_snapshot", logged)
    response = await client.get(
        f"/api/v1/conversations/{conversation_id}", headers={**auth, "X-Request-ID": "proxy-42"}
    )
    assert response.status_code == 200 and response.headers["x-request-id"] == "proxy-42"
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]  # each one JSON
    (line,) = [entry for entry in lines if entry["logger"] == "cdmx.test"]
    assert line["message"] == f"conversation {conversation_id} read" and line["level"] == "INFO"
    assert (line["request_id"], line["user_id"], line["conversation_id"]) == (
        "proxy-42", admin.id, conversation_id,
    )  # fmt: skip
    assert datetime.fromisoformat(line["time"]).utcoffset() is not None


async def test_every_response_carries_a_request_id_kept_from_a_sane_proxy_header(
    client: httpx.AsyncClient,
) -> None:
    made = [(await client.get("/healthz")).headers["x-request-id"] for _ in range(2)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in made) and made[0] != made[1]
    kept = await client.get("/readyz", headers={"X-Request-ID": "lb-7f3a:1/2"})
    assert kept.headers["x-request-id"] == "lb-7f3a:1/2"
    for junk in ("x" * 200, "dos palabras", "<script>", ""):
        replaced = await client.get("/healthz", headers={"X-Request-ID": junk})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"]), junk
    unsigned = await client.post("/webhooks/whatsapp", content=b"{}")
    assert unsigned.status_code == 401 and "x-request-id" in unsigned.headers
    for path in ("/login", "/api/v1/conversations", "/no-such-page"):
        assert "x-request-id" in (await client.get(path)).headers, path


async def test_the_logs_hold_no_message_text_password_or_token(
    client: httpx.AsyncClient, db: Database, make_user: Callable[..., User],
    graph: GraphRecorder, settings: Settings, json_lines: io.StringIO,
) -> None:  # fmt: skip
    configure_logging("INFO", "text")  # what the CLI does: httpx's URL lines stay below INFO
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    agent = make_user()
    auth = await bearer(client, agent)
    customer_text = "mi tarjeta es 4111 1111 1111 1111"
    body, headers = signed(text_message(customer_text))
    assert (
        await client.post("/webhooks/whatsapp", content=body, headers=headers)
    ).status_code == 200
    conversation_id = await first_conversation(db)
    reply = "tu código de acceso es 982731"
    sent = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages",
        json={"type": "text", "text": reply, "local_id": "l-1"}, headers=auth,
    )  # fmt: skip
    assert sent.status_code == 202
    await eventually(lambda: graph.requests, timeout=10)
    with db.read() as session:  # the flow ran: both messages are stored
        assert set(session.scalars(select(Message.text))) >= {customer_text, reply}
    written = json_lines.getvalue()
    token = auth["Authorization"].removeprefix("Bearer ")
    for secret in (
        customer_text,
        reply,
        PASSWORD,
        token,
        ACCESS_TOKEN,
        APP_SECRET,
        settings.secret_key,
    ):
        assert secret not in written


def test_a_failed_statement_names_no_value_in_its_error(
    db: Database, make_user: Callable[..., User]
) -> None:
    user = make_user()
    with pytest.raises(IntegrityError) as failure, db.write() as session:
        session.add(
            User(email=user.email, name="Copia secreta", role="agent", password_hash="hash-secreto",
                 is_active=True, created_at=user.created_at)
        )  # fmt: skip
    assert "hash-secreto" not in str(failure.value) and "Copia secreta" not in str(failure.value)


def test_an_unknown_log_format_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CDMX_LOG_FORMAT", "yaml")
    assert main(["migrate"]) == 2
    assert capsys.readouterr().err == "cdmx: setting error: CDMX_LOG_FORMAT: must be text or json\n"


async def test_cdmx_serve_writes_one_json_object_a_line(
    settings: Settings, db: Database, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    env = {
        **server_env(settings, free_port()),  # no Graph API there: the template sync warns
        "CDMX_LOG_FORMAT": "json", "CDMX_LOG_LEVEL": "INFO",
    }  # fmt: skip
    server = ServerProcess(env, free_port(), log)
    server.start()
    try:
        body, headers = signed(text_message("hola", wa_id="5215511112222"))
        response = httpx.post(f"{server.url}/webhooks/whatsapp", content=body, headers=headers)
        assert response.status_code == 200 and response.headers["x-request-id"]

        def warned() -> list[dict[str, object]]:
            lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
            return lines if any(entry["level"] == "WARNING" for entry in lines) else []

        lines = await eventually(warned, timeout=20)
    finally:
        server.stop()
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in lines)
