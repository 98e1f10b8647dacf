"""Meta-shaped webhook payloads for tests."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.conftest import DISPLAY_NUMBER, PHONE_NUMBER_ID, WABA_ID

_ids = itertools.count(1)


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    """Wrap a change value the way Meta does."""
    base = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID},
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": {**base, **value}}]}],
    }


def text_message(
    text: str,
    *,
    wa_id: str = "5215512345678",
    name: str = "Cliente",
    wamid: str | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """A webhook with one inbound text message."""
    return envelope(
        {
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": [
                {
                    "from": wa_id,
                    "id": wamid or f"wamid.IN{next(_ids)}",
                    "timestamp": str(timestamp or int(time.time())),
                    "type": "text",
                    "text": {"body": text},
                }
            ],
        }
    )


def status(wamid: str, value: str, *, timestamp: int | None = None, **extra: Any) -> dict[str, Any]:
    """A webhook with one status for an outbound message."""
    item = {
        "id": wamid,
        "status": value,
        "timestamp": str(timestamp or int(time.time())),
        "recipient_id": "5215512345678",
        **extra,
    }
    return envelope({"statuses": [item]})
