"""Fixed-window request counters on the sandbox clock, shared by platforms that want them.

Windows open at the first request and reset ``window`` seconds later, the way X reports
``x-rate-limit-reset``. Time comes from the sandbox clock, so moving the clock offset forward
reopens an exhausted window without any test having to wait. Counters live in memory
(``SandboxContext.runtime``): a restart or a reset gives every client fresh windows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from platform_sandbox.platform import SandboxContext

_RUNTIME_KEY = "ratelimit"


@dataclass(frozen=True)
class WindowState:
    limit: int
    remaining: int
    reset: int  # unix seconds on the sandbox clock

    @property
    def exhausted(self) -> bool:
        return self.remaining <= 0


@dataclass(frozen=True)
class Quota:
    """One limit to enforce: ``key`` names the counter (endpoint and subject)."""

    key: tuple[str, ...]
    limit: int
    window: int  # seconds


class FixedWindowLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key -> (window start, window length, count)
        self._windows: dict[tuple[str, ...], tuple[int, int, int]] = {}

    def _current(self, quota: Quota, now: int) -> tuple[int, int]:
        start, window, count = self._windows.get(quota.key, (now, quota.window, 0))
        if now >= start + window:
            start, count = now, 0
        return start, count

    def state(self, quota: Quota, now: int) -> WindowState:
        with self._lock:
            start, count = self._current(quota, now)
            return WindowState(quota.limit, max(0, quota.limit - count), start + quota.window)

    def hit_all(self, quotas: list[Quota], now: int) -> tuple[bool, list[WindowState]]:
        """Count one request against every quota, or none when any is already exhausted.

        All-or-nothing, so a request refused by the daily quota does not also eat into the
        15-minute one.
        """
        with self._lock:
            current = [self._current(q, now) for q in quotas]
            allowed = all(count < q.limit for q, (_, count) in zip(quotas, current, strict=True))
            states: list[WindowState] = []
            for quota, (start, count) in zip(quotas, current, strict=True):
                new_count = count + 1 if allowed else count
                self._windows[quota.key] = (start, quota.window, new_count)
                states.append(
                    WindowState(quota.limit, max(0, quota.limit - new_count), start + quota.window)
                )
            return allowed, states

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()


def limiter(ctx: SandboxContext) -> FixedWindowLimiter:
    found = ctx.runtime.get(_RUNTIME_KEY)
    if not isinstance(found, FixedWindowLimiter):
        found = ctx.runtime.setdefault(_RUNTIME_KEY, FixedWindowLimiter())
    return found
