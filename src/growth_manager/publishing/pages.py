"""Dashboard pages for publishing: the composer, the calendar, a post's page (which follows its
targets while they publish), and each account's queue settings.

The composer posts a plain form (the draft editor's way): the service validates per account,
part and rule, and a refused post re-renders with what was typed. Counters measure through
``POST /api/v1/text/measure`` and "Split automatically" asks ``POST /api/v1/threads/split``, so
the page never counts on its own. The calendar reads ``GET /api/v1/schedule/{business_id}`` and
moves a post with ``PUT /api/v1/schedule/{post_id}``. Platform differences come from the
descriptors (threads, first comments, limits), never from testing a platform's name.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from growth_manager.auth.dependencies import DbSession, csrf_token
from growth_manager.business.access import BusinessAccess, BusinessEditor, BusinessViewer
from growth_manager.business.schemas import DAY_NAMES
from growth_manager.content.repository import content_repository
from growth_manager.content.schemas import media_out
from growth_manager.errors import AppError, Conflict, NotFound, describe_validation_errors
from growth_manager.insights import besttime, performance
from growth_manager.kit.clock import utcnow
from growth_manager.models.accounts import AccountStatus, SocialAccount
from growth_manager.models.business import Role
from growth_manager.models.content import Post, PostStatus
from growth_manager.models.publishing import CHANGEABLE, FINAL, PostTarget, TargetStatus
from growth_manager.providers.registry import descriptor, is_platform
from growth_manager.publishing import queue as queue_settings
from growth_manager.publishing import repository
from growth_manager.publishing.schemas import (
    MAX_THREAD_PARTS,
    PublishRequestBody,
    ScheduleRequestBody,
)
from growth_manager.publishing.service import PostInvalid, derive_status, publishing
from growth_manager.publishing.timing import zone_info
from growth_manager.web.templating import flash, page_context, redirect, render, templates
from growth_manager.worker.tasks import enqueue

router = APIRouter(include_in_schema=False)

LIBRARY_SIZE = 60
POLL_SECONDS = 2
FORM_LABELS = {
    "text": "Text",
    "title": "Title",
    "thread": "Thread",
    "first_comment": "First comment",
    "account_ids": "Accounts",
    "media_ids": "Media",
    "scheduled_for": "Date and time",
}
ACTIONS = {"now": "Publish now", "schedule": "Schedule", "queue": "Add to queue"}
# Target statuses in words, for the calendar's legend and tooltips.
STATUS_LABELS = {status.value: status.value.replace("_", " ") for status in TargetStatus}


class ComposeForm(BaseModel):
    """The composer's form; unticked boxes are absent, hence the defaults."""

    model_config = ConfigDict(extra="ignore")

    csrf_token: str = ""
    action: str = "schedule"
    draft_id: str = ""
    title: str = ""
    text: str = ""
    account_ids: list[int] = []
    use_thread: str = ""
    thread: list[str] = []
    first_comment: str = ""
    media_ids: list[int] = []
    scheduled_for: str = ""

    def thread_parts(self) -> list[str] | None:
        parts = [part for part in self.thread if part.strip()]
        return parts if self.use_thread and parts else None

    def draft(self) -> int | None:
        return int(self.draft_id) if self.draft_id.strip().isdigit() else None


ComposeData = Annotated[ComposeForm, Form()]


