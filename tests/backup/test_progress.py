"""The progress bar: redrawn in place on a terminal, a line every tenth in a log."""

from __future__ import annotations

import io

from cdmx.backup.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_a_line_per_tenth_and_a_last_line_with_the_time() -> None:
    log = io.StringIO()
    progress = Progress("media", 100, stream=log)
    for _ in range(100):
        progress.advance(1, 10_000)
    progress.finish()
    lines = log.getvalue().splitlines()
    assert len(lines) == 10  # 10%, 20%, … 90%, then the end
    assert lines[0].startswith("media [##") and "10/100" in lines[0]
    assert "100/100 1.0 MB in " in lines[-1] and "\r" not in log.getvalue()


def test_a_terminal_sees_one_line_redrawn() -> None:
    screen = Terminal()
    progress = Progress("media", 3, stream=screen)
    progress.advance(1, 5)
    progress.finish()
    assert screen.getvalue().startswith("\rmedia [")
    assert screen.getvalue().count("\n") == 1 and "3" in screen.getvalue()
