"""Rows for tests, written straight through the models, and ways to act as a user.

``make_user``/``make_business`` need a session that commits (``database.session()``), because
the app reads through its own connection. ``bearer_for`` gives API headers; ``login_client``
opens a server-side dashboard session in the app's own session store and sets its cookie, so
page tests need no login round trip; ``csrf_of`` is the CSRF token of a client's session.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.auth.dependencies import (
    API_TOKEN_PREFIX,
    SESSION_COOKIE,
    cookie_name,
    hash_api_token,
)
from growth_manager.auth.sessions import (
    SessionStore,
    csrf_token_for,
    new_session,
    session_secret_hash,
    session_store_for,
)
from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.kit.clock import utcnow
from growth_manager.models.business import Business, BusinessMember, Role, Strategy
from growth_manager.models.user import ApiToken, User


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


def session_store_of_app(app: Any) -> SessionStore:
    """The app's session store, the one its requests will read (made now if not yet)."""
    store: SessionStore | None = getattr(app.state, "session_store", None)
    if store is None:
        store = session_store_for(app.state.settings.redis_url)
        app.state.session_store = store
    return store


def login_client(client: TestClient, user: User, user_agent: str = "testclient") -> str:
    """Signs ``client`` in as ``user`` with a new server-side session; returns its CSRF token
    (send it as the ``csrf_token`` form field or the ``X-CSRF-Token`` header)."""
    app: Any = client.app
    settings: Settings = app.state.settings
    secret, browser = new_session(
        user.id,
        utcnow(),
        timedelta(days=settings.session_max_age_days),
        user_agent,
        "testclient",
    )
    with app.state.database.session() as db:
        session_store_of_app(app).create(db, session_secret_hash(secret), browser)
    client.cookies.set(cookie_name(SESSION_COOKIE, settings), secret)
    return csrf_token_for(secret)


def csrf_of(client: TestClient) -> str:
    """The CSRF token of the session ``client`` is signed in with."""
    settings: Settings = client.app.state.settings  # type: ignore[attr-defined]
    secret = client.cookies.get(cookie_name(SESSION_COOKIE, settings))
    assert secret, "the client is not signed in"
    return csrf_token_for(secret)


def login(client: TestClient, database: Database, email: str) -> str:
    """Sign ``client`` in as the user with ``email``; returns the CSRF token."""
    with database.session() as session:
        user = session.scalar(select(User).where(User.email == email))
        assert user is not None
    return login_client(client, user)
