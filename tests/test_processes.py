"""Web and workers as two processes on one database (`cdmx serve --no-workers` + `cdmx
worker`): each wakes the other at once — LISTEN/NOTIFY on PostgreSQL, the doorbell beside a
SQLite file — and on SQLite they take turns at the one writer without "database is locked"."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy import func, select

from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, InboxUpdate, Message, User
from cdmx.settings import Settings
from tests.conftest import PASSWORD, eventually, signed
from tests.factories import text_message
from tests.servers import ServerProcess, free_port
from tests.test_durability import server_env
from tests.test_instances import first_event


async def test_a_webhook_into_the_web_is_processed_by_the_worker_and_streamed_back_at_once(
    settings: Settings, db: Database, make_user: Callable[..., User], tmp_path: Path
) -> None:
    supervisor = make_user(role="supervisor")
    env = server_env(settings, free_port())  # no simulator: nothing here is sent
    env.pop("WHATSAPP_BUSINESS_ACCOUNT_ID")  # no template sync against it either
    web = ServerProcess(env, free_port(), tmp_path / "web.log", args=("--no-workers",))
    with open(tmp_path / "worker.log", "ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "cdmx.cli", "worker"],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        web.start()
        async with httpx.AsyncClient(base_url=web.url, timeout=10) as client:
            token = (
                await client.post(
                    "/api/v1/auth/token", json={"email": supervisor.email, "password": PASSWORD}
                )
            ).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            await asyncio.sleep(1.0)  # the worker has started

            # Each way is a wake-up, not a poll (those take 1–2 s): well under a second.
            for n in range(3):
                ready = asyncio.Event()
                waiting = asyncio.create_task(
                    first_event(httpx.AsyncClient(base_url=web.url), auth, "message.created", ready)
                )
                await asyncio.wait_for(ready.wait(), 10)
                body, headers = signed(text_message(f"hola {n}", wa_id=f"521550000070{n}"))
                sent_at = time.monotonic()
                response = await client.post("/webhooks/whatsapp", content=body, headers=headers)
                assert response.status_code == 200
                data, arrived_at = await asyncio.wait_for(waiting, 10)
                assert data["message"]["text"] == f"hola {n}"  # type: ignore[index]
                assert arrived_at - sent_at < 0.8, f"{arrived_at - sent_at:.2f} s: a poll"

            # A burst: the web stores while the worker processes, both writing at once.
            statuses = await asyncio.gather(*(
                client.post("/webhooks/whatsapp", content=body, headers=headers)
                for body, headers in (
                    signed(text_message(f"r{i}", wa_id=f"52155000008{i % 10}")) for i in range(100)
                )
            ))  # fmt: skip
            assert [r.status_code for r in statuses] == [200] * 100

        def settled() -> bool:
            with db.read() as session:
                pending = select(func.count(InboxUpdate.id)).where(
                    InboxUpdate.processed_at.is_(None)
                )
                return session.scalar(pending) == 0

        await eventually(settled, timeout=30)
        with db.read() as session:
            assert session.scalar(select(func.count(Message.id))) == 103
            unread = session.scalars(select(Conversation.unread_count)).all()
            assert sorted(unread) == [1, 1, 1, *[10] * 10]
            failed = select(func.count(InboxUpdate.id)).where(InboxUpdate.error.is_not(None))
            assert session.scalar(failed) == 0
    finally:
        web.stop()
        worker.terminate()
        worker.wait(10)
    for name in ("web.log", "worker.log"):
        text = (tmp_path / name).read_text()
        assert "database is locked" not in text and "Traceback" not in text, text
