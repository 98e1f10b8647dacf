"""Progress on standard error: a redrawn bar on a terminal, a line every tenth in a log.

Neither rich nor tqdm is a dependency of the project, and a bar of a few dozen characters
does not need one.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 24
REDRAW_SECONDS = 0.1


class Progress:
    """How far one step has got, in items and bytes."""

    def __init__(self, label: str, total: int, *, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.items = 0
        self.bytes = 0
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._drawn_at = 0.0
        self._next_tenth = 1
        self._started = time.monotonic()

    def advance(self, items: int = 1, nbytes: int = 0) -> None:
        """Count ``items`` more done, ``nbytes`` more copied."""
        self.items += items
        self.bytes += nbytes
        if self.tty:
            now = time.monotonic()
            if now - self._drawn_at >= REDRAW_SECONDS:
                self._drawn_at = now
                self.stream.write("\r" + self.line())
                self.stream.flush()
        elif self.total and self.items * 10 >= self._next_tenth * self.total:
            while self.items * 10 >= self._next_tenth * self.total:
                self._next_tenth += 1
            if self.items < self.total:
                self.stream.write(self.line() + "\n")

    def finish(self) -> None:
        """Draw the last state with the time taken, and end the line."""
        seconds = time.monotonic() - self._started
        self.stream.write(("\r" if self.tty else "") + self.line() + f" in {seconds:.1f} s\n")
        self.stream.flush()

    def line(self) -> str:
        """``media [######------] 50% 12/24 files 3.1 MB``."""
        share = self.items / self.total if self.total else 1.0
        filled = round(share * BAR_WIDTH)
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        return (
            f"{self.label} [{bar}] {share:4.0%} {self.items}/{self.total} {megabytes(self.bytes)}"
        )


def say(message: str, stream: TextIO | None = None) -> None:
    """One line of what is happening, on standard error beside the bars."""
    stream = stream or sys.stderr
    stream.write(message + "\n")
    stream.flush()


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
