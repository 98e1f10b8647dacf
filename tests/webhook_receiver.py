"""A business's endpoint for the webhook tests: a real HTTP server that records every request
(body and headers) and answers as the test scripts it — fail the first requests, fail one
event, or answer slowly."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class Receiver:
    """``answer(received) -> status`` decides each response (200 by default); ``delay`` seconds
    before answering."""

    received: list[Received] = field(default_factory=list)
    answer: Callable[[Received], int] = lambda _: 200
    delay: float = 0.0
    reply: dict[str, Any] | None = None  # the JSON a 2xx answers with

    @property
    def app(self) -> Starlette:
        async def endpoint(request: Request) -> Response:
            got = Received(await request.body(), {k.lower(): v for k, v in request.headers.items()})
            self.received.append(got)
            if self.delay:
                await asyncio.sleep(self.delay)
            status = self.answer(got)
            if 200 <= status < 300 and self.reply is not None:
                return JSONResponse(self.reply, status_code=status)
            return Response(f"answer {status}", status_code=status)

        return Starlette(routes=[Route("/hook", endpoint, methods=["POST"])])

    def types(self) -> list[str]:
        return [r.json["type"] for r in self.received]

    def ids(self) -> list[str]:
        return [r.headers["webhook-id"] for r in self.received]
