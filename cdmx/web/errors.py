"""One JSON error shape for every refusal: {"error": {"code", "message"}}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException

from cdmx.domain.errors import ActionError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid", 429: "too_many_requests", 503: "unavailable",
}  # fmt: skip


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception a client can cause to a clear JSON 4xx; log the rest as 500."""

    @app.exception_handler(ActionError)
    async def _action(_: Request, exc: ActionError) -> JSONResponse:
        response = error_response(exc.status_code, exc.code, exc.message)
        fields = getattr(exc, "fields", None)
        if fields:  # one problem per form field, for the template picker
            error = {"code": exc.code, "message": exc.message, "fields": fields}
            response = JSONResponse({"error": error}, status_code=exc.status_code)
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        response = error_response(exc.status_code, code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        message = f"{where}: {first.get('msg', 'invalid')}" if where else "Invalid request."
        return error_response(422, "invalid", message)

    @app.exception_handler(OperationalError)
    async def _database(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return error_response(503, "unavailable", "The database is busy or down; retry shortly.")

    # A value the database cannot hold (an id past 64 bits, text longer than its column):
    # SQLite's driver says OverflowError, PostgreSQL's DataError. The client sent it.
    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
        log.info("refused on %s %s: %s", request.method, request.url.path, str(exc)[:200])
        return error_response(422, "invalid", "A value is out of range or too long.")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "Something went wrong on our side.")
