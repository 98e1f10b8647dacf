"""``cdmx aws …`` subcommands."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``aws`` command group to the ``cdmx`` parser."""
    aws = subparsers.add_parser("aws", help="the AWS side (End User Messaging, Amazon Connect)")
    aws_sub = aws.add_subparsers(dest="aws_command", required=True)
    doctor = aws_sub.add_parser("doctor", help="check the AWS set-up, one line per check")
    doctor.set_defaults(func=_doctor)


def _doctor(_: argparse.Namespace) -> int:
    print("cdmx aws doctor: not built yet")
    return 1
