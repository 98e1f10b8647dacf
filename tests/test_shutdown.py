"""Stopping `cdmx serve` with console tabs connected: their streams end at once, cleanly."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from cdmx.db.tables import User
from cdmx.settings import Settings
from tests.conftest import APP_SECRET, PASSWORD
from tests.servers import ServerProcess, free_port


async def test_sigterm_ends_open_event_streams_without_waiting_out_the_grace_period(
    settings: Settings, make_user: Callable[..., User], tmp_path: Path
) -> None:
    agent = make_user()
    env = {
        "CDMX_DATABASE_URL": settings.database_url, "CDMX_SECRET_KEY": settings.secret_key,
        "META_APP_SECRET": APP_SECRET, "CDMX_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    log = tmp_path / "server.log"
    server = ServerProcess(env, free_port(), log)
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
            login = await client.post(
                "/api/v1/auth/token", json={"email": agent.email, "password": PASSWORD}
            )
            headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
            async with client.stream("GET", "/api/v1/events", headers=headers) as stream:
                lines = stream.aiter_lines()
                while "event: hello" not in await anext(lines):
                    pass
                started = time.monotonic()
                server.process.terminate()
                async for _ in lines:  # a clean end of the chunked body, not a cut one
                    pass
            await asyncio.to_thread(server.process.wait, 10)
            stopped = time.monotonic() - started
    finally:
        server.stop()

    assert server.process.returncode in (0, -15)  # uvicorn re-raises the signal it handled
    assert stopped < 4.0, f"took {stopped:.1f} s: the streams held the 5 s grace period"
    assert "Traceback" not in log.read_text(), log.read_text()
