"""Fixtures of the Meta publishing tests: the providers pointed at the sandbox, the page token
of the florist's Page (which also serves its Instagram account), and a host for the media."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from growth_manager.providers.base import ProviderConfig
from growth_manager.providers.meta import FacebookProvider, InstagramProvider
from tests.providers.meta.publishing import Sandbox, page_token
from tests.sandbox.meta import helpers as h
from tests.support.media_server import MediaHost, media_host
from tests.support.sandbox import SandboxHandle


@pytest.fixture(scope="session")
def media_files() -> Iterator[MediaHost]:
    """Where the posts' media really is: the sandbox downloads it as Meta does."""
    with media_host() as host:
        yield host


def _config(sandbox: SandboxHandle) -> ProviderConfig:
    return ProviderConfig(
        client_id=h.APP_ID,
        client_secret=h.APP_SECRET,
        redirect_uri=h.REDIRECT_URI,
        api_base=f"{sandbox.url}/graph.facebook.com",
        auth_base=f"{sandbox.url}/www.facebook.com",
        api_version=h.VERSION,
        timeout_seconds=5.0,
        is_sandbox=True,
    )


@pytest.fixture
def meta(fresh_sandbox: SandboxHandle) -> Iterator[Sandbox]:
    """A fresh sandbox, a client on it, and the florist Page's token from a real login."""
    with h.client(fresh_sandbox) as http:
        yield Sandbox(fresh_sandbox, http, page_token(h.login(http)))


@pytest.fixture
def facebook(fresh_sandbox: SandboxHandle) -> Iterator[FacebookProvider]:
    provider = FacebookProvider(_config(fresh_sandbox))
    yield provider
    provider.http.close()


@pytest.fixture
def instagram(fresh_sandbox: SandboxHandle) -> Iterator[InstagramProvider]:
    provider = InstagramProvider(_config(fresh_sandbox))
    yield provider
    provider.http.close()
