"""The Insights page is a list of sections, each owned by the module that computes it.

A module registers its section with :func:`section`; the page (:mod:`.pages`) renders every
registered section in ``order`` with the filters the visitor chose. A section's ``context``
returns what its template needs; its template is a partial under ``insights/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from growth_manager.analytics.queries import Period
from growth_manager.business.access import BusinessAccess


@dataclass(frozen=True)
class Filters:
    """What the visitor asked for: a period, platforms (empty: all) and the business's zone;
    ``params`` the page's query string, for a section's own settings."""

    period: Period
    platforms: Sequence[str]
    zone: ZoneInfo
    params: Mapping[str, str] = field(default_factory=dict)


Context = Callable[[Session, BusinessAccess, Filters], dict[str, Any]]


@dataclass(frozen=True)
class Section:
    key: str  # the anchor (#key) and data-testid of the section
    title: str
    template: str  # a partial under templates/insights/
    context: Context
    order: int


SECTIONS: dict[str, Section] = {}


def section(key: str, title: str, template: str, order: int) -> Callable[[Context], Context]:
    """Register the decorated function as the context of the section ``key``."""

    def register(context: Context) -> Context:
        SECTIONS[key] = Section(key, title, template, context, order)
        return context

    return register


def ordered() -> list[Section]:
    return sorted(SECTIONS.values(), key=lambda s: (s.order, s.key))
