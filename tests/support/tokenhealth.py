"""Helpers for token-health tests: connect through the real consent pages of the platform
sandbox, read what the product stored, and drive the sandbox's control plane."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.notifications import Notification
from tests.support.connecting import choose, finish, park, pending, start
from tests.support.consent import consent
from tests.support.owners import Owner
from tests.support.sandbox import SandboxHandle

X_CLIENT = ("sandbox-x-client", "sandbox-x-secret")
X_TOKEN_PATH = "/api.x.com/2/oauth2/token"
X_ME_PATH = "/api.x.com/2/users/me"


@dataclass(frozen=True)
class Stored:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    refresh_expires_at: datetime | None
    status: str
    status_reason: str | None
    refresh_failures: int
    next_refresh_attempt_at: datetime | None
    refresh_lease_until: datetime | None


def stored(database: Database, account_id: int) -> Stored:
    with database.session() as session:
        a = session.get(SocialAccount, account_id)
        assert a is not None
        assert a.access_token
        return Stored(
            a.access_token,
            a.refresh_token,
            a.expires_at,
            a.refresh_expires_at,
            a.status.value,
            a.status_reason,
            a.refresh_failures,
            a.next_refresh_attempt_at,
            a.refresh_lease_until,
        )


def open_notifications(database: Database, account_id: int) -> list[tuple[str, str, str]]:
    with database.session() as session:
        rows = session.scalars(
            select(Notification)
            .where(
                Notification.social_account_id == account_id,
                Notification.resolved_at.is_(None),
            )
            .order_by(Notification.id)
        )
        return [(n.kind, n.title, n.body) for n in rows]


def connect_x(gm: TestClient, owner: Owner, database: Database) -> int:
    response = finish(gm, owner, consent(start(gm, owner)))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/businesses/{owner.business_id}/connections"
    with database.session() as session:
        found = session.scalars(
            select(SocialAccount.id).where(SocialAccount.platform == "x")
        ).one_or_none()
    if found is None:  # the callback comes back to the same page when it fails: say why
        page = gm.get(response.headers["location"]).text
        said = re.findall(r'class="alert[^"]*"[^>]*>(.*?)</', page, flags=re.S)
        raise AssertionError(f"no X account after the callback; the page said {said}")
    return found


def connect_linkedin(gm: TestClient, owner: Owner, database: Database, kind: str = "member") -> int:
    """Consent on LinkedIn's page, then pick the first identity of ``kind`` (the member, or
    an ``organization`` page) on the product's picker."""
    response = finish(gm, owner, consent(start(gm, owner, "linkedin"), action="allow"))
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    prefix = f"/businesses/{owner.business_id}/connections/choose/"
    assert location.startswith(prefix), location
    token = location.removeprefix(prefix)
    api = f"/api/v1/businesses/{owner.business_id}/connections/pending/{token}"
    pending = gm.get(api, headers=owner.headers)
    assert pending.status_code == 200, pending.text
    member = next(i for i in pending.json()["identities"] if i["kind"] == kind)
    chosen = gm.post(api, json={"identities": [member["key"]]}, headers=owner.headers)
    assert chosen.status_code in (200, 201), chosen.text
    with database.session() as session:
        return session.scalars(
            select(SocialAccount.id).where(
                SocialAccount.platform == "linkedin", SocialAccount.kind == kind
            )
        ).one()


def connect_meta(gm: TestClient, owner: Owner, database: Database) -> dict[str, int]:
    """Facebook Login with every Page granted, then every identity ticked on the picker: the
    ids of one Page and of its Instagram account."""
    token = park(gm, owner, start(gm, owner, "facebook"))
    identities = pending(gm, owner, token)["identities"]
    choose(gm, owner, token, [i["key"] for i in identities])
    with database.session() as session:
        rows = session.scalars(select(SocialAccount)).all()
        ig = next(r for r in rows if r.platform == "instagram")
        page = next(r for r in rows if r.external_id == ig.parent_external_id)
        return {"instagram": ig.id, "facebook": page.id}


def shift_account_times(database: Database, account_id: int, delta: timedelta) -> None:
    """Moves the product's clock forward by ``delta`` as far as this account can tell: every
    stored deadline comes ``delta`` closer. Equivalent to time passing, without moving the
    process clock (the in-process sandbox server would move along with it)."""
    with database.session() as session:
        a = session.get(SocialAccount, account_id)
        assert a is not None
        for name in ("expires_at", "refresh_expires_at", "login_expires_at", "connected_at"):
            value = getattr(a, name)
            if value is not None:
                setattr(a, name, value - delta)


class Sandbox:
    """The sandbox's control plane and raw OAuth endpoints, over real HTTP."""

    def __init__(self, handle: SandboxHandle) -> None:
        self.url = handle.url

    def advance_clock(self, delta: timedelta) -> None:
        response = httpx2.post(
            f"{self.url}/_sandbox/clock", json={"advance_seconds": delta.total_seconds()}
        )
        assert response.status_code == 200, response.text

    def fault(self, kind: str, path: str, **fields: Any) -> int:
        response = httpx2.post(
            f"{self.url}/_sandbox/faults", json={"kind": kind, "path": path, **fields}
        )
        assert response.status_code == 201, response.text
        rule_id: int = response.json()["id"]
        return rule_id

    def count(self, path: str, method: str = "*") -> int:
        """Counts requests to ``path`` from now on (a zero-delay fault that never runs out)."""
        return self.fault("delay", path, method=method, times=None, delay_ms=0)

    def hits(self, rule_id: int) -> int:
        response = httpx2.get(f"{self.url}/_sandbox/faults")
        rule = next(r for r in response.json()["faults"] if r["id"] == rule_id)
        hits: int = rule["hits"]
        return hits

    def clear_faults(self) -> None:
        assert httpx2.delete(f"{self.url}/_sandbox/faults").status_code == 200

    def x_refresh(self, refresh_token: str) -> httpx2.Response:
        return httpx2.post(
            self.url + X_TOKEN_PATH,
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=X_CLIENT,
        )

    def x_revoke(self, token: str, hint: str) -> None:
        response = httpx2.post(
            f"{self.url}/api.x.com/2/oauth2/revoke",
            data={"token": token, "token_type_hint": hint},
            auth=X_CLIENT,
        )
        assert response.status_code == 200, response.text

    def x_me(self, access_token: str) -> httpx2.Response:
        return httpx2.get(self.url + X_ME_PATH, headers={"Authorization": f"Bearer {access_token}"})


def connections_location(owner: Owner) -> str:
    return f"/businesses/{owner.business_id}/connections"


def path_of(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
