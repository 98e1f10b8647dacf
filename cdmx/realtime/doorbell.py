"""Wake-ups between processes sharing one SQLite file: what LISTEN/NOTIFY is on PostgreSQL.

Every process that opens the database rings and listens on a directory beside the file
(``<database>.wake/``): each binds a Unix datagram socket there, and after a commit that
carries events or queues work it sends the names (``events,inbox``) to every other socket
in it. So ``cdmx serve --no-workers`` and ``cdmx worker`` on one SQLite file wake each
other at once; without it they would find each other's work only by polling. A datagram
that cannot be delivered (its process is gone) removes the dead socket; a lost one costs
only the poll interval, never data: the database is the truth, the bell only says "look".
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

log = logging.getLogger(__name__)

MAX_DATAGRAM = 1024


class Doorbell:
    """Rings the other processes of one SQLite database; calls ``on_ring`` when rung."""

    def __init__(self, database_path: str, on_ring: Callable[[set[str]], None]) -> None:
        self.directory = Path(f"{database_path}.wake")
        self.on_ring = on_ring
        self.path = self.directory / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.sock"
        self._socket: socket.socket | None = None  # bound here, blocking: the listener's
        self._sender: socket.socket | None = None  # non-blocking: a full peer never stalls us
        self._thread: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind(str(self.path))
        self._sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sender.setblocking(False)
        self._thread = threading.Thread(target=self._listen, name="cdmx-doorbell", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        if self._sender is not None:
            with contextlib.suppress(OSError):
                self._sender.sendto(b"", str(self.path))  # unblocks the listening thread
        if self._thread is not None:
            self._thread.join(timeout=3)
        for sock in (self._socket, self._sender):
            if sock is not None:
                sock.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def ring(self, names: Iterable[str]) -> None:
        """Tell every other process of this database to look at ``names`` now."""
        if self._sender is None:
            return
        message = ",".join(sorted(names)).encode()
        if not message:
            return
        try:
            others = [p for p in self.directory.iterdir() if p != self.path]
        except FileNotFoundError:
            return
        for other in others:
            try:
                self._sender.sendto(message, str(other))
            except OSError as exc:
                if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):  # its process is gone
                    with contextlib.suppress(FileNotFoundError):
                        other.unlink()
                elif exc.errno != errno.EAGAIN:  # a full queue: it is awake anyway
                    log.debug("could not ring %s: %s", other, exc)

    def _listen(self) -> None:
        assert self._socket is not None
        while not self._stopping:
            try:
                data = self._socket.recv(MAX_DATAGRAM)
            except OSError:
                return
            names = {name for name in data.decode(errors="replace").split(",") if name}
            if names and not self._stopping:
                try:
                    self.on_ring(names)
                except Exception:
                    log.exception("a doorbell wake-up failed")
