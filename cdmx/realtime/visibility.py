"""A supervisor's stream: which conversations are of their queues, event by event.

Every event carries its audience, computed where it is emitted: a conversation's agent, or
while it waits the members of its queue (``cdmx.queries.conversations.audience_of``).
Admins receive everything. A supervisor receives, besides their audience, every event of a
conversation in one of their queues, as ``can_see`` lets them see it. The stream works that
out here, rather than the write path adding the queue's supervisors to every audience: that
would cost each transaction one more statement for an assigned conversation (a known
customer's message 7 → 8, a reply 8 → 9, a status 4 → 5), where this costs the write path
nothing.

A conversation's queue comes from the event itself: every ``conversation.*`` and
``message.created`` carries the conversation's snapshot. A ``message.updated`` carries only
the message: its queue is the one the stream last saw for that conversation or, the first
time, read once (a replay reads all it needs in one query). The supervisor's queues are read
when the stream opens and follow the ``user.updated`` events about them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select

from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, QueueMember
from cdmx.realtime.bus import PublishedEvent

# Conversations whose queue a stream remembers; the oldest are forgotten (and read again).
REMEMBERED = 10_000

_QUEUES_OF = select(QueueMember.queue_id).where(QueueMember.user_id == bindparam("user_id"))
_QUEUE_OF = select(Conversation.id, Conversation.queue_id).where(
    Conversation.id.in_(bindparam("ids", expanding=True))
)


class QueueScope:
    """One stream's user's queues, and the queue of each conversation its events concern."""

    def __init__(self, db: Database, user_id: int) -> None:
        self._db = db
        self.user_id = user_id
        self.queue_ids: frozenset[int] = frozenset()
        self._queue_of: OrderedDict[int, int | None] = OrderedDict()

    def load(self) -> None:
        """Read the user's queues (blocking: run it in a thread)."""
        with self._db.read() as session:
            self.queue_ids = frozenset(session.scalars(_QUEUES_OF, {"user_id": self.user_id}))

    def learn(self, event: PublishedEvent) -> None:
        """Note what the event tells: its conversation's queue, or the user's new queues."""
        conversation = event.data.get("conversation")
        if event.conversation_id is not None and isinstance(conversation, dict):
            self._remember(event.conversation_id, conversation.get("queue_id"))
        user = event.data.get("user")
        if isinstance(user, dict) and user.get("id") == self.user_id:
            queue_ids = user.get("queue_ids")
            if isinstance(queue_ids, list):
                self.queue_ids = frozenset(q for q in queue_ids if isinstance(q, int))

    def unknown(self, events: Iterable[PublishedEvent]) -> set[int]:
        """Conversations of these events (in order) whose queue the stream must read to
        decide: neither remembered, nor told by an earlier event, nor in the audience."""
        wanted: set[int] = set()
        told: set[int] = set()
        for event in events:
            cid = event.conversation_id
            if cid is None or cid in self._queue_of or cid in told:
                continue
            if isinstance(event.data.get("conversation"), dict):
                told.add(cid)
            elif event.audience is None or self.user_id not in event.audience:
                wanted.add(cid)
        return wanted

    def read(self, conversation_ids: set[int]) -> None:
        """Read these conversations' queues (blocking: run it in a thread), in one query."""
        if not conversation_ids:
            return
        with self._db.read() as session:
            rows = session.execute(_QUEUE_OF, {"ids": sorted(conversation_ids)})
            found = {cid: queue_id for cid, queue_id in rows}
        for cid in conversation_ids:
            self._remember(cid, found.get(cid))  # a conversation gone: in no queue

    def holds(self, event: PublishedEvent) -> bool:
        """Whether the event's conversation is in one of the user's queues (call ``learn``
        on it, and ``read`` what ``unknown`` named, first)."""
        cid = event.conversation_id
        return cid is not None and self._queue_of.get(cid) in self.queue_ids

    def _remember(self, conversation_id: int, queue_id: Any) -> None:
        self._queue_of[conversation_id] = queue_id if isinstance(queue_id, int) else None
        self._queue_of.move_to_end(conversation_id)
        while len(self._queue_of) > REMEMBERED:
            self._queue_of.popitem(last=False)
