"""What the phone page's JSON endpoints share: the default customer, the wa_id check, errors."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from cdmx.simulator.state import canonical_wa_id

DEFAULT_WA_ID = "5215512345678"
DEFAULT_NAME = "Cliente Demo"


def wa_id_from(value: Any) -> str | None:
    """The canonical wa_id in a request field, or None if it is not a plausible number."""
    if not isinstance(value, str):
        return None
    wa_id = canonical_wa_id(value)
    return wa_id if 8 <= len(wa_id) <= 15 else None


def error_response(code: str, message: str) -> JSONResponse:
    """The phone API's 400 answer: ``{"error": {code, message}}``."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=400)
