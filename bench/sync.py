"""Analytics sync at scale: API calls per 1,000 posts per platform, wall time, worker memory.

For each mode, against the platform sandbox on loopback:

- ``embedded``: SQLite database + SQLite broker (the defaults, in a throwaway GROWTH_DATA_DIR);
- ``distributed``: a throwaway PostgreSQL database on the machine's server + Redis as broker.

Setup: the sandbox's control plane (``POST /_sandbox/accounts``) adds ``--per-platform`` X users,
LinkedIn organization pages and Facebook Pages each with a linked Instagram business account,
every one with ``--posts`` past posts over the last 90 days (so 100 accounts and 10,000 posts
by default); their numbers are the sandbox's audience model. ``growth-manager migrate``, then
one user and ``--per-platform`` businesses, and every account connected through the product's
own connect service (``Connections.start``, the platform's consent page walked over HTTP,
``complete``, and the picker's ``choose`` where the login offers several identities): each
business gets one X account, one LinkedIn page, one Facebook Page and its Instagram account,
with real sandbox tokens. Connecting queues each account's import (a ``connect`` sync run).
The sandbox's rate limits stay as the platforms set them.

The worker is a real ``growth-manager worker`` process (as ``growth-manager run`` starts it).

- **import**: the connect runs queued while connecting, from the worker's start (its start-up
  counts) until every run has finished;
- **re-sync**: a manual sync of every business (all followed posts are read again: the case of
  the batched post-metrics reads), from the commit that queues it until every run finished.

For each: posts synced, API calls per platform (``SyncRun.by_platform[...]["api_calls"]``) and
per 1,000 posts next to the seed's design of one request per post (two on LinkedIn and Meta),
wall time, and the worker's peak RSS (its process and its pool's, from /proc). Targets (from
the issue): at most 15 calls per 1,000 X posts and 25 per 1,000 Meta (Facebook, Instagram)
posts; embedded, all 10,000 posts synced in under a minute. Each table ends with notes on
where the calls go (``NOTES``).

Prints; asserts nothing.

    .venv/bin/python bench/sync.py [--mode embedded|distributed|both] [--per-platform 25]
        [--posts 100] [--concurrency N] [--timeout 900] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx2

sys.path.insert(0, os.path.dirname(__file__))
from api import create_postgres_database, drop_postgres_database

from connections import wait_for
from sandbox import free_port

REDIS_URL = os.environ.get("GROWTH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
PUBLIC_URL = "http://127.0.0.1:8000"
PLATFORMS = ("x", "linkedin", "facebook", "instagram")
# The seed's design: one request per post on X, two on LinkedIn and Meta.
SEED_CALLS_PER_1000 = {"x": 1000, "linkedin": 2000, "facebook": 2000, "instagram": 2000}
TARGET_CALLS_PER_1000 = {"x": 15, "facebook": 25, "instagram": 25}
WALL_TARGET_SECONDS = 60.0
# Where each phase's calls go, at 100 posts an account over 90 days (printed under the table).
NOTES = {
    "import": (
        "X: one listing of the 90 days, public metrics only, 100 posts a request, the account's "
        "followers in its includes.users (no account read, X keeps no history); the private "
        "metrics of posts under 30 days come with their next scheduled read.",
        "Facebook: one request on the Page's node (published_posts.limit(100){…} beside "
        "followers_count) plus the 90 days of Page insights; Instagram: the same on the "
        "account's node (media.limit(100){…}) plus one node read with the follower insights "
        "expanded. No separate read of the numbers now.",
        "LinkedIn: the posts listing, a statistics read per 100 shares (the listing carries "
        "no numbers) and the page's three account reads with their history (networkSizes, "
        "organizationalEntityFollowerStatistics and organizationalEntityShareStatistics by day).",
    ),
    "re-sync": (
        "No account read: a manual sync does not re-read numbers read less than an hour ago.",
        "X: 100 ids a GET /2/tweets, but posts under 30 days are read with their non-public "
        "metrics (clicks, profile clicks, engagements) and older ones without (asking an old "
        "post for them withholds it), so a batch spanning both ages takes two requests: 20 "
        "per 1,000 posts here, over the 15 target by the price of the private metrics.",
        "Facebook and Instagram: 50 ids a Graph multi-id read; LinkedIn: 100 shares a "
        "statistics read.",
    ),
}
SANDBOX_NAME = "Sync Bench"


@dataclass
class Phase:
    name: str
    runs: int = 0
    finished: int = 0
    seconds: float = 0.0
    posts: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    rate_limited: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    peak_rss: int = 0  # bytes, the worker's processes together
    peak_rss_process: int = 0  # bytes, the largest of them
    errors: list[str] = field(default_factory=list)
    # From the sandbox's own access log: requests per endpoint, and post-metrics reads per
    # platform.
    endpoints: Counter[str] = field(default_factory=Counter)
    metric_reads: Counter[str] = field(default_factory=Counter)
    sandbox_calls: Counter[str] = field(default_factory=Counter)

    @property
    def total_posts(self) -> int:
        return sum(self.posts.values())


# --- the sandbox's consent pages -----------------------------------------------------------------
class _Form(HTMLParser):
    """The first form of a page: its action, hidden fields, choices and buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.hidden: list[tuple[str, str]] = []
        self.choices: dict[str, list[str]] = {}
        self.checked: dict[str, list[str]] = {}
        self.buttons: list[tuple[str, str]] = []
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.action is None:
            self.action = a.get("action", "")
        if self.action is None or self._done:
            return
        if tag == "input":
            kind, name, value = a.get("type", "text"), a.get("name", ""), a.get("value", "")
            if kind == "hidden":
                self.hidden.append((name, value))
            elif kind in ("radio", "checkbox"):
                self.choices.setdefault(name, []).append(value)
                if "checked" in a:
                    self.checked.setdefault(name, []).append(value)
        elif tag == "button" and a.get("name"):
            self.buttons.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.action is not None:
            self._done = True


