"""The sync API: refresh a business's analytics now, follow a sync, the sync status, and the
scheduler API (jobs, trigger a sync, per-business recurring syncs)."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field, field_validator

from growth_manager.analytics import runs
from growth_manager.auth.dependencies import CurrentUser, DbSession, settings_of
from growth_manager.business.access import BusinessOwner, businesses_of, resolve
from growth_manager.connections.service import on_account_connected
from growth_manager.db import Database, calls_platform
from growth_manager.errors import NotFound
from growth_manager.models.accounts import SocialAccount
from growth_manager.models.analytics import SyncRun, SyncStatus, SyncTrigger
from growth_manager.models.business import Role
from growth_manager.models.user import User
from growth_manager.providers.registry import platforms, platforms_named
from growth_manager.worker.endpoints import BusinessScheduleOut, on_scheduler_status
from growth_manager.worker.tasks import load_task_modules, periodic_jobs

router = APIRouter(prefix="/api/v1", tags=["analytics"])

POLL_SECONDS = 0.2
MAX_INTERVAL_HOURS = 24 * 7


# --- shapes ------------------------------------------------------------------------------------
class RefreshIn(BaseModel):
    business_id: int = Field(description="The business whose analytics to sync.")
    platforms: list[str] | None = Field(
        default=None,
        description="Only these platforms (`x` or `twitter`, `linkedin`, `facebook`, "
        "`instagram`, or `meta` for both Meta platforms); all connected ones when left out.",
    )
    limit: int | None = Field(
        default=None,
        ge=1,
        le=10_000,
        description="Read at most this many of each account's most recent posts.",
    )

    @field_validator("platforms")
    @classmethod
    def known_platforms(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        out: list[str] = []
        for name in value:
            found = platforms_named(name.strip().lower())
            if not found:
                raise ValueError(f"unknown platform {name!r}; use one of: {', '.join(platforms())}")
            out.extend(p for p in found if p not in out)
        return out


class PlatformResult(BaseModel):
    accounts: int = Field(description="Accounts of this platform the sync covered.")
    total_posts: int = Field(description="Posts it set out to read.")
    synced: int = Field(description="Posts whose numbers were read.")
    failed: int = Field(description="Posts the platform did not answer for.")
    rate_limited: int = Field(description="Posts deferred by a rate limit until its reset.")
    imported: int = Field(description="Posts found on the account and followed from now on.")
    api_calls: int = Field(description="HTTP requests made to the platform.")
    status: str = Field(description="`completed`, `partial` or `failed`.")
    messages: list[str] = Field(default_factory=list, description="Notes per account.")
    deferred_until: str | None = Field(
        default=None, description="When the rate limit that deferred posts resets (UTC)."
    )


class SyncError(BaseModel):
    platform: str | None = Field(description="The platform that answered.")
    account_id: int | None = Field(description="The account concerned.")
    account: str | None = Field(description="Its name.")
    message: str = Field(description="What went wrong, in the platform's words where it gave any.")
    code: str | None = Field(
        description="The platform's error code, or `rate_limited`, `reauth_required`, "
        "`worker_lost`."
    )
    status: int | None = Field(description="The HTTP status the platform answered with.")


class SyncDetails(BaseModel):
    total_posts: int = Field(description="Posts the sync set out to read.")
    synced: int = Field(description="Posts whose numbers were read.")
    failed: int = Field(description="Posts that could not be read (see `errors`).")
    rate_limited: int = Field(description="Posts deferred by rate limits.")
    imported: int = Field(description="Posts newly found on the accounts (at connect).")
    api_calls: int = Field(description="HTTP requests made to the platforms.")
    pending_accounts: int = Field(description="Accounts whose part has not finished yet.")
    by_platform: dict[str, PlatformResult] = Field(description="The same, per platform.")
    errors: list[SyncError] = Field(description="Every problem met, per account.")


class SyncOut(BaseModel):
    sync_id: int = Field(description="Poll `GET /api/v1/analytics/syncs/{sync_id}`.")
    business_id: int
    platforms: list[str] = Field(description="The platforms the sync covers.")
    trigger: str = Field(description="`manual`, `schedule` or `connect`.")
    posts_updated: int = Field(description="Posts whose numbers this sync read.")
    last_synced_at: datetime | None = Field(description="When the sync finished (UTC).")
    started_at: datetime
    finished_at: datetime | None
    status: str = Field(
        description="`running`, then `completed` (everything read), `partial` (some posts "
        "failed or were deferred by a rate limit) or `failed` (nothing could be read)."
    )
    message: str = Field(description="What happened, in a sentence.")
    sync_details: SyncDetails


class PlatformSyncStatus(BaseModel):
    connected: bool = Field(description="Whether an account of this platform is connected.")
    accounts: int = Field(description="Connected accounts of this platform.")
    last_sync: datetime | None = Field(description="When an account of it last synced.")
    next_sync: datetime | None = Field(description="When it is next synced (UTC).")
    last_error: str | None = Field(description="The latest problem, if its last sync had one.")
    rate_limit_remaining: int | None = Field(
        description="Calls left in the tightest budget of the reads a sync makes, as the "
        "platform last reported it (null when it reports none, or only percentages)."
    )
    deferred_until: datetime | None = Field(
        description="Its sync waits for a rate limit to reset until then."
    )
    rate_limit_warnings: list[dict[str, Any]] = Field(
        description="Budgets at or under 20% of their limit (or 80% used): endpoint, limit, "
        "remaining, used_percent, resets_at."
    )


class SyncStatusOut(BaseModel):
    business_id: int
    total_posts: int = Field(description="Posts followed (published here or imported).")
    synced_posts: int = Field(description="Posts whose numbers were read at least once.")
    unsynced_posts: int = Field(description="Posts not read yet.")
    last_sync_at: datetime | None = Field(description="When an account last finished a sync.")
    sync_percentage: float = Field(description="synced_posts / total_posts × 100.")
    is_syncing: bool = Field(description="True only while a sync of the business really runs.")
    next_sync_at: datetime | None = Field(description="The next scheduled sync (UTC).")
    platforms: dict[str, PlatformSyncStatus]


class SyncList(BaseModel):
    syncs: list[SyncOut] = Field(description="Newest first.")


class JobInfo(BaseModel):
    id: str = Field(description="`periodic:<task>` or `business-sync:<business id>`.")
    name: str
    kind: str = Field(description="`periodic` (every business) or `business` (one business).")
    schedule: str = Field(description="When it runs.")
    business_id: int | None = None
    interval_hours: int | None = None
    next_run_at: datetime | None = None
    last_run_at: datetime | None = None


class JobList(BaseModel):
    jobs: list[JobInfo]


class TriggerIn(BaseModel):
    business_id: int | None = Field(
        default=None,
        description="The business to sync; every business you can edit when left out.",
    )


class TriggerOut(BaseModel):
    triggered: int = Field(description="How many syncs were started.")
    syncs: list[SyncOut]


class ScheduleOut(BaseModel):
    job_id: str
    business_id: int
    interval_hours: int
    next_run_at: datetime
    last_run_at: datetime | None


def _summary(run: SyncRun) -> SyncOut:
    return SyncOut.model_validate(runs.run_summary(run))


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


# --- refresh and syncs -------------------------------------------------------------------------
@router.post(
    "/analytics/refresh",
    response_model=SyncOut,
    status_code=200,
    summary="Sync a business's analytics now",
    description="Starts a sync of the business's connected accounts (or of `platforms`): new "
    "posts on each account are imported, account metrics and every followed post's numbers are "
    "read in batches, within each platform's rate limits. Answers with the result when the sync "
    "finishes within `GROWTH_SYNC_WAIT_SECONDS` (10 s by default); otherwise **202** with the "
    "same shape (`status: running`) and a `Location` to poll. An account already syncing is not "
    "synced twice: its part joins the running sync. Needs the editor role.",
    responses={
        202: {"description": "Still running: poll `GET /api/v1/analytics/syncs/{id}`."},
        404: {"description": "No business of yours has this id."},
    },
)
@calls_platform
async def refresh(
    body: RefreshIn, request: Request, response: Response, user: CurrentUser, session: DbSession
) -> SyncOut:
    await run_in_threadpool(resolve, request, session, user, body.business_id, Role.editor)
    database = _database(request)
    run_id = await run_in_threadpool(_start_manual, database, body, user.id)
    deadline = time.monotonic() + settings_of(request).sync_wait_seconds
    # The wait holds no thread and no request slot: other requests go on meanwhile.
    async with database.slot_given_back():
        while True:
            out = await run_in_threadpool(_summary_of, database, run_id)
            if out.status != SyncStatus.running.value or time.monotonic() >= deadline:
                break
            await asyncio.sleep(POLL_SECONDS)
    if out.status == SyncStatus.running.value:
        response.status_code = 202
        response.headers["Location"] = f"/api/v1/analytics/syncs/{run_id}"
    return out


def _start_manual(database: Database, body: RefreshIn, user_id: int) -> int:
    with database.session() as writing:
        return runs.start_sync(
            writing,
            body.business_id,
            trigger=SyncTrigger.manual,
            user_id=user_id,
            platforms=body.platforms,
            limit=body.limit,
        ).id


def _summary_of(database: Database, run_id: int) -> SyncOut:
    with database.read_session() as reading:
        return _summary(reading.get_one(SyncRun, run_id))


@router.get(
    "/analytics/syncs/{sync_id}",
    response_model=SyncOut,
    summary="One sync, while it runs and after",
    description="The sync's progress (`status: running`) or its result, in the shape "
    "`POST /api/v1/analytics/refresh` answers with.",
)
def get_sync(sync_id: int, user: CurrentUser, session: DbSession) -> SyncOut:
    mine = [business.id for business, _role in businesses_of(session, user)]
    run = runs.get_run(session, mine, sync_id)
    if run is None:
        raise NotFound(f"No sync {sync_id} in your businesses.")
    return _summary(run)


@router.get(
    "/analytics/syncs",
    response_model=SyncList,
    summary="A business's sync history",
    responses={404: {"description": "No business of yours has this id."}},
    description="Its latest syncs, newest first: trigger, when, what they read and every "
    "problem they met.",
)
def list_syncs(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    business_id: Annotated[int, Query(description="The business (its id).")],
    limit: Annotated[int, Query(ge=1, le=200, description="How many.")] = runs.HISTORY,
) -> SyncList:
    resolve(request, session, user, business_id, Role.viewer)
    return SyncList(syncs=[_summary(r) for r in runs.sync_history(session, business_id, limit)])


@router.get(
    "/analytics/sync-status",
    response_model=SyncStatusOut,
    summary="Is the business's analytics up to date?",
    responses={404: {"description": "No business of yours has this id."}},
    description="How many followed posts have been read, when the business last synced and "
    "next will, whether a sync runs right now (true only while one really does), and per "
    "platform: connected, last and next sync, the latest error, and the rate-limit budget "
    "left for metrics reads, with warnings before it runs out.",
)
def sync_status(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    business_id: Annotated[int, Query(description="The business (its id).")],
) -> SyncStatusOut:
    resolve(request, session, user, business_id, Role.viewer)
    return SyncStatusOut.model_validate(runs.sync_status(session, business_id))


# --- scheduler API -----------------------------------------------------------------------------
@router.get(
    "/scheduler/jobs",
    response_model=JobList,
    tags=["scheduler"],
    summary="Scheduled jobs",
    description="Every periodic job beat runs (publishing sweep, token renewal, the hourly "
    "analytics sync of every business, …) with its next run, and the recurring syncs of your "
    "businesses set with `POST /api/v1/scheduler/business/{business_id}/schedule`.",
)
def scheduler_jobs(user: CurrentUser, session: DbSession) -> JobList:
    from growth_manager.worker import state

    load_task_modules()
    recorded = state.job_states(session)
    jobs = [
        JobInfo(
            id=f"periodic:{name}",
            name=name,
            kind="periodic",
            schedule=job.description,
            next_run_at=row.next_run_at if (row := recorded.get(name)) else None,
            last_run_at=row.last_started_at if row else None,
        )
        for name, job in sorted(periodic_jobs().items())
    ]
    mine = [business.id for business, _role in businesses_of(session, user)]
    jobs.extend(_schedule_job(s) for s in runs.schedules_of(session, mine))
    return JobList(jobs=jobs)


def _schedule_job(schedule: Any) -> JobInfo:
    return JobInfo(
        id=f"business-sync:{schedule.business_id}",
        name=f"analytics sync of business {schedule.business_id}",
        kind="business",
        schedule=f"every {schedule.interval_hours} h",
        business_id=schedule.business_id,
        interval_hours=schedule.interval_hours,
        next_run_at=schedule.next_run_at,
        last_run_at=schedule.last_run_at,
    )


@router.post(
    "/scheduler/trigger-sync",
    response_model=TriggerOut,
    status_code=202,
    tags=["scheduler"],
    summary="Start an analytics sync in the background",
    responses={404: {"description": "No business of yours has this id."}},
    description="Starts a sync of one business (`business_id`) or of every business you can "
    "edit, and answers at once; follow each with `GET /api/v1/analytics/syncs/{sync_id}`.",
)
@calls_platform
def trigger_sync(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    body: TriggerIn | None = None,
    business_id: Annotated[
        int | None, Query(description="The business to sync (or in the body).")
    ] = None,
) -> TriggerOut:
    wanted = business_id if business_id is not None else (body.business_id if body else None)
    if wanted is not None:
        resolve(request, session, user, wanted, Role.editor)
        ids = [wanted]
    else:
        ids = [
            business.id
            for business, role in businesses_of(session, user)
            if role in (Role.owner, Role.editor)
        ]
    started: list[int] = []
    with _database(request).session() as writing:
        for one in ids:
            started.append(
                runs.start_sync(writing, one, trigger=SyncTrigger.manual, user_id=user.id).id
            )
        writing.flush()
        out = [_summary(writing.get_one(SyncRun, run_id)) for run_id in started]
    return TriggerOut(triggered=len(started), syncs=out)


@router.post(
    "/scheduler/business/{business_id}/schedule",
    response_model=ScheduleOut,
    tags=["scheduler"],
    summary="Sync a business on its own schedule",
    description="Adds (or changes) a recurring sync of the business every `interval_hours` "
    "hours, on top of the hourly sync of posts that are due. It is kept in the database, run by "
    "the worker's sweep, and listed by `GET /api/v1/scheduler/jobs`. Needs the owner role.",
)
def set_schedule(
    access: BusinessOwner,
    session: DbSession,
    interval_hours: Annotated[
        int,
        Query(ge=1, le=MAX_INTERVAL_HOURS, description="Hours between syncs (1 to 168)."),
    ],
) -> ScheduleOut:
    schedule = runs.set_schedule(session, access.business.id, interval_hours)
    return ScheduleOut(
        job_id=f"business-sync:{schedule.business_id}",
        business_id=schedule.business_id,
        interval_hours=schedule.interval_hours,
        next_run_at=schedule.next_run_at,
        last_run_at=schedule.last_run_at,
    )


@router.delete(
    "/scheduler/business/{business_id}/schedule",
    status_code=204,
    tags=["scheduler"],
    summary="Stop a business's own sync schedule",
    description="Removes the business's recurring sync; the hourly sync of due posts goes on.",
)
def remove_schedule(access: BusinessOwner, session: DbSession) -> Response:
    if not runs.remove_schedule(session, access.business.id):
        raise NotFound("This business has no sync schedule of its own.")
    return Response(status_code=204)


def _business_schedules(session: Any, user: User) -> list[BusinessScheduleOut]:
    mine = [business.id for business, _role in businesses_of(session, user)]
    return [
        BusinessScheduleOut(
            id=f"business-sync:{s.business_id}",
            business_id=s.business_id,
            name=f"analytics sync of business {s.business_id}",
            interval_hours=s.interval_hours,
            next_run_at=s.next_run_at,
            last_run_at=s.last_run_at,
        )
        for s in runs.schedules_of(session, mine)
    ]


on_scheduler_status(_business_schedules)


# --- connect: import the new account's history ---------------------------------------------------
def _import_on_connect(session: Any, account: SocialAccount, user: User) -> None:
    runs.start_sync(
        session,
        account.business_id,
        trigger=SyncTrigger.connect,
        user_id=user.id,
        account_ids=[account.id],
    )


on_account_connected(_import_on_connect)
