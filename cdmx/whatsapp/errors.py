"""Meta's error codes, mapped once to what the outbox must do about them.

GraphError
├── Retryable       network trouble, 5xx, generic transient errors: retry with backoff
│   └── Throttled   130429, 131056, 4, 80007: retry later, slower
├── NeedsTemplate   131047: outside the 24-hour window, only a template can go
├── AuthFailed      190, 0, 3, 10, 200-299: the number's token is bad; pause its sends
└── Permanent       anything else: the message is failed with Meta's code and text
"""

from __future__ import annotations

from typing import Any

AUTH_CODES = frozenset({0, 3, 10, 190}) | frozenset(range(200, 300))
THROTTLE_CODES = frozenset({4, 80007, 130429, 131056})
RETRY_CODES = frozenset({1, 2, 131000, 131016, 131057})
WINDOW_CODES = frozenset({131047})


class GraphError(Exception):
    """A Graph API call did not succeed."""

    def __init__(
        self, message: str, *, code: int | None = None, details: str | None = None,
        http_status: int | None = None, fbtrace_id: str | None = None,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details
        self.http_status = http_status
        self.fbtrace_id = fbtrace_id


class Retryable(GraphError):
    """Try again later: the request may succeed unchanged."""


class Throttled(Retryable):
    """A rate limit was hit; slow down before retrying."""


class NeedsTemplate(GraphError):
    """The customer service window is closed; only a template message can be sent."""


class AuthFailed(GraphError):
    """The access token is expired, revoked or lacks permission."""


class Permanent(GraphError):
    """The request is wrong and will fail again; do not retry."""


def error_from_response(http_status: int, body: Any) -> GraphError:
    """Build the right GraphError from a Graph API error response."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        kind: type[GraphError]
        if http_status == 429:
            kind = Throttled
        elif http_status >= 500 or 200 <= http_status < 300:
            kind = Retryable  # a proxy's error page, or a success we cannot read
        elif http_status in (401, 403):
            kind = AuthFailed
        else:
            kind = Permanent
        return kind(f"HTTP {http_status} from the Graph API", http_status=http_status)
    code = error.get("code") if isinstance(error.get("code"), int) else None
    data: dict[str, Any] = error.get("error_data") or {}
    if not isinstance(data, dict):
        data = {}
    details = data.get("details") if isinstance(data.get("details"), str) else None
    message = str(error.get("error_user_msg") or error.get("message") or f"HTTP {http_status}")
    kind = classify(code, http_status, transient=error.get("is_transient") is True)
    return kind(
        message, code=code, details=details, http_status=http_status,
        fbtrace_id=error.get("fbtrace_id"),
    )  # fmt: skip


def classify(code: int | None, http_status: int, *, transient: bool = False) -> type[GraphError]:
    """The class of error a Meta code (or, without one, an HTTP status) belongs to."""
    if code in THROTTLE_CODES or http_status == 429:
        return Throttled
    if code in WINDOW_CODES:
        return NeedsTemplate
    if code in AUTH_CODES or http_status == 401:
        return AuthFailed
    if code in RETRY_CODES or transient or http_status >= 500:
        return Retryable
    return Permanent
