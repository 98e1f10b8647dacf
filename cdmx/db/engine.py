"""The database handle: engines, sessions and the transaction rules of each backend.

SQLite gets WAL, foreign keys, a busy timeout and ``BEGIN IMMEDIATE`` for write
transactions: with deferred transactions two writers that both read first can deadlock on
the lock upgrade and one fails at once with SQLITE_BUSY, whatever the timeout.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, create_engine, event, exc
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from cdmx.db.notify import Notifier

SQLITE_BUSY_TIMEOUT_MS = 10_000
PING_AFTER_IDLE_SECONDS = 2.0

AfterCommit = Callable[[list[Any], set[str]], None]


class Database:
    """Owns the engines; ``write()`` and ``read()`` yield sessions in a transaction."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        on_commit: AfterCommit | None = None,
        session_info: dict[str, Any] | None = None,
    ) -> None:
        self.on_commit = on_commit
        self.url = make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        self._sqlite_writer = _writer_turn(self.url) if self.is_sqlite else None
        if self.is_sqlite:
            self._ensure_sqlite_dir()
            self.engine = _sqlite_engine(url, immediate=True, echo=echo)
            self.read_engine = _sqlite_engine(url, immediate=False, echo=echo)
        else:
            self.engine = create_engine(
                url, echo=echo, pool_size=10, max_overflow=10, hide_parameters=not echo
            )
            _ping_after_idle(self.engine, PING_AFTER_IDLE_SECONDS)
            # Reads run outside a transaction: each statement sees what was committed when
            # it began, as it would inside one at READ COMMITTED, without the BEGIN and
            # ROLLBACK round trips (two of a lone SELECT's three: the event feed's polls,
            # every request's user).
            self.read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        # Other instances on this PostgreSQL hear of commits that carry events or work.
        self._notifier = None if self.is_sqlite else Notifier(url)
        # session_info reaches every session (e.g. the media link signer for snapshots).
        info = dict(session_info or {})
        self._write = sessionmaker(self.engine, expire_on_commit=False, info=info)
        self._read = sessionmaker(self.read_engine, expire_on_commit=False, info=info)

    @property
    def notifier_pid(self) -> int | None:
        """The PostgreSQL backend pid this handle's NOTIFYs come from (None until the first)."""
        return None if self._notifier is None else self._notifier.backend_pid

    def _ensure_sqlite_dir(self) -> None:
        from pathlib import Path

        database = self.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in a write transaction, committed on success, rolled back on error.

        What the transaction queued in ``session.info`` (events, worker wake-ups) is handed
        to ``on_commit`` after the commit, never before and never on rollback; on
        PostgreSQL the other instances hear of it too (a NOTIFY sent after the commit).
        """
        with self._write_turn(), self._write() as session:
            with session.begin():
                yield session
            events = session.info.pop("events", [])
            wakes = session.info.pop("wake", set())
            self.committed(wakes, events)

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A PostgreSQL connection on which each statement commits by itself.

        For a write that is one statement it saves the BEGIN and the COMMIT, two of its
        three round trips. The caller then calls ``committed`` for its wake-ups.
        """
        assert not self.is_sqlite, "SQLite writes take the writer's turn: use write()"
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            yield conn

    def committed(self, wakes: set[str], events: list[Any] | None = None) -> None:
        """After a commit: wake this process (``on_commit``) and, on PostgreSQL, the others."""
        if events or wakes:
            if self._notifier is not None:
                self._notifier.ring(wakes | {"events"} if events else wakes)
            if self.on_commit is not None:
                self.on_commit(events or [], wakes)

    @contextmanager
    def _write_turn(self) -> Iterator[None]:
        # SQLite has one writer at a time. Threads queueing on this lock take their turn the
        # moment it frees; left to SQLite's busy handler they sleep in growing steps and,
        # under load, time out (measured: 45 → 291 webhooks/s with the lock, docs/capacity.md).
        # Other processes on the same file queue on an flock beside it, which the kernel
        # hands over the same way (``cdmx serve --no-workers`` + ``cdmx worker``).
        if self._sqlite_writer is None:
            yield
            return
        with self._sqlite_writer:
            yield

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (never for writing: on PostgreSQL its statements run
        outside a transaction); objects stay readable after it closes."""
        with self._read() as session:
            yield session

    def dispose(self) -> None:
        if self._notifier is not None:
            self._notifier.stop()
        self.engine.dispose()
        if self.is_sqlite:  # PostgreSQL's read engine shares the pool just disposed
            self.read_engine.dispose()


def _ping_after_idle(engine: Engine, idle: float) -> None:
    """The pool's pre-ping, but only for a connection that sat unused for ``idle`` seconds.

    A dead connection (PostgreSQL restarted, a proxy's idle timeout) is swapped for a new one
    before anyone uses it. Pinging every checkout, as ``pool_pre_ping`` does, costs a round
    trip per transaction: under load, with connections reused within milliseconds, that was
    one statement in four of the webhook's and the event feed's. A connection that dies while
    in use fails its transaction, and SQLAlchemy then discards every pooled connection as old
    as it (the caller's retry, or Meta's, gets a fresh one).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (up to three tries).
            raise exc.DisconnectionError(f"idle connection failed its ping: {error}") from error


INSERTS: dict[str, Callable[..., Any]] = {"postgresql": pg_insert, "sqlite": sqlite_insert}


def dialect_insert(connection: Connection) -> Callable[..., Any]:
    """``insert`` of this connection's dialect, for ``ON CONFLICT`` clauses (both have them)."""
    return INSERTS[connection.dialect.name]


def per_dialect(build: Callable[[Callable[..., Any]], Any]) -> dict[str, Any]:
    """A statement built once per dialect from its ``insert``, keyed by dialect name (hot
    paths execute prebuilt statements: building one costs more than running it)."""
    return {name: build(insert) for name, insert in INSERTS.items()}


class _WriterTurn:
    """One writer at a time for one SQLite file: across this process's threads (turns
    handed over first come, first served) and across processes (an flock on
    ``<file>.lock``, taken by the outermost holder).

    First come, first served, because a plain lock is not: a thread that releases it and
    asks again at once (the inbox processor between two batches) gets it back before the
    woken waiter runs, so the webhook's writer could wait out several batches in a row.
    """

    def __init__(self, database: str | None) -> None:
        self._guard = threading.Lock()
        self._owner: int | None = None
        self._depth = 0
        self._waiting: deque[tuple[int, threading.Lock]] = deque()
        self._path = None if database in (None, "", ":memory:") else f"{database}.lock"
        self._fd: int | None = None

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._guard:
            if self._owner == me:  # re-entrant: a nested write then fails on SQLite's timeout
                self._depth += 1
                return
            handover = None
            if self._owner is None:
                self._owner = me
            else:
                handover = threading.Lock()
                handover.acquire()
                self._waiting.append((me, handover))
        if handover is not None:
            handover.acquire()  # released by the previous owner, who made us the owner
        try:
            if self._path is not None:
                if self._fd is None:
                    self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._pass_on()
            raise
        self._depth = 1

    def __exit__(self, *_: object) -> None:
        with self._guard:
            self._depth -= 1
            if self._depth:
                return
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._pass_on()

    def _pass_on(self) -> None:
        with self._guard:
            if self._waiting:
                self._owner, handover = self._waiting.popleft()
                handover.release()
            else:
                self._owner = None


_WRITER_TURNS: dict[str, _WriterTurn] = {}
_WRITER_TURNS_GUARD = threading.Lock()


def _writer_turn(url: URL) -> _WriterTurn:
    # One per database file in this process, shared by every Database on it (the web's and
    # the workers'). Re-entrant: a nested write (a bug) fails on SQLite's timeout, not a hang.
    with _WRITER_TURNS_GUARD:
        return _WRITER_TURNS.setdefault(str(url), _WriterTurn(url.database))


def _sqlite_engine(url: str, *, immediate: bool, echo: bool) -> Engine:
    engine = create_engine(
        url,
        echo=echo,
        # A failed statement's error (and so its log line) leaves out the values: they are
        # customers' messages, tokens and password hashes.
        hide_parameters=not echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
