"""The token-health panel: what needs attention, soonest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from growth_manager.connections.service import missing_analytics_scopes
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.tokens.keeper import user_fix_deadline

SOON = timedelta(days=30)


@dataclass(frozen=True)
class Attention:
    account: SocialAccount
    severity: str  # danger | warning | info
    title: str
    detail: str
    due_at: datetime | None


def needs_attention(accounts: list[SocialAccount], now: datetime | None = None) -> list[Attention]:
    now = now or utcnow()
    items: list[Attention] = []
    for account in accounts:
        if account.status == AccountStatus.disconnected:
            continue
        if account.status == AccountStatus.reauth_required:
            items.append(
                Attention(account, "danger", "Reconnect now", account.status_reason or "", now)
            )
            continue
        if account.status == AccountStatus.refresh_failing:
            items.append(
                Attention(
                    account,
                    "warning",
                    "Token renewal is failing; retrying",
                    account.status_reason or "",
                    account.expires_at or now,
                )
            )
        deadline = user_fix_deadline(account)
        if deadline is not None and deadline <= now + SOON:
            items.append(
                Attention(
                    account,
                    "warning" if deadline > now + timedelta(days=7) else "danger",
                    f"Sign in again by {deadline:%d %b %Y}",
                    "This connection can't renew itself past that date.",
                    deadline,
                )
            )
        missing = missing_analytics_scopes(account.platform, account.kind, account.granted_scopes)
        if missing:
            items.append(
                Attention(
                    account,
                    "info",
                    "Analytics permissions missing",
                    f"Publishing works; reconnect and grant {', '.join(missing)} for analytics.",
                    None,
                )
            )
    far_future = now + timedelta(days=36500)
    order = {"danger": 0, "warning": 1, "info": 2}
    return sorted(items, key=lambda a: (a.due_at or far_future, order[a.severity]))
