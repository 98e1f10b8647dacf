"""Which scope each /api/v1 route needs from an integration token.

Every route is listed (``tests/web/api/test_integration_tokens.py`` fails on one that is
not): with its scope, or with ``None`` — closed to integration tokens (the routes of a
person: their availability, sign-in; and the administration of users, numbers, queues and
tokens, which stays with the admins in the console). A route a token's scopes do not cover
answers 403 ``insufficient_scope``.
"""

from __future__ import annotations

from typing import Final

from cdmx.domain.scopes import SCOPES

C_READ, C_WRITE, M_WRITE = "conversations:read", "conversations:write", "messages:write"
K_READ, K_WRITE = "contacts:read", "contacts:write"
HOOKS, AUDIT, REPORTS = "webhooks:manage", "audit:read", "reports:read"
CONVERSATION = "/conversations/{conversation_id}"
WEBHOOK = "/webhooks/{webhook_id}"

# (method, path under /api/v1) → the scope it needs; None: no integration token may use it.
ROUTE_SCOPES: Final[dict[tuple[str, str], str | None]] = {
    ("POST", "/auth/token"): None,
    ("DELETE", "/auth/token"): None,
    ("GET", "/me"): None,
    ("PUT", "/me/availability"): None,
    ("GET", "/conversations"): C_READ,
    ("POST", "/conversations"): M_WRITE,  # starts one with a template
    ("GET", CONVERSATION): C_READ,
    ("GET", f"{CONVERSATION}/messages"): C_READ,
    ("POST", f"{CONVERSATION}/messages"): M_WRITE,
    ("POST", f"{CONVERSATION}/media"): M_WRITE,
    ("POST", f"{CONVERSATION}/notes"): M_WRITE,
    ("POST", f"{CONVERSATION}/take"): C_WRITE,
    ("POST", f"{CONVERSATION}/transfer"): C_WRITE,
    ("POST", f"{CONVERSATION}/close"): C_WRITE,
    ("POST", f"{CONVERSATION}/snooze"): C_WRITE,
    ("POST", f"{CONVERSATION}/read"): C_WRITE,
    ("PUT", f"{CONVERSATION}/labels"): C_WRITE,
    ("POST", f"{CONVERSATION}/typing"): None,  # a person typing
    ("POST", f"{CONVERSATION}/activity"): None,  # a person's presence in a thread
    ("GET", "/messages"): C_READ,
    ("GET", "/templates"): M_WRITE,  # to choose the template it sends
    ("POST", "/templates/sync"): None,
    ("GET", "/agents"): C_READ,
    ("GET", "/queues"): C_READ,
    ("GET", "/queues/{queue_id}"): C_READ,
    ("POST", "/queues"): None,
    ("PATCH", "/queues/{queue_id}"): None,
    ("GET", "/labels"): C_READ,
    ("POST", "/labels"): None,
    ("PATCH", "/labels/{label_id}"): None,
    ("DELETE", "/labels/{label_id}"): None,
    ("GET", "/events"): C_READ,
    ("GET", "/contacts"): K_READ,
    ("GET", "/contacts/{contact_id}"): K_READ,
    ("GET", "/contacts/{contact_id}/conversations"): K_READ,
    ("PATCH", "/contacts/{contact_id}"): K_WRITE,
    ("POST", "/contacts/{contact_id}/merge"): K_WRITE,
    ("GET", "/contact-fields"): K_READ,
    ("POST", "/contact-fields"): None,
    ("DELETE", "/contact-fields/{field_id}"): None,
    ("GET", "/numbers"): None,
    ("POST", "/numbers"): None,
    ("PATCH", "/numbers/{number_id}"): None,
    ("PUT", "/numbers/{number_id}/token"): None,
    ("GET", "/users"): None,
    ("POST", "/users"): None,
    ("GET", "/users/{user_id}"): None,
    ("PATCH", "/users/{user_id}"): None,
    ("POST", "/users/{user_id}/sign-in-link"): None,
    ("GET", "/canned-responses"): None,
    ("POST", "/canned-responses"): None,
    ("PATCH", "/canned-responses/{canned_id}"): None,
    ("DELETE", "/canned-responses/{canned_id}"): None,
    ("PUT", "/canned-responses/{canned_id}/attachment"): None,
    ("DELETE", "/canned-responses/{canned_id}/attachment"): None,
    ("GET", "/views"): None,
    ("POST", "/views"): None,
    ("PATCH", "/views/{view_id}"): None,
    ("DELETE", "/views/{view_id}"): None,
    ("GET", "/mentions"): None,
    ("GET", "/webhooks"): HOOKS,
    ("POST", "/webhooks"): HOOKS,
    ("GET", "/webhooks/schema"): HOOKS,
    ("GET", WEBHOOK): HOOKS,
    ("PATCH", WEBHOOK): HOOKS,
    ("DELETE", WEBHOOK): HOOKS,
    ("POST", f"{WEBHOOK}/rotate-secret"): HOOKS,
    ("GET", f"{WEBHOOK}/deliveries"): HOOKS,
    ("POST", f"{WEBHOOK}/deliveries/{{delivery_id}}/resend"): HOOKS,
    ("POST", f"{WEBHOOK}/test"): HOOKS,
    ("GET", "/reports/summary"): REPORTS,
    ("GET", "/live"): REPORTS,
    ("GET", "/reports/conversations.csv"): REPORTS,
    ("GET", "/contacts.csv"): REPORTS,
    # Send-to actions: defined like webhooks; pushing a conversation is a person's act.
    ("GET", "/send-actions"): HOOKS,
    ("POST", "/send-actions"): HOOKS,
    ("PATCH", "/send-actions/{action_id}"): HOOKS,
    ("DELETE", "/send-actions/{action_id}"): HOOKS,
    ("POST", "/send-actions/{action_id}/rotate-secret"): HOOKS,
    ("POST", f"{CONVERSATION}/send-to/{{action_id}}"): None,
    ("GET", "/audit"): AUDIT,
    ("GET", "/audit.csv"): AUDIT,
    ("GET", "/integration-tokens"): None,
    ("POST", "/integration-tokens"): None,
    ("DELETE", "/integration-tokens/{token_id}"): None,
}
assert all(scope is None or scope in SCOPES for scope in ROUTE_SCOPES.values())
PREFIX = "/api/v1"


def required_scope(method: str, path_format: str) -> str | None:
    """The scope a route needs (``path_format`` as routed: ``/api/v1/…/{id}``); None when
    integration tokens may not use it, or it is not listed."""
    method = "GET" if method == "HEAD" else method
    return ROUTE_SCOPES.get((method, path_format.removeprefix(PREFIX)))
