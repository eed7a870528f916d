"""The one place product code reads the time, so tests can move it (time-machine)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
