"""The audit trail's closed list of actions: what a person (or a program with their token)
did. Each name is ``<object>.<verb>``; the trail stores only these (a typo fails where it is
recorded, in the tests), and docs/api.md lists every one (a test checks it)."""

from __future__ import annotations

from typing import Final

# name → what it records (docs/api.md says the same, with the object and values each keeps)
ACTIONS: Final[dict[str, str]] = {
    "auth.sign_in": "signed in to the console (password, or a sign-in link's new password)",
    "auth.sign_in_failed": "a wrong e-mail or password, at /login or POST /api/v1/auth/token",
    "auth.sign_out": "signed out of the console",
    "token.issued": "a bearer token was issued (POST /api/v1/auth/token)",
    "token.revoked": (
        "sessions or tokens were revoked: a token by its holder or an admin, or all of a "
        "user's at a password change or deactivation"
    ),
    "token.created": "an admin created an integration token (name, scopes, expiry)",
    "user.created": "an admin (or the command line) created a user",
    "user.changed": "a user's name, role, capacity, queues, password or reactivation",
    "user.deactivated": "a user was deactivated",
    "user.sign_in_link": "an admin asked for a user's one-time sign-in link",
    "user.availability_changed": "a user set themself available, away or offline",
    "number.connected": "a WhatsApp number was connected",
    "number.changed": "a number's queue changed",
    "number.token_replaced": "a number's access token was replaced",
    "templates.synced": "a person asked for the templates to be synced from Meta",
    "queue.created": "a queue was created",
    "queue.changed": "a queue's name, hours, messages, timers, numbers or members changed",
    "conversation.started": "a conversation was started with a template",
    "conversation.taken": "a conversation was taken",
    "conversation.transferred": "a conversation was handed to an agent or a queue",
    "conversation.closed": "a conversation was closed by a person",
    "conversation.snoozed": "a conversation was snoozed",
    "conversation.read": "its unread messages were marked read",
    "conversation.viewed": "a supervisor or admin who is not its agent read it",
    "conversation.labels_changed": "a conversation's labels were set",
    "note.created": "an internal note was written",
    "label.created": "a label was defined",
    "label.changed": "a label was renamed or recoloured",
    "label.deleted": "a label was deleted",
    "canned.created": "a quick reply was created",
    "canned.changed": "a quick reply's text, shortcut, queue or file changed",
    "canned.deleted": "a quick reply was deleted",
    "contact.changed": "a customer's profile was edited",
    "contact.merged": "two contacts were merged",
    "contact_field.created": "a custom contact field was defined",
    "contact_field.deleted": "a custom contact field was deleted",
    "export.downloaded": "an export was downloaded (the audit, conversations or contacts CSV)",
    "webhook.created": "an outgoing webhook endpoint was registered",
    "webhook.changed": "a webhook's address, events, description or on/off changed",
    "webhook.deleted": "a webhook endpoint was deleted",
    "webhook.secret_rotated": "a webhook's signing secret was replaced",
    "webhook.resent": "a delivery was queued again by hand",
    "webhook.tested": "a test event was sent to a webhook",
    "send_action.created": "a send-to action was defined",
    "send_action.changed": "a send-to action's name, address or on/off changed",
    "send_action.deleted": "a send-to action was deleted",
    "send_action.secret_rotated": "a send-to action's signing secret was replaced",
    "conversation.sent_to": "a conversation was pushed to a system by a send-to action",
}

# The objects an entry can name (``object_type``).
OBJECTS: Final = (
    "user", "number", "queue", "conversation", "label", "canned", "contact", "contact_field",
    "templates", "audit", "webhook", "send_action", "token",
)  # fmt: skip
