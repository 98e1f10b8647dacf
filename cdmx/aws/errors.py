"""AWS errors mapped onto the same tree as Meta's, so the outbox treats both providers alike.

ClientError code (End User Messaging Social)        → GraphError class
├── ThrottledRequestException, ThrottlingException  → Throttled
├── InternalServiceException, 5xx, network trouble  → Retryable
├── DependencyException (Meta did not answer)       → Retryable, or NeedsTemplate for 131047
├── AccessDenied*, ResourceNotFound, no credentials → AuthFailed (the channel pauses)
└── Validation / InvalidParameters / anything else  → Permanent, or NeedsTemplate for 131047

Whether EUM reports Meta's 131047 ("re-engagement", outside the 24-hour window) in the
synchronous error or only as a ``failed`` status event is not documented; both are handled:
the message text is searched for the code here, and a failed status carries Meta's code.
"""

from __future__ import annotations

import re
from typing import Any

from cdmx.whatsapp.errors import (
    WINDOW_CODES,
    AuthFailed,
    GraphError,
    NeedsTemplate,
    Permanent,
    Retryable,
    Throttled,
)

_THROTTLED = frozenset({"ThrottledRequestException", "ThrottlingException", "TooManyRequests"})
_RETRY = frozenset({"InternalServiceException", "InternalServerException", "ServiceUnavailable"})
_AUTH = frozenset(
    {
        "AccessDeniedException", "AccessDeniedByMetaException", "ResourceNotFoundException",
        "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredTokenException",
        "ExpiredToken",
    }
)  # fmt: skip
_META_CODE = re.compile(r"(?<![0-9])(1[0-9]{5})(?![0-9])")


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error")
        if isinstance(error, dict):
            return str(error.get("Code", ""))
    return ""


def error_message(exc: BaseException) -> str:
    """The AWS error message of a ClientError, else the exception's text."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        message = response["Error"].get("Message")
        if message:
            return str(message)
    return str(exc)


def graph_error_from_aws(exc: BaseException) -> GraphError:
    """A GraphError subclass for any exception raised by a boto3 call."""
    from botocore.exceptions import (
        ClientError,
        ConnectionError,
        HTTPClientError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return AuthFailed(f"no AWS credentials: {exc}")
    if isinstance(exc, ConnectionError | HTTPClientError):
        return Retryable(f"could not reach AWS ({type(exc).__name__}: {exc})")
    if not isinstance(exc, ClientError):
        return Retryable(f"AWS call failed ({type(exc).__name__}: {exc})")
    code = error_code(exc)
    message = error_message(exc)
    status = _status(exc.response)
    meta_code = _meta_code(message)
    text = f"{code}: {message}" if code else message
    kind: type[GraphError]
    if code in _THROTTLED or status == 429:
        kind = Throttled
    elif meta_code in WINDOW_CODES:
        kind = NeedsTemplate
    elif code in _RETRY or code == "DependencyException" or status >= 500:
        kind = Retryable
    elif code in _AUTH or status in (401, 403):
        kind = AuthFailed
    else:
        kind = Permanent
    return kind(text, code=meta_code, http_status=status or None)


def _status(response: dict[str, Any]) -> int:
    metadata = response.get("ResponseMetadata")
    status = metadata.get("HTTPStatusCode") if isinstance(metadata, dict) else None
    return status if isinstance(status, int) else 0


def _meta_code(message: str) -> int | None:
    # Meta's message codes are six digits starting with 1 (131047, 130429…); shorter numbers
    # in an AWS message are too likely to be something else.
    match = _META_CODE.search(message)
    return int(match.group(1)) if match else None
