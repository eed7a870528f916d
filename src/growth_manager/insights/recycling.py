"""Content worth posting again: past top performers that are evergreen, old enough, and not
reposted lately, ranked by how far they beat their account's usual engagement; and the one
action on them, a refreshed copy put in the account's queue through the publishing service.

**Top performer.** A post's performance multiple is its engagement over its account's median
(:func:`growth_manager.insights.works.multiples`, over all the account's synced posts); a
suggestion needs at least ``min_multiple`` (default :data:`MIN_MULTIPLE`).

**Evergreen** (:func:`time_bound`) is a heuristic on the text, and says why a post is not:
a date (a month name next to a number, 12/05, 2026-05-12, a year such as 2025), a weekday or
a relative time ("today", "tonight", "tomorrow", "this week", "next month", …), a sale or
limited offer ("sale", "% off", "discount", "promo code", "limited", "last chance", "ends",
"giveaway", …), or wording about an event that is over ("last night", "yesterday", "thanks
for coming", "recap", "was a blast", …). It errs on the side of leaving a post out.

**Old enough.** Published at least ``min_age_days`` ago (default :data:`MIN_AGE_DAYS`).

**Not reposted recently.** No post of the same account in the last ``repost_window_days``
(default :data:`REPOST_WINDOW_DAYS`), nor one scheduled in the product for later, whose text
is nearly the same (:func:`similarity` at least :data:`SIMILAR`: difflib's ratio on the texts
lowercased, whitespace collapsed and any recycling opener removed). The same rule keeps a
double click from queueing two copies: the second finds the first.

**Refresh.** :data:`refresher` turns the old text into the new one; the default
(:func:`refresh_opening`) is deterministic: it puts an opening phrase in front (a different
one if the text already starts with one) and keeps every hashtag and link. It is one
function so an AI rewrite can replace it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from growth_manager.business.access import BusinessAccess
from growth_manager.errors import Conflict, NotFound
from growth_manager.insights import posts, sections, works
from growth_manager.insights.posts import PostFacts
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.models.analytics import RemotePost
from growth_manager.models.business import Role
from growth_manager.models.publishing import PostTarget, TargetStatus
from growth_manager.providers.registry import descriptor, is_platform
from growth_manager.publishing.schemas import ScheduleRequestBody
from growth_manager.publishing.service import Composed, account_label, publishing

MIN_AGE_DAYS = 60
MAX_AGE_DAYS = 3650
REPOST_WINDOW_DAYS = 30
MIN_MULTIPLE = 1.5
LIMIT = 10
SIMILAR = 0.8

OPENERS = (
    "In case you missed it: ",
    "Worth another look: ",
    "From the archive: ",
    "One of our favourites: ",
    "Back by popular demand: ",
)

MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
TIME_BOUND: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "a date",
        re.compile(
            rf"\b(?:(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\d{{1,2}}(?:st|nd|rd|th)?\s+"
            rf"(?:of\s+)?(?:{MONTHS})\b|\d{{1,2}}[/.]\d{{1,2}}(?:[/.]\d{{2,4}})?\b|"
            r"\d{4}-\d{2}-\d{2}|(?:19|20)\d{2}\b)",
            re.IGNORECASE,
        ),
    ),
    (
        "a day or time that passes",
        re.compile(
            r"\b(?:today|tonight|tomorrow|this (?:morning|afternoon|evening|week(?:end)?|"
            r"month|year|season)|next (?:week|month|year|weekend)|right now|"
            r"(?:mon|tues|wednes|thurs|fri|satur|sun)days?|"
            r"(?:christmas|easter|halloween|black friday|cyber monday|new year)\b)",
            re.IGNORECASE,
        ),
    ),
    (
        "a sale or limited offer",
        re.compile(
            r"(?:\b(?:sale|discount(?:s|ed)?|promo(?:tion)?s?|coupon|voucher|limited|"
            r"last chance|ends? (?:soon|on|at|today|tonight|sunday)|only until|until midnight|"
            r"while stocks? lasts?|giveaway|flash|deadline|hurry|deal of the)\b|\d+\s?% off)",
            re.IGNORECASE,
        ),
    ),
    (
        "an event that is over",
        re.compile(
            r"\b(?:yesterday|last (?:night|week|weekend|month|year)|thanks? (?:you )?(?:to "
            r"everyone who|for coming|all for coming)|recap|was a blast|what a (?:day|night|"
            r"week|weekend)|we had a|just (?:finished|wrapped)|earlier today)\b",
            re.IGNORECASE,
        ),
    ),
)

SPACES = re.compile(r"\s+")

Refresher = Callable[[str, int], str]


def time_bound(text: str) -> list[str]:
    """Why the text is tied to a moment (empty: it is evergreen)."""
    return [reason for reason, pattern in TIME_BOUND if pattern.search(text)]


def strip_opener(text: str) -> str:
    for opener in OPENERS:
        if text.startswith(opener):
            return text[len(opener) :]
    return text


def normalised(text: str) -> str:
    return SPACES.sub(" ", strip_opener(text.strip())).strip().lower()


def similarity(a: str, b: str) -> float:
    """0..1: how nearly the same two texts are (recycling openers and case ignored)."""
    left, right = normalised(a), normalised(b)
    if not left and not right:
        return 1.0
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    if matcher.real_quick_ratio() < SIMILAR or matcher.quick_ratio() < SIMILAR:
        return matcher.quick_ratio()
    return matcher.ratio()


def refresh_opening(text: str, variant: int, fits: Callable[[str], bool] | None = None) -> str:
    """The text with a new opening phrase (the next one if it already has one), hashtags and
    links untouched: the first phrase, from ``variant`` on, whose result ``fits``."""
    body = text.strip()
    used = next((i for i, o in enumerate(OPENERS) if body.startswith(o)), None)
    body = strip_opener(body)
    start = (used + 1) if used is not None else variant
    for step in range(len(OPENERS)):
        index = (start + step) % len(OPENERS)
        if used is not None and index == used:
            continue
        candidate = OPENERS[index] + body
        if fits is None or fits(candidate):
            return candidate
    return body


def _refresh(text: str, variant: int) -> str:
    return refresh_opening(text, variant)


# The function writing the new copy (text, a number to vary by) → text; swap it for a rewrite.
refresher: Refresher = _refresh


def refreshed(fact: PostFacts) -> str:
    """The copy's text; when the refresher's is too long for the platform (counted its way),
    the deterministic refresh that fits."""
    text = refresher(fact.text, fact.remote_post_id)
    if is_platform(fact.platform):
        described = descriptor(fact.platform)

        def fits(candidate: str) -> bool:
            return described.count_text(candidate) <= described.text_limit

        if not fits(text):
            text = refresh_opening(fact.text, fact.remote_post_id, fits)
    return text


@dataclass(frozen=True)
class Suggestion:
    fact: PostFacts
    multiple: float
    age_days: int
    refreshed_text: str


@dataclass
class Recycling:
    suggestions: list[Suggestion]
    considered: int  # top performers old enough
    time_bound: int  # of them, left out as not evergreen
    reposted: int  # of them, left out as reposted (or queued) lately
    settings: dict[str, float]
    notes: list[str] = field(default_factory=list)


def _recent_texts(
    session: Session, account_ids: Sequence[int], since: datetime
) -> dict[int, list[tuple[str, str]]]:
    """Per account, (what, text) of every post since ``since``: synced ones and those the
    product publishes or will publish (cancelled and failed ones aside)."""
    out: dict[int, list[tuple[str, str]]] = {account_id: [] for account_id in account_ids}
    if not account_ids:
        return out
    synced = session.execute(
        select(RemotePost.social_account_id, RemotePost.id, RemotePost.text).where(
            RemotePost.social_account_id.in_(account_ids),
            RemotePost.published_at >= since,
            RemotePost.gone_reason.is_(None),
        )
    )
    for account_id, remote_id, text in synced:
        out[account_id].append((f"remote:{remote_id}", text or ""))
    planned = session.execute(
        select(PostTarget.social_account_id, PostTarget.post_id, PostTarget.parts).where(
            PostTarget.social_account_id.in_(account_ids),
            PostTarget.scheduled_at >= since,
            PostTarget.status.not_in([TargetStatus.cancelled, TargetStatus.failed]),
        )
    )
    for account_id, post_id, parts in planned:
        text = "\n\n".join(str(p) for p in parts or [])
        out[account_id].append((f"post:{post_id}", text))
    return out


def _twin(fact: PostFacts, recent: Sequence[tuple[str, str]]) -> str | None:
    for what, text in recent:
        if what == f"remote:{fact.remote_post_id}":
            continue
        if similarity(fact.text, text) >= SIMILAR:
            return what
    return None


def suggest(
    session: Session,
    business_id: int,
    now: datetime,
    *,
    platforms: Sequence[str] = (),
    min_age_days: int = MIN_AGE_DAYS,
    repost_window_days: int = REPOST_WINDOW_DAYS,
    min_multiple: float = MIN_MULTIPLE,
    limit: int = LIMIT,
) -> Recycling:
    facts = posts.load(session, business_id, platforms=platforms)
    scores = works.multiples(facts)
    cutoff = now - timedelta(days=min_age_days)
    candidates = [
        f
        for f in facts
        if f.published_at <= cutoff
        and scores.get(f.remote_post_id, 0.0) >= min_multiple
        and f.text.strip()
    ]
    evergreen = [f for f in candidates if not time_bound(f.text)]
    recent = _recent_texts(
        session,
        sorted({f.account_id for f in evergreen}),
        now - timedelta(days=repost_window_days),
    )
    fresh = [f for f in evergreen if _twin(f, recent[f.account_id]) is None]
    fresh.sort(key=lambda f: (-scores[f.remote_post_id], f.published_at))
    suggestions = [
        Suggestion(
            fact=f,
            multiple=scores[f.remote_post_id],
            age_days=(now - f.published_at).days,
            refreshed_text=refreshed(f),
        )
        for f in fresh[:limit]
    ]
    notes: list[str] = []
    if not scores:
        notes.append(
            "No account has enough rated posts yet to tell its top performers "
            f"(each needs {works.MIN_ACCOUNT_POSTS})."
        )
    elif not suggestions:
        notes.append(
            f"Nothing to recycle: no evergreen post older than {min_age_days} days did "
            f"{min_multiple:g}× its account's usual engagement without a repost in the last "
            f"{repost_window_days} days."
        )
    return Recycling(
        suggestions=suggestions,
        considered=len(candidates),
        time_bound=len(candidates) - len(evergreen),
        reposted=len(evergreen) - len(fresh),
        settings={
            "min_age_days": min_age_days,
            "repost_window_days": repost_window_days,
            "min_multiple": min_multiple,
            "limit": limit,
        },
        notes=notes,
    )


class AlreadyQueued(Conflict):
    type = "already_reposted"


@dataclass
class Queued:
    composed: Composed
    source: PostFacts
    slot: datetime


def queue_copy(
    session: Session,
    access: BusinessAccess,
    remote_post_id: int,
    now: datetime,
    *,
    repost_window_days: int = REPOST_WINDOW_DAYS,
) -> Queued:
    """A refreshed copy of the post, for its account, at the account's next free queue slot,
    composed by the publishing service. Refused (409) when a nearly identical post of the
    account went out in the window or is already planned (a second click finds the first)."""
    access.require(Role.editor)
    remote = session.get(RemotePost, remote_post_id)
    if remote is None or remote.business_id != access.business.id:
        raise NotFound(f"Post {remote_post_id} was not found in this business's synced posts.")
    # One recycle of an account at a time: on PostgreSQL the account row is locked until the
    # transaction ends (SQLite's write transactions already take turns).
    account = session.scalars(
        select(SocialAccount).where(SocialAccount.id == remote.social_account_id).with_for_update()
    ).first()
    if account is None or account.status is AccountStatus.disconnected:
        raise NotFound(f"The account that published post {remote_post_id} is no longer connected.")
    fact = next(
        (
            f
            for f in posts.load(session, access.business.id, account_ids=[account.id])
            if f.remote_post_id == remote_post_id
        ),
        None,
    )
    if fact is None:
        raise NotFound(f"Post {remote_post_id} is gone from the platform.")
    since = now - timedelta(days=repost_window_days)
    twin = _twin(fact, _recent_texts(session, [account.id], since)[account.id])
    if twin is not None:
        kind, ident = twin.split(":")
        where = f"post {ident} of the product" if kind == "post" else f"synced post {ident}"
        raise AlreadyQueued(
            f"A nearly identical copy ({where}) is already queued or went out in the last "
            f"{repost_window_days} days; it is not queued twice."
        )
    media_ids: list[int] = []
    if remote.post_target_id is not None:
        target = session.get(PostTarget, remote.post_target_id)
        if target is not None:
            media_ids = [int(i) for i in target.media_ids]
    body = ScheduleRequestBody(
        business_id=access.business.id,
        text=refreshed(fact),
        title=f"Recycled: {fact.text[:60]}".strip(),
        account_ids=[account.id],
        media_ids=media_ids,
        queue=True,
    )
    composed = publishing.compose(session, access, body, now=now)
    if fact.media_kind and not media_ids:
        composed.notes.append(
            f"The original had {fact.media_kind} media that stays on the platform; attach it "
            "to the copy before it goes out."
        )
    return Queued(composed=composed, source=fact, slot=composed.targets[0].scheduled_at)


@sections.section("recycling", "Worth posting again", "_recycling.html", order=70)
def recycling_section(
    session: Session, access: BusinessAccess, filters: sections.Filters
) -> dict[str, Any]:
    """All the business's history (older than the age), not the page's period: a post worth
    recycling is by definition from before it. The age comes from the page's
    ``min_age_days`` (the section's own form)."""
    raw = filters.params.get("min_age_days", "")
    problem = None
    min_age = MIN_AGE_DAYS
    if raw:
        if raw.isdigit() and int(raw) <= MAX_AGE_DAYS:
            min_age = int(raw)
        else:
            problem = (
                f"min_age_days must be a whole number of days from 0 to {MAX_AGE_DAYS}; "
                f"got {raw!r}. Showing posts older than {MIN_AGE_DAYS} days."
            )
    result = suggest(
        session, access.business.id, utcnow(), platforms=filters.platforms, min_age_days=min_age
    )
    return {
        "problem": problem,
        "result": result,
        "can_queue": access.can(Role.editor),
        "labels": {
            s.fact.account_id: _label(session, s.fact.account_id) for s in result.suggestions
        },
    }


def _label(session: Session, account_id: int) -> str:
    account = session.get(SocialAccount, account_id)
    return account_label(account) if account is not None else f"account {account_id}"
