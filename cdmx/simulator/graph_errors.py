"""The Graph API's errors as the simulator answers them, and the checks every Graph route makes
first (version, token, object id)."""

from __future__ import annotations

import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from cdmx.simulator.faults import Fault
from cdmx.simulator.state import Simulator

VERSION = re.compile(r"v\d+\.0")


class GraphError(Exception):
    """A Graph API error, rendered in Meta's `{"error": {...}}` envelope."""

    def __init__(
        self,
        code: int,
        message: str,
        *,
        http_status: int = 400,
        details: str | None = None,
        error_type: str = "OAuthException",
        subcode: int | None = None,
        is_transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status
        self.details = details
        self.error_type = error_type
        self.subcode = subcode
        self.is_transient = is_transient

    @classmethod
    def from_fault(cls, fault: Fault) -> GraphError:
        """The error an injected fault answers with."""
        return cls(
            fault.code,
            fault.message,
            http_status=fault.http_status,
            details=fault.details,
            is_transient=fault.is_transient,
        )

    def response(self) -> JSONResponse:
        """The HTTP response Meta would send."""
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(18)
        return JSONResponse({"error": error}, status_code=self.http_status)


def invalid(message: str, details: str | None = None) -> GraphError:
    """Meta's code 100, invalid parameter."""
    return GraphError(100, f"(#100) {message}", details=details)


def check_path(request: Request, sim: Simulator, param: str, expected: str, verb: str) -> None:
    """Raise Meta's error for an unknown version, a bad token or another object's id."""
    version = request.path_params["version"]
    if not VERSION.fullmatch(version):
        raise GraphError(2500, f"Unknown path components: /{version}")
    sim.versions_seen.add(version)
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
        token.strip().encode(), sim.config.access_token.encode()
    ):
        raise GraphError(
            190, "Invalid OAuth access token - Cannot parse access token", http_status=401
        )
    object_id = request.path_params[param]
    if object_id != expected:
        raise GraphError(
            100,
            f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
            "loaded due to missing permissions, or does not support this operation. Please read "
            "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
            error_type="GraphMethodException",
            subcode=33,
        )
