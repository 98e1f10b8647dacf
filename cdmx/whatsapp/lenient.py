"""Lenient readers for Meta's JSON: a field of the wrong shape reads as empty, never raises.

Meta's payloads are parsed defensively everywhere (a new version, a malformed delivery); these
are the three readers every parser in this package shares.
"""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is an object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_str(value: Any) -> str | None:
    """A string as is, a number as text (Meta is not consistent), anything else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None
