"""The refresh sweep picks accounts by their own platform's margin, and honours backoff."""

from __future__ import annotations

from datetime import timedelta

from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.tokens import repository
from growth_manager.tokens.keeper import DEFAULT_MARGIN, refresh_margins
from tests.support.owners import Owner


def test_each_platform_uses_its_own_margin(database: Database, owner: Owner) -> None:
    now = utcnow()
    cases = {
        # platform, expires in, status, backoff until -> expected to be picked
        "x-soon": ("x", timedelta(minutes=10), AccountStatus.active, None, True),
        "x-later": ("x", timedelta(hours=3), AccountStatus.active, None, False),
        "li-5d": ("linkedin", timedelta(days=5), AccountStatus.active, None, True),
        "li-30d": ("linkedin", timedelta(days=30), AccountStatus.active, None, False),
        "x-backoff": (
            "x",
            timedelta(minutes=5),
            AccountStatus.refresh_failing,
            now + timedelta(minutes=4),
            False,
        ),
        "x-backoff-over": (
            "x",
            timedelta(minutes=5),
            AccountStatus.refresh_failing,
            now - timedelta(seconds=1),
            True,
        ),
        "x-dead": ("x", timedelta(minutes=5), AccountStatus.reauth_required, None, False),
    }
    ids: dict[str, int] = {}
    with database.session() as session:
        for key, (platform, expires_in, status, backoff, _) in cases.items():
            account = SocialAccount(
                business_id=owner.business_id,
                platform=platform,
                kind="user",
                external_id=key,
                name=key,
                expires_at=now + expires_in,
                status=status,
                next_refresh_attempt_at=backoff,
            )
            session.add(account)
            session.flush()
            ids[key] = account.id
    horizons = {p: now + m for p, m in refresh_margins().items()}
    with database.session() as session:
        picked = set(repository.due_for_refresh(session, now, horizons, now + DEFAULT_MARGIN))
    expected = {ids[key] for key, case in cases.items() if case[-1]}
    assert picked == expected
