"""Phone numbers as WhatsApp sends them, and the key a contact is stored by."""

from __future__ import annotations

import pytest

from cdmx.domain.identity import canonical_wa_id, contact_identity, digits, e164


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("+52 (55) 1234-5678", "525512345678"),
        ("+1 650-555-1234", "16505551234"),
        (" 52.55.1234.5678 ", "525512345678"),
        ("", ""),
        ("sin número", ""),
    ],
)
def test_digits_drops_everything_but_digits(phone: str, expected: str) -> None:
    assert digits(phone) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("525512345678", "5215512345678"),  # 52 + 10 digits, as people and CRMs write it
        ("+52 55 1234 5678", "5215512345678"),
        ("5215512345678", "5215512345678"),  # already WhatsApp's form
        ("+52 1 55 1234 5678", "5215512345678"),
        ("523312345678", "5213312345678"),  # Guadalajara
    ],
)
def test_mexican_mobile_becomes_the_521_wa_id(phone: str, expected: str) -> None:
    assert canonical_wa_id(phone) == expected


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("543511234567", "5493511234567"),  # 54 + area + number
        ("+54 11 2345-6789", "5491123456789"),  # Buenos Aires
        ("5493511234567", "5493511234567"),  # already WhatsApp's form
        ("+54 9 11 2345 6789", "5491123456789"),
    ],
)
def test_argentine_mobile_becomes_the_549_wa_id(phone: str, expected: str) -> None:
    assert canonical_wa_id(phone) == expected


@pytest.mark.parametrize(
    "phone",
    ["16505551234", "447700900123", "5511987654321", "52551234567", "5255123456789"],
    ids=["us", "uk", "brazil", "mx-11-digits", "mx-13-digits-not-521"],
)
def test_other_numbers_are_left_as_digits(phone: str) -> None:
    assert canonical_wa_id(phone) == phone


def test_both_mexican_forms_are_one_contact() -> None:
    assert contact_identity(wa_id="525512345678", user_id=None) == contact_identity(
        wa_id="5215512345678", user_id=None
    )


def test_both_argentine_forms_are_one_contact() -> None:
    assert contact_identity(wa_id="543511234567", user_id=None) == contact_identity(
        wa_id="5493511234567", user_id=None
    )


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        ("5215512345678", "+5215512345678"),
        ("+52 1 (55) 1234-5678", "+5215512345678"),
        ("+1 650-555-1234", "+16505551234"),
    ],
)
def test_e164_is_plus_and_digits(phone: str, expected: str) -> None:
    assert e164(phone) == expected


def test_e164_keeps_the_number_as_given_without_rewriting_the_country_form() -> None:
    assert e164("525512345678") == "+525512345678"


def test_full_width_digits_are_read_as_ascii_digits() -> None:
    assert digits("＋５２ ５５ １２３４ ５６７８") == "525512345678"
    assert e164("+52 55 1234 5678²") == "+525512345678"


def test_contact_identity_prefers_the_bsuid() -> None:
    identity = contact_identity(wa_id="5215512345678", user_id="MX.1384920571638205716")
    assert identity == "bsuid:MX.1384920571638205716"


def test_contact_identity_with_only_a_bsuid() -> None:
    assert contact_identity(wa_id=None, user_id="AR.99") == "bsuid:AR.99"


def test_contact_identity_without_bsuid_uses_the_canonical_wa_id() -> None:
    assert contact_identity(wa_id="525512345678", user_id=None) == "wa:5215512345678"


@pytest.mark.parametrize(("wa_id", "user_id"), [(None, None), ("", ""), (None, ""), ("", None)])
def test_contact_identity_without_wa_id_or_bsuid_raises(
    wa_id: str | None, user_id: str | None
) -> None:
    with pytest.raises(ValueError, match="neither"):
        contact_identity(wa_id=wa_id, user_id=user_id)
