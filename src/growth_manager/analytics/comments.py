"""Comment sync: the comments and replies under an account's recent posts, scored on arrival.

Part of the account's sync (``sync.Syncer.sync_account``), after its posts' numbers: which posts
to read comes from those numbers. A post is read when the platform's comment count moved since
its comments were last read (``remote_post.comments_seen``; never read: when the count differs
from the comments stored), so an old post that gets a new comment is read again and a quiet
one costs nothing, even when the account's own replies (not stored) keep the count above the
stored comments. A post of the last :data:`WINDOW` whose platform reports no comment count is
read every time. A platform whose read reaches back only so far (X's recent search: 7 days,
``Descriptor.comments_window``) is not asked about older posts.

Comments ride on the scheduled syncs only (hourly, ``analytics.sync_all_businesses``): a comment
read costs a request per post and page, so the import on connect and a "Sync now" stay as cheap
as their numbers (a few batched requests) and come back quickly; the next scheduled sync reads
the comments of what they found.

Reads go ``Descriptor.comments_batch`` posts at a time: Graph answers the comments of 50 posts
in one request; X and LinkedIn one post's per request, so reading their posts one by one costs
no extra request and lets the budget be looked at between any two of them. Before each read
the budget of the platform's comments endpoint
(``Descriptor.comments_endpoint``) is checked like the metrics budget, and a spent budget or a
429 stops the comment sync of the account until the next sync (the rest is deferred, never
hammered). Comments are upserted by ``(account, remote id)``: a re-sync updates text, likes
and score, and never adds a comment twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import func, select, update

from growth_manager.insights import sentiment
from growth_manager.kit.clock import utcnow
from growth_manager.models.analytics import RemotePost, SyncTrigger
from growth_manager.models.comments import RemoteComment
from growth_manager.providers.base import (
    AccountRef,
    FoundComment,
    PostComments,
    SocialProvider,
    TokenSet,
)
from growth_manager.providers.registry import descriptor

if TYPE_CHECKING:
    from growth_manager.analytics.sync import Syncer, Tally, Work

log = structlog.get_logger(__name__)

WINDOW = timedelta(days=30)


def due_posts(syncer: Syncer, work: Work, now: datetime) -> list[tuple[int, str, int | None]]:
    """(row id, remote id, the platform's comment count) of the posts whose comments this sync
    reads, newest first: those whose count moved since their comments were last read (or,
    never read, that have comments not stored), and the recent ones that report no count. A
    platform whose read reaches back only so far (``Descriptor.comments_window``) is not asked
    about older posts."""
    reach = descriptor(work.platform).comments_window
    with syncer.database.read_session() as session:
        counts = session.execute(
            select(RemoteComment.remote_post_id, func.count(RemoteComment.id))
            .where(RemoteComment.social_account_id == work.account_id)
            .group_by(RemoteComment.remote_post_id)
        )
        stored = {int(post_id): int(count) for post_id, count in counts}
        query = select(
            RemotePost.id,
            RemotePost.remote_id,
            RemotePost.published_at,
            RemotePost.latest,
            RemotePost.comments_seen,
        ).where(
            RemotePost.social_account_id == work.account_id,
            RemotePost.gone_reason.is_(None),
        )
        if reach is not None:
            query = query.where(RemotePost.published_at >= now - reach)
        posts = session.execute(query.order_by(RemotePost.published_at.desc()))
        due: list[tuple[int, str, int | None]] = []
        for row_id, remote_id, published_at, latest, seen in posts:
            count = (latest or {}).get("comments")
            if isinstance(count, int | float) and not isinstance(count, bool):
                now_count = int(count)
                if seen is not None:
                    moved = now_count != seen
                else:
                    known = stored.get(row_id, 0)
                    moved = now_count != known and (now_count > 0 or known > 0)
                if moved:
                    due.append((row_id, remote_id, now_count))
            elif published_at >= now - WINDOW:
                due.append((row_id, remote_id, None))
        return due


def sync_comments(syncer: Syncer, work: Work, tally: Tally) -> None:
    """Reads and stores the comments of the account's due posts (see the module's words)."""
    from growth_manager.analytics.sync import _bump_run

    if work.trigger != SyncTrigger.schedule:
        return
    now = utcnow()
    due = due_posts(syncer, work, now)
    pattern = descriptor(work.platform).comments_endpoint
    size = max(1, descriptor(work.platform).comments_batch)
    read = stored = 0
    for start in range(0, len(due), size):
        blocked = syncer._blocked_until(work, utcnow(), pattern)
        if blocked is not None:
            tally.deferred_until = tally.deferred_until or blocked
            tally.error(
                "the platform's rate limit for comments is spent; comments wait until "
                f"{blocked.isoformat(timespec='seconds')}",
                account_id=work.account_id,
                code="rate_limited",
            )
            break
        chunk = due[start : start + size]
        ids = [remote_id for _, remote_id, _ in chunk]
        answer = syncer._call(work, tally, _read(work.ref, ids))
        if answer is None:
            continue
        tally.api_calls += answer.calls
        read += len(answer.comments)
        with syncer.database.session() as session:
            rows = {remote: row for row, remote, _ in chunk}
            stored += upsert(session, work, rows, answer.comments)
            _mark_seen(
                session,
                [(row, count) for row, remote, count in chunk if remote not in answer.missing],
            )
            _bump_run(session, work.run_id, api_calls=answer.calls)
    log.info(
        "analytics.comments.synced",
        account_id=work.account_id,
        posts=len(due),
        comments=read,
        new=stored,
    )


def _mark_seen(session: Any, seen: Sequence[tuple[int, int | None]]) -> None:
    """Remembers the comment count each read post had, so it is read again only when it moves."""
    for row_id, count in seen:
        if count is not None:
            session.execute(
                update(RemotePost).where(RemotePost.id == row_id).values(comments_seen=count)
            )


def _read(ref: AccountRef, ids: list[str]) -> Callable[[SocialProvider, TokenSet], PostComments]:
    return lambda provider, token: provider.post_comments(ref, token, ids)


def upsert(
    session: Any, work: Work, post_rows: dict[str, int], found: Sequence[FoundComment]
) -> int:
    """Stores ``found`` (insert or update by remote id); returns how many were new."""
    if not found:
        return 0
    existing = {
        row.remote_id: row
        for row in session.scalars(
            select(RemoteComment).where(
                RemoteComment.social_account_id == work.account_id,
                RemoteComment.remote_id.in_([c.remote_id for c in found]),
            )
        )
    }
    posts = {
        post.id: post
        for post in session.scalars(
            select(RemotePost).where(RemotePost.id.in_(list(post_rows.values())))
        )
    }
    created = 0
    for comment in found:
        post_row = post_rows.get(comment.post_remote_id)
        if post_row is None:
            continue
        compound, label = sentiment.score(comment.text)
        post = posts.get(post_row)
        values = {
            "remote_post_id": post_row,
            "parent_remote_id": comment.parent_remote_id,
            "author_name": comment.author_name,
            "author_handle": comment.author_handle,
            "text": comment.text,
            "commented_at": comment.created_at,
            "like_count": comment.like_count,
            "permalink": comment.permalink or (post.remote_url if post else None),
            "sentiment": compound,
            "label": label,
            "scored_with": sentiment.scored_with(),
        }
        row = existing.get(comment.remote_id)
        if row is None:
            row = RemoteComment(
                business_id=work.business_id,
                social_account_id=work.account_id,
                platform=work.platform,
                remote_id=comment.remote_id,
                **values,
            )
            session.add(row)
            existing[comment.remote_id] = row
            created += 1
        else:
            for name, value in values.items():
                setattr(row, name, value)
    session.flush()
    return created
