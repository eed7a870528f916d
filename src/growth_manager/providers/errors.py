"""The five outcomes of a failed platform call, shared by every provider and the job layer.

``ReauthRequired``  the token is dead; only the user can fix it (don't retry; mark the account).
``RateLimited``     the platform said "later"; ``retry_after`` seconds (defer, don't hammer).
``Transient``       a blip (5xx, connection refused before sending); retry with backoff.
``Rejected``        the platform refused this request for good; show its words to the user.
``OutcomeUnknown``  the request may have been applied (timeout after sending a write); verify
                    before retrying, never retry blindly.

``NotReady`` is not a failure: the platform is still processing something a publish waits for
(an Instagram container, an X video); come back after ``retry_after`` seconds and resume.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base of classified platform errors. ``message`` is safe to show to a user."""

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(f"{platform}: {message}")
        self.platform = platform
        self.message = message
        self.status = status
        self.code = code
        self.endpoint = endpoint


class ReauthRequired(ProviderError):
    pass


class RateLimited(ProviderError):
    def __init__(
        self,
        platform: str,
        message: str,
        *,
        retry_after: float,
        status: int | None = None,
        code: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(platform, message, status=status, code=code, endpoint=endpoint)
        self.retry_after = max(0.0, retry_after)


class Transient(ProviderError):
    pass


class Rejected(ProviderError):
    pass


class OutcomeUnknown(ProviderError):
    pass


class NotReady(ProviderError):
    """The platform is still processing (a container, an upload): resume after ``retry_after``
    seconds. Not a failure and not counted as an attempt's error."""

    def __init__(
        self,
        platform: str,
        message: str,
        *,
        retry_after: float,
        status: int | None = None,
        code: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(platform, message, status=status, code=code, endpoint=endpoint)
        self.retry_after = max(0.0, retry_after)
