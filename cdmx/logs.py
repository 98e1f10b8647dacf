"""Log lines for operators: text by default, one JSON object a line with CDMX_LOG_FORMAT=json.

Every line carries, where known, the id of the request being served (its ``X-Request-ID``),
the signed-in user's id and the conversation the request is about; ``cdmx/web/requestid.py``
makes them known. Lines name ids, never a message's text, a token or a password: the
database engines hide statement parameters from their errors (``cdmx/db/engine.py``) and
httpx's request lines, which carry Meta's signed download links, are kept below INFO.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from pythonjsonlogger.json import JsonFormatter

FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT_FIELDS = ("request_id", "user_id", "conversation_id")
# Their INFO lines are every HTTP call with its full URL, signed query strings included.
QUIET_BELOW_WARNING = ("httpx", "httpcore")

# What the request being served knows of itself, asked for only when a line is written.
request_fields: ContextVar[Callable[[], dict[str, Any]] | None] = ContextVar(
    "cdmx_request_fields", default=None
)


class RequestFields(logging.Filter):
    """Puts the request's id, user and conversation on each record, where known."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = request_fields.get()
        if fields is not None:
            for name, value in fields().items():
                if value is not None and not hasattr(record, name):
                    setattr(record, name, value)
        return True


class TextLines(logging.Formatter):
    """The plain format, with ``request_id=… user_id=…`` after the message when known."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        known = [f"{n}={getattr(record, n)}" for n in CONTEXT_FIELDS if hasattr(record, n)]
        if not known:
            return line
        first, newline, rest = line.partition("\n")  # a traceback stays below the line
        return f"{first} [{' '.join(known)}]{newline}{rest}"


class JsonLines(JsonFormatter):
    """``{"time", "level", "logger", "message", "request_id"?, "user_id"?, …}`` a line."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            json_ensure_ascii=False,
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def log_handler(log_format: str, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing ``log_format`` lines to ``stream`` (standard error)."""
    if log_format not in FORMATS:
        raise ValueError(f"must be {' or '.join(FORMATS)}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines() if log_format == "json" else TextLines(TEXT))
    handler.addFilter(RequestFields())
    return handler


def configure_logging(level: str, log_format: str) -> None:
    """Send the program's logs to standard error at ``level``, in ``log_format``."""
    logging.basicConfig(level=level.upper(), handlers=[log_handler(log_format)])
    for name in QUIET_BELOW_WARNING:
        logging.getLogger(name).setLevel(logging.WARNING)
