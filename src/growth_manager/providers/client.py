"""The HTTP client every provider uses: timeouts on every call, one classification point (the
platform's own classifier), and the rate-limit budget of every response handed to whoever
asked to watch it."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

import httpx2

from growth_manager.providers.base import Descriptor, PlatformKey, ProviderConfig
from growth_manager.providers.errors import ProviderError
from growth_manager.providers.http import Classifier, RateLimitParser, RateLimitState, send

RateLimitObserver = Callable[[list[RateLimitState]], None]


def no_rate_limits(platform: str, response: httpx2.Response) -> list[RateLimitState]:
    """For platforms that report no budgets in their headers."""
    return []


_shared: dict[tuple[int, float], httpx2.Client] = {}
_shared_lock = threading.Lock()


def shared_client(timeout_seconds: float) -> httpx2.Client:
    """One pooled client per process (and timeout): a provider is built per call, but its TCP
    and TLS connections are kept, so a platform call costs one round trip, not a handshake.
    Keyed by the process id too, so a forked worker never shares a parent's sockets."""
    key = (os.getpid(), timeout_seconds)
    client = _shared.get(key)
    if client is None:
        with _shared_lock:
            client = _shared.get(key)
            if client is None:
                client = httpx2.Client(
                    timeout=httpx2.Timeout(timeout_seconds, connect=5.0),
                    limits=httpx2.Limits(max_connections=200, max_keepalive_connections=100),
                )
                _shared[key] = client
    return client


class PlatformHttp:
    def __init__(
        self,
        platform: str,
        timeout_seconds: float,
        classify: Classifier,
        parse_rate_limits: RateLimitParser = no_rate_limits,
        on_rate_limits: RateLimitObserver | None = None,
        transport: httpx2.BaseTransport | None = None,
    ) -> None:
        self.platform = platform
        self.classify = classify
        self.parse_rate_limits = parse_rate_limits
        self.on_rate_limits = on_rate_limits
        self._owned = transport is not None
        self._client = (
            httpx2.Client(timeout=httpx2.Timeout(timeout_seconds, connect=5.0), transport=transport)
            if transport is not None
            else shared_client(timeout_seconds)
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx2.Response:
        request = self._client.build_request(method, url, **kwargs)
        return send(self._client, self.platform, request, self.classify, observe=self._observe)

    def _observe(self, response: httpx2.Response) -> None:
        if self.on_rate_limits is None:
            return
        states = self.parse_rate_limits(self.platform, response)
        if states:
            self.on_rate_limits(states)

    def close(self) -> None:
        if self._owned:  # the shared client lives as long as the process
            self._client.close()


class HttpProvider:
    """What every provider shares: its config and one HTTP client that reports budgets.

    A platform's provider class sets its ``descriptor`` and its ``classify`` and
    ``parse_rate_limits`` (as ``staticmethod``); the registry knows the platform by them."""

    descriptor: ClassVar[Descriptor]
    platform: ClassVar[PlatformKey]

    @staticmethod
    def classify(platform: str, response: httpx2.Response, now: datetime) -> ProviderError:
        """The platform's outcome for a non-2xx response (see :data:`http.Classifier`)."""
        raise NotImplementedError

    @staticmethod
    def parse_rate_limits(platform: str, response: httpx2.Response) -> list[RateLimitState]:
        """Every budget the response reports; none unless the platform sends budgets."""
        return no_rate_limits(platform, response)

    def __init__(
        self,
        config: ProviderConfig,
        on_rate_limits: RateLimitObserver | None = None,
        http: PlatformHttp | None = None,
    ) -> None:
        self.config = config
        self.http = http or PlatformHttp(
            self.platform,
            config.timeout_seconds,
            type(self).classify,
            type(self).parse_rate_limits,
            on_rate_limits,
        )