def consent(url: str, choose: dict[str, list[str]]) -> str:
    """Walk a platform's authorization dialog (every step of it), ticking ``choose`` and
    pressing the consent button; the redirect location back to the product."""
    with httpx2.Client(follow_redirects=False, timeout=30) as http:
        page = http.get(url)
        for _ in range(4):
            if page.status_code in (302, 303):
                return page.headers["location"]
            if page.status_code != 200:
                raise SystemExit(f"consent page {page.status_code}: {page.text[:300]}")
            form = _Form()
            form.feed(page.text)
            if form.action is None:
                raise SystemExit(f"no form on the consent page: {page.text[:300]}")
            data = list(form.hidden)
            for name, values in form.choices.items():
                picked = choose.get(name) or form.checked.get(name) or values[:1]
                data.extend((name, v) for v in picked)
            button = next(
                (b for b in form.buttons if b[1] in ("authorize", "allow", "continue")), None
            )
            if button is None:
                raise SystemExit(f"no consent button among {form.buttons}")
            data.append(button)
            fields: dict[str, list[str]] = {}
            for name, value in data:
                fields.setdefault(name, []).append(value)
            page = http.post(urljoin(str(page.url), form.action), data=fields)
        raise SystemExit("the consent dialog never redirected back")


# --- the product ---------------------------------------------------------------------------------
def make_sandbox_accounts(sandbox_url: str, per_platform: int, posts: int) -> dict[str, Any]:
    made: dict[str, Any] = {}
    for platform in ("x", "linkedin", "meta"):
        response = httpx2.post(
            f"{sandbox_url}/_sandbox/accounts",
            json={
                "platform": platform,
                "count": per_platform,
                "posts": posts,
                "name": SANDBOX_NAME,
            },
            timeout=600,
        )
        response.raise_for_status()
        made[platform] = response.json()["accounts"]
    return made


def seed_businesses(database: Any, count: int) -> tuple[int, list[int]]:
    from growth_manager.models.business import Business, BusinessMember, Role
    from growth_manager.models.user import User

    with database.session() as session:
        # Nobody signs in: a hash no password matches.
        user = User(email="bench@example.com", name="Bench", password_hash="!")  # noqa: S106
        session.add(user)
        session.flush()
        ids = []
        for n in range(count):
            business = Business(name=f"Sync bench {n}", timezone="UTC", description="")
            session.add(business)
            session.flush()
            session.add(BusinessMember(business_id=business.id, user_id=user.id, role=Role.owner))
            ids.append(business.id)
        return user.id, ids


