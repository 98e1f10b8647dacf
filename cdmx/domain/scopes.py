"""What an integration token may do: a closed list of scopes.

An admin gives a token some of these; each /api/v1 route needs exactly one of them, or is
closed to integration tokens altogether (``cdmx/web/api/scopes.py`` maps every route, and a
test fails when a new route is not mapped). A route a token's scopes do not cover answers
403 ``insufficient_scope``."""

from __future__ import annotations

from typing import Final

# scope → what it allows (docs/api.md lists the same, with the routes of each)
SCOPES: Final[dict[str, str]] = {
    "conversations:read": "read conversations, messages, agents, queues, labels, the event stream",
    "conversations:write": "take, transfer, snooze, close, mark read and label conversations",
    "messages:write": "send replies, files and templates, start conversations, write notes",
    "contacts:read": "read customers' profiles, their conversations and the contact fields",
    "contacts:write": "edit and merge customers' profiles",
    "reports:read": "read the reports and their exports",
    "webhooks:manage": "register, change, rotate, test and delete outgoing webhooks",
    "audit:read": "read and export the audit trail",
}


def unknown_scopes(scopes: list[str]) -> list[str]:
    """The names in ``scopes`` that are not scopes, in the order given."""
    return [scope for scope in scopes if scope not in SCOPES]
