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
from growth_manager.providers.registry import descriptor, platforms

log = structlog.get_logger(__name__)

# Meta Graph versions and when they stop working (platform-apis.md §C.1).
GRAPH_EXPIRY = {
    "v18.0": date(2026, 1, 26),
    "v19.0": date(2026, 5, 21),
    "v20.0": date(2026, 9, 24),
    "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20),
    "v23.0": date(2027, 10, 8),
}


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
    """Pinned API versions close to their sunset (logged at start-up)."""
    warnings: list[str] = []
    expiry = GRAPH_EXPIRY.get(settings.graph_api_version)
    if expiry is not None and (expiry - today).days <= 60:
        warnings.append(
            f"Meta Graph API {settings.graph_api_version} stops working on {expiry.isoformat()}; "
            "set GROWTH_GRAPH_API_VERSION to a newer version."
        )
    try:
        pinned = date(int(settings.linkedin_version[:4]), int(settings.linkedin_version[4:6]), 1)
    except ValueError:
        warnings.append(f"GROWTH_LINKEDIN_VERSION={settings.linkedin_version!r} is not YYYYMM.")
    else:
        # LinkedIn supports each monthly version for at least a year.
        age_days = (today - pinned).days
        if age_days >= 300:
            warnings.append(
                f"LinkedIn-Version {settings.linkedin_version} is {age_days // 30} months old; "
                "LinkedIn sunsets versions after about a year: set GROWTH_LINKEDIN_VERSION."
            )
    return warnings


def log_version_warnings(settings: Settings, today: date) -> None:
    for warning in version_warnings(settings, today):
        log.warning("accounts.api_version.near_sunset", message=warning)
