"""The business's endpoint for the webhook case: a bare Starlette app in a thread of the
bench's process that notes when each event arrived (by its ``webhook-id``), answering 200 —
or 503 while told it is down."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class ReceiverThread:
    def __init__(self, port: int) -> None:
        self.port = port
        self.down = False
        self.arrived: dict[str, float] = {}  # webhook-id → first arrival (time.time())
        self.created: dict[str, float] = {}  # webhook-id → the event's created_at
        self.refused = 0
        self.requests = 0
        self.app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning",
                           timeout_graceful_shutdown=1)
        )  # fmt: skip
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        now = time.time()
        self.requests += 1
        if self.down:
            self.refused += 1
            return Response(status_code=503)
        webhook_id = request.headers.get("webhook-id", "")
        if webhook_id not in self.arrived:
            self.arrived[webhook_id] = now
            created = json.loads(body).get("created_at", "")
            self.created[webhook_id] = _epoch(created)
        return Response(status_code=200)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.serve())

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(5)


def _epoch(iso: str) -> float:
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return float("nan")
