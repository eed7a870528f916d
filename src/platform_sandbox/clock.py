"""The sandbox clock: real UTC time plus an offset set through ``/_sandbox/clock``.

Tests and demos fast-forward days by raising the offset; token expiry, rate-limit windows,
container expiry and audience growth all read time from here and nowhere else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from platform_sandbox.store import Store

OFFSET_KEY = "clock_offset_seconds"


class Clock:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._offset = 0.0
        with store.session() as session:
            self._offset = float(store.get_setting(session, OFFSET_KEY, 0.0))

    @property
    def offset_seconds(self) -> float:
        return self._offset

    def set_offset(self, seconds: float) -> None:
        with self._store.session() as session:
            self._store.set_setting(session, OFFSET_KEY, seconds)
        self._offset = seconds

    def reload(self) -> None:
        with self._store.session() as session:
            self._offset = float(self._store.get_setting(session, OFFSET_KEY, 0.0))

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def timestamp(self) -> int:
        return int(self.now().timestamp())
