"""The sandbox's control plane under ``/_sandbox``: health, reset, state export/import, apps,
ground-truth accounts (and more of them, with past posts), fault injection, the clock offset
and rate-limit overrides.

It is for tests and demos only and speaks plain JSON; it is never faulted or rate limited.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from platform_sandbox import audience
from platform_sandbox.apps import list_apps, register_app
from platform_sandbox.faults import fault_book
from platform_sandbox.platform import (
    NewAccounts,
    NewCompetitor,
    Platform,
    SandboxContext,
    context,
)

router = APIRouter(prefix="/_sandbox", tags=["control plane"])


def reset_state(app: FastAPI) -> None:
    """Drop and recreate every table, clock offset 0, re-seed every platform, forget overrides,
    rate-limit windows and fault rules."""
    ctx: SandboxContext = app.state.sandbox
    platforms: list[Platform] = app.state.platforms
    ctx.store.drop_all()
    ctx.store.create_all()
    ctx.overrides.clear()
    ctx.runtime.clear()
    # Before seeding: seeded history is laid out backwards from "now".
    ctx.clock.set_offset(0)
    with ctx.store.session() as session:
        for platform in platforms:
            platform.seed(session, ctx)
        ctx.store.set_setting(session, "seeded", True)


def _platform_names(request: Request) -> list[str]:
    return [p.name for p in request.app.state.platforms]


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    ctx = context(request)
    return {
        "status": "ok",
        "platforms": _platform_names(request),
        "clock": {"now": ctx.clock.now().isoformat(), "offset_seconds": ctx.clock.offset_seconds},
    }


@router.post("/reset")
async def reset(request: Request) -> dict[str, Any]:
    await run_in_threadpool(reset_state, request.app)
    return {"status": "reset", "platforms": _platform_names(request)}


@router.get("/state")
def export_state(request: Request) -> dict[str, Any]:
    return {"tables": context(request).store.export_state()}


@router.api_route("/state", methods=["PUT", "POST"])
async def import_state(request: Request) -> dict[str, Any]:
    body = await request.json()
    tables = body.get("tables", body) if isinstance(body, dict) else None
    if not isinstance(tables, dict):
        raise HTTPException(400, "expected {'tables': {table: [rows]}}")
    ctx = context(request)
    try:
        await run_in_threadpool(ctx.store.import_state, tables)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc
    ctx.clock.reload()
    ctx.runtime.clear()
    return {"status": "imported", "tables": len(tables)}


class AppIn(BaseModel):
    platform: str
    client_id: str
    client_secret: str | None = None
    redirect_uris: list[str] = Field(default_factory=list)
    name: str = ""
    client_type: str = "confidential"


@router.get("/apps")
def get_apps(request: Request, platform: str | None = None) -> dict[str, Any]:
    with context(request).store.session() as session:
        return {"apps": [a.as_dict() for a in list_apps(session, platform)]}


@router.post("/apps")
def post_app(request: Request, body: AppIn) -> dict[str, Any]:
    if body.platform not in _platform_names(request):
        raise HTTPException(400, f"unknown platform {body.platform!r}")
    if body.client_type not in {"confidential", "public"}:
        raise HTTPException(400, "client_type must be 'confidential' or 'public'")
    with context(request).store.session() as session:
        app = register_app(
            session,
            body.platform,
            body.client_id,
            client_secret=body.client_secret,
            redirect_uris=body.redirect_uris,
            name=body.name,
            client_type=body.client_type,
        )
        return app.as_dict()


@router.get("/accounts")
def accounts(request: Request, platform: str | None = None) -> dict[str, Any]:
    ctx = context(request)
    out: list[dict[str, Any]] = []
    with ctx.store.session() as session:
        for p in request.app.state.platforms:
            if platform is None or p.name == platform:
                for account in p.accounts(session, ctx):
                    out.append({"platform": p.name, **account})
    return {"accounts": out}


class AccountsIn(BaseModel):
    platform: str
    count: int = Field(default=1, ge=1, le=1000)
    posts: int = Field(default=100, ge=0, le=2000)
    days: int = Field(default=audience.HISTORY_DAYS, ge=1, le=365)
    name: str = Field(default="Sandbox business", min_length=1, max_length=80)
    owner: str | None = None
    instagram: bool = True


@router.post("/accounts", status_code=201)
async def create_accounts(request: Request, body: AccountsIn) -> dict[str, Any]:
    """More simulated accounts with past posts from the audience model: X users; LinkedIn
    organization pages the member ``owner`` administers; Facebook Pages that the person
    ``owner`` runs, each with a linked Instagram business account unless ``instagram`` is
    false. Each gets ``posts`` posts over the ``days`` before now; sign in as usual to get
    tokens for them."""
    platform = next((p for p in request.app.state.platforms if p.name == body.platform), None)
    if platform is None or platform.create_accounts is None:
        raise HTTPException(400, f"unknown platform {body.platform!r}")
    maker = platform.create_accounts
    ctx = context(request)
    spec = NewAccounts(
        count=body.count,
        posts=body.posts,
        days=body.days,
        name=body.name,
        owner=body.owner,
        instagram=body.instagram,
    )

    def create() -> list[dict[str, Any]]:
        with ctx.store.session() as session:
            made: list[dict[str, Any]] = maker(session, ctx, spec)
            return made

    try:
        return {"accounts": await run_in_threadpool(create)}
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc


class CompetitorIn(BaseModel):
    platform: str
    username: str = Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9_.]+$")
    name: str | None = Field(default=None, max_length=80)
    kind: str | None = None  # default: the platform's readable kind (public, business)
    posts: int = Field(default=30, ge=0, le=500)
    days: int = Field(default=audience.HISTORY_DAYS, ge=1, le=365)


@router.post("/competitors", status_code=201)
async def create_competitor(request: Request, body: CompetitorIn) -> dict[str, Any]:
    """Someone else's account, found by ``username``, with ``posts`` past posts over ``days``:
    on X ``kind`` public, protected or suspended; on Meta (Instagram) business or personal (a
    personal account is not reachable through the API, as on Instagram). The same username
    and seed always give the same account, ids and history. 409 if the name is taken."""
    platform = next((p for p in request.app.state.platforms if p.name == body.platform), None)
    if platform is None or platform.create_competitor is None:
        raise HTTPException(400, f"no competitor accounts on platform {body.platform!r}")
    kind = body.kind or platform.competitor_kinds[0]
    if kind not in platform.competitor_kinds:
        raise HTTPException(
            400, f"kind must be one of {', '.join(platform.competitor_kinds)} on {platform.name}"
        )
    maker = platform.create_competitor
    ctx = context(request)
    spec = NewCompetitor(
        username=body.username,
        name=body.name or body.username.replace("_", " ").title(),
        kind=kind,
        posts=body.posts,
        days=body.days,
    )

    def create() -> dict[str, Any]:
        with ctx.store.session() as session:
            made: dict[str, Any] = maker(session, ctx, spec)
            return made

    try:
        return await run_in_threadpool(create)
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from exc


# Someone else's accounts a demo can benchmark against (``python -m platform_sandbox`` creates
# them; tests create their own): (platform, username, kind).
DEMO_COMPETITORS = (
    ("x", "rivalroasters", "public"),
    ("x", "harbourbakes", "public"),
    ("x", "quietcorner", "protected"),
    ("meta", "rivalroasters", "business"),
    ("meta", "harbourbakes", "business"),
    ("meta", "jane.doe.personal", "personal"),
)


def seed_demo_competitors(app: FastAPI) -> list[str]:
    """Create :data:`DEMO_COMPETITORS` that do not exist yet; returns the ones created."""
    ctx: SandboxContext = app.state.sandbox
    made: list[str] = []
    for platform in app.state.platforms:
        if platform.create_competitor is None:
            continue
        for name, username, kind in DEMO_COMPETITORS:
            if name != platform.name:
                continue
            spec = NewCompetitor(
                username=username,
                name=username.replace("_", " ").replace(".", " ").title(),
                kind=kind,
                posts=30,
                days=audience.HISTORY_DAYS,
            )
            try:
                with ctx.store.session() as session:
                    platform.create_competitor(session, ctx, spec)
            except ValueError:  # already there (the data directory outlives the process)
                continue
            made.append(f"{name}:{username}")
    return made


class FaultIn(BaseModel):
    kind: str
    path: str
    method: str = "*"
    regex: bool = False
    times: int | None = 1
    status: int = 503
    message: str | None = None
    delay_ms: int = 0
    hang_seconds: float = 300.0


@router.get("/faults")
def list_faults(request: Request) -> dict[str, Any]:
    return {"faults": [r.as_dict() for r in fault_book(context(request).runtime).list()]}


@router.post("/faults", status_code=201)
def add_fault(request: Request, body: FaultIn) -> dict[str, Any]:
    try:
        rule = fault_book(context(request).runtime).add(**body.model_dump())
    except (ValueError, TypeError) as exc:
        raise HTTPException(400, str(exc)) from exc
    return rule.as_dict()


@router.delete("/faults")
def clear_faults(request: Request) -> dict[str, Any]:
    fault_book(context(request).runtime).clear()
    return {"faults": []}


@router.delete("/faults/{rule_id}")
def delete_fault(request: Request, rule_id: int) -> dict[str, Any]:
    if not fault_book(context(request).runtime).remove(rule_id):
        raise HTTPException(404, "no such fault rule")
    return {"deleted": rule_id}


class ClockIn(BaseModel):
    offset_seconds: float | None = None
    advance_seconds: float | None = None


def _clock(ctx: SandboxContext) -> dict[str, Any]:
    return {"now": ctx.clock.now().isoformat(), "offset_seconds": ctx.clock.offset_seconds}


@router.get("/clock")
def get_clock(request: Request) -> dict[str, Any]:
    return _clock(context(request))


@router.post("/clock")
def set_clock(request: Request, body: ClockIn) -> dict[str, Any]:
    ctx = context(request)
    if body.offset_seconds is None and body.advance_seconds is None:
        raise HTTPException(400, "give offset_seconds or advance_seconds")
    offset = body.offset_seconds if body.offset_seconds is not None else ctx.clock.offset_seconds
    offset += body.advance_seconds or 0.0
    if offset < -timedelta(days=3650).total_seconds():
        raise HTTPException(400, "offset too far in the past")
    ctx.clock.set_offset(offset)
    return _clock(ctx)


class RateLimitsIn(BaseModel):
    platform: str
    # section (e.g. "rate_limits", "user_24hour_limits") -> endpoint -> limit
    limits: dict[str, dict[str, int]]


@router.get("/ratelimits")
def get_rate_limits(request: Request) -> dict[str, Any]:
    return {"overrides": context(request).overrides}


@router.post("/ratelimits")
def set_rate_limits(request: Request, body: RateLimitsIn) -> dict[str, Any]:
    if body.platform not in _platform_names(request):
        raise HTTPException(400, f"unknown platform {body.platform!r}")
    ctx = context(request)
    platform = ctx.overrides.setdefault(body.platform, {})
    for section, values in body.limits.items():
        platform[section] = {**platform.get(section, {}), **values}
    return {"overrides": ctx.overrides}


@router.delete("/ratelimits")
def clear_rate_limits(request: Request) -> dict[str, Any]:
    ctx = context(request)
    ctx.overrides.clear()
    ctx.runtime.pop("ratelimit", None)
    return {"overrides": {}}
