"""PostgreSQL LISTEN/NOTIFY between instances: "events were committed", "wake the outbox".

Write transactions send ``pg_notify('cdmx', 'events,outbox')`` before committing (PostgreSQL
delivers it at commit, and never for a rollback). Every instance listens on its own
connection, in a thread, and wakes its event feed and workers. Within one process the same
wake-ups also happen directly after commit, so SQLite needs none of this.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "cdmx"


def libpq_url(sqlalchemy_url: str) -> str:
    """The same database as a plain libpq URL (psycopg wants no '+driver')."""
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


class Listener:
    """A thread that LISTENs and calls ``on_notify(names)`` for each notification."""

    def __init__(self, url: str, on_notify: Callable[[set[str]], None]) -> None:
        self.url = libpq_url(url)
        self.on_notify = on_notify
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cdmx-listen", daemon=True)
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.connected.set()
                    delay = 0.5
                    # Anything committed while we were not listening: catch up once.
                    self.on_notify({"events", "inbox", "outbox"})
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self.on_notify(set(note.payload.split(",")))
            except Exception as exc:  # a lost connection: reconnect with backoff
                self.connected.clear()
                if self._stop.is_set():
                    return
                log.warning("LISTEN connection lost (%s); reconnecting", exc)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
