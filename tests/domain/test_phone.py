"""Phone numbers as people read them."""

from __future__ import annotations

import pytest

from cdmx.domain.phone import readable_phone


@pytest.mark.parametrize(
    ("wa_id", "expected"),
    [
        ("5215512345678", "+52 55 1234 5678"),  # WhatsApp's mobile form, Mexico City
        ("525512345678", "+52 55 1234 5678"),  # as people write it
        ("5213312345678", "+52 33 1234 5678"),  # Guadalajara
        ("5218112345678", "+52 81 1234 5678"),  # Monterrey
        ("5219991234567", "+52 999 123 4567"),  # Mérida: a 3-digit area code
        ("522221234567", "+52 222 123 4567"),
        ("16505551234", "+16505551234"),  # other countries: + and digits
        ("52123", "+52123"),  # too short to be Mexican: left as digits
        ("+52 1 55 1234 5678", "+52 55 1234 5678"),
    ],
)
def test_readable_phone_groups_mexican_numbers(wa_id: str, expected: str) -> None:
    assert readable_phone(wa_id) == expected


@pytest.mark.parametrize("wa_id", [None, "", "sin número"])
def test_readable_phone_of_nothing_is_none(wa_id: str | None) -> None:
    assert readable_phone(wa_id) is None
