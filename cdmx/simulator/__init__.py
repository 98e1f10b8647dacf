"""A stand-in for Meta's WhatsApp Cloud API, plus a "customer phone" web page.

The demo, the tests and the benchmarks point the app's Graph client here and receive signed,
Meta-shaped webhooks from here, so the real HTTP path runs without a Meta account.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
from starlette.applications import Starlette

from cdmx.simulator.config import SimulatorConfig
from cdmx.simulator.graph import graph_routes
from cdmx.simulator.media import media_routes
from cdmx.simulator.phone import phone_routes
from cdmx.simulator.state import Simulator

__all__ = ["SimulatorConfig", "create_simulator_app"]


def create_simulator_app(
    config: SimulatorConfig, *, webhook_transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    """The simulator as an ASGI app; its state is on `app.state.simulator`."""
    simulator = Simulator(config, webhook_transport=webhook_transport)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await simulator.start()
        try:
            yield
        finally:
            await simulator.stop()

    # Phone routes first: "/phone/api/messages" would otherwise fit the Graph pattern.
    app = Starlette(routes=[*phone_routes(), *graph_routes(), *media_routes()], lifespan=lifespan)
    app.state.simulator = simulator
    return app
