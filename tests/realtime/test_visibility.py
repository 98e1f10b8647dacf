"""A supervisor's stream decides by the conversation's queue, even for an event that does
not carry the conversation (``message.updated``)."""

from __future__ import annotations

from collections.abc import Callable

from cdmx.actions.queues import do_create_queue
from cdmx.actions.users import do_update_user
from cdmx.db.engine import Database
from cdmx.db.tables import Conversation, User
from cdmx.realtime.bus import PublishedEvent
from cdmx.realtime.sse import visible_to
from cdmx.realtime.visibility import QueueScope
from tests.actions.test_outbox import open_conversation
from tests.counting import count_queries


def updated(event_id: int, conversation_id: int, agent: User) -> PublishedEvent:
    message = {"id": event_id, "conversation_id": conversation_id}
    return PublishedEvent(
        event_id, "message.updated", {"message": message}, conversation_id, (agent.id,)
    )


def test_a_status_of_another_queue_is_held_back_and_the_queue_is_read_once(
    db: Database, make_user: Callable[..., User]
) -> None:
    supervisor = make_user(role="supervisor", availability="away")
    agent = make_user()
    mine = open_conversation(db, wa_id="5215500000001")
    theirs = open_conversation(db, wa_id="5215500000002")
    with db.write() as session:
        other = do_create_queue(session, name="Soporte").id
        session.get(Conversation, theirs).queue_id = other  # type: ignore[union-attr]
    scope = QueueScope(db, supervisor.id)
    scope.load()
    events = [updated(1, mine, agent), updated(2, theirs, agent), updated(3, mine, agent)]
    assert scope.unknown(events) == {mine, theirs}
    with count_queries(db) as statements:
        scope.read(scope.unknown(events))
    assert len(statements) == 1
    assert scope.unknown(events) == set()
    assert [visible_to(supervisor, e, scope) for e in events] == [True, False, True]
    # Its agent always receives it; an admin too; another agent does not.
    assert all(visible_to(agent, e) for e in events)
    assert not visible_to(make_user(), events[0])
    # Moved to the other queue (a user.updated about them): the stream follows at once.
    with db.write() as session:
        do_update_user(session, supervisor.id, queue_ids=[other])
    moved = PublishedEvent(
        4, "user.updated", {"user": {"id": supervisor.id, "queue_ids": [other]}}, None,
        (supervisor.id,),
    )  # fmt: skip
    scope.learn(moved)
    assert [visible_to(supervisor, e, scope) for e in events] == [False, True, False]
