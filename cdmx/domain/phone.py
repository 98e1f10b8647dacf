"""Phone numbers as people read them, for the customer's profile.

A wa_id is digits only (``5215512345678``); an agent reads ``+52 55 1234 5678``. Mexico's
mobiles come as ``521`` + 10 digits (WhatsApp's form) or ``52`` + 10 digits (how people and
CRMs write them); both print the same, without the mobile ``1``, as numbers are dialled in
Mexico since 2020. Mexico City, Guadalajara and Monterrey have 2-digit area codes; every
other area code has 3. Other countries get ``+`` and their digits: grouping them needs each
country's plan, which a contact center in Mexico rarely sees.
"""

from __future__ import annotations

from cdmx.domain.identity import digits

TWO_DIGIT_AREAS = frozenset({"55", "33", "81"})


def mexican_national(number: str) -> str | None:
    """The 10-digit national number of a Mexican wa_id (52 or 521 + 10 digits), else None."""
    if number.startswith("521") and len(number) == 13:
        return number[3:]
    if number.startswith("52") and len(number) == 12:
        return number[2:]
    return None


def readable_phone(wa_id: str | None) -> str | None:
    """The number as an agent reads it: ``+52 55 1234 5678``, ``+52 999 123 4567``, ``+1…``."""
    if not wa_id:
        return None
    number = digits(wa_id)
    if not number:
        return None
    national = mexican_national(number)
    if national is None:
        return "+" + number
    if national[:2] in TWO_DIGIT_AREAS:
        return f"+52 {national[:2]} {national[2:6]} {national[6:]}"
    return f"+52 {national[:3]} {national[3:6]} {national[6:]}"
