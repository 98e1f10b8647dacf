"""The simulator (Meta's stand-in) run in the bench's own process, so the bench can read
``sent_requests`` — the time each Graph API call arrived — directly."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvicorn

from cdmx.simulator import SimulatorConfig, create_simulator_app
from cdmx.simulator.state import Simulator

T = TypeVar("T")


class SimulatorThread:
    def __init__(self, port: int, config: SimulatorConfig) -> None:
        # Status webhooks to a server a case already stopped fail by design; not news.
        logging.getLogger("cdmx.simulator").setLevel(logging.CRITICAL)
        self.port = port
        self.app = create_simulator_app(config)
        self.sim: Simulator = self.app.state.simulator
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host="127.0.0.1",
                port=port,
                log_level="warning",
                timeout_graceful_shutdown=1,
            )  # fmt: skip
        )
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="simulator", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the simulator did not start")
            time.sleep(0.05)

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        """Run a coroutine on the simulator's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(5)
