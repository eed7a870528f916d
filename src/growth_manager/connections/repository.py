"""All SQL for connected accounts. Every query on business data filters by ``business_id``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.models.accounts import (
    SocialAccount,
)


def list_for_business(session: Session, business_id: int) -> list[SocialAccount]:
    return list(
        session.scalars(
            select(SocialAccount)
            .where(SocialAccount.business_id == business_id)
            .order_by(SocialAccount.platform, SocialAccount.name, SocialAccount.id)
        )
    )


def get_for_business(session: Session, business_id: int, account_id: int) -> SocialAccount | None:
    return session.scalar(
        select(SocialAccount).where(
            SocialAccount.business_id == business_id, SocialAccount.id == account_id
        )
    )


def find(
    session: Session, business_id: int, platform: str, external_id: str
) -> SocialAccount | None:
    return session.scalar(
        select(SocialAccount).where(
            SocialAccount.business_id == business_id,
            SocialAccount.platform == platform,
            SocialAccount.external_id == external_id,
        )
    )
