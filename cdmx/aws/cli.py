"""``cdmx aws …`` subcommands."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``aws`` command group to the ``cdmx`` parser."""
    aws = subparsers.add_parser("aws", help="the AWS side (End User Messaging, Amazon Connect)")
    aws_sub = aws.add_subparsers(dest="aws_command", required=True)
    doctor = aws_sub.add_parser("doctor", help="check the AWS set-up, one line per check")
    doctor.set_defaults(func=_doctor)


def _doctor(_: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from cdmx.aws.handlers import bridge_settings

    try:
        settings = bridge_settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        print(f"✗ settings: {error['loc'][0] if error['loc'] else ''}: {error['msg']}")
        return 2
    from cdmx.aws.doctor import Doctor, aws_clients, describe_error

    try:
        import boto3  # noqa: F401
    except ImportError:
        print("✗ boto3 is not installed: pip install 'whatsapp-cdmx[aws]'")
        return 1
    if not settings.aws_region:
        print("✗ region: AWS_REGION is not set")
        return 1
    try:
        clients = aws_clients(settings)
    except Exception as exc:
        print(f"✗ AWS clients: {describe_error(exc)}")
        return 1
    return Doctor(settings, clients, sys.stdout).run()
