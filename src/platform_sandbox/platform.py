"""What every emulated platform plugs into the sandbox app.

A platform module (``x``, ``linkedin``, ``meta``) exposes ``PLATFORM: Platform``. The app mounts
its routers under each of its host prefixes, the control plane calls ``seed`` after a reset and
``accounts`` for the ground-truth listing, and fault injection uses ``error_response`` to answer
with the platform's real error body for a given HTTP status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from platform_sandbox.clock import Clock
from platform_sandbox.store import Store


@dataclass
class SandboxContext:
    """Shared by every request handler via ``request.app.state.sandbox``."""

    store: Store
    clock: Clock
    seed: int
    # Rate-limit overrides and other knobs set through the control plane: platform -> key -> value.
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    # In-memory state that is not worth persisting (rate-limit windows, fault rules): every
    # entry is dropped by a reset, so tests never inherit a neighbour's exhausted window.
    runtime: dict[str, Any] = field(default_factory=dict)


def context(request: Request) -> SandboxContext:
    ctx: SandboxContext = request.app.state.sandbox
    return ctx


class ErrorResponder(Protocol):
    def __call__(self, status: int, message: str | None = None) -> Response: ...


@dataclass(frozen=True)
class NewAccounts:
    """What ``POST /_sandbox/accounts`` asks of a platform."""

    count: int
    posts: int
    days: int
    name: str
    owner: str | None = None  # the person given a role on new pages (LinkedIn, Meta)
    instagram: bool = True  # Meta: link an Instagram business account to each new Page


@dataclass(frozen=True)
class NewCompetitor:
    """What ``POST /_sandbox/competitors`` asks of a platform: someone else's account, found
    by ``username``, with ``posts`` past posts over ``days``. ``kind``: ``public`` (X) or
    ``business`` (Instagram) can be read; ``protected`` and ``suspended`` (X) and
    ``personal`` (Instagram) are what the platform hides."""

    username: str
    name: str
    kind: str
    posts: int
    days: int


class CompetitorMaker(Protocol):
    def __call__(
        self, session: Session, ctx: SandboxContext, spec: NewCompetitor
    ) -> dict[str, Any]: ...


class AccountMaker(Protocol):
    def __call__(
        self, session: Session, ctx: SandboxContext, spec: NewAccounts
    ) -> list[dict[str, Any]]: ...


@dataclass
class Platform:
    name: str  # "x", "linkedin", "meta"
    # host prefix (e.g. "api.x.com") -> router mounted under "/{prefix}"
    routers: dict[str, APIRouter]
    # Seeds the platform's simulated accounts, the default demo app and their history.
    seed: Callable[[Session, SandboxContext], None]
    # Ground truth: every simulated account with its hidden best posting window.
    accounts: Callable[[Session, SandboxContext], list[dict[str, Any]]]
    # The platform's real error body for a status (used by fault injection).
    error_response: ErrorResponder
    # Control plane: adds ``count`` accounts with ``posts`` past posts each (and whatever the
    # platform needs around them: roles, linked accounts); returns what it created.
    create_accounts: AccountMaker | None = None
    # Control plane: adds someone else's account (a competitor) by name; returns it. Its
    # ``kinds`` are the ones it knows.
    create_competitor: CompetitorMaker | None = None
    competitor_kinds: tuple[str, ...] = ()
