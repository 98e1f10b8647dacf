"""SQLite's writers take turns first come, first served, so a busy worker cannot keep the
webhook's writer waiting batch after batch."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from cdmx.db.engine import _WriterTurn


def test_a_writer_that_asks_again_at_once_queues_behind_the_one_already_waiting(
    tmp_path: Path,
) -> None:
    turn = _WriterTurn(str(tmp_path / "cdmx.db"))
    order: list[str] = []
    waiting = threading.Event()

    def webhook_writer() -> None:
        waiting.set()
        with turn:
            order.append("webhook")

    turn.__enter__()
    order.append("batch 1")
    other = threading.Thread(target=webhook_writer)
    other.start()
    waiting.wait(5)
    time.sleep(0.05)  # the webhook's writer is now blocked on its turn
    turn.__exit__(None, None, None)
    with turn:  # the processor's next batch, asked for the moment the last one ended
        order.append("batch 2")
    other.join(5)
    assert order == ["batch 1", "webhook", "batch 2"]


def test_turns_are_reentrant_and_exclusive_across_threads(tmp_path: Path) -> None:
    turn = _WriterTurn(str(tmp_path / "cdmx.db"))
    inside = 0
    most_inside = 0
    guard = threading.Lock()

    def write(times: int) -> None:
        nonlocal inside, most_inside
        for _ in range(times):
            with turn, turn:  # the nested entry is the same thread's: no deadlock
                with guard:
                    inside += 1
                    most_inside = max(most_inside, inside)
                time.sleep(0.0005)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=write, args=(50,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most_inside == 1
    assert not any(thread.is_alive() for thread in threads)
