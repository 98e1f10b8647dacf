"""``RequestOrigin``: every HTTP request runs with an audit ``Origin`` holding the client's
address, which ``current_user`` then completes with who signed in (``cdmx.actions.audit``).

The address is the ASGI client: behind a proxy, ``cdmx serve`` has uvicorn take it from
``X-Forwarded-For`` when the proxy's own address is in ``CDMX_FORWARDED_ALLOW_IPS``
(default: this machine), and from the connection otherwise — a header from anyone else is
ignored, so nobody can write an address of their choosing into the trail.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from cdmx.actions.audit import Origin, acting


class RequestOrigin:
    """Pure ASGI middleware (no per-request objects beyond the ``Origin``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        with acting(Origin(address=client[0] if client else None)):
            await self.app(scope, receive, send)
