"""Argument types the command line shares (bot/cli.py and the records commands)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime


def iso_datetime(text: str) -> datetime:
    """`--at`: a moment in ISO 8601; without a zone, UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO 8601 date and time, e.g. 2026-12-01T09:30+00:00"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