def connect(
    database: Any,
    settings: Any,
    user_id: int,
    business_id: int,
    platform: str,
    choose: dict[str, list[str]],
    keys: list[str],
) -> int:
    """The product's connect flow for one login; returns how many accounts it connected."""
    from growth_manager.business.access import BusinessAccess
    from growth_manager.connections.service import Connections
    from growth_manager.models.business import Business, Role
    from growth_manager.models.user import User

    connections = Connections()
    with database.session() as session:
        business, user = session.get(Business, business_id), session.get(User, user_id)
        assert business is not None
        assert user is not None
        authorize = connections.start(
            session, settings, BusinessAccess(business, Role.owner, user), platform
        )
    location = consent(authorize, choose)
    params = dict(parse_qsl(urlsplit(location).query))
    with database.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        session.expunge(user)
    result = connections.complete(database, settings, user, platform, params)
    if result.connected:
        return len(result.connected)
    assert result.pending_token, f"{platform}: neither connected nor parked"
    with database.session() as session:
        business, user = session.get(Business, business_id), session.get(User, user_id)
        assert business is not None
        assert user is not None
        return len(
            connections.choose(
                session, BusinessAccess(business, Role.owner, user), result.pending_token, keys
            )
        )


def connect_all(
    database: Any, settings: Any, user_id: int, businesses: list[int], made: dict[str, Any]
) -> int:
    connected = 0
    for n, business_id in enumerate(businesses):
        x_user, org, page = made["x"][n], made["linkedin"][n], made["meta"][n]
        connected += connect(
            database, settings, user_id, business_id, "x", {"account": [x_user["id"]]}, []
        )
        connected += connect(
            database,
            settings,
            user_id,
            business_id,
            "linkedin",
            {"member": [org["administrator"]]},
            [f"linkedin:{org['urn']}"],
        )
        ig = page["instagram_business_account"]
        # Facebook Login grants the Pages ticked in the latest login only: a person adding
        # one more business keeps the Pages of the earlier ones ticked.
        granted = [p["id"] for p in made["meta"][: n + 1]]
        connected += connect(
            database,
            settings,
            user_id,
            business_id,
            "facebook",
            {"user": [page["administrator"]], "page_ids": granted},
            [f"facebook:{page['id']}", f"instagram:{ig['id']}"],
        )
    return connected


def resync_all(database: Any, businesses: list[int], user_id: int) -> list[int]:
    from growth_manager.analytics import runs
    from growth_manager.models.analytics import SyncTrigger

    with database.session() as session:
        return [
            runs.start_sync(session, b, trigger=SyncTrigger.manual, user_id=user_id).id
            for b in businesses
        ]


def run_ids(database: Any, trigger: str) -> list[int]:
    from sqlalchemy import select

    from growth_manager.models.analytics import SyncRun, SyncTrigger

    with database.read_session() as session:
        return list(
            session.scalars(select(SyncRun.id).where(SyncRun.trigger == SyncTrigger(trigger)))
        )


def wait_runs(database: Any, ids: list[int], deadline: float, label: str) -> list[Any]:
    """Poll until every run has finished (or the deadline): the runs, detached."""
    from sqlalchemy import select

    from growth_manager.models.analytics import SyncRun

    last_print = time.monotonic()
    while True:
        with database.read_session() as session:
            rows = list(session.scalars(select(SyncRun).where(SyncRun.id.in_(ids))))
            for row in rows:
                session.expunge(row)
        done = sum(1 for r in rows if r.finished_at is not None)
        if done == len(ids) or time.monotonic() > deadline:
            return rows
        if time.monotonic() - last_print > 10:
            synced = sum(max(r.synced, r.imported) for r in rows)
            print(f"    … {label}: {done}/{len(ids)} runs finished, {synced} posts", flush=True)
            last_print = time.monotonic()
        time.sleep(0.2)


def tally(phase: Phase, rows: list[Any], started: datetime, count_imported: bool) -> None:
    phase.runs = len(rows)
    last = started
    for run in rows:
        if run.finished_at is not None:
            phase.finished += 1
            finished = run.finished_at
            finished = finished if finished.tzinfo else finished.replace(tzinfo=UTC)
            last = max(last, finished)
        phase.statuses[run.status.value] = phase.statuses.get(run.status.value, 0) + 1
        phase.failed += run.failed
        phase.rate_limited += run.rate_limited
        for platform, part in (run.by_platform or {}).items():
            posts = part.get("imported", 0) if count_imported else part.get("synced", 0)
            phase.posts[platform] = phase.posts.get(platform, 0) + posts
            phase.calls[platform] = phase.calls.get(platform, 0) + part.get("api_calls", 0)
        for error in run.errors or []:
            if len(phase.errors) < 5:
                phase.errors.append(f"{error.get('platform')}: {error.get('message')}")
    phase.seconds = (last - started).total_seconds()


