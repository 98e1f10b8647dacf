"""The doorbell between processes of one SQLite file."""

from __future__ import annotations

import threading
from pathlib import Path

from cdmx.realtime.doorbell import Doorbell


def test_a_ring_reaches_the_others_not_itself_and_clears_dead_sockets(tmp_path: Path) -> None:
    database = str(tmp_path / "cdmx.db")
    heard: dict[str, list[set[str]]] = {"a": [], "b": []}
    rung = threading.Event()

    def listener(name: str):  # type: ignore[no-untyped-def]
        def on_ring(names: set[str]) -> None:
            heard[name].append(names)
            rung.set()

        return on_ring

    a, b = Doorbell(database, listener("a")), Doorbell(database, listener("b"))
    a.start()
    b.start()
    dead = Path(f"{database}.wake") / "12345-deadbeef.sock"  # a process killed with -9
    dead.touch()
    try:
        a.ring({"events", "inbox"})
        assert rung.wait(2)
        assert heard == {"a": [], "b": [{"events", "inbox"}]}
        assert not dead.exists(), "a socket nobody listens on is removed"
    finally:
        a.stop()
        b.stop()
    assert list(Path(f"{database}.wake").iterdir()) == []
