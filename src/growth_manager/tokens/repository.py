"""All SQL for connected accounts. Every query on business data filters by ``business_id``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from growth_manager.models.accounts import (
    AccountStatus,
    RateLimitBudget,
    SocialAccount,
)


def due_for_refresh(
    session: Session, now: datetime, horizons: dict[str, datetime], default: datetime
) -> list[int]:
    """Accounts whose access token expires before their platform's horizon (``default`` for
    platforms not listed) and whose backoff, if any, has passed."""
    listed = list(horizons)
    within = or_(
        *(
            and_(SocialAccount.platform == platform, SocialAccount.expires_at <= horizon)
            for platform, horizon in horizons.items()
        ),
        and_(SocialAccount.platform.not_in(listed), SocialAccount.expires_at <= default),
    )
    return list(
        session.scalars(
            select(SocialAccount.id).where(
                SocialAccount.status.in_([AccountStatus.active, AccountStatus.refresh_failing]),
                SocialAccount.expires_at.is_not(None),
                within,
                or_(
                    SocialAccount.next_refresh_attempt_at.is_(None),
                    SocialAccount.next_refresh_attempt_at <= now,
                ),
            )
        )
    )


def all_active(session: Session) -> list[SocialAccount]:
    return list(
        session.scalars(
            select(SocialAccount).where(
                SocialAccount.status.in_([AccountStatus.active, AccountStatus.refresh_failing])
            )
        )
    )


def take_refresh_lease(
    session: Session, account_id: int, owner: str, now: datetime, until: datetime
) -> bool:
    """Atomically claim the right to refresh one account; False if another worker holds it."""
    result = session.execute(
        update(SocialAccount)
        .where(
            SocialAccount.id == account_id,
            or_(
                SocialAccount.refresh_lease_until.is_(None),
                SocialAccount.refresh_lease_until <= now,
            ),
        )
        .values(refresh_lease_until=until, refresh_lease_owner=owner)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def release_refresh_lease(session: Session, account_id: int, owner: str) -> None:
    session.execute(
        update(SocialAccount)
        .where(SocialAccount.id == account_id, SocialAccount.refresh_lease_owner == owner)
        .values(refresh_lease_until=None, refresh_lease_owner=None)
        .execution_options(synchronize_session=False)
    )


def budgets_for(session: Session, account_ids: list[int]) -> list[RateLimitBudget]:
    if not account_ids:
        return []
    return list(
        session.scalars(
            select(RateLimitBudget)
            .where(RateLimitBudget.social_account_id.in_(account_ids))
            .order_by(RateLimitBudget.endpoint)
        )
    )


def budget(session: Session, account_id: int, scope: str, endpoint: str) -> RateLimitBudget | None:
    return session.scalar(
        select(RateLimitBudget).where(
            RateLimitBudget.social_account_id == account_id,
            RateLimitBudget.scope == scope,
            RateLimitBudget.endpoint == endpoint,
        )
    )
