"""Customer identity: phone numbers as WhatsApp sends them, and the key a contact is stored by.

Mexico's mobiles arrive as ``521`` + 10 digits while people and CRMs write ``52`` + 10
digits; Argentina's as ``549`` + area + number. Both forms are one person, so the key uses
the form WhatsApp sends (``521…``, ``549…``).
"""

from __future__ import annotations

import unicodedata


def digits(phone: str) -> str:
    """Only the digits of a phone number (drops +, spaces, dashes, parentheses).

    Any script's decimal digits count (a phone keyboard can type full-width ５５), and come
    out as ASCII so one number always gives one key.
    """
    return "".join(str(unicodedata.decimal(ch)) for ch in phone if ch.isdecimal())


def canonical_wa_id(phone: str) -> str:
    """The wa_id WhatsApp uses for a number, Mexico and Argentina mobiles included."""
    number = digits(phone)
    if number.startswith("52") and len(number) == 12:
        return "521" + number[2:]
    if number.startswith("54") and not number.startswith("549") and len(number) == 12:
        return "549" + number[2:]
    return number


def e164(phone: str) -> str:
    """The number in E.164 (``+`` and digits), as Meta wants it in ``to``."""
    return "+" + digits(phone)


def contact_identity(*, wa_id: str | None, user_id: str | None) -> str:
    """The key a contact is stored by: the BSUID when present, else the canonical wa_id."""
    if user_id:
        return f"bsuid:{user_id}"
    if wa_id:
        return f"wa:{canonical_wa_id(wa_id)}"
    raise ValueError("a WhatsApp sender has neither a wa_id nor a user id")
