"""PostgreSQL NOTIFY after commit: "events were committed", "wake the outbox".

After a write transaction that carries events or queues work commits, its process sends
``pg_notify('cdmx', 'events,outbox')`` (``Notifier``; never for a rollback); every instance's
``cdmx.realtime.notify.Listener`` hears it. Within one process the same wake-ups also happen
directly after commit, so SQLite needs none of this. It lives beside the engine because the
write path (``Database.committed``) rings it.

The NOTIFY is its own small transaction, sent by one thread per process, not part of the
write: a commit that carries a NOTIFY holds PostgreSQL's notify-queue lock until its WAL is
flushed, so every such commit waited for the one before it. Measured at 50 replies a second
(docs/capacity.md) that queue was most of a reply's time. Names that come in while one
NOTIFY is on its way go together in the next. A wake-up lost to a crash between the commit
and the NOTIFY costs only the listeners' poll interval: the database is the truth.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

CHANNEL = "cdmx"


def libpq_url(sqlalchemy_url: str) -> str:
    """The same database as a plain libpq URL (psycopg wants no '+driver')."""
    return (
        make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


class Notifier:
    """Sends ``pg_notify`` for committed transactions from its own thread and connection."""

    def __init__(self, url: str) -> None:
        self.url = libpq_url(url)
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.backend_pid: int | None = None  # of the connection that sends, once connected

    def ring(self, names: set[str]) -> None:
        """Tell the other instances (and this one's listener) about ``names``, soon."""
        with self._lock:
            self._pending |= names
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="cdmx-notify", daemon=True
                )  # fmt: skip
                self._thread.start()
        self._ready.set()

    def stop(self) -> None:
        """Send what is pending, then end the thread."""
        self._stopping = True
        self._ready.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        connection: psycopg.Connection | None = None
        try:
            while True:
                self._ready.wait()
                with self._lock:
                    self._ready.clear()
                    names, self._pending = self._pending, set()
                if names:
                    connection = self._send(connection, names)
                if self._stopping and not self._pending:
                    return
        finally:
            if connection is not None:
                connection.close()

    def _send(self, connection: psycopg.Connection | None, names: set[str]) -> Any:
        try:
            if connection is None or connection.closed:
                connection = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
                self.backend_pid = connection.info.backend_pid
            connection.execute("SELECT pg_notify(%s, %s)", (CHANNEL, ",".join(sorted(names))))
            return connection
        except Exception as exc:  # the listeners' polls find the work without it
            log.warning("NOTIFY %s not sent (%s); other instances will poll", names, exc)
            if connection is not None:
                connection.close()
            return None
