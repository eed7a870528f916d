"""The sandbox's demo apps accept the callbacks of a Growth Manager on another address."""

from __future__ import annotations

from pathlib import Path

from platform_sandbox.app import create_app
from platform_sandbox.apps import DEFAULT_CLIENT_IDS, get_app
from platform_sandbox.platform import SandboxContext


def test_app_base_urls_join_the_demo_apps_redirect_uris(tmp_path: Path) -> None:
    app = create_app(tmp_path, seed=7, app_base_urls=("http://127.0.0.1:8400/",))
    ctx: SandboxContext = app.state.sandbox
    with ctx.store.session() as session:
        x = get_app(session, "x", DEFAULT_CLIENT_IDS["x"])
        meta = get_app(session, "meta", DEFAULT_CLIENT_IDS["meta"])
        assert x is not None
        assert meta is not None
        assert x.allows_redirect("http://127.0.0.1:8400/api/v1/oauth/x/callback")
        assert x.allows_redirect("http://127.0.0.1:8000/api/v1/oauth/x/callback")
        assert meta.allows_redirect("http://127.0.0.1:8400/api/v1/oauth/facebook/callback")
        assert not x.allows_redirect("http://127.0.0.1:8401/api/v1/oauth/x/callback")
    # Restarting with the same state and base URL adds nothing twice.
    again = create_app(tmp_path, seed=7, app_base_urls=("http://127.0.0.1:8400",))
    with again.state.sandbox.store.session() as session:
        x = get_app(session, "x", DEFAULT_CLIENT_IDS["x"])
        assert x is not None
        assert len(x.redirect_uris) == len(set(x.redirect_uris)) == 3
