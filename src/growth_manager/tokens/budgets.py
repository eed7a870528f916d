"""The rate-limit budgets platforms report in their headers, recorded per account and
endpoint: what the Connections page shows and what the publisher waits for."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import RateLimitBudget
from growth_manager.providers.http import RateLimitState
from growth_manager.tokens import repository


def record_budgets(session: Session, account_id: int, states: list[RateLimitState]) -> None:
    now = utcnow()
    for state in states:
        row = repository.budget(session, account_id, state.scope, state.endpoint)
        if row is None:
            row = RateLimitBudget(
                social_account_id=account_id,
                scope=state.scope,
                endpoint=state.endpoint,
                observed_at=now,
            )
            try:
                with session.begin_nested():
                    session.add(row)
                    session.flush()
            except IntegrityError:  # another call of this account recorded it first
                row = repository.budget(session, account_id, state.scope, state.endpoint)
                if row is None:
                    raise
        row.limit = state.limit
        row.remaining = state.remaining
        row.used_percent = state.used_percent
        row.reset_at = state.reset_at
        row.observed_at = now
        row.extra = {k: v for k, v in state.extra.items() if isinstance(v, str | int | float)}
    session.flush()


class BudgetThrottle:
    """Which reported budgets are worth a database write now. Every response of some platforms
    reports its budgets; writing each one costs a write transaction per platform call (a large
    part of a publish on SQLite). A budget is written when it was not for ``every`` seconds, and
    at once when it runs low (the dashboard and the publisher must see those), when it is spent,
    or when its window has reset."""

    def __init__(self, every: float = 30.0, low: float = 0.1) -> None:
        self.every = every
        self.low = low
        self._seen: dict[tuple[int, str, str], tuple[float, datetime | None]] = {}
        self._lock = threading.Lock()

    def due(self, account_id: int, states: list[RateLimitState]) -> list[RateLimitState]:
        now = time.monotonic()
        due = []
        with self._lock:
            for state in states:
                key = (account_id, state.scope, state.endpoint)
                last = self._seen.get(key)
                low = (
                    state.exhausted
                    or (
                        state.limit is not None
                        and state.remaining is not None
                        and state.remaining <= state.limit * self.low
                    )
                    or (
                        state.used_percent is not None
                        and state.used_percent >= 100 * (1 - self.low)
                    )
                )
                if last is None or low or now - last[0] >= self.every or last[1] != state.reset_at:
                    self._seen[key] = (now, state.reset_at)
                    due.append(state)
        return due
