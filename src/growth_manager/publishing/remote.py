"""Deleting a published post from its platform, when its owner asks: the same unit of work as
publishing (claim the target, call with no transaction open, record)."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from sqlalchemy.orm import Session

from growth_manager.config import Settings
from growth_manager.db import Database, unit_of_work
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.publishing import PostTarget, TargetStatus
from growth_manager.providers.base import PublishRequest
from growth_manager.providers.errors import ProviderError
from growth_manager.publishing.engine import request_for
from growth_manager.tokens.keeper import TokenKeeper

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Removal:
    account_id: int
    request: PublishRequest
    progress: dict[str, str]


def delete_remote(database: Database, settings: Settings, target_id: int) -> str:
    """Delete a published target from its platform: "deleted", or "failed" with the
    platform's refusal recorded on the target (Instagram's API can't delete)."""
    skipped = "nothing to delete"

    def claim(session: Session) -> Removal | None:
        nonlocal skipped
        target = session.get(PostTarget, target_id)
        if target is None or target.status is not TargetStatus.published or target.removed_at:
            return None
        account = (
            session.get(SocialAccount, target.social_account_id)
            if target.social_account_id
            else None
        )
        if account is None:
            target.status_reason = "can't delete: the account was removed from the business"
            skipped = "no account"
            return None
        return Removal(
            account.id,
            request_for(session, settings, target, account),
            {str(k): str(v) for k, v in (target.progress or {}).items()},
        )

    def call(removal: Removal) -> ProviderError | None:
        try:
            TokenKeeper(database, settings).call(
                removal.account_id,
                lambda provider, token: provider.delete(removal.request, token, removal.progress),
            )
        except ProviderError as exc:
            return exc
        return None

    def record(session: Session, _removal: Removal, error: ProviderError | None) -> str:
        target = session.get(PostTarget, target_id)
        if target is None:
            return "gone"
        if error is not None:
            target.status_reason = f"deleting it from the platform failed: {error.message}"
            log.warning("publishing.remote.delete_failed", target_id=target_id, error=error.message)
            return "failed"
        target.removed_at = utcnow()
        target.status_reason = "deleted from the platform at its owner's request"
        log.info("publishing.remote.deleted", target_id=target_id)
        return "deleted"

    outcome = unit_of_work(database, claim, call, record)
    if outcome is None:
        return skipped
    return outcome
