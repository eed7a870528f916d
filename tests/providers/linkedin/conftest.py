"""LinkedIn publishing against the live sandbox: the provider configured with the sandbox's
host-named prefixes, as the product configures it when no LinkedIn app is set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from growth_manager.providers.base import ProviderConfig
from growth_manager.providers.linkedin import LinkedInProvider
from tests.providers.linkedin.support import LinkedIn
from tests.sandbox.linkedin.helpers import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    client,
    current_version,
)
from tests.support.sandbox import SandboxHandle


@pytest.fixture
def linkedin(fresh_sandbox: SandboxHandle, tmp_path: Path) -> Iterator[LinkedIn]:
    config = ProviderConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri=REDIRECT_URI,
        api_base=f"{fresh_sandbox.url}/api.linkedin.com",
        auth_base=f"{fresh_sandbox.url}/www.linkedin.com",
        api_version=current_version(fresh_sandbox),
        timeout_seconds=10.0,
        is_sandbox=True,
    )
    provider = LinkedInProvider(config)
    with client(fresh_sandbox) as http:
        yield LinkedIn(fresh_sandbox, provider, http, tmp_path)
    provider.http.close()
