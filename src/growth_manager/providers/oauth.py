"""OAuth 2.0 through Authlib (on httpx2), with its failures mapped to provider outcomes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx2
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from growth_manager.providers.base import ProviderConfig, TokenSet
from growth_manager.providers.errors import (
    OutcomeUnknown,
    ProviderError,
    ReauthRequired,
    Rejected,
    Transient,
)

if TYPE_CHECKING:
    from growth_manager.providers.client import HttpProvider

FATAL_OAUTH_ERRORS = {"invalid_grant", "invalid_token", "unauthorized_client", "access_denied"}


def new_state() -> str:
    state: str = generate_token(43)
    return state


def new_code_verifier() -> str:
    # RFC 7636: 43-128 characters from the unreserved set.
    verifier: str = generate_token(64)
    return verifier


def oauth_client(
    config: ProviderConfig,
    *,
    scope: str | None = None,
    auth_method: str = "client_secret_post",
    pkce: bool = False,
) -> OAuth2Client:
    return OAuth2Client(
        client_id=config.client_id,
        client_secret=config.client_secret,
        redirect_uri=config.redirect_uri,
        scope=scope,
        code_challenge_method="S256" if pkce else None,
        token_endpoint_auth_method=auth_method,
        timeout=httpx2.Timeout(config.timeout_seconds, connect=5.0),
    )


def call_token_endpoint(
    provider: HttpProvider, call: Callable[[], dict[str, Any]]
) -> dict[str, Any]:
    """Run an Authlib token call, turning its exceptions into ``provider``'s outcomes."""
    platform = provider.platform
    try:
        return call()
    except OAuthError as exc:
        error = str(exc.error or "oauth_error")
        message = str(exc.description or error)
        if error in FATAL_OAUTH_ERRORS:
            raise ReauthRequired(platform, message, code=error) from exc
        if error in ("temporarily_unavailable", "server_error"):
            raise Transient(platform, message, code=error) from exc
        raise Rejected(platform, message, code=error) from exc
    except (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout) as exc:
        raise Transient(
            platform, f"could not reach the token endpoint: {type(exc).__name__}"
        ) from exc
    except (httpx2.ReadTimeout, httpx2.RemoteProtocolError, httpx2.ReadError) as exc:
        # A refresh whose answer was lost may already have rotated the refresh token.
        raise OutcomeUnknown(
            platform, f"the token endpoint did not answer ({type(exc).__name__})"
        ) from exc
    except httpx2.HTTPStatusError as exc:
        raise provider.classify(platform, exc.response, datetime.now(UTC)) from exc
    except ValueError as exc:  # non-JSON body (an HTML error page, a proxy's 502)
        raise Transient(platform, "the token endpoint answered something that is not JSON") from exc
    except ProviderError:
        raise


def token_set(
    raw: dict[str, Any],
    *,
    now: datetime | None = None,
    fallback_scopes: tuple[str, ...] = (),
    previous_refresh_token: str | None = None,
) -> TokenSet:
    """A :class:`TokenSet` from a token response. A response without a refresh token keeps the
    previous one: platforms that don't rotate (LinkedIn) may omit it on refresh."""
    now = now or datetime.now(UTC)
    expires_in = raw.get("expires_in")
    refresh_expires_in = raw.get("refresh_token_expires_in")
    scope_raw = raw.get("scope")
    if isinstance(scope_raw, str) and scope_raw.strip():
        # X and LinkedIn separate with spaces, Meta with commas; accept either.
        scopes = tuple(s for s in scope_raw.replace(",", " ").split() if s)
    elif isinstance(scope_raw, list):
        scopes = tuple(str(s) for s in scope_raw)
    else:
        scopes = fallback_scopes
    access = raw.get("access_token")
    if not isinstance(access, str) or not access:
        raise Rejected("oauth", "the token response carried no access_token")
    return TokenSet(
        access_token=access,
        refresh_token=raw.get("refresh_token") or previous_refresh_token,
        expires_at=now + timedelta(seconds=int(expires_in)) if expires_in else None,
        refresh_expires_at=(
            now + timedelta(seconds=int(refresh_expires_in)) if refresh_expires_in else None
        ),
        scopes=scopes,
        token_type=str(raw.get("token_type") or "bearer").lower(),
    )
