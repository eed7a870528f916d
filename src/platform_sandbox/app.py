"""The sandbox ASGI app: every platform mounted under its real host names as path prefixes."""

from __future__ import annotations

import importlib
from pathlib import Path

from fastapi import FastAPI

from platform_sandbox import apps as _apps  # noqa: F401  (declares sb_app)
from platform_sandbox import control
from platform_sandbox.apps import allow_app_base_url
from platform_sandbox.clock import Clock
from platform_sandbox.faults import FaultMiddleware
from platform_sandbox.platform import Platform, SandboxContext
from platform_sandbox.store import Store

PLATFORM_MODULES = ("platform_sandbox.x", "platform_sandbox.linkedin", "platform_sandbox.meta")


def load_platforms() -> list[Platform]:
    platforms: list[Platform] = []
    for name in PLATFORM_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # a platform still being built
            if exc.name != name:
                raise
            continue
        platform = getattr(module, "PLATFORM", None)
        if platform is None:  # package started but not exporting its platform yet
            continue
        platforms.append(platform)
    return platforms


def create_app(data_dir: Path, seed: int = 42, app_base_urls: tuple[str, ...] = ()) -> FastAPI:
    # Platforms first: importing them declares their tables, which create_all must see.
    platforms = load_platforms()
    store = Store(data_dir / "sandbox.sqlite3")
    store.create_all()
    ctx = SandboxContext(store=store, clock=Clock(store), seed=seed)
    app = FastAPI(title="Growth Manager platform sandbox", docs_url="/_sandbox/docs")
    app.state.sandbox = ctx
    app.state.platforms = platforms
    with store.session() as session:
        if not store.get_setting(session, "seeded"):
            for platform in platforms:
                platform.seed(session, ctx)
            store.set_setting(session, "seeded", True)
        for base_url in app_base_urls:
            allow_app_base_url(session, [p.name for p in platforms], base_url)
    app.include_router(control.router)
    for platform in platforms:
        for prefix, router in platform.routers.items():
            app.include_router(router, prefix=f"/{prefix}")
    # Pure ASGI and outermost of the user middleware, so it can delay, hang or cut a response.
    app.add_middleware(FaultMiddleware)
    return app
