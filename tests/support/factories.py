"""Rows for tests, written straight through the models, and ways to act as a user.

``make_user``/``make_business`` need a session that commits (``database.session()``), because
the app reads through its own connection. ``bearer_for`` gives API headers; ``login_client``
signs a dashboard session cookie exactly as Starlette's SessionMiddleware does, so page tests
need no login round trip.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy.orm import Session

from growth_manager.auth.dependencies import (
    API_TOKEN_PREFIX,
    SESSION_CSRF_KEY,
    SESSION_USER_KEY,
    hash_api_token,
)
from growth_manager.config import Settings
from growth_manager.kit.clock import utcnow
from growth_manager.models.business import Business, BusinessMember, Role, Strategy
from growth_manager.models.user import ApiToken, User

SESSION_COOKIE = "gm_session"


def make_user(session: Session, email: str, name: str = "") -> User:
    user = User(email=email.lower(), name=name, password_hash="not-a-real-hash")
    session.add(user)
    session.flush()
    return user


def bearer_for(session: Session, user: User) -> dict[str, str]:
    """Authorization headers with a fresh API token of ``user``."""
    plaintext = API_TOKEN_PREFIX + secrets.token_urlsafe(24)
    session.add(
        ApiToken(
            user_id=user.id,
            token_hash=hash_api_token(plaintext),
            name="test",
            expires_at=utcnow() + timedelta(days=1),
        )
    )
    session.flush()
    return {"Authorization": f"Bearer {plaintext}"}


def make_business(session: Session, owner: User, **fields: Any) -> Business:
    """A business with ``owner`` as its owner; ``fields`` override the model's columns."""
    values: dict[str, Any] = {"name": f"Business of {owner.email}", "timezone": "UTC"}
    values.update(fields)
    business = Business(**values)
    session.add(business)
    session.flush()
    add_member(session, business, owner, Role.owner)
    return business


def add_member(session: Session, business: Business, user: User, role: Role) -> BusinessMember:
    member = BusinessMember(business_id=business.id, user_id=user.id, role=role)
    session.add(member)
    session.flush()
    return member


def make_strategy(session: Session, business: Business, **fields: Any) -> Strategy:
    values: dict[str, Any] = {
        "name": "Always on",
        "platforms": ["linkedin", "x"],
        "cadence": {
            "linkedin": {"posts_per_week": 2, "preferred_days": [1, 3], "preferred_hours": [9]},
            "x": {"posts_per_week": 5, "preferred_days": [], "preferred_hours": [12, 17]},
        },
    }
    values.update(fields)
    strategy = Strategy(business_id=business.id, **values)
    session.add(strategy)
    session.flush()
    return strategy


def login_client(client: TestClient, user: User) -> str:
    """Logs ``client`` in as ``user`` with a signed session cookie; returns its CSRF token
    (send it as the ``csrf_token`` form field or the ``X-CSRF-Token`` header)."""
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    csrf = secrets.token_urlsafe(32)
    payload = base64.b64encode(
        json.dumps({SESSION_USER_KEY: user.id, SESSION_CSRF_KEY: csrf}).encode()
    )
    cookie = TimestampSigner(settings.resolved_secret_key()).sign(payload).decode()
    client.cookies.set(SESSION_COOKIE, cookie)
    return csrf
