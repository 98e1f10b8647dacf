"""What can stop a backup, a restore or a verify: one sentence, and the exit status."""

from __future__ import annotations


class BackupError(Exception):
    """The backup cannot be taken, read or restored; ``str()`` says why in one sentence."""

    exit_status = 1


class TargetNotEmpty(BackupError):
    """A restore (or a backup) would write over something that is already there."""

    exit_status = 3
