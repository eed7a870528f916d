"""What Fakebook allows and needs, and the settings that configure its app."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr

from growth_manager.config import Settings
from growth_manager.providers.base import AppSettings, Descriptor, KindFacts

DESCRIPTOR = Descriptor(
    platform="fakebook",
    display_name="Fakebook",
    text_limit=500,
    counting="characters",
    media_kinds=("image",),
    max_images=1,
    max_videos=0,
    supports_threads=False,
    supports_first_comment=False,
    uses_pkce=True,
    kinds={
        "profile": KindFacts(
            label="Fakebook profile", publish=("posts.write",), analytics=("stats.read",)
        )
    },
    identity_scopes=("profile.read",),
    app=AppSettings(
        credentials=("fakebook_client_id", "fakebook_client_secret"),
        api_base="fakebook_api_base",
        auth_base="fakebook_auth_base",
    ),
    refresh_margin=timedelta(hours=1),
    single_identity=True,
    rotates_refresh_tokens=True,
    budget_purposes=(("*", "GET /me", "Profile reads"),),
)


class FakebookSettings(Settings):
    """The settings a real platform would add to ``config.py``."""

    fakebook_client_id: str | None = "fakebook-client"
    fakebook_client_secret: SecretStr | None = SecretStr("fakebook-secret")
    fakebook_api_base: str = "https://api.fakebook.test"
    fakebook_auth_base: str = "https://www.fakebook.test"
