"""Errors an action raises for a request it refuses; the web layer turns them into JSON."""

from __future__ import annotations


class ActionError(Exception):
    """A refused request: ``code`` is stable for programs, ``message`` is for people."""

    status_code = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Invalid(ActionError):
    status_code = 422


class NotFound(ActionError):
    status_code = 404


class Forbidden(ActionError):
    status_code = 403


class Conflict(ActionError):
    status_code = 409


class TooManyRequests(ActionError):
    """Refused for now: ``retry_after`` seconds later it may succeed (``Retry-After``)."""

    status_code = 429

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(code, message)
        self.retry_after = max(1, retry_after)