# --- shared bits ---------------------------------------------------------------------------------
def account_view(account: SocialAccount) -> dict[str, Any]:
    """What a page shows of an account: who it is, where, and what its platform can do."""
    facts = descriptor(account.platform) if is_platform(account.platform) else None
    # Only avatars this server serves: the page's CSP loads no image from a platform's CDN
    # (as on Connections); the others show the name's initial.
    avatar = account.avatar_url if (account.avatar_url or "").startswith("/") else None
    return {
        "id": account.id,
        "name": account.name,
        "username": account.username or "",
        # Under the name in previews: the handle, or what kind of account it is.
        "handle": f"@{account.username}"
        if account.username
        else (facts.kind_label(account.kind) if facts else account.kind),
        "avatar_url": avatar,
        "initial": (account.name or "?")[:1].upper(),
        "platform": account.platform,
        "platform_name": facts.display_name if facts else account.platform,
        "kind": facts.kind_label(account.kind) if facts else account.kind,
        "status": account.status.value,
        "usable": facts is not None and account.status is not AccountStatus.disconnected,
        "threads": bool(facts and facts.supports_threads),
        "first_comment": bool(facts and facts.supports_first_comment),
        "limit": facts.text_limit if facts else 0,
        "max_images": facts.max_images if facts else 0,
        "max_videos": facts.max_videos if facts else 0,
        "requires_media": bool(facts and facts.requires_media),
    }


def _zone_label(zone_name: str) -> str:
    now = utcnow().astimezone(zone_info(zone_name))
    return (
        f"{zone_name} ({now.strftime('%Z')}, UTC{now.strftime('%z')[:3]}:{now.strftime('%z')[3:]})"
    )