# --- the sandbox's own count ----------------------------------------------------------------------
_REQUEST = re.compile(r'"(GET|POST|DELETE) /([^ ?"]+)(\?[^ "]*)? HTTP')
_ID = re.compile(r"(urn(%3A|:)li(%3A|:)[a-zA-Z]+(%3A|:))?\d{3,}(_\d+)?")
# The host each platform's API answers on (Facebook and Instagram share Graph).
HOSTS = {"api.x.com": "x", "api.linkedin.com": "linkedin", "graph.facebook.com": "meta"}


def log_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def count_requests(phase: Phase, path: Path, start: int) -> None:
    """The platform API requests the sandbox logged since byte ``start`` of its access log:
    per endpoint, per platform, and the post-metrics reads (``GET /2/tweets?ids=``, Rest.li
    ``organizationalEntityShareStatistics`` with ``shares=List(...)``, Graph ``?ids=``: Page
    posts are ``{page}_{post}``, Instagram media plain ids)."""
    text = path.read_bytes()[start:].decode(errors="replace")
    for match in _REQUEST.finditer(text):
        method, full, query = match.group(1), match.group(2), match.group(3) or ""
        host, _, rest = full.partition("/")
        platform = HOSTS.get(host)
        if platform is None:
            continue
        rest = _ID.sub("{id}", rest)
        rest = re.sub(r"^v\d+\.\d+/", "", rest)
        multi = query.startswith("?ids=")
        phase.endpoints[f"{method} {host}/{rest}" + ("?ids=…" if multi else "")] += 1
        if host == "api.x.com" and rest == "2/tweets" and "ids=" in query:
            phase.metric_reads["x"] += 1
        elif "organizationalEntityShareStatistics" in rest and "shares=List" in query:
            phase.metric_reads["linkedin"] += 1
        elif multi:
            first = query[len("?ids=") :].split("%2C", 1)[0]
            phase.metric_reads["facebook" if "_" in first else "instagram"] += 1
        phase.sandbox_calls[platform] += 1


