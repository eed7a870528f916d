"""The platform sandbox as tests see it: a handle on the running server, and registering the
product's OAuth callbacks with it (the fixtures live in tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx2
from fastapi import FastAPI

if TYPE_CHECKING:
    from platform_sandbox.platform import SandboxContext

# The product's callback name → (the sandbox platform serving it, the client id the product's
# sandbox settings use). Facebook and Instagram share one Meta app and one callback.
SANDBOX_APPS = {
    "x": ("x", "sandbox-x-client"),
    "linkedin": ("linkedin", "sandbox-linkedin-client"),
    "facebook": ("meta", "1000000000000001"),
}


@dataclass
class SandboxHandle:
    url: str
    app: FastAPI

    @property
    def ctx(self) -> SandboxContext:
        ctx: SandboxContext = self.app.state.sandbox
        return ctx

    def reset(self) -> None:
        from platform_sandbox.control import reset_state

        # The control plane's reset: also forgets fault rules and rate-limit windows, and
        # zeroes the clock before seeding (seeded history is laid out backwards from "now").
        reset_state(self.app)


def register_callbacks(sandbox: SandboxHandle, public_url: str) -> None:
    """Register the product served at ``public_url`` as an app with every platform the sandbox
    serves, so the platforms redirect to its OAuth callbacks (and to no other address)."""
    served = {p.name for p in sandbox.app.state.platforms}
    for callback, (platform, client_id) in SANDBOX_APPS.items():
        if platform not in served:
            continue
        response = httpx2.post(
            f"{sandbox.url}/_sandbox/apps",
            json={
                "platform": platform,
                "client_id": client_id,
                "client_secret": f"sandbox-{platform}-secret",
                "redirect_uris": [f"{public_url}/api/v1/oauth/{callback}/callback"],
            },
        )
        assert response.status_code == 200, response.text
