"""LISTEN/NOTIFY: a commit on one connection wakes listeners on others; a rollback does not."""

from __future__ import annotations

import threading

import pytest

from cdmx.actions.events import emit, wake
from cdmx.db.engine import Database
from cdmx.realtime.notify import Listener
from tests.conftest import BACKEND_URL

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
            emit(session, "agent.updated", {"agent": {}})
            wake(session, "outbox")
        assert arrived.wait(5)
        assert received == [{"events", "outbox"}]
    finally:
        listener.stop()