# --- the worker and its memory -------------------------------------------------------------------
def start_worker(env: dict[str, str], logs: Path, concurrency: int | None) -> Any:
    log_path = logs / "worker.log"
    command = [sys.executable, "-m", "growth_manager", "worker"]
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    process = subprocess.Popen(
        command,
        env=env,
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while "dispatcher.started" not in log_path.read_text(errors="replace"):
        if process.poll() is not None:
            raise SystemExit(f"the worker exited during start-up:\n{log_path.read_text()}")
        if time.monotonic() > deadline:
            raise SystemExit("the worker did not start its dispatcher within 60 s")
        time.sleep(0.05)
    return process


def stop_worker(process: Any) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            out += [int(p) for p in task.read_text().split()]
    return out


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class MemoryWatch:
    """Samples the RSS of a process and its descendants every 100 ms."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.peak_process = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            pids, todo = [], [self.pid]
            while todo:
                pid = todo.pop()
                pids.append(pid)
                todo += _children(pid)
            sizes = [_rss(p) for p in pids]
            self.peak = max(self.peak, sum(sizes))
            self.peak_process = max(self.peak_process, *sizes)
            self._stop.wait(0.1)


# --- one mode ------------------------------------------------------------------------------------
def bench_mode(mode: str, args: argparse.Namespace) -> list[Phase]:
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    data = tempfile.mkdtemp(prefix="growth-bench-sync-")
    sandbox_data = Path(data) / "sandbox"
    sandbox_data.mkdir()
    logs = Path(data) / "logs"
    logs.mkdir()
    database_url = create_postgres_database() if mode == "distributed" else ""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROWTH_")}
    env |= {
        "GROWTH_DATA_DIR": data,
        "GROWTH_SANDBOX_URL": sandbox_url,
        "GROWTH_SANDBOX_PORT": str(sandbox_port),
        "GROWTH_PUBLIC_URL": PUBLIC_URL,
        "GROWTH_LOG_LEVEL": args.log_level,
    }
    if mode == "distributed":
        env["GROWTH_DATABASE_URL"] = database_url
        env["GROWTH_BROKER_URL"] = args.redis
    # This process queues jobs through the product's Celery app, built from the environment
    # when first imported: the same settings as the worker's.
    os.environ.update({k: v for k, v in env.items() if k.startswith("GROWTH_")})
    exe = [sys.executable, "-m", "growth_manager"]
    sandbox = subprocess.Popen(
        [
            *(sys.executable, "-m", "platform_sandbox"),
            *("--port", str(sandbox_port), "--data-dir", str(sandbox_data)),
        ],
        stdout=(logs / "sandbox.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    worker = None
    database = None
    phases = [Phase("import"), Phase("re-sync")]
    try:
        subprocess.run([*exe, "migrate"], env=env, check=True, capture_output=True)
        wait_for(f"{sandbox_url}/_sandbox/health", sandbox, "sandbox")
        started = time.perf_counter()
        made = make_sandbox_accounts(sandbox_url, args.per_platform, args.posts)
        on_sandbox = sum(
            a["posts"] + ((a.get("instagram_business_account") or {}).get("posts") or 0)
            for accounts in made.values()
            for a in accounts
        )
        print(
            f"\n== {mode}: sandbox accounts with {on_sandbox} posts made in "
            f"{time.perf_counter() - started:.1f} s; sandbox {sandbox_url}",
            flush=True,
        )
        from growth_manager.analytics import endpoints as _analytics_hooks  # noqa: F401
        from growth_manager.config import Settings
        from growth_manager.db import Database
        from growth_manager.kit.crypto import configure_keys
        from growth_manager.worker import celery_app as _queues  # noqa: F401

        settings = Settings()
        configure_keys(settings.resolved_token_keys())
        database = Database(settings)
        user_id, businesses = seed_businesses(database, args.per_platform)
        started = time.perf_counter()
        connected = connect_all(database, settings, user_id, businesses, made)
        print(
            f"  {connected} accounts connected to {len(businesses)} businesses through the "
            f"connect flow in {time.perf_counter() - started:.1f} s "
            f"(database {settings.effective_database_url.split('@')[-1]}, "
            f"broker {settings.effective_broker_url.split('@')[-1]}, "
            f"worker concurrency {args.concurrency or settings.worker_concurrency})",
            flush=True,
        )
        deadline_after = args.timeout

        # Import: the connect runs, queued while connecting.
        imports = run_ids(database, "connect")
        sandbox_log = logs / "sandbox.log"
        offset = log_size(sandbox_log)
        began = datetime.now(UTC)  # the worker's start-up counts
        worker = start_worker(env, logs, args.concurrency)
        with MemoryWatch(worker.pid) as memory:
            rows = wait_runs(database, imports, time.monotonic() + deadline_after, "import")
            tally(phases[0], rows, began, count_imported=True)
            phases[0].peak_rss, phases[0].peak_rss_process = memory.peak, memory.peak_process
        time.sleep(0.5)  # the access log is written after the answer
        count_requests(phases[0], sandbox_log, offset)
        offset = log_size(sandbox_log)

        # Re-sync: a person asks every business to sync now.
        with MemoryWatch(worker.pid) as memory:
            began = datetime.now(UTC)
            ids = resync_all(database, businesses, user_id)
            rows = wait_runs(database, ids, time.monotonic() + deadline_after, "re-sync")
            tally(phases[1], rows, began, count_imported=False)
            phases[1].peak_rss, phases[1].peak_rss_process = memory.peak, memory.peak_process
        time.sleep(0.5)
        count_requests(phases[1], sandbox_log, offset)
        locked = (logs / "worker.log").read_text(errors="replace").count("database is locked")
        print(f"  worker log: 'database is locked' {locked}")
        return phases
    finally:
        stop_worker(worker)
        sandbox.terminate()
        sandbox.wait(timeout=30)
        if database is not None:
            database.dispose()
        if database_url:
            drop_postgres_database(database_url)
        if mode == "distributed":
            clear_redis(args.redis)
        if args.keep:
            print(f"  (kept {data})")
        else:
            shutil.rmtree(data, ignore_errors=True)


def clear_redis(url: str) -> None:
    """The queues this run left in its Redis database (nothing else is there)."""
    try:
        import redis

        client = redis.Redis.from_url(url)
        client.flushdb()
        client.close()
    except Exception as exc:  # the figures are printed already
        print(f"  (could not clear {url}: {exc})")


# --- the table -----------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_table(mode: str, phase: Phase) -> None:
    mib = 1024 * 1024
    rows: list[tuple[str, str, str, str]] = []
    for platform in PLATFORMS:
        posts, calls = phase.posts.get(platform, 0), phase.calls.get(platform, 0)
        per = 1000 * calls / posts if posts else float("nan")
        seed = SEED_CALLS_PER_1000[platform]
        target = TARGET_CALLS_PER_1000.get(platform)
        rows.append(
            (
                f"{platform}: {posts} posts, {calls} calls; per 1,000 posts",
                f"{per:.1f}",
                (f"<= {target}" if target else "") + f" (seed {seed}: ×{seed / per:.0f} fewer)"
                if posts and calls
                else f"(seed {seed})",
                verdict(per <= target) if target is not None and posts else "",
            )
        )
    for platform in PLATFORMS:
        posts, reads = phase.posts.get(platform, 0), phase.metric_reads.get(platform, 0)
        if reads:
            rows.append(
                (
                    f"{platform}: post-metrics reads (sandbox log) per 1,000 posts",
                    f"{1000 * reads / posts if posts else float('nan'):.1f}",
                    f"({reads} reads)",
                    "",
                )
            )
    product = {
        "x": phase.calls.get("x", 0),
        "linkedin": phase.calls.get("linkedin", 0),
        "meta": phase.calls.get("facebook", 0) + phase.calls.get("instagram", 0),
    }
    for platform, calls in product.items():
        rows.append(
            (
                f"{platform}: calls counted by the product / logged by the sandbox",
                f"{calls} / {phase.sandbox_calls.get(platform, 0)}",
                "",
                "",
            )
        )
    total = phase.total_posts
    rows += [
        (
            f"wall time, {total} posts, {phase.finished}/{phase.runs} runs",
            f"{phase.seconds:.1f} s",
            f"< {WALL_TARGET_SECONDS:.0f} s" + (" (embedded)" if mode == "embedded" else ""),
            verdict(phase.seconds < WALL_TARGET_SECONDS and phase.finished == phase.runs)
            if mode == "embedded"
            else "",
        ),
        ("posts per second", f"{total / phase.seconds if phase.seconds else 0:.0f}", "", ""),
        ("failed / deferred by rate limits", f"{phase.failed} / {phase.rate_limited}", "", ""),
        ("run statuses", str(phase.statuses), "", ""),
        ("worker peak RSS (all processes)", f"{phase.peak_rss / mib:.0f} MiB", "", ""),
        ("worker peak RSS (largest process)", f"{phase.peak_rss_process / mib:.0f} MiB", "", ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"\n== {mode}: {phase.name}")
    print(f"  {'figure':<{width}}  {'value':>12}  {'target':<30} verdict")
    for name, value, target, ok in rows:
        print(f"  {name:<{width}}  {value:>12}  {target:<30} {ok}")
    for error in phase.errors:
        print(f"  error: {error}")
    print("  requests the sandbox answered, by endpoint:")
    for endpoint, count in sorted(phase.endpoints.items()):
        print(f"    {count:>6}  {endpoint}")
    for note in NOTES.get(phase.name, ()):
        print(f"  note: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--mode", choices=["embedded", "distributed", "both"], default="both")
    parser.add_argument(
        "--per-platform",
        type=int,
        default=25,
        help="X users, LinkedIn pages and Facebook Pages (each with Instagram) on the sandbox; "
        "also the number of businesses",
    )
    parser.add_argument("--posts", type=int, default=100, help="past posts of each account")
    parser.add_argument("--concurrency", type=int, default=None, help="the worker's processes")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per phase")
    parser.add_argument("--redis", default=REDIS_URL, help="broker of the distributed mode")
    parser.add_argument("--log-level", default="INFO", help="the worker's GROWTH_LOG_LEVEL")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    args = parser.parse_args()
    if args.mode == "both":
        # The product's Celery app is built from the environment once per process: one mode
        # per process.
        for mode in ("embedded", "distributed"):
            subprocess.run([sys.executable, __file__, *sys.argv[1:], "--mode", mode], check=False)
        return
    print(
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; {args.per_platform} accounts "
        f"per platform ({4 * args.per_platform} accounts), {args.posts} posts each"
    )
    phases = bench_mode(args.mode, args)
    for phase in phases:
        print_table(args.mode, phase)


if __name__ == "__main__":
    main()
