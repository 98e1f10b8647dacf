"""LISTEN/NOTIFY: a commit on one connection wakes listeners on others; a rollback does not."""

from __future__ import annotations

import threading

import pytest

from cdmx.actions.events import emit, wake
from cdmx.db.engine import Database
from cdmx.domain.events import AgentSnapshot, AgentUpdated
from cdmx.realtime.notify import Listener
from tests.conftest import BACKEND_URL

AGENT = AgentSnapshot(
    id=1, name="Ana", email="ana@example.com", role="agent", availability="available",
    open_conversations=0,
)  # fmt: skip

pytestmark = pytest.mark.skipif(BACKEND_URL == "sqlite", reason="LISTEN/NOTIFY is PostgreSQL's")


def test_a_commit_notifies_other_instances_and_a_rollback_does_not(db: Database) -> None:
    received: list[set[str]] = []
    arrived = threading.Event()

    def on_notify(names: set[str]) -> None:
        received.append(names)
        arrived.set()

    listener = Listener(db.url.render_as_string(hide_password=False), on_notify)
    listener.start()
    try:
        assert listener.connected.wait(5)
        # The catch-up call made on (re)connect, and the NOTIFY of the fixture's own commit
        # (sent after it, by the notifier's thread): wait until neither comes any more.
        arrived.wait(2)
        while arrived.wait(0.5):
            arrived.clear()
        received.clear()
        with pytest.raises(RuntimeError), db.write() as session:
            wake(session, "outbox")
            raise RuntimeError("rolled back")
        assert not arrived.wait(0.5)
        with db.write() as session:
            emit(session, AgentUpdated(agent=AGENT))
            wake(session, "outbox")
        assert arrived.wait(5)
        assert received == [{"events", "outbox"}]
    finally:
        listener.stop()


def test_a_listener_skips_its_own_process_notifications_but_hears_other_instances(
    db: Database,
) -> None:
    url = db.url.render_as_string(hide_password=False)
    other = Database(url)  # another instance's handle on the same database
    received: list[set[str]] = []
    arrived = threading.Event()

    def on_notify(names: set[str]) -> None:
        received.append(names)
        arrived.set()

    listener = Listener(url, on_notify, own_senders=lambda: {db.notifier_pid} - {None})
    listener.start()
    try:
        assert listener.connected.wait(5)
        arrived.wait(2)
        while arrived.wait(0.5):  # the catch-up call and the fixture's NOTIFY, as above
            arrived.clear()
        received.clear()
        with db.write() as session:  # this process: it woke itself already
            wake(session, "outbox")
        assert not arrived.wait(1.0)
        assert db.notifier_pid is not None  # it did send its NOTIFY
        with other.write() as session:
            wake(session, "media")
        assert arrived.wait(5)
        assert received == [{"media"}]
    finally:
        listener.stop()
        other.dispose()
