"""Which reported rate-limit budgets are written: a long-lived keeper (the publisher's) writes
a budget the first time, then only when it runs low, is spent, resets, or a while has passed."""

from __future__ import annotations

from datetime import UTC, datetime

from growth_manager.providers.http import RateLimitState
from growth_manager.tokens.keeper import BudgetThrottle

RESET = datetime(2026, 12, 1, 12, 15, tzinfo=UTC)


def budget(remaining: int, reset_at: datetime = RESET) -> RateLimitState:
    return RateLimitState(
        platform="x",
        scope="endpoint",
        endpoint="POST /2/tweets",
        limit=100,
        remaining=remaining,
        reset_at=reset_at,
    )


def test_a_budget_is_written_first_then_only_when_it_matters() -> None:
    throttle = BudgetThrottle(every=3600)
    assert throttle.due(1, [budget(99)]) == [budget(99)]
    assert throttle.due(1, [budget(98)]) == []  # nothing new worth a write
    assert throttle.due(2, [budget(97)]) == [budget(97)]  # another account: its first
    assert throttle.due(1, [budget(10)]) == [budget(10)]  # low: the dashboard must see it
    assert throttle.due(1, [budget(0)]) == [budget(0)]  # spent: the publisher waits for it
    later = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    assert throttle.due(1, [budget(99, later)]) == [budget(99, later)]  # a new window


def test_a_budget_is_written_again_after_the_interval() -> None:
    throttle = BudgetThrottle(every=0)
    assert throttle.due(1, [budget(99)]) == [budget(99)]
    assert throttle.due(1, [budget(98)]) == [budget(98)]
