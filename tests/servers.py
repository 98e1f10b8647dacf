"""Real HTTP servers for tests: an ASGI app under uvicorn on a free local port."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(app: Any, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
        timeout_graceful_shutdown=1,
    )  # fmt: skip


def _stop(app: Any, server: uvicorn.Server) -> None:
    """Stop as ``cdmx serve`` does: the console's event streams end first (else the graceful
    shutdown waits for them, then cancels them mid-write)."""
    services = getattr(getattr(app, "state", None), "services", None)
    if services is not None:
        services.bus.end_streams()
    server.should_exit = True


@asynccontextmanager
async def serving(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """Run ``app`` in this event loop; yields its base URL; stops it afterwards."""
    port = port or free_port()
    server = uvicorn.Server(_config(app, port))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(app, server)
        await task


@contextmanager
def serving_in_thread(app: Any, port: int | None = None) -> Iterator[str]:
    """Run ``app`` in its own thread and loop (for sync tests such as browser tests)."""
    port = port or free_port()
    server = uvicorn.Server(_config(app, port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("server did not start")
        threading.Event().wait(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(app, server)
        thread.join(timeout=10)


class ServerProcess:
    """`cdmx serve` in its own process, so a test can kill it with SIGKILL."""

    def __init__(
        self, env: dict[str, str], port: int, log_path: Any, args: tuple[str, ...] = ()
    ) -> None:
        self.env = env
        self.port = port
        self.log_path = log_path
        self.args = args  # e.g. ("--no-workers",)
        self.process: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        import os
        import subprocess
        import sys
        import time

        import httpx

        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the handle
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cdmx.cli", "serve", "--port", str(self.port), *self.args],
                env={**os.environ, **self.env}, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cdmx serve exited: see {self.log_path}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"cdmx serve did not become ready: see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, nothing."""
        import signal

        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except Exception:
                self.kill()
