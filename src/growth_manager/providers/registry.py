"""Platform key → provider class: the one registry of platforms.

Each platform's folder provides one provider class (its descriptor, classifier and rate-limit
parser come with it); :func:`register` adds it. The order of registration is the order the
dashboard lists platforms in. Everything else asks here (or the descriptor) instead of
testing a platform's name.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx2

from growth_manager.providers.base import Descriptor, PlatformKey, ProviderConfig, SocialProvider
from growth_manager.providers.client import HttpProvider, RateLimitObserver
from growth_manager.providers.errors import ProviderError
from growth_manager.providers.http import RateLimitState
from growth_manager.providers.linkedin import LinkedInProvider
from growth_manager.providers.meta import FacebookProvider, InstagramProvider
from growth_manager.providers.x import XProvider

ProviderClass = type[HttpProvider]

_PROVIDERS: dict[PlatformKey, ProviderClass] = {}


def register(provider: ProviderClass) -> None:
    """Make ``provider``'s platform known to the whole product."""
    _PROVIDERS[provider.descriptor.platform] = provider


def unregister(platform: PlatformKey) -> None:
    _PROVIDERS.pop(platform, None)


for _provider in (XProvider, LinkedInProvider, FacebookProvider, InstagramProvider):
    register(_provider)


def platforms() -> tuple[PlatformKey, ...]:
    """Every registered platform, in dashboard order."""
    return tuple(_PROVIDERS)


def is_platform(value: str) -> bool:
    return value in _PROVIDERS


def provider_class(platform: PlatformKey) -> ProviderClass:
    return _PROVIDERS[platform]


def descriptor(platform: PlatformKey) -> Descriptor:
    return _PROVIDERS[platform].descriptor


def descriptors() -> tuple[Descriptor, ...]:
    return tuple(provider.descriptor for provider in _PROVIDERS.values())


def platforms_named(name: str) -> tuple[PlatformKey, ...]:
    """The platforms a route or filter name stands for: a platform key, one of its aliases
    ("twitter"), or a family of platforms sharing a login ("meta")."""
    return tuple(d.platform for d in descriptors() if name in (d.platform, d.family, *d.aliases))


def provider_for(
    platform: PlatformKey, config: ProviderConfig, on_rate_limits: RateLimitObserver | None = None
) -> SocialProvider:
    provider: SocialProvider = _PROVIDERS[platform](config, on_rate_limits)  # type: ignore[assignment]
    return provider


def classify(
    platform: PlatformKey, response: httpx2.Response, now: datetime | None = None
) -> ProviderError:
    """The outcome of a non-2xx ``response`` from ``platform``, read by that platform's rules."""
    return _PROVIDERS[platform].classify(platform, response, now or datetime.now(UTC))


def parse_rate_limits(platform: PlatformKey, response: httpx2.Response) -> list[RateLimitState]:
    """Every budget ``response`` reports (none for platforms that send no budget headers)."""
    return _PROVIDERS[platform].parse_rate_limits(platform, response)
