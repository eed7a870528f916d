"""Deleting a published post from its platform, when its owner asks: the same unit of work as
publishing (read, call with no transaction open, record)."""

from __future__ import annotations

import structlog

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.publishing import PostTarget, TargetStatus
from growth_manager.providers.errors import ProviderError
from growth_manager.publishing.engine import request_for
from growth_manager.tokens.keeper import TokenKeeper

log = structlog.get_logger(__name__)


def delete_remote(database: Database, settings: Settings, target_id: int) -> str:
    with database.session() as session:
        target = session.get(PostTarget, target_id)
        if target is None or target.status is not TargetStatus.published or target.removed_at:
            return "nothing to delete"
        account = (
            session.get(SocialAccount, target.social_account_id)
            if target.social_account_id
            else None
        )
        if account is None:
            target.status_reason = "can't delete: the account was removed from the business"
            return "no account"
        request = request_for(session, settings, target, account)
        progress = {str(k): str(v) for k, v in (target.progress or {}).items()}
        account_id = account.id
    try:
        TokenKeeper(database, settings).call(
            account_id, lambda provider, token: provider.delete(request, token, progress)
        )
    except ProviderError as exc:
        with database.session() as session:
            target = session.get(PostTarget, target_id)
            if target is not None:
                target.status_reason = f"deleting it from the platform failed: {exc.message}"
        log.warning("publishing.remote.delete_failed", target_id=target_id, error=exc.message)
        raise
    with database.session() as session:
        target = session.get(PostTarget, target_id)
        if target is not None:
            target.removed_at = utcnow()
            target.status_reason = "deleted from the platform at its owner's request"
    log.info("publishing.remote.deleted", target_id=target_id)
    return "deleted"