# --- composer ------------------------------------------------------------------------------------
def _composer(
    request: Request,
    session: Session,
    access: BusinessAccess,
    *,
    form: ComposeForm | None = None,
    draft: Post | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    business = access.business
    accounts = [
        account_view(a)
        for a in repository.accounts(session, business.id, None)
        if is_platform(a.platform)
    ]
    library_rows, _total = content_repository.list_media(
        session, business.id, limit=LIBRARY_SIZE, offset=0
    )
    library = [media_out(asset).model_dump(mode="json") for asset in library_rows]
    if form is not None:
        found = content_repository.media_by_ids(session, business.id, form.media_ids)
        chosen = [media_out(found[i]).model_dump(mode="json") for i in form.media_ids if i in found]
        state: dict[str, Any] = {
            "draft_id": form.draft_id,
            "title": form.title,
            "text": form.text,
            "account_ids": form.account_ids,
            "use_thread": bool(form.use_thread),
            "thread": form.thread or [""],
            "first_comment": form.first_comment,
            "scheduled_for": form.scheduled_for,
            "variants": {},
        }
    else:
        chosen = (
            [media_out(link.media).model_dump(mode="json") for link in draft.media_links]
            if draft is not None
            else []
        )
        active = [a["id"] for a in accounts if a["status"] == AccountStatus.active.value]
        if draft is not None and draft.platforms:
            wanted = {str(p) for p in draft.platforms}
            active = [a["id"] for a in accounts if a["id"] in active and a["platform"] in wanted]
        state = {
            "draft_id": str(draft.id) if draft is not None else "",
            "title": draft.title if draft is not None else "",
            "text": draft.base_text if draft is not None else "",
            "account_ids": active,
            "use_thread": False,
            "thread": [""],
            "first_comment": "",
            "scheduled_for": "",
            "variants": {},
        }
    if draft is not None:
        # The draft's own texts per platform win there (the service applies them too).
        state["variants"] = {v.platform.value: v.text for v in draft.variants}
    state["media"] = chosen
    usable = [a for a in repository.accounts(session, business.id, None) if is_platform(a.platform)]
    suggested = besttime.suggestions(session, usable, zone_info(business.timezone), utcnow())
    return render(
        request,
        "publishing/compose.html",
        page_context(
            session,
            access.user,
            access,
            state=state,
            accounts=accounts,
            library=library,
            draft=draft,
            errors=errors or [],
            zone_label=_zone_label(business.timezone),
            suggested=suggested,
            max_parts=MAX_THREAD_PARTS,
            urls={
                "measure": "/api/v1/text/measure",
                "split": "/api/v1/threads/split",
                "upload": f"/api/v1/businesses/{business.id}/media",
            },
        ),
        status_code=status_code,
    )


@router.get("/businesses/{business_id}/compose")
def compose_page(
    request: Request,
    access: BusinessEditor,
    session: DbSession,
    draft_id: Annotated[int | None, Query()] = None,
) -> Response:
    draft = None
    if draft_id is not None:
        draft = publishing.post(session, access, draft_id)
        if draft.status is not PostStatus.draft:
            flash(
                request, "That draft is already scheduled or published; here is its post.", "info"
            )
            return redirect(f"/businesses/{access.business.id}/posts/{draft.id}")
    return _composer(request, session, access, draft=draft)


def _body(form: ComposeForm, business_id: int) -> PublishRequestBody:
    common: dict[str, Any] = {
        "business_id": business_id,
        "text": form.text,
        "title": form.title,
        "draft_id": form.draft(),
        "account_ids": form.account_ids,
        "media_ids": form.media_ids,
        "thread": form.thread_parts(),
        "first_comment": form.first_comment or None,
    }
    if form.action == "now":
        return PublishRequestBody(**common)
    if form.action == "queue":
        return ScheduleRequestBody(**common, queue=True)
    if not form.scheduled_for.strip():
        raise PostInvalid(["Date and time: pick when to publish (or publish now, or queue it)."])
    return ScheduleRequestBody(**common, scheduled_for=form.scheduled_for.strip())


@router.post("/businesses/{business_id}/compose")
def compose_submit(
    request: Request, form: ComposeData, access: BusinessEditor, session: DbSession
) -> Response:
    draft_id = form.draft()
    draft = (
        content_repository.get_post(session, access.business.id, draft_id)
        if draft_id is not None
        else None
    )
    if form.action not in ACTIONS:
        return _composer(
            request,
            session,
            access,
            form=form,
            draft=draft,
            errors=["Choose Publish now, Schedule or Add to queue."],
            status_code=422,
        )
    if not form.account_ids:
        return _composer(
            request,
            session,
            access,
            form=form,
            draft=draft,
            errors=["Accounts: choose at least one account to publish to."],
            status_code=422,
        )
    try:
        body = _body(form, access.business.id)
        composed = publishing.compose(session, access, body)
    except ValidationError as exc:
        session.rollback()
        errors = [describe_validation_errors(list(exc.errors()), FORM_LABELS)]
        return _composer(
            request, session, access, form=form, draft=draft, errors=errors, status_code=422
        )
    except PostInvalid as exc:
        session.rollback()
        return _composer(
            request, session, access, form=form, draft=draft, errors=exc.problems, status_code=422
        )
    except AppError as exc:
        session.rollback()
        if exc.status_code == 403:
            raise
        return _composer(
            request, session, access, form=form, draft=draft, errors=[exc.detail], status_code=422
        )
    if form.action == "now":
        from growth_manager.publishing.tasks import publish_now

        enqueue(session, publish_now, composed.post.id)
        flash(request, "Publishing now: this page follows each account.")
    elif form.action == "schedule":
        flash(request, "Scheduled.")
    else:
        zone = zone_info(access.business.timezone)
        slots = ", ".join(
            sorted(
                {
                    target.scheduled_at.astimezone(zone).strftime("%a %d %b %H:%M")
                    for target in composed.targets
                }
            )
        )
        flash(request, f"Added to the queue: {slots}.")
    for note in composed.notes:
        flash(request, note, "info")
    return redirect(f"/businesses/{access.business.id}/posts/{composed.post.id}")


# --- calendar ------------------------------------------------------------------------------------
@router.get("/businesses/{business_id}/calendar")
def calendar_page(request: Request, access: BusinessViewer, session: DbSession) -> Response:
    business = access.business
    accounts = [account_view(a) for a in repository.accounts(session, business.id, None)]
    config = {
        "timezone": business.timezone,
        "feed": f"/api/v1/schedule/{business.id}",
        "update": "/api/v1/schedule/{post_id}",
        "post": f"/businesses/{business.id}/posts/{{post_id}}",
        "editable": access.can(Role.editor),
        "movable": [s.value for s in CHANGEABLE],
        "platforms": {a["platform"]: a["platform_name"] for a in accounts},
        "statuses": STATUS_LABELS,
    }
    return render(
        request,
        "publishing/calendar.html",
        page_context(
            session,
            access.user,
            access,
            config=config,
            zone_label=_zone_label(business.timezone),
            statuses=STATUS_LABELS,
            can_edit=access.can(Role.editor),
        ),
    )


# --- a post --------------------------------------------------------------------------------------
def _post_context(session: Session, access: BusinessAccess, post_id: int) -> dict[str, Any]:
    post = publishing.post(session, access, post_id)
    targets = publishing.targets(session, post.id)
    attempts: dict[int, list[Any]] = {}
    for attempt in repository.attempts_of(session, [t.id for t in targets]):
        attempts.setdefault(attempt.target_id, []).append(attempt)
    performing = performance.for_targets(session, access.business.id, [t.id for t in targets])
    rows = []
    for target in targets:
        account = (
            session.get(SocialAccount, target.social_account_id)
            if target.social_account_id
            else None
        )
        rows.append(
            {
                "target": target,
                "account": account_view(account) if account is not None else None,
                "platform_name": descriptor(target.platform).display_name
                if is_platform(target.platform)
                else target.platform,
                "attempts": attempts.get(target.id, []),
                "performance": performing.get(target.id),
                "can_retry": target.status
                in (TargetStatus.failed, TargetStatus.paused, TargetStatus.retrying),
                "can_remove": target.status is TargetStatus.published and target.removed_at is None,
            }
        )
    pending = any(t.status not in FINAL for t in targets)
    busy = any(t.status is TargetStatus.publishing for t in targets)
    return {
        "post": post,
        # Derived from the targets, so the page never lags behind a worker's last write.
        "post_status": derive_status([t.status for t in targets]).value
        if targets
        else post.status.value,
        "rows": rows,
        "pending": pending,
        "can_cancel": access.can(Role.editor)
        and not busy
        and any(t.status in CHANGEABLE for t in targets),
        "can_edit": access.can(Role.editor),
        "poll_seconds": POLL_SECONDS,
    }


@router.get("/businesses/{business_id}/posts/{post_id}")
def post_page(
    request: Request, post_id: int, access: BusinessViewer, session: DbSession
) -> Response:
    context = _post_context(session, access, post_id)
    return render(
        request,
        "publishing/post.html",
        page_context(session, access.user, access, **context),
    )


@router.get("/businesses/{business_id}/posts/{post_id}/status")
def post_status_partial(
    request: Request, post_id: int, access: BusinessViewer, session: DbSession
) -> Response:
    """The part of the post page that changes while it publishes (polled by htmx)."""
    context = _post_context(session, access, post_id)
    # Not ``render``: a poll must not take the flash messages meant for the next page.
    return templates.TemplateResponse(
        request,
        "publishing/_post_status.html",
        {
            "csrf_token": csrf_token(request),
            "current_business": access.business,
            "current_role": access.role.value,
            **context,
        },
    )


def _target_of(
    session: Session, access: BusinessAccess, post_id: int, target_id: int
) -> PostTarget:
    target = repository.target(session, access.business.id, target_id)
    if target is None or target.post_id != post_id:
        raise NotFound(f"Target {target_id} is not part of post {post_id}.")
    return target


@router.post("/businesses/{business_id}/posts/{post_id}/retry")
def retry_form(
    request: Request,
    post_id: int,
    access: BusinessEditor,
    session: DbSession,
    target_id: Annotated[int, Form()],
) -> Response:
    back = f"/businesses/{access.business.id}/posts/{post_id}"
    _target_of(session, access, post_id, target_id)
    try:
        publishing.retry(session, access, target_id)
    except Conflict as exc:
        session.rollback()
        flash(request, exc.detail, "error")
        return redirect(back)
    from growth_manager.publishing.tasks import publish_now

    enqueue(session, publish_now, post_id)
    flash(request, "Trying again now.")
    return redirect(back)


@router.post("/businesses/{business_id}/posts/{post_id}/cancel")
def cancel_form(
    request: Request, post_id: int, access: BusinessEditor, session: DbSession
) -> Response:
    back = f"/businesses/{access.business.id}/posts/{post_id}"
    try:
        publishing.cancel(session, access, post_id)
    except Conflict as exc:
        session.rollback()
        flash(request, exc.detail, "error")
        return redirect(back)
    flash(request, "Cancelled: nothing more of this post will be published.")
    return redirect(back)


@router.post("/businesses/{business_id}/posts/{post_id}/remove")
def remove_form(
    request: Request,
    post_id: int,
    access: BusinessEditor,
    session: DbSession,
    target_id: Annotated[int, Form()],
) -> Response:
    back = f"/businesses/{access.business.id}/posts/{post_id}"
    target = _target_of(session, access, post_id, target_id)
    if target.status is not TargetStatus.published:
        flash(request, "Only a published post can be deleted from its platform.", "error")
        return redirect(back)
    from growth_manager.publishing.tasks import delete_remote_post

    enqueue(session, delete_remote_post, target_id)
    flash(request, "Deleting it from the platform; this page shows when it is gone.")
    return redirect(back)


# --- queue settings ------------------------------------------------------------------------------
def _queue_page(
    request: Request,
    session: Session,
    access: BusinessAccess,
    account_id: int,
    *,
    slots: list[dict[str, Any]] | None = None,
    min_gap: str | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    queue = queue_settings.read(session, access, account_id)
    shown = (
        slots
        if slots is not None
        else [{"weekday": day, "time": at.strftime("%H:%M")} for day, at in queue.weekly]
    )
    return render(
        request,
        "publishing/queue.html",
        page_context(
            session,
            access.user,
            access,
            account=account_view(queue.account),
            queue=queue,
            slots=shown,
            min_gap=min_gap if min_gap is not None else str(queue.min_gap_minutes),
            days=list(enumerate(DAY_NAMES)),
            errors=errors or [],
            zone_label=_zone_label(access.business.timezone),
            can_edit=access.can(Role.editor),
            best_times=besttime.suggestions(
                session, [queue.account], zone_info(access.business.timezone), utcnow()
            )[0],
        ),
        status_code=status_code,
    )


@router.get("/businesses/{business_id}/accounts/{account_id}/queue")
def queue_page(
    request: Request, account_id: int, access: BusinessViewer, session: DbSession
) -> Response:
    return _queue_page(request, session, access, account_id)


@router.post("/businesses/{business_id}/accounts/{account_id}/queue")
def queue_save(
    request: Request,
    account_id: int,
    access: BusinessEditor,
    session: DbSession,
    weekday: Annotated[list[str] | None, Form()] = None,
    time: Annotated[list[str] | None, Form()] = None,
    min_gap_minutes: Annotated[str, Form()] = "60",
    reset: Annotated[str, Form()] = "",
) -> Response:
    days, times = weekday or [], time or []
    typed = [
        {"weekday": int(d) if d.isdigit() else 0, "time": t}
        for d, t in zip(days, times, strict=False)
    ]
    errors: list[str] = []
    weekly = []
    if not reset:
        for day, at in zip(days, times, strict=False):
            if not at.strip():
                continue
            if not day.isdigit() or not 0 <= int(day) <= 6:
                errors.append("Choose a weekday for every slot.")
                continue
            try:
                weekly.append(queue_settings.parse_slot(int(day), at.strip()))
            except AppError as exc:
                errors.append(exc.detail)
    gap_text = min_gap_minutes.strip()
    if not gap_text.isdigit():
        errors.append("Gap between posts: a whole number of minutes.")
    if not errors:
        try:
            queue_settings.save(session, access, account_id, weekly, int(gap_text))
        except AppError as exc:
            if exc.status_code in (403, 404):
                raise
            errors.append(exc.detail)
    if errors:
        session.rollback()
        return _queue_page(
            request,
            session,
            access,
            account_id,
            slots=typed,
            min_gap=min_gap_minutes,
            errors=errors,
            status_code=422,
        )
    flash(
        request,
        "Back to the strategy's cadence." if not weekly else "Queue settings saved.",
    )
    return redirect(f"/businesses/{access.business.id}/accounts/{account_id}/queue")
