"""PostgreSQL LISTEN between instances: wake this process when another one committed.

Every instance listens on its own connection, in a thread, and wakes its event feed and
workers with the names another process's ``cdmx.db.notify.Notifier`` sent after its commit
(``events``, ``outbox``, ``inbox``, …).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection

import psycopg

from cdmx.db.notify import CHANNEL, libpq_url

log = logging.getLogger(__name__)


class Listener:
    """A thread that LISTENs and calls ``on_notify(names)`` for each notification.

    ``own_senders()`` gives the backend pids of this process's ``Notifier`` connections: their
    notifications are skipped, because this process already woke itself after that commit
    (each one would otherwise cost the event feed a second, empty poll).
    """

    def __init__(
        self,
        url: str,
        on_notify: Callable[[set[str]], None],
        own_senders: Callable[[], Collection[int]] = frozenset,
    ) -> None:
        self.url = libpq_url(url)
        self.on_notify = on_notify
        self.own_senders = own_senders
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
                            if note.pid not in self.own_senders():
                                self.on_notify(set(note.payload.split(",")))
            except Exception as exc:  # a lost connection: reconnect with backoff
                self.connected.clear()
                if self._stop.is_set():
                    return
                log.warning("LISTEN connection lost (%s); reconnecting", exc)
                self._stop.wait(delay)
                delay = min(delay * 2, 10.0)
