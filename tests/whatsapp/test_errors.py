"""Meta error codes and HTTP statuses map to the class that tells the outbox what to do."""

from __future__ import annotations

from typing import Any

import pytest

from cdmx.whatsapp.errors import (
    AuthFailed,
    GraphError,
    NeedsTemplate,
    Permanent,
    Retryable,
    Throttled,
    classify,
    error_from_response,
)


def meta_error(code: int | None, *, http_message: str = "", **extra: Any) -> dict[str, Any]:
    """An error body shaped like the Graph API's."""
    error: dict[str, Any] = {
        "message": http_message or f"(#{code}) something happened",
        "type": "OAuthException",
        "fbtrace_id": "AbCdEfGhIjKlMnOpQrStUv1",
        **extra,
    }
    if code is not None:
        error["code"] = code
    return {"error": error}


@pytest.mark.parametrize(
    ("code", "http_status", "expected"),
    [
        (190, 401, AuthFailed),
        (190, 400, AuthFailed),
        (0, 400, AuthFailed),
        (10, 403, AuthFailed),
        (200, 403, AuthFailed),
        (299, 403, AuthFailed),
        (131047, 400, NeedsTemplate),
        (130429, 400, Throttled),
        (131056, 400, Throttled),
        (4, 400, Throttled),
        (80007, 400, Throttled),
        (131000, 500, Retryable),
        (131000, 400, Retryable),
        (131016, 503, Retryable),
        (131057, 400, Retryable),
        (131026, 400, Permanent),
        (100, 400, Permanent),
        (132001, 404, Permanent),
        (131030, 400, Permanent),
        (368, 400, Permanent),
    ],
)
def test_meta_error_code_maps_to_its_class(
    code: int, http_status: int, expected: type[GraphError]
) -> None:
    error = error_from_response(http_status, meta_error(code))
    assert type(error) is expected
    assert classify(code, http_status) is expected


def test_throttled_is_a_retryable() -> None:
    assert issubclass(Throttled, Retryable)
    assert isinstance(error_from_response(400, meta_error(130429)), Retryable)


@pytest.mark.parametrize("code", [None, 100, 131026])
def test_http_429_is_throttled_whatever_the_code(code: int | None) -> None:
    assert classify(code, 429) is Throttled
    assert type(error_from_response(429, meta_error(code))) is Throttled


@pytest.mark.parametrize("body", [None, "", {"unexpected": True}], ids=["none", "text", "dict"])
def test_http_429_without_an_error_body_is_throttled(body: Any) -> None:
    assert type(error_from_response(429, body)) is Throttled


@pytest.mark.parametrize("http_status", [500, 502, 503, 504])
def test_5xx_with_a_generic_code_is_retryable(http_status: int) -> None:
    assert type(error_from_response(http_status, meta_error(1))) is Retryable
    assert classify(None, http_status) is Retryable


def test_is_transient_makes_an_otherwise_permanent_code_retryable() -> None:
    assert type(error_from_response(400, meta_error(100, is_transient=True))) is Retryable
    assert type(error_from_response(400, meta_error(100, is_transient=False))) is Permanent


def test_is_transient_must_be_true_not_just_truthy() -> None:
    assert type(error_from_response(400, meta_error(100, is_transient="yes"))) is Permanent


def test_window_code_wins_over_a_5xx_status() -> None:
    assert type(error_from_response(500, meta_error(131047))) is NeedsTemplate


@pytest.mark.parametrize(
    ("http_status", "body", "expected"),
    [
        (502, "<html><body>Bad Gateway</body></html>", Retryable),
        (500, None, Retryable),
        (503, [], Retryable),
        (401, None, AuthFailed),
        (403, "", AuthFailed),
        (400, None, Permanent),
        (404, {"error": "not a dict"}, Permanent),
    ],
    ids=["502-html", "500-none", "503-list", "401-none", "403-empty", "400-none", "404-str"],
)
def test_body_without_a_meta_error_falls_back_to_the_http_status(
    http_status: int, body: Any, expected: type[GraphError]
) -> None:
    error = error_from_response(http_status, body)
    assert type(error) is expected
    assert error.code is None
    assert error.http_status == http_status
    assert str(http_status) in error.message


def test_error_carries_message_code_details_status_and_fbtrace_id() -> None:
    body = meta_error(
        131026,
        http_message="(#131026) Message undeliverable",
        error_data={"messaging_product": "whatsapp", "details": "Receiver is incapable."},
        fbtrace_id="A1b2C3d4E5f6G7h8",
    )
    error = error_from_response(400, body)
    assert (error.message, error.code, error.details, error.http_status, error.fbtrace_id) == (
        "(#131026) Message undeliverable", 131026, "Receiver is incapable.", 400,
        "A1b2C3d4E5f6G7h8",
    )  # fmt: skip
    assert str(error) == "(#131026) Message undeliverable"


def test_error_user_msg_is_preferred_over_the_developer_message() -> None:
    body = meta_error(131030, error_user_msg="Agrega el número a la lista de destinatarios.")
    assert error_from_response(400, body).message == "Agrega el número a la lista de destinatarios."


def test_non_integer_code_and_details_are_dropped_not_trusted() -> None:
    body = {"error": {"message": "odd", "code": "131047", "error_data": {"details": 42}}}
    error = error_from_response(400, body)
    assert error.code is None
    assert error.details is None
    assert type(error) is Permanent


def test_error_without_message_names_the_http_status() -> None:
    assert error_from_response(400, {"error": {"code": 100}}).message == "HTTP 400"
