"""Which platform is served by what: the real API with the operator's app, or the sandbox.

A platform with real credentials configured talks to the real hosts. One without them is served
by the platform sandbox when it runs (``GROWTH_SANDBOX_URL``, set by ``growth-manager run``),
with the sandbox's demo app; otherwise it is not available and the dashboard says how to set it
up. Providers never read settings: this module builds their :class:`ProviderConfig`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import structlog

from growth_manager.config import Settings
from growth_manager.errors import AppError
from growth_manager.providers.base import PlatformKey, ProviderConfig
from growth_manager.providers.registry import descriptor, descriptors, platforms

log = structlog.get_logger(__name__)


class PlatformUnavailable(AppError):
    status_code = 409
    type = "platform_unavailable"


@dataclass(frozen=True)
class PlatformSetup:
    platform: PlatformKey
    config: ProviderConfig | None
    reason: str | None = None

    @property
    def available(self) -> bool:
        return self.config is not None


def redirect_uri(settings: Settings, platform: str) -> str:
    return f"{settings.public_url.rstrip('/')}/api/v1/oauth/{platform}/callback"


def _credentials(settings: Settings, platform: str) -> tuple[str, str] | None:
    id_name, secret_name = descriptor(platform).app.credentials
    client_id = getattr(settings, id_name)
    secret = getattr(settings, secret_name)
    if client_id and secret is not None:
        return str(client_id), str(secret.get_secret_value())
    return None


def has_real_credentials(settings: Settings, platform: str) -> bool:
    return _credentials(settings, platform) is not None


def _bases(settings: Settings, platform: str, root: str | None) -> tuple[str, str, str]:
    """(api_base, auth_base, version): real hosts, or the sandbox's host-named prefixes."""

    def host(url: str) -> str:
        return url if root is None else f"{root}/{url.split('://', 1)[-1]}"

    app = descriptor(platform).app
    version = str(getattr(settings, app.api_version)) if app.api_version else ""
    return (
        host(str(getattr(settings, app.api_base))),
        host(str(getattr(settings, app.auth_base))),
        version,
    )


def platform_setup(settings: Settings, platform: PlatformKey) -> PlatformSetup:
    credentials = _credentials(settings, platform)
    sandbox_root = settings.sandbox_url.rstrip("/") if settings.sandbox_url else None
    if credentials is None and sandbox_root is None:
        return PlatformSetup(
            platform,
            None,
            f"No app is configured for this platform: set {descriptor(platform).app.env_names}, "
            "or run the platform sandbox (growth-manager run starts it).",
        )
    is_sandbox = credentials is None
    client_id, secret = credentials or descriptor(platform).app.sandbox_client
    api_base, auth_base, version = _bases(settings, platform, sandbox_root if is_sandbox else None)
    # Platforms that share a login (Instagram through Facebook's) share its callback too.
    callback_platform = descriptor(platform).login_platform
    return PlatformSetup(
        platform,
        ProviderConfig(
            client_id=client_id,
            client_secret=secret,
            redirect_uri=redirect_uri(settings, callback_platform),
            api_base=api_base,
            auth_base=auth_base,
            api_version=version,
            timeout_seconds=settings.provider_timeout_seconds,
            is_sandbox=is_sandbox,
        ),
    )


def require_config(settings: Settings, platform: PlatformKey) -> ProviderConfig:
    setup = platform_setup(settings, platform)
    if setup.config is None:
        raise PlatformUnavailable(setup.reason or f"{platform} is not available")
    return setup.config


def all_setups(settings: Settings) -> dict[PlatformKey, PlatformSetup]:
    return {platform: platform_setup(settings, platform) for platform in platforms()}


def version_warnings(settings: Settings, today: date) -> list[str]:
    """Pinned API versions close to their sunset (logged at start-up), each told once even
    when platforms share it (Facebook and Instagram share the Graph version)."""
    warnings: list[str] = []
    seen: set[str] = set()
    for facts in descriptors():
        setting = facts.app.api_version
        if facts.version_warning is None or setting is None or setting in seen:
            continue
        seen.add(setting)
        warning = facts.version_warning(str(getattr(settings, setting)), today)
        if warning:
            warnings.append(warning)
    return warnings


def log_version_warnings(settings: Settings, today: date) -> None:
    for warning in version_warnings(settings, today):
        log.warning("accounts.api_version.near_sunset", message=warning)
