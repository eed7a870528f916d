"""The HTTP client every provider uses: timeouts on every call, one classification point,
and the rate-limit budget of every response handed to whoever asked to watch it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2

from growth_manager.providers.base import Descriptor, PlatformKey, ProviderConfig
from growth_manager.providers.http import RateLimitState, parse_rate_limits, send

RateLimitObserver = Callable[[list[RateLimitState]], None]


class PlatformHttp:
    def __init__(
        self,
        platform: str,
        timeout_seconds: float,
        on_rate_limits: RateLimitObserver | None = None,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        self.platform = platform
        self.on_rate_limits = on_rate_limits
        self._client = httpx2.Client(
            timeout=httpx2.Timeout(timeout_seconds, connect=5.0), transport=transport
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        request = self._client.build_request(method, url, **kwargs)
        return send(self._client, self.platform, request, observe=self._observe)

    def _observe(self, response: httpx2.Response) -> None:
        if self.on_rate_limits is None:
            return
        states = parse_rate_limits(self.platform, response)
        if states:
            self.on_rate_limits(states)

    def close(self) -> None:
        self._client.close()


class HttpProvider:
    """What every provider shares: its config and one HTTP client that reports budgets."""

    descriptor: Descriptor
    platform: PlatformKey

    def __init__(
        self,
        config: ProviderConfig,
        on_rate_limits: RateLimitObserver | None = None,
        http: PlatformHttp | None = None,
    ) -> None:
        self.config = config
        self.http = http or PlatformHttp(self.platform, config.timeout_seconds, on_rate_limits)
