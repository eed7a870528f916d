"""Which platforms the local platform sandbox serves when ``run`` starts.

A platform with no real client credentials configured is served by the sandbox, so a fresh
install can connect accounts and publish end to end with no developer app. The returned
variables point that platform's base URLs at the sandbox for every child process.
"""

from __future__ import annotations

import importlib.util

from growth_manager.config import Settings


def sandbox_available() -> bool:
    """Whether the platform sandbox is installed (it ships in the same package today, but
    ``run`` must keep working without it)."""
    try:
        return importlib.util.find_spec("platform_sandbox.server") is not None
    except ModuleNotFoundError:
        return False


def sandbox_url(settings: Settings) -> str:
    return f"http://127.0.0.1:{settings.sandbox_port}"


def platforms_needing_sandbox(settings: Settings) -> list[str]:
    """Platforms with no real app configured: the sandbox serves them."""
    from growth_manager.providers.registry import platforms
    from growth_manager.tokens.platforms import has_real_credentials

    return [p for p in platforms() if not has_real_credentials(settings, p)]


def sandbox_environment(settings: Settings) -> dict[str, str]:
    """Variables for every child process; empty when every platform has real credentials
    (then the sandbox is not started at all)."""
    if not platforms_needing_sandbox(settings):
        return {}
    return {"GROWTH_SANDBOX_URL": settings.sandbox_url or sandbox_url(settings)}
