"""Platform key → provider class: the one literal registry."""

from __future__ import annotations

from typing import Final

from growth_manager.providers.base import Descriptor, PlatformKey, ProviderConfig, SocialProvider
from growth_manager.providers.client import RateLimitObserver
from growth_manager.providers.linkedin import LinkedInProvider
from growth_manager.providers.meta import FacebookProvider, InstagramProvider
from growth_manager.providers.x import XProvider

ProviderClass = (
    type[XProvider] | type[LinkedInProvider] | type[FacebookProvider] | type[InstagramProvider]
)

PROVIDERS: Final[dict[str, ProviderClass]] = {
    "x": XProvider,
    "linkedin": LinkedInProvider,
    "facebook": FacebookProvider,
    "instagram": InstagramProvider,
}


def descriptor(platform: PlatformKey) -> Descriptor:
    found: Descriptor = PROVIDERS[platform].descriptor
    return found


def provider_for(
    platform: PlatformKey, config: ProviderConfig, on_rate_limits: RateLimitObserver | None = None
) -> SocialProvider:
    provider: SocialProvider = PROVIDERS[platform](config, on_rate_limits)
    return provider
