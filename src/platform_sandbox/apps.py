"""Registered OAuth client applications, shared by every emulated platform (table ``sb_app``).

Each platform seeds one demo app in its ``seed`` via :func:`ensure_default_app`; the control plane
(``POST /_sandbox/apps``) registers more apps or adds redirect URIs. Redirect URIs are compared
exactly, as the real platforms do, so a client must use one of the registered strings verbatim.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from platform_sandbox.store import Base

# The Growth Manager callback on both loopback spellings: browsers and tests use either.
_CALLBACK_HOSTS = ("http://127.0.0.1:8000", "http://localhost:8000")

DEFAULT_CLIENT_IDS: dict[str, str] = {
    "x": "sandbox-x-client",
    "linkedin": "sandbox-linkedin-client",
    # Meta app ids are numeric strings; clients sometimes validate that.
    "meta": "1000000000000001",
}


def default_redirect_uris(platform: str, hosts: tuple[str, ...] = _CALLBACK_HOSTS) -> list[str]:
    # Facebook Pages and Instagram share one Facebook Login, so Growth Manager's Meta callback
    # is its facebook one; the instagram and meta spellings are accepted for other clients.
    names = ["facebook", "instagram", "meta"] if platform == "meta" else [platform]
    return [f"{host}/api/v1/oauth/{name}/callback" for name in names for host in hosts]


def allow_app_base_url(session: Session, platforms: list[str], base_url: str) -> None:
    """Let the demo apps redirect to a Growth Manager served at ``base_url`` (e.g. when it runs
    on another port than 8000): its callbacks join the registered redirect URIs."""
    for platform in platforms:
        register_app(
            session,
            platform,
            DEFAULT_CLIENT_IDS.get(platform, f"sandbox-{platform}-client"),
            redirect_uris=default_redirect_uris(platform, (base_url.rstrip("/"),)),
        )


def default_client_secret(platform: str) -> str:
    return f"sandbox-{platform}-secret"


class SbApp(Base):
    __tablename__ = "sb_app"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(20), index=True)
    client_id: Mapped[str] = mapped_column(String(200), index=True)
    client_secret: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[list[Any]] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(200), default="")
    # "confidential" (has a secret, authenticates at the token endpoint) or "public" (PKCE only).
    client_type: Mapped[str] = mapped_column(String(20), default="confidential")

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": list(self.redirect_uris),
            "name": self.name,
            "client_type": self.client_type,
        }

    def allows_redirect(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris


def get_app(session: Session, platform: str, client_id: str) -> SbApp | None:
    return session.scalars(
        select(SbApp).where(SbApp.platform == platform, SbApp.client_id == client_id)
    ).first()


def list_apps(session: Session, platform: str | None = None) -> list[SbApp]:
    query = select(SbApp).order_by(SbApp.id)
    if platform is not None:
        query = query.where(SbApp.platform == platform)
    return list(session.scalars(query))


def register_app(
    session: Session,
    platform: str,
    client_id: str,
    *,
    client_secret: str | None = None,
    redirect_uris: list[str] | None = None,
    name: str = "",
    client_type: str = "confidential",
) -> SbApp:
    """Create an app, or update an existing one: redirect URIs are added, never removed."""
    app = get_app(session, platform, client_id)
    if app is None:
        app = SbApp(
            platform=platform,
            client_id=client_id,
            client_secret=client_secret or default_client_secret(platform),
            redirect_uris=list(dict.fromkeys(redirect_uris or [])),
            name=name or f"Sandbox {platform} app",
            client_type=client_type,
        )
        session.add(app)
    else:
        if client_secret:
            app.client_secret = client_secret
        if name:
            app.name = name
        app.client_type = client_type or app.client_type
        # Reassign (not mutate) so SQLAlchemy sees the JSON column change.
        app.redirect_uris = list(dict.fromkeys([*app.redirect_uris, *(redirect_uris or [])]))
    session.flush()
    return app


def ensure_default_app(session: Session, platform: str) -> SbApp:
    """The platform's demo app with its well-known id, secret and Growth Manager callbacks."""
    return register_app(
        session,
        platform,
        DEFAULT_CLIENT_IDS.get(platform, f"sandbox-{platform}-client"),
        client_secret=default_client_secret(platform),
        redirect_uris=default_redirect_uris(platform),
        name=f"Growth Manager sandbox ({platform})",
    )
