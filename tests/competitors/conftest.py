"""Competitor tests: the product against a fresh sandbox, with the owner's X account (and, where
asked, the Facebook Page and Instagram account) connected, and competitors made in the sandbox
through its control plane."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.models.business import BusinessMember, Role
from tests.support.owners import Owner
from tests.support.sandbox import SandboxHandle
from tests.support.world import Member, new_member


@dataclass
class Rivals:
    """Makes competitors' accounts in the sandbox and reads its ground truth."""

    handle: SandboxHandle

    def make(self, platform: str, username: str, **body: Any) -> dict[str, Any]:
        response = httpx2.post(
            f"{self.handle.url}/_sandbox/competitors",
            json={"platform": platform, "username": username, **body},
            timeout=30,
        )
        assert response.status_code == 201, response.text
        made: dict[str, Any] = response.json()
        return made

    def truth(self, platform: str, account_id: str) -> dict[str, Any]:
        accounts = httpx2.get(
            f"{self.handle.url}/_sandbox/accounts", params={"platform": platform}, timeout=10
        ).json()["accounts"]
        found: dict[str, Any] = next(a for a in accounts if a["id"] == account_id)
        return found

    def advance(self, seconds: float) -> None:
        response = httpx2.post(
            f"{self.handle.url}/_sandbox/clock", json={"advance_seconds": seconds}, timeout=10
        )
        assert response.status_code == 200, response.text

    def limits(self, platform: str, limits: dict[str, dict[str, int]]) -> None:
        response = httpx2.post(
            f"{self.handle.url}/_sandbox/ratelimits",
            json={"platform": platform, "limits": limits},
            timeout=10,
        )
        assert response.status_code == 200, response.text


@pytest.fixture
def rivals(fresh_sandbox: SandboxHandle) -> Rivals:
    return Rivals(fresh_sandbox)


@dataclass
class Team:
    viewer: Member
    outsider: Member


@pytest.fixture
def team(database: Database, owner: Owner) -> Team:
    with database.session() as session:
        viewer = new_member(session, "viewer@example.com")
        outsider = new_member(session, "outsider@example.com")
        session.add(
            BusinessMember(business_id=owner.business_id, user_id=viewer.user.id, role=Role.viewer)
        )
    return Team(viewer, outsider)


def add(gm: TestClient, owner: Owner, platform: str, handle: str) -> Any:
    return gm.post(
        f"/api/v1/businesses/{owner.business_id}/competitors",
        json={"platform": platform, "handle": handle},
        headers=owner.headers,
    )
