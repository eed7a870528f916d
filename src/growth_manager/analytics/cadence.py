"""How often a post's numbers are read: often while they move, then less, then never.

| age of the post   | read every |
|-------------------|------------|
| first day         | hour       |
| until day 7       | 6 hours    |
| until day 30      | day        |
| until day 90      | week       |
| after day 90      | never (one last read at day 90) |

Account metrics (followers, account insights) are read daily on the schedule; a sync a person
asks for (or a connect) reads them again only when the last read is an hour old or more
(followers are daily numbers: a fresher read shows nothing new).
"""

from __future__ import annotations

from datetime import datetime, timedelta

LADDER: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(days=1), timedelta(hours=1)),
    (timedelta(days=7), timedelta(hours=6)),
    (timedelta(days=30), timedelta(days=1)),
    (timedelta(days=90), timedelta(days=7)),
)
HORIZON = LADDER[-1][0]
ACCOUNT_EVERY = timedelta(days=1)
ACCOUNT_FRESH = timedelta(hours=1)
IMPORT_WINDOW = HORIZON


def interval(age: timedelta) -> timedelta | None:
    """How long after a read at ``age`` the next one is due; None past the horizon."""
    for until, every in LADDER:
        if age < until:
            return every
    return None


def next_sync_at(published_at: datetime, read_at: datetime) -> datetime | None:
    """When a post published at ``published_at`` and read at ``read_at`` is next due."""
    age = max(timedelta(0), read_at - published_at)
    every = interval(age)
    if every is None:
        return None
    return min(read_at + every, published_at + HORIZON)


def account_due(last: datetime | None, now: datetime) -> bool:
    return last is None or now - last >= ACCOUNT_EVERY


def account_fresh(last: datetime | None, now: datetime) -> bool:
    """The account's numbers were read less than :data:`ACCOUNT_FRESH` ago."""
    return last is not None and now - last < ACCOUNT_FRESH
