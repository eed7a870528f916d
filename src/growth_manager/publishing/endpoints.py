"""REST API for publishing: publish now, schedule, the queue, the schedule, a post's fate.
Thin: resolve the business and role, call the service, shape the answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from growth_manager.auth.dependencies import DbSession
from growth_manager.business.access import (
    BusinessAccess,
    BusinessEditor,
    BusinessViewer,
    Caller,
    require_business,
    resolve,
)
from growth_manager.errors import Conflict, InvalidInput, NotFound, declares_errors
from growth_manager.idempotency import IdempotencyKey, fingerprint, once
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.business import Role
from growth_manager.models.content import Post
from growth_manager.models.publishing import PostTarget, TargetStatus
from growth_manager.providers.registry import descriptor, is_platform, platforms_named
from growth_manager.publishing import queue as queue_settings
from growth_manager.publishing import repository, threads
from growth_manager.publishing.queue import Queue
from growth_manager.publishing.schemas import (
    MAX_THREAD_PARTS,
    AttemptOut,
    PostOut,
    PublishRequestBody,
    QueueOut,
    QueueSlot,
    QueueUpdate,
    ScheduleList,
    ScheduleRequestBody,
    ScheduleUpdateBody,
    TargetOut,
    ThreadSplitIn,
    ThreadSplitOut,
)
from growth_manager.publishing.service import Composed, publishing
from growth_manager.worker.tasks import enqueue

router = APIRouter(prefix="/api/v1", tags=["publishing"])

CREATED: dict[int | str, dict[str, Any]] = {
    201: {"description": "The post and its targets."},
    404: {"description": "An account, draft or media of the body is not in this business."},
    409: {"description": "The Idempotency-Key was used for another request, or is in flight."},
    422: {"description": "What is wrong, per account, part and rule."},
}


# --- shaping -------------------------------------------------------------------------------------
def target_out(
    target: PostTarget, names: dict[int, str], attempts: list[AttemptOut] | None = None
) -> TargetOut:
    return TargetOut(
        id=target.id,
        post_id=target.post_id,
        account_id=target.social_account_id,
        account_name=names.get(target.social_account_id or 0),
        platform=target.platform,
        status=target.status,
        status_reason=target.status_reason,
        scheduled_for=target.scheduled_at,
        next_attempt_at=target.next_attempt_at
        if target.status in (TargetStatus.scheduled, TargetStatus.retrying)
        else None,
        parts=[str(p) for p in target.parts],
        media_ids=[int(i) for i in target.media_ids],
        first_comment=target.first_comment,
        remote_id=target.remote_id,
        remote_url=target.remote_url,
        last_error=target.last_error,
        warnings=[str(w) for w in target.warnings],
        attempts=target.attempts,
        published_at=target.published_at,
        attempt_log=attempts,
    )


def account_names(session: Session, targets: list[PostTarget]) -> dict[int, str]:
    ids = {t.social_account_id for t in targets if t.social_account_id}
    names: dict[int, str] = {}
    for account_id in ids:
        account = session.get(SocialAccount, account_id)
        if account is not None:
            names[account_id] = f"@{account.username}" if account.username else account.name
    return names


def post_out(
    session: Session,
    post: Post,
    targets: list[PostTarget],
    notes: list[str] | None = None,
    *,
    with_attempts: bool = False,
) -> PostOut:
    names = account_names(session, targets)
    logs: dict[int, list[AttemptOut]] = {}
    if with_attempts:
        for attempt in repository.attempts_of(session, [t.id for t in targets]):
            logs.setdefault(attempt.target_id, []).append(
                AttemptOut(
                    number=attempt.number,
                    started_at=attempt.started_at,
                    finished_at=attempt.finished_at,
                    outcome=attempt.outcome,
                    http_status=attempt.http_status,
                    platform_code=attempt.platform_code,
                    message=attempt.message,
                    duration_ms=attempt.duration_ms,
                    steps=dict(attempt.steps or {}),
                )
            )
    return PostOut(
        id=post.id,
        business_id=post.business_id,
        title=post.title,
        text=post.base_text,
        status=post.status.value,
        created_at=post.created_at,
        targets=[
            target_out(t, names, logs.get(t.id, []) if with_attempts else None) for t in targets
        ],
        notes=notes or [],
    )


def composed_out(session: Session, composed: Composed) -> PostOut:
    return post_out(session, composed.post, composed.targets, composed.notes)


# --- scoping -------------------------------------------------------------------------------------
def _post_access(needed: Role) -> Any:
    @declares_errors(403, 404)
    def dependency(
        request: Request, post_id: int, user: Caller, session: DbSession
    ) -> BusinessAccess:
        business_id = repository.business_of_post(session, post_id)
        try:
            if business_id is None:
                raise NotFound(f"Post {post_id} was not found.")
            return resolve(request, session, user, business_id, needed)
        except NotFound as exc:
            raise NotFound(f"Post {post_id} was not found.") from exc

    dependency.__name__ = f"post_{needed.value}"
    return Depends(dependency)


# The business of the post named by ``post_id`` in the path, and the caller's role in it.
PostViewer = Annotated[BusinessAccess, _post_access(Role.viewer)]
PostEditor = Annotated[BusinessAccess, _post_access(Role.editor)]


def _body_business(session: Session, user: Any, business_id: int) -> BusinessAccess:
    """The business a creating body names (the seed's bodies carry ``business_id``)."""
    return require_business(session, user, business_id, Role.editor)


# --- create --------------------------------------------------------------------------------------
def _create(
    request: Request,
    session: Session,
    user: Any,
    body: PublishRequestBody,
    key: str | None,
    platforms: tuple[str, ...] | None,
) -> JSONResponse:
    access = _body_business(session, user, body.business_id)

    def produce() -> tuple[int, dict[str, Any]]:
        composed = publishing.compose(session, access, body, platforms=platforms)
        if not isinstance(body, ScheduleRequestBody):
            from growth_manager.publishing.tasks import publish_now

            enqueue(session, publish_now, composed.post.id)
        return 201, composed_out(session, composed).model_dump(mode="json")

    return once(
        session,
        user.id,
        key,
        fingerprint(request.method, request.url.path, body.model_dump(mode="json")),
        produce,
    )


@router.post(
    "/publish/{channel}",
    status_code=status.HTTP_201_CREATED,
    response_model=PostOut,
    responses=CREATED,
    summary="Publish now",
    description="Publishes at once to the business's accounts: `channel` is `linkedin`, "
    "`twitter` (or `x`), `meta` (Facebook Pages and Instagram accounts) or `multi` (any "
    "accounts). Without `account_ids`, every active account of the channel. The reply comes "
    "when the post is stored; publishing starts in a worker the same moment: follow each "
    "target's `status` on `GET /posts/{id}`. Honours `Idempotency-Key`.",
)
def publish_now_endpoint(
    channel: str,
    body: PublishRequestBody,
    request: Request,
    user: Caller,
    session: DbSession,
    key: IdempotencyKey = None,
) -> JSONResponse:
    platforms: tuple[str, ...] | None = None
    if channel != "multi":
        platforms = platforms_named(channel)
        if not platforms:
            raise NotFound(f"No channel {channel!r}: use linkedin, twitter, meta or multi.")
    return _create(request, session, user, body, key, platforms)


@router.post(
    "/schedule",
    status_code=status.HTTP_201_CREATED,
    response_model=PostOut,
    responses=CREATED,
    summary="Schedule a post",
    description="Like publish now, plus `scheduled_for` (ISO 8601; without an offset it is the "
    "business's local time) or `queue: true` (each account's next free posting slot). The "
    "time is stored in UTC; `notes` explains DST moves and posts closer than the account's "
    "gap. Honours `Idempotency-Key`.",
)
def schedule_endpoint(
    body: ScheduleRequestBody,
    request: Request,
    user: Caller,
    session: DbSession,
    key: IdempotencyKey = None,
) -> JSONResponse:
    return _create(request, session, user, body, key, None)


# --- read ----------------------------------------------------------------------------------------
@router.get(
    "/schedule/{business_id}",
    response_model=ScheduleList,
    summary="The schedule",
    description="Targets of the business by time: filter by `start`/`end` (ISO 8601, on "
    "`scheduled_for`), `status` (repeat it) and `account_id`.",
)
def schedule_list(
    access: BusinessViewer,
    session: DbSession,
    start: Annotated[datetime | None, Query(description="From (inclusive).")] = None,
    end: Annotated[datetime | None, Query(description="Until (exclusive).")] = None,
    status_filter: Annotated[
        list[TargetStatus] | None, Query(alias="status", description="Statuses to include.")
    ] = None,
    account_id: Annotated[list[int] | None, Query(description="Accounts to include.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ScheduleList:
    for value in (start, end):
        if value is not None and value.tzinfo is None:
            raise InvalidInput(
                "start and end need a time zone offset (or Z), e.g. 2026-12-01T00:00Z."
            )
    targets, total = repository.schedule(
        session,
        access.business.id,
        start,
        end,
        status_filter or [],
        account_id or [],
        limit,
        offset,
    )
    names = account_names(session, targets)
    return ScheduleList(items=[target_out(t, names) for t in targets], total=total)


@router.get(
    "/posts/{post_id}",
    response_model=PostOut,
    summary="A post and its fate",
    description="Each target's status, platform id and link, last error, and every attempt "
    "(start, end, outcome, HTTP status, the platform's code and message, steps done).",
)
def get_post(post_id: int, access: PostViewer, session: DbSession) -> PostOut:
    post = publishing.post(session, access, post_id)
    return post_out(session, post, publishing.targets(session, post.id), with_attempts=True)


# --- change --------------------------------------------------------------------------------------
@router.put(
    "/schedule/{post_id}",
    response_model=PostOut,
    summary="Reschedule or edit",
    description="Changes the targets that have not started publishing (all, or those of "
    "`account_ids`). A target publishing right now makes it a 409 and nothing changes.",
    responses={409: {"description": "A target is publishing (or nothing can change)."}},
)
def update_schedule(
    post_id: int, body: ScheduleUpdateBody, access: PostEditor, session: DbSession
) -> PostOut:
    return composed_out(session, publishing.update(session, access, post_id, body))


@router.delete(
    "/schedule/{post_id}",
    response_model=PostOut,
    summary="Cancel a post",
    description="Cancels every target that has not started; published ones keep their "
    "history. A target publishing right now makes it a 409 and nothing changes.",
    responses={409: {"description": "A target is publishing."}},
)
def cancel_schedule(post_id: int, access: PostEditor, session: DbSession) -> PostOut:
    return composed_out(session, publishing.cancel(session, access, post_id))


@router.post(
    "/posts/{post_id}/targets/{target_id}/retry",
    response_model=TargetOut,
    summary="Retry a target",
    description="Tries a failed or paused target again now (it resumes after the steps that "
    "already reached the platform).",
)
def retry_target(post_id: int, target_id: int, access: PostEditor, session: DbSession) -> TargetOut:
    target = publishing.retry(session, access, target_id)
    if target.post_id != post_id:
        raise NotFound(f"Target {target_id} is not part of post {post_id}.")
    from growth_manager.publishing.tasks import publish_now

    enqueue(session, publish_now, post_id)
    return target_out(target, account_names(session, [target]))


@router.post(
    "/posts/{post_id}/targets/{target_id}/remove",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Delete a published target from its platform",
    description="Asks the platform to delete the published post (every part of a thread). "
    "The target keeps its history and shows when it was removed. Instagram's API can't "
    "delete media: that target reports the platform's refusal.",
    responses={202: {"description": "The deletion is queued."}},
)
def remove_target(post_id: int, target_id: int, access: PostEditor, session: DbSession) -> Response:
    target = repository.target(session, access.business.id, target_id)
    if target is None or target.post_id != post_id:
        raise NotFound(f"Target {target_id} is not part of post {post_id}.")
    if target.status is not TargetStatus.published:
        raise Conflict(
            f"Target {target_id} is {target.status.value}; only a published one can be "
            "deleted from its platform."
        )
    from growth_manager.publishing.tasks import delete_remote_post

    enqueue(session, delete_remote_post, target_id)
    return Response(status_code=status.HTTP_202_ACCEPTED)


@router.delete(
    "/posts/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a post",
    description="Deletes the post and its history here (not on the platforms). Nothing "
    "scheduled can publish afterwards; refused (409) while a target is publishing.",
)
def delete_post(post_id: int, access: PostEditor, session: DbSession) -> Response:
    publishing.delete_post(session, access, post_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- queue settings ------------------------------------------------------------------------------
def queue_out(access: BusinessAccess, queue: Queue) -> QueueOut:
    return QueueOut(
        account_id=queue.account.id,
        timezone=access.business.timezone,
        weekly=[QueueSlot(weekday=day, time=at.strftime("%H:%M")) for day, at in queue.weekly],
        min_gap_minutes=queue.min_gap_minutes,
        customised=queue.customised,
        next_slots=queue.next_slots,
        notes=queue.notes,
    )


@router.get(
    "/businesses/{business_id}/accounts/{account_id}/queue",
    response_model=QueueOut,
    summary="An account's queue settings",
    description="The weekly posting slots (in the business's time zone; from the active "
    "strategy's cadence until edited), the smallest gap between posts, and the next free slots.",
)
def get_queue(account_id: int, access: BusinessViewer, session: DbSession) -> QueueOut:
    return queue_out(access, queue_settings.read(session, access, account_id))


@router.put(
    "/businesses/{business_id}/accounts/{account_id}/queue",
    response_model=QueueOut,
    summary="Change an account's queue settings",
    description="Replaces the weekly slots and the gap. An empty `weekly` goes back to the "
    "strategy's cadence. Posts already scheduled keep their times.",
)
def put_queue(
    account_id: int, body: QueueUpdate, access: BusinessEditor, session: DbSession
) -> QueueOut:
    weekly = [queue_settings.parse_slot(slot.weekday, slot.time) for slot in body.weekly]
    saved = queue_settings.save(session, access, account_id, weekly, body.min_gap_minutes)
    return queue_out(access, saved)


# --- thread splitting ----------------------------------------------------------------------------
@router.post(
    "/threads/split",
    response_model=ThreadSplitOut,
    summary="Split a text into thread parts",
    description="The parts publishing would make of the text on `platform` (one with threads) "
    "with `split_thread`: at sentence boundaries, each within the platform's limit, optionally "
    'numbered `1/n`. The composer\'s "Split automatically" button calls this.',
)
def split_text(body: ThreadSplitIn, user: Caller) -> ThreadSplitOut:
    if not is_platform(body.platform) or not descriptor(body.platform).supports_threads:
        raise InvalidInput(f"{body.platform!r} is not a platform with threads.")
    facts = descriptor(body.platform)
    parts = threads.split_thread(
        body.text, facts.text_limit, count=facts.count_text, numbering=body.number_parts
    )
    return ThreadSplitOut(parts=parts[:MAX_THREAD_PARTS], limit=facts.text_limit)
