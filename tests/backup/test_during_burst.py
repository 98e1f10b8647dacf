"""A backup taken while a real ``cdmx serve`` process answers a burst of signed webhooks
restores with every message acknowledged before it began; and the server kept answering
while it ran."""

from __future__ import annotations

import asyncio
import io
import os
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from cdmx.cli import main
from cdmx.db.engine import Database
from cdmx.db.tables import InboxUpdate, Message
from cdmx.settings import Settings
from cdmx.simulator import SimulatorConfig, create_simulator_app
from cdmx.storage import LocalStore, new_key
from tests.conftest import ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, eventually, signed
from tests.factories import text_message
from tests.servers import ServerProcess, free_port, serving
from tests.test_durability import server_env

CUSTOMERS = [f"52155123401{i:02d}" for i in range(10)]
MAX_MESSAGES = 3000  # the burst's bounds: this many webhooks, or this long
MAX_SECONDS = 30.0


def processed_wamids(url: str) -> tuple[int, set[str]]:
    """Updates still waiting in the inbox, and the wamids of the stored messages."""
    database = Database(url)
    try:
        with database.read() as session:
            pending = session.scalar(
                select(func.count(InboxUpdate.id)).where(InboxUpdate.processed_at.is_(None))
            )
            wamids = set(session.scalars(select(Message.wamid).where(Message.wamid.is_not(None))))
    finally:
        database.dispose()
    return int(pending or 0), {w for w in wamids if w}


async def test_a_backup_taken_during_a_webhook_burst_restores_every_acknowledged_message(
    settings: Settings, db: Database, restore_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    store = LocalStore(settings.media_root, settings.secret_key)
    files = {new_key(".ogg"): os.urandom(200_000) for _ in range(3)}
    for key, data in files.items():
        store.put_stream(key, io.BytesIO(data), "audio/ogg")
    app_port, sim_port = free_port(), free_port()
    simulator_app = create_simulator_app(
        SimulatorConfig(
            app_secret=APP_SECRET, access_token=ACCESS_TOKEN, phone_number_id=PHONE_NUMBER_ID,
            webhook_url=f"http://127.0.0.1:{app_port}/webhooks/whatsapp",
        )
    )  # fmt: skip
    env = {**server_env(settings, sim_port), "CDMX_MEDIA_ROOT": str(settings.media_root)}
    server = ServerProcess(env, app_port, tmp_path / "server.log")
    backup = tmp_path / "backup"
    acknowledged: list[tuple[float, str]] = []  # (when the 200 came, wamid)
    window: dict[str, float] = {}

    async with serving(simulator_app, sim_port):
        await asyncio.to_thread(server.start)
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
                done = asyncio.Event()

                async def customers_write() -> None:
                    started = time.monotonic()
                    n = 0
                    while not done.is_set() and n < MAX_MESSAGES:
                        if time.monotonic() - started > MAX_SECONDS:
                            break

                        async def one(n: int) -> None:
                            wamid = f"wamid.BURST{n:05d}"
                            body, headers = signed(
                                text_message(
                                    f"b{n}", wa_id=CUSTOMERS[n % len(CUSTOMERS)], wamid=wamid
                                )
                            )
                            response = await client.post(
                                "/webhooks/whatsapp", content=body, headers=headers
                            )
                            if response.status_code == 200:
                                acknowledged.append((time.time(), wamid))

                        await asyncio.gather(*(one(n + i) for i in range(10)))
                        n += 10
                        await asyncio.sleep(0.02)

                async def back_up() -> None:
                    await asyncio.sleep(1.0)  # the burst is under way
                    window["start"] = time.time()
                    process = await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "cdmx.cli", "backup", "--to", str(backup),
                        env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE,
                        stderr=asyncio.subprocess.PIPE,
                    )  # fmt: skip
                    out, err = await process.communicate()
                    window["end"] = time.time()
                    assert process.returncode == 0, err.decode()
                    assert b"backup written" in out and b"media [" in err
                    await asyncio.sleep(0.5)  # and it goes on after the backup
                    done.set()

                await asyncio.gather(customers_write(), back_up())
        finally:
            server.stop()

    before = {wamid for at, wamid in acknowledged if at < window["start"]}
    during = [wamid for at, wamid in acknowledged if window["start"] <= at <= window["end"]]
    assert len(before) >= 50 and during, (len(before), len(during))  # it was a burst, and
    # the server went on answering it while the backup ran

    monkeypatch.setenv("CDMX_DATABASE_URL", restore_url)
    monkeypatch.setenv("CDMX_MEDIA_ROOT", str(tmp_path / "restored-media"))
    monkeypatch.setenv("CDMX_SECRET_KEY", settings.secret_key)
    assert main(["restore", "--from", str(backup)]) == 0
    for key, data in files.items():
        assert (tmp_path / "restored-media" / key).read_bytes() == data

    # A server on the restored database processes what was stored but not yet processed.
    restored_env = {
        **env,
        "CDMX_DATABASE_URL": restore_url,
        "CDMX_MEDIA_ROOT": str(tmp_path / "restored-media"),
    }
    restored_server = ServerProcess(restored_env, free_port(), tmp_path / "restored.log")
    await asyncio.to_thread(restored_server.start)
    try:

        def settled() -> set[str] | None:
            pending, wamids = processed_wamids(restore_url)
            return wamids if pending == 0 else None

        restored = await eventually(settled, timeout=30)
    finally:
        restored_server.stop()
    assert before - restored == set()  # every message acknowledged before the backup
    assert restored <= {wamid for _, wamid in acknowledged}  # and nothing made up
