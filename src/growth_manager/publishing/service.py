"""Publishing rules: compose a post for a set of accounts, validate it per account, schedule it
(a time, the queue, or now), change or cancel what has not started, and derive a post's status
from its targets. Services flush; the boundary commits. The publish-now job is enqueued after
commit, so a worker never looks for a target that isn't there yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session, lazyload

from growth_manager.business.access import BusinessAccess
from growth_manager.content import rules
from growth_manager.content.repository import content_repository
from growth_manager.errors import AppError, Conflict, InvalidInput, NotFound
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.models.business import Role, Strategy
from growth_manager.models.content import MediaAsset, MediaKind, Post, PostMedia, PostStatus
from growth_manager.models.publishing import (
    CHANGEABLE,
    PostTarget,
    TargetStatus,
)
from growth_manager.providers.registry import descriptor, is_platform
from growth_manager.publishing import repository, slots, threads, timing
from growth_manager.publishing.schemas import (
    PublishRequestBody,
    ScheduleRequestBody,
    ScheduleUpdateBody,
)

log = structlog.get_logger(__name__)

# A scheduled time this far in the past is a mistake, not a clock difference.
PAST_TOLERANCE = timedelta(minutes=1)
DEFAULT_MIN_GAP = timedelta(minutes=60)
# For an account whose strategy says nothing about its platform.
DEFAULT_CADENCE: dict[str, Any] = {"posts_per_week": 3}


def parse_weekly(stored: Sequence[Any]) -> list[slots.WeeklySlot]:
    """``[[weekday, "HH:MM"], …]`` as stored → (weekday, time) pairs."""
    pattern: list[slots.WeeklySlot] = []
    for day, at in stored:
        hour, minute = str(at).split(":")[:2]
        pattern.append((int(day), time(int(hour), int(minute))))
    return sorted(set(pattern))


class PostInvalid(InvalidInput):
    """What is wrong, per account, part and rule."""

    type = "post_invalid"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class TargetBusy(Conflict):
    type = "target_publishing"


class NoAccounts(AppError):
    status_code = 422
    type = "no_accounts"


@dataclass
class Composed:
    post: Post
    targets: list[PostTarget]
    notes: list[str] = field(default_factory=list)


def account_label(account: SocialAccount) -> str:
    name = f"@{account.username}" if account.username else account.name
    return (
        f"{descriptor(account.platform).display_name} {name}"
        if is_platform(account.platform)
        else name
    )


def derive_status(statuses: Sequence[TargetStatus]) -> PostStatus:
    """A post's status from its targets'."""
    live = [s for s in statuses if s is not TargetStatus.cancelled]
    if not statuses:
        return PostStatus.draft
    if not live:
        return PostStatus.cancelled
    if any(s is TargetStatus.publishing for s in live):
        return PostStatus.publishing
    pending = [s for s in live if s not in (TargetStatus.published, TargetStatus.failed)]
    published = sum(1 for s in live if s is TargetStatus.published)
    failed = sum(1 for s in live if s is TargetStatus.failed)
    if pending:
        return PostStatus.publishing if (published or failed) else PostStatus.scheduled
    if failed and published:
        return PostStatus.partially_failed
    return PostStatus.failed if failed else PostStatus.published


def refresh_post_status(session: Session, post_id: int) -> PostStatus:
    # Runs after every publish: the post's text variants and media are not needed to set its
    # status (left to load if someone reads them), nor the targets' full rows.
    post = session.get(Post, post_id, options=[lazyload(Post.variants), lazyload(Post.media_links)])
    statuses = repository.target_statuses(session, post_id)
    status = derive_status(statuses)
    if post is not None and statuses and post.status != status:
        post.status = status
    return status


class PublishingService:
    # --- compose ---------------------------------------------------------------------------
    def compose(
        self,
        session: Session,
        access: BusinessAccess,
        body: PublishRequestBody,
        *,
        platforms: tuple[str, ...] | None = None,
        now: datetime | None = None,
    ) -> Composed:
        """Create the post and its targets. ``platforms`` limits the default accounts (the
        platform routes); a ScheduleRequestBody brings a time or the queue, else it's now."""
        access.require(Role.editor)
        now = now or utcnow()
        business = access.business
        draft = self._draft(session, business.id, body.draft_id)
        text = body.text or (draft.base_text if draft else "")
        variants = dict(body.variants)
        if draft is not None:
            for variant in draft.variants:
                variants.setdefault(variant.platform.value, variant.text)
        media_ids = list(body.media_ids) or (
            [link.media_id for link in draft.media_links] if draft else []
        )
        media = self._media(session, business.id, media_ids)
        accounts = self._accounts(session, business.id, body.account_ids, platforms)
        problems: list[str] = []
        plans: list[tuple[SocialAccount, list[str]]] = []
        for account in accounts:
            parts = self._parts(account, text, variants, body)
            problems.extend(self._check(account, parts, media, body))
            plans.append((account, parts))
        if problems:
            raise PostInvalid(problems)

        notes: list[str] = []
        origin = "now"
        when: dict[int, datetime] = {}
        if isinstance(body, ScheduleRequestBody) and body.queue:
            origin = "queue"
            for account in accounts:
                when[account.id] = self._next_slot(session, business.timezone, account, now)
        elif isinstance(body, ScheduleRequestBody) and body.scheduled_for:
            origin = "scheduled"
            at = self._parse_time(body.scheduled_for, business.timezone, now, notes)
            when = {account.id: at for account in accounts}
        else:
            when = {account.id: now for account in accounts}

        post = draft or Post(
            business_id=business.id,
            author_id=access.user.id,
            title=body.title,
            base_text=text,
            platforms=sorted({account.platform for account in accounts}),
        )
        if draft is None:
            post.media_links = [
                PostMedia(media_id=asset.id, position=i) for i, asset in enumerate(media)
            ]
            session.add(post)
        elif body.title:
            post.title = body.title
        session.flush()
        targets = []
        for account, parts in plans:
            at = when[account.id]
            target = PostTarget(
                post_id=post.id,
                business_id=business.id,
                social_account_id=account.id,
                platform=account.platform,
                parts=parts,
                media_ids=[asset.id for asset in media],
                first_comment=body.first_comment if self._comments(account) else None,
                link=body.link,
                reel=body.reel,
                scheduled_at=at,
                next_attempt_at=at,
                status=TargetStatus.scheduled,
                origin=origin,
                progress={},
                warnings=[],
            )
            if account.status in (AccountStatus.reauth_required, AccountStatus.disconnected):
                target.status = TargetStatus.paused
                target.status_reason = self.reconnect_reason(account)
                notes.append(f"{account_label(account)}: {target.status_reason}.")
            session.add(target)
            targets.append(target)
        session.flush()
        post.status = derive_status([t.status for t in targets])
        notes.extend(self._gap_notes(session, business.timezone, targets))
        log.info(
            "publishing.post.composed",
            post_id=post.id,
            business_id=business.id,
            targets=len(targets),
            origin=origin,
        )
        return Composed(post=post, targets=targets, notes=notes)

    @staticmethod
    def reconnect_reason(account: SocialAccount) -> str:
        return f"reconnect {account_label(account)} to resume"

    def _draft(self, session: Session, business_id: int, draft_id: int | None) -> Post | None:
        if draft_id is None:
            return None
        draft = content_repository.get_post(session, business_id, draft_id)
        if draft is None:
            raise NotFound(f"Draft {draft_id} was not found in this business.")
        if draft.status is not PostStatus.draft:
            raise Conflict(
                f"Draft {draft_id} is already {draft.status.value.replace('_', ' ')}; "
                "publish a copy of it instead."
            )
        return draft

    def _media(self, session: Session, business_id: int, ids: Sequence[int]) -> list[MediaAsset]:
        found = content_repository.media_by_ids(session, business_id, ids)
        missing = [str(i) for i in ids if i not in found]
        if missing:
            raise NotFound(f"Media {', '.join(missing)} not found in this business; upload it.")
        return [found[i] for i in ids]

    def _accounts(
        self,
        session: Session,
        business_id: int,
        ids: Sequence[int] | None,
        platforms: tuple[str, ...] | None,
    ) -> list[SocialAccount]:
        if ids is not None:
            wanted = list(dict.fromkeys(ids))
            found = {a.id: a for a in repository.accounts(session, business_id, wanted)}
            missing = [str(i) for i in wanted if i not in found]
            if missing:
                raise NotFound(
                    f"Account {', '.join(missing)} is not connected to this business; see "
                    "GET /api/v1/businesses/{id}/accounts."
                )
            chosen = [found[i] for i in wanted]
            gone = [a for a in chosen if a.status is AccountStatus.disconnected]
            if gone:
                raise PostInvalid(
                    [f"{account_label(a)} is disconnected; connect it again first" for a in gone]
                )
            wrong = [a for a in chosen if platforms is not None and a.platform not in platforms]
            if wrong:
                raise PostInvalid(
                    [
                        f"{account_label(a)} is not a {'/'.join(platforms or ())} account; use "
                        "/publish/multi for accounts of several platforms"
                        for a in wrong
                    ]
                )
            return chosen
        chosen = [
            a
            for a in repository.accounts(session, business_id, None)
            if a.status is AccountStatus.active
            and is_platform(a.platform)
            and (platforms is None or a.platform in platforms)
        ]
        if not chosen:
            where = f" on {'/'.join(platforms)}" if platforms else ""
            raise NoAccounts(
                f"This business has no active account{where} to publish to; connect one on the "
                "Connections page (or give account_ids)."
            )
        return chosen

    def _parts(
        self,
        account: SocialAccount,
        text: str,
        variants: dict[str, str],
        body: PublishRequestBody | ScheduleUpdateBody,
    ) -> list[str]:
        described = descriptor(account.platform)
        own = variants.get(account.platform)
        base = own if own is not None else text
        thread = body.thread
        if described.supports_threads:
            if thread and own is None:
                return list(thread)
            split = getattr(body, "split_thread", False)
            if split and described.count_text(base) > described.text_limit:
                return threads.split_thread(
                    base,
                    described.text_limit,
                    count=described.count_text,
                    numbering=getattr(body, "number_parts", False),
                )
        if not base and thread:
            base = "\n\n".join(thread)
        return [base]

    @staticmethod
    def _comments(account: SocialAccount) -> bool:
        return descriptor(account.platform).supports_first_comment

    def _check(
        self,
        account: SocialAccount,
        parts: list[str],
        media: Sequence[MediaAsset],
        body: PublishRequestBody | ScheduleUpdateBody,
    ) -> list[str]:
        label = account_label(account)
        problems: list[str] = []
        if not is_platform(account.platform):
            return [f"{label}: this platform is no longer supported"]
        if not any(parts) and not media:
            problems.append(f"{label}: the post has no text and no media; write something")
        for index, part in enumerate(parts):
            where = f"{label}, part {index + 1} of {len(parts)}" if len(parts) > 1 else label
            problems.extend(f"{where}: {p.message}" for p in rules.validate(account.platform, part))
        kinds = [MediaKind(asset.kind) for asset in media]
        problems.extend(
            f"{label}: {p.message}" for p in rules.validate_media(account.platform, kinds)
        )
        if body.first_comment and not self._comments(account):
            problems.append(
                f"{label}: {descriptor(account.platform).display_name} has no first comment; "
                "leave that account out or remove the first comment"
            )
        return problems

    # --- time --------------------------------------------------------------------------------
    def _parse_time(self, value: str, zone: str, now: datetime, notes: list[str]) -> datetime:
        try:
            scheduled = timing.parse_when(value, zone)
        except ValueError as exc:
            raise PostInvalid([f"scheduled_for: {exc}"]) from exc
        if scheduled.note:
            notes.append(scheduled.note)
        if scheduled.utc < now - PAST_TOLERANCE:
            raise PostInvalid(
                [
                    f"scheduled_for: {value} is in the past; pick a later time or publish now "
                    "(POST /api/v1/publish/multi)"
                ]
            )
        return max(scheduled.utc, now)

    def weekly_slots(
        self, session: Session, account: SocialAccount
    ) -> tuple[list[slots.WeeklySlot], timedelta, bool]:
        """The account's posting slots and gap: its queue settings, else its strategy's cadence
        for the platform (the flag says which)."""
        own = repository.schedule_of(session, account.id)
        gap = timedelta(minutes=own.min_gap_minutes) if own is not None else DEFAULT_MIN_GAP
        if own is not None and own.weekly:
            return parse_weekly(own.weekly), gap, True
        return slots.default_slots(self._cadence(session, account)), gap, False

    def _cadence(self, session: Session, account: SocialAccount) -> dict[str, Any]:
        strategy = content_repository.active_strategy(session, account.business_id)
        cadence = (strategy.cadence if isinstance(strategy, Strategy) else None) or {}
        chosen = cadence.get(account.platform)
        return dict(chosen) if isinstance(chosen, dict) else dict(DEFAULT_CADENCE)

    def next_slots(
        self, session: Session, zone: str, account: SocialAccount, now: datetime, count: int = 1
    ) -> list[datetime]:
        weekly, gap, _own = self.weekly_slots(session, account)
        taken = repository.taken_times(session, account.id, now - gap)
        try:
            return slots.next_free_slots(
                None, zone, now, taken, count=count, min_gap=gap, weekly=weekly
            )
        except ValueError as exc:
            raise PostInvalid([f"{account_label(account)}: {exc}"]) from exc

    def _next_slot(
        self, session: Session, zone: str, account: SocialAccount, now: datetime
    ) -> datetime:
        return self.next_slots(session, zone, account, now)[0]

    def _gap_notes(self, session: Session, zone: str, targets: Sequence[PostTarget]) -> list[str]:
        notes: list[str] = []
        for target in targets:
            if target.social_account_id is None or target.status is not TargetStatus.scheduled:
                continue
            account = session.get(SocialAccount, target.social_account_id)
            if account is None:
                continue
            _weekly, gap, _own = self.weekly_slots(session, account)
            if gap <= timedelta(0):
                continue
            nearby = [
                t
                for t in repository.taken_times(session, account.id, target.scheduled_at - gap)
                if abs(t - target.scheduled_at) < gap and t != target.scheduled_at
            ]
            if nearby:
                minutes = int(
                    min(abs(t - target.scheduled_at) for t in nearby).total_seconds() // 60
                )
                notes.append(
                    f"{account_label(account)} already has a post {minutes} min from this one "
                    f"(the queue keeps {int(gap.total_seconds() // 60)} min between posts)."
                )
        return notes

    # --- change ------------------------------------------------------------------------------
    def post(self, session: Session, access: BusinessAccess, post_id: int) -> Post:
        post = repository.post_of(session, access.business.id, post_id)
        if post is None:
            raise NotFound(f"Post {post_id} was not found in this business.")
        return post

    def targets(self, session: Session, post_id: int) -> list[PostTarget]:
        return repository.targets_of_post(session, post_id)

    def _chosen_targets(
        self, session: Session, post: Post, account_ids: Sequence[int] | None
    ) -> list[PostTarget]:
        targets = repository.targets_of_post(session, post.id)
        if not targets:
            raise Conflict(f"Post {post.id} is a draft with nothing scheduled.")
        if account_ids is not None:
            targets = [t for t in targets if t.social_account_id in set(account_ids)]
            if not targets:
                raise NotFound("None of these accounts is a target of the post.")
        return targets

    def _refuse_started(self, targets: Sequence[PostTarget]) -> list[PostTarget]:
        busy = [t for t in targets if t.status is TargetStatus.publishing]
        if busy:
            raise TargetBusy(
                f"Target {busy[0].id} ({busy[0].platform}) is publishing right now and can't be "
                "changed; wait for it to finish, then look at its result."
            )
        return [t for t in targets if t.status in CHANGEABLE]

    def update(
        self,
        session: Session,
        access: BusinessAccess,
        post_id: int,
        body: ScheduleUpdateBody,
        now: datetime | None = None,
    ) -> Composed:
        access.require(Role.editor)
        now = now or utcnow()
        post = self.post(session, access, post_id)
        targets = self._refuse_started(self._chosen_targets(session, post, body.account_ids))
        if not targets:
            raise Conflict(
                f"Nothing of post {post_id} can change: every chosen target is already "
                "published, failed or cancelled."
            )
        notes: list[str] = []
        values: dict[str, Any] = {}
        if body.scheduled_for is not None:
            at = self._parse_time(body.scheduled_for, access.business.timezone, now, notes)
            values.update(scheduled_at=at, next_attempt_at=at, origin="scheduled")
        problems: list[str] = []
        per_target: dict[int, dict[str, Any]] = {}
        for target in targets:
            changes = dict(values)
            account = (
                session.get(SocialAccount, target.social_account_id)
                if target.social_account_id
                else None
            )
            if account is not None and (body.text is not None or body.thread is not None):
                parts = self._parts(account, body.text or "", {}, body)
                media = self._media(session, access.business.id, list(target.media_ids))
                problems.extend(self._check(account, parts, media, body))
                changes["parts"] = parts
            if body.first_comment is not None and account is not None:
                if not self._comments(account):
                    problems.append(f"{account_label(account)}: this platform has no first comment")
                changes["first_comment"] = body.first_comment or None
            per_target[target.id] = changes
        if problems:
            raise PostInvalid(problems)
        for target in targets:
            # Conditional on the status: a claim that won the race makes this a 409, never a
            # change under a publishing worker's feet.
            if repository.change_targets(session, [target.id], **per_target[target.id]) != 1:
                raise TargetBusy(
                    f"Target {target.id} ({target.platform}) started publishing just now; "
                    "nothing was changed."
                )
        session.expire_all()
        refresh_post_status(session, post.id)
        fresh = repository.targets_of_post(session, post.id)
        notes.extend(self._gap_notes(session, access.business.timezone, fresh))
        return Composed(post=post, targets=fresh, notes=notes)

    def cancel(self, session: Session, access: BusinessAccess, post_id: int) -> Composed:
        """Cancel every target that has not started; published ones keep their history."""
        access.require(Role.editor)
        post = self.post(session, access, post_id)
        targets = self._refuse_started(self._chosen_targets(session, post, None))
        ids = [t.id for t in targets]
        if ids and repository.change_targets(
            session, ids, status=TargetStatus.cancelled, status_reason="cancelled by a person"
        ) != len(ids):
            raise TargetBusy(
                f"A target of post {post_id} started publishing just now; cancel again to stop "
                "the rest."
            )
        session.expire_all()
        refresh_post_status(session, post.id)
        return Composed(post=post, targets=repository.targets_of_post(session, post.id))

    def retry(
        self, session: Session, access: BusinessAccess, target_id: int, now: datetime | None = None
    ) -> PostTarget:
        """Try a failed (or paused) target again now."""
        access.require(Role.editor)
        now = now or utcnow()
        target = repository.target(session, access.business.id, target_id)
        if target is None:
            raise NotFound(f"Target {target_id} was not found in this business.")
        if target.status not in (TargetStatus.failed, TargetStatus.paused, TargetStatus.retrying):
            raise Conflict(
                f"Target {target_id} is {target.status.value}; only a failed, paused or retrying "
                "target can be retried."
            )
        target.status = TargetStatus.scheduled
        target.next_attempt_at = now
        target.attempts = 0
        target.status_reason = "retry asked for by a person"
        session.flush()
        refresh_post_status(session, target.post_id)
        return target

    def delete_post(self, session: Session, access: BusinessAccess, post_id: int) -> None:
        """Forget a post. Refused while a target is publishing; unstarted targets go with it, so
        nothing scheduled can publish afterwards."""
        access.require(Role.editor)
        post = self.post(session, access, post_id)
        pending = [t.id for t in self._refuse_started(repository.targets_of_post(session, post.id))]
        # Cancelled first, conditionally: a claim racing this delete either happened before
        # (then this is a 409) or waits for it and finds nothing to claim.
        if pending and repository.change_targets(
            session, pending, status=TargetStatus.cancelled
        ) != len(pending):
            raise TargetBusy(
                f"A target of post {post_id} started publishing just now; it was not deleted."
            )
        session.delete(post)
        session.flush()


publishing = PublishingService()
