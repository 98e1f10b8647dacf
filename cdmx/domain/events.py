"""The event types the console stream and (later) integration webhooks carry.

Every event carries a fresh snapshot of what changed, so a late event never rolls a screen
back. docs/events.md documents each one (a test keeps the two in step).
"""

from __future__ import annotations

MESSAGE_CREATED = "message.created"  # {"message", "conversation"}
MESSAGE_UPDATED = "message.updated"  # {"message"}: a status moved, or a send failed
CONVERSATION_CREATED = "conversation.created"  # {"conversation"}
CONVERSATION_ASSIGNED = "conversation.assigned"  # {"conversation"}: taken, routed, transferred
CONVERSATION_UPDATED = "conversation.updated"  # {"conversation"}: e.g. unread count reset
CONVERSATION_CLOSED = "conversation.closed"  # {"conversation"}
AGENT_UPDATED = "agent.updated"  # {"agent"}: availability changed

# Stream-only events, not stored: where a fresh stream starts, and "reload your state".
HELLO = "hello"
RESET = "reset"

EVENT_TYPES = (
    MESSAGE_CREATED, MESSAGE_UPDATED, CONVERSATION_CREATED, CONVERSATION_ASSIGNED,
    CONVERSATION_UPDATED, CONVERSATION_CLOSED, AGENT_UPDATED, HELLO, RESET,
)  # fmt: skip
