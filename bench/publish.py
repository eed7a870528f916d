"""Publishing under load: lag, throughput, duplicates and losses, embedded and distributed.

For each mode, against the platform sandbox on loopback:

- ``embedded``: SQLite database + SQLite broker (the defaults, in a throwaway GROWTH_DATA_DIR);
- ``distributed``: a throwaway PostgreSQL database on the machine's server + Redis as broker.

Setup: ``growth-manager migrate``, then rows written directly with the product's models: a
user, ``--accounts`` businesses each with one X account holding a sandbox access token obtained
through the real consent flow (one sandbox identity, the same token in every account), and
post + post_target rows with unique texts. The sandbox's X rate limits are lifted, so this
measures the product, not the limiter. The publishing worker runs as real processes
(``growth-manager worker -Q publish``, ``--workers`` of them).

- **lag**: ``--lag`` targets due within one minute (spread over 60 s, starting a few seconds
  after the workers are ready): scheduled_at → published_at (recorded right after the
  platform's 201), p50 / p99 / max. Target: p99 < 1 s.
- **drain**: ``--drain`` targets over the accounts, all due now: targets/s and total time;
  then the sandbox's own throughput for the same call (POST /2/tweets with the same token,
  ``--direct`` of them, from as many threads as the workers' publish threads) and the ratio
  product/sandbox. Targets: ratio >= 0.5; embedded, everything out within 2 minutes.
- **duplicates and losses**, counted from the sandbox's own state (``GET /_sandbox/state``):
  every text exactly once. Target: zero of each.

Prints; asserts nothing.

    .venv/bin/python bench/publish.py [--mode embedded|distributed|both] [--lag 1000]
        [--drain 10000] [--accounts 500] [--workers 1] [--threads 16] [--direct 2000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, os.path.dirname(__file__))
from api import create_postgres_database, drop_postgres_database

from connections import wait_for
from sandbox import UNLIMITED, free_port, sign_in

REDIS_URL = os.environ.get("GROWTH_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
LAG_LEAD_SECONDS = 5.0
LAG_SPREAD_SECONDS = 60.0
LAG_P99_TARGET = 1.0
DRAIN_SECONDS_TARGET = 120.0
RATIO_TARGET = 0.5
X_ENDPOINTS = ("POST /2/tweets", "GET /2/users/me", "GET /2/users/{id}/tweets")


@dataclass
class Result:
    mode: str
    settings: dict[str, str] = field(default_factory=dict)
    lag: list[float] = field(default_factory=list)
    lag_unfinished: int = 0
    drain_count: int = 0
    drain_published: int = 0
    drain_seconds: float = 0.0
    direct_count: int = 0
    direct_seconds: float = 0.0
    direct_errors: int = 0
    duplicates: int = 0
    losses: int = 0
    not_published: dict[str, int] = field(default_factory=dict)
    attempts_per_target: float = 0.0

    @property
    def drain_rate(self) -> float:
        return self.drain_published / self.drain_seconds if self.drain_seconds else 0.0

    @property
    def direct_rate(self) -> float:
        return self.direct_count / self.direct_seconds if self.direct_seconds else 0.0


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


# --- the sandbox ---------------------------------------------------------------------------------
def lift_limits(sandbox_url: str) -> None:
    limits = {
        section: dict.fromkeys(X_ENDPOINTS, UNLIMITED)
        for section in ("rate_limits", "user_24hour_limits", "app_24hour_limits")
    }
    httpx2.post(
        f"{sandbox_url}/_sandbox/ratelimits", json={"platform": "x", "limits": limits}, timeout=30
    ).raise_for_status()


def sandbox_identity(sandbox_url: str) -> dict[str, Any]:
    """An access token through the real consent page and token endpoint, and whose it is."""
    with httpx2.Client(base_url=sandbox_url, timeout=30) as http:
        access = sign_in(http)
        me = http.get(
            "/api.x.com/2/users/me", headers={"Authorization": f"Bearer {access}"}
        ).json()["data"]
    return {"access": access, "id": me["id"], "username": me["username"], "name": me["name"]}


def sandbox_texts(sandbox_url: str, prefix: str) -> Counter[str]:
    """How many times each text starting with ``prefix`` is on the sandbox's X."""
    state = httpx2.get(f"{sandbox_url}/_sandbox/state", timeout=300).json()["tables"]
    return Counter(row["text"] for row in state["x_tweet"] if row["text"].startswith(prefix))


def direct_posts(
    sandbox_url: str, token: str, count: int, threads: int, prefix: str
) -> tuple[float, int]:
    """POST /2/tweets straight at the sandbox from ``threads`` threads: (seconds, errors)."""
    clients = [httpx2.Client(base_url=sandbox_url, timeout=30) for _ in range(threads)]
    local = threading.local()
    lock = threading.Lock()
    handed = iter(clients)

    def client() -> httpx2.Client:
        if not hasattr(local, "client"):
            with lock:
                local.client = next(handed)
        return local.client  # type: ignore[no-any-return]

    def post(i: int) -> int:
        return (
            client()
            .post(
                "/api.x.com/2/tweets",
                json={"text": f"{prefix} direct {i}"},
                headers={"Authorization": f"Bearer {token}"},
            )
            .status_code
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(post, range(count)))
    elapsed = time.perf_counter() - started
    for http in clients:
        http.close()
    return elapsed, sum(1 for s in statuses if s != 201)


# --- the product's rows --------------------------------------------------------------------------
def database_for(data_dir: str, database_url: str) -> Any:
    from growth_manager.config import Settings
    from growth_manager.db import Database
    from growth_manager.kit.crypto import configure_keys

    settings = Settings(data_dir=Path(data_dir), database_url=database_url or None)
    configure_keys(settings.resolved_token_keys())
    return Database(settings)


def seed_accounts(database: Any, identity: dict[str, Any], count: int) -> list[tuple[int, int]]:
    """A user, ``count`` businesses each with one connected X account: [(business, account)]."""
    from growth_manager.kit.clock import utcnow
    from growth_manager.models.accounts import AccountStatus, SocialAccount
    from growth_manager.models.business import Business, BusinessMember, Role
    from growth_manager.models.user import User

    now = utcnow()
    pairs = []
    with database.session() as session:
        # Nobody signs in: a hash no password matches.
        user = User(email="bench@example.com", name="Bench", password_hash="!")  # noqa: S106
        session.add(user)
        session.flush()
        for n in range(count):
            business = Business(name=f"Bench business {n}", timezone="UTC", description="")
            session.add(business)
            session.flush()
            session.add(BusinessMember(business_id=business.id, user_id=user.id, role=Role.owner))
            account = SocialAccount(
                business_id=business.id,
                platform="x",
                kind="user",
                external_id=identity["id"],
                name=identity["name"],
                username=identity["username"],
                access_token=identity["access"],
                expires_at=now + timedelta(hours=2),
                granted_scopes=["tweet.read", "tweet.write", "users.read", "offline.access"],
                status=AccountStatus.active,
                is_sandbox=True,
                connected_by_id=user.id,
                connected_at=now,
            )
            session.add(account)
            session.flush()
            pairs.append((business.id, account.id))
    return pairs


def seed_targets(
    database: Any, pairs: list[tuple[int, int]], texts: list[str], times: list[datetime]
) -> list[int]:
    """One scheduled post and its one X target per text, in a single transaction (committed
    when this returns): the target ids."""
    from sqlalchemy import insert

    from growth_manager.models.content import Post, PostStatus
    from growth_manager.models.publishing import PostTarget, TargetStatus

    with database.session() as session:
        post_ids = session.scalars(
            insert(Post).returning(Post.id, sort_by_parameter_order=True),
            [
                {
                    "business_id": pairs[n % len(pairs)][0],
                    "title": text[:200],
                    "base_text": text,
                    "status": PostStatus.scheduled,
                    "platforms": ["x"],
                }
                for n, text in enumerate(texts)
            ],
        ).all()
        target_ids = session.scalars(
            insert(PostTarget).returning(PostTarget.id, sort_by_parameter_order=True),
            [
                {
                    "post_id": post_id,
                    "business_id": pairs[n % len(pairs)][0],
                    "social_account_id": pairs[n % len(pairs)][1],
                    "platform": "x",
                    "parts": [text],
                    "media_ids": [],
                    "scheduled_at": at,
                    "next_attempt_at": at,
                    "status": TargetStatus.scheduled,
                    "progress": {},
                    "warnings": [],
                    "origin": "scheduled",
                }
                for n, (post_id, text, at) in enumerate(zip(post_ids, texts, times, strict=True))
            ],
        ).all()
    return list(target_ids)


def target_rows(database: Any, ids: list[int]) -> list[tuple[Any, ...]]:
    from sqlalchemy import select

    from growth_manager.models.publishing import PostTarget

    rows: list[tuple[Any, ...]] = []
    with database.read_session() as session:
        for first in range(0, len(ids), 5000):
            rows += session.execute(
                select(
                    PostTarget.id,
                    PostTarget.status,
                    PostTarget.scheduled_at,
                    PostTarget.published_at,
                ).where(PostTarget.id.in_(ids[first : first + 5000]))
            ).all()
    return rows


def count_published(database: Any, ids: list[int]) -> int:
    from sqlalchemy import func, select

    from growth_manager.models.publishing import PostTarget, TargetStatus

    lo, hi = min(ids), max(ids)  # seeded in one transaction: a contiguous range
    with database.read_session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(PostTarget)
                .where(PostTarget.id.between(lo, hi), PostTarget.status == TargetStatus.published)
            )
            or 0
        )


def count_unsettled(database: Any, ids: list[int]) -> int:
    from sqlalchemy import func, select

    from growth_manager.models.publishing import FINAL, PostTarget

    lo, hi = min(ids), max(ids)
    with database.read_session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(PostTarget)
                .where(PostTarget.id.between(lo, hi), PostTarget.status.not_in(FINAL))
            )
            or 0
        )


def attempts_count(database: Any) -> int:
    from sqlalchemy import func, select

    from growth_manager.models.publishing import PublishAttempt

    with database.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(PublishAttempt)) or 0)


def wait_settled(database: Any, ids: list[int], deadline: float, label: str) -> int:
    """Poll until every target is final or the deadline passes: how many are left."""
    last_print = 0.0
    while True:
        left = count_unsettled(database, ids)
        if left == 0 or time.monotonic() > deadline:
            return left
        if time.monotonic() - last_print > 10:
            print(f"    … {label}: {len(ids) - left}/{len(ids)} settled", flush=True)
            last_print = time.monotonic()
        time.sleep(0.5)


# --- the worker ----------------------------------------------------------------------------------
def start_workers(
    env: dict[str, str], count: int, logs: Path, concurrency: int
) -> list[subprocess.Popen[bytes]]:
    processes = []
    exe = [sys.executable, "-m", "growth_manager"]
    for n in range(count):
        log = (logs / f"worker-{n}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [*exe, "worker", "-c", str(concurrency), "-Q", "publish"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    deadline = time.monotonic() + 60
    for n, process in enumerate(processes):
        log_path = logs / f"worker-{n}.log"
        while "dispatcher.started" not in log_path.read_text(errors="replace"):
            if process.poll() is not None:
                raise SystemExit(f"worker {n} exited during start-up:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                raise SystemExit(f"worker {n} did not start its dispatcher within 60 s")
            time.sleep(0.1)
    return processes


def stop_workers(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def log_count(logs: Path, needle: str) -> int:
    return sum(p.read_text(errors="replace").count(needle) for p in logs.glob("worker-*.log"))


# --- one mode ------------------------------------------------------------------------------------
def bench_mode(mode: str, args: argparse.Namespace) -> Result:
    result = Result(mode)
    sandbox_port = free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    data = tempfile.mkdtemp(prefix="growth-bench-publish-")
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
        "GROWTH_PUBLIC_URL": "http://127.0.0.1:8000",
        "GROWTH_LOG_LEVEL": args.log_level,
        "GROWTH_PUBLISH_THREADS": str(args.threads),
    }
    if args.poll is not None:
        env["GROWTH_PUBLISH_POLL_SECONDS"] = str(args.poll)
    if mode == "distributed":
        env["GROWTH_DATABASE_URL"] = database_url
        env["GROWTH_BROKER_URL"] = args.redis
    exe = [sys.executable, "-m", "growth_manager"]
    sandbox = subprocess.Popen(
        [
            *(sys.executable, "-m", "platform_sandbox"),
            *("--port", str(sandbox_port), "--data-dir", str(sandbox_data)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[subprocess.Popen[bytes]] = []
    database = None
    try:
        subprocess.run([*exe, "migrate"], env=env, check=True, capture_output=True)
        wait_for(f"{sandbox_url}/_sandbox/health", sandbox, "sandbox")
        lift_limits(sandbox_url)
        identity = sandbox_identity(sandbox_url)
        database = database_for(data, database_url)
        started = time.perf_counter()
        pairs = seed_accounts(database, identity, args.accounts)
        print(
            f"\n== {mode}: {args.accounts} businesses/accounts seeded in "
            f"{time.perf_counter() - started:.1f} s; sandbox {sandbox_url}"
        )
        from growth_manager.config import Settings

        shown = Settings(
            **{k[len("GROWTH_") :].lower(): v for k, v in env.items() if k.startswith("GROWTH_")},
        )
        result.settings = {
            "database": shown.effective_database_url.split("@")[-1],
            "broker": shown.effective_broker_url.split("@")[-1],
            "workers": f"{args.workers} × `worker -c 1 -Q publish`",
            "publish_threads": str(shown.publish_threads),
            "publish_poll_seconds": str(shown.publish_poll_seconds),
            "publish_lease_seconds": str(shown.publish_lease_seconds),
            "log_level": shown.log_level,
        }
        for name, value in result.settings.items():
            print(f"  {name:<22} {value}")
        run = uuid.uuid4().hex[:8]
        prefix = f"bench {run}"

        workers = start_workers(env, args.workers, logs, args.concurrency)
        attempts_before = attempts_count(database)

        # Lag: due within one minute, starting a few seconds from now.
        if args.lag:
            begin = datetime.now(UTC) + timedelta(seconds=LAG_LEAD_SECONDS)
            step = LAG_SPREAD_SECONDS / args.lag
            times = [begin + timedelta(seconds=i * step) for i in range(args.lag)]
            texts = [f"{prefix} lag {i}: a post on time" for i in range(args.lag)]
            ids = seed_targets(database, pairs, texts, times)
            print(f"  lag: {args.lag} targets due from {begin:%H:%M:%S} over 60 s", flush=True)
            deadline = time.monotonic() + LAG_LEAD_SECONDS + LAG_SPREAD_SECONDS + 120
            result.lag_unfinished = wait_settled(database, ids, deadline, "lag")
            for _id, status, scheduled, published in target_rows(database, ids):
                if published is not None:
                    result.lag.append((aware(published) - aware(scheduled)).total_seconds())
                else:
                    result.not_published[str(status)] = result.not_published.get(str(status), 0) + 1

        # Drain: everything due now, committed in one transaction.
        if args.drain:
            texts = [f"{prefix} drain {i}: a post in the backlog" for i in range(args.drain)]
            now = datetime.now(UTC)
            ids = seed_targets(database, pairs, texts, [now] * args.drain)
            committed = datetime.now(UTC)
            print(
                f"  drain: {args.drain} targets due now (written in "
                f"{(committed - now).total_seconds():.1f} s)",
                flush=True,
            )
            result.drain_count = args.drain
            left = wait_settled(database, ids, time.monotonic() + args.drain_timeout, "drain")
            last = committed
            for _id, status, _scheduled, published in target_rows(database, ids):
                if published is not None:
                    result.drain_published += 1
                    last = max(last, aware(published))
                else:
                    result.not_published[str(status)] = result.not_published.get(str(status), 0) + 1
            result.drain_seconds = (last - committed).total_seconds()
            if left:
                print(f"    {left} drain targets still unsettled after {args.drain_timeout} s")

        attempts = attempts_count(database) - attempts_before
        total = args.lag + args.drain
        result.attempts_per_target = attempts / total if total else 0.0
        locked = log_count(logs, "database is locked")
        crashed = log_count(logs, "publish_failed") + log_count(logs, "loop_failed")
        print(f"  worker log: 'database is locked' {locked}, dispatcher errors {crashed}")
        stop_workers(workers)
        workers = []

        # The sandbox alone, same call, same token, as many threads as the workers publish on.
        if args.direct:
            threads = args.threads * args.workers
            result.direct_count = args.direct
            result.direct_seconds, result.direct_errors = direct_posts(
                sandbox_url, identity["access"], args.direct, threads, prefix
            )

        # Duplicates and losses, from the sandbox's own state.
        on_platform = sandbox_texts(sandbox_url, prefix)
        expected = [f"{prefix} lag {i}: a post on time" for i in range(args.lag)] + [
            f"{prefix} drain {i}: a post in the backlog" for i in range(args.drain)
        ]
        result.duplicates = sum(max(0, on_platform[t] - 1) for t in expected)
        result.losses = sum(1 for t in expected if on_platform[t] == 0)
        strays = sum(
            n
            for t, n in on_platform.items()
            if t not in set(expected) and not t.startswith(f"{prefix} direct")
        )
        if strays:
            print(f"  {strays} posts on the sandbox with this run's prefix but no target")
        return result
    finally:
        stop_workers(workers)
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
        for key in client.scan_iter("*publish*"):
            client.delete(key)
        client.close()
    except Exception as exc:  # the figures are printed already
        print(f"  (could not clear {url}: {exc})")


# --- the table -----------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def print_table(result: Result, args: argparse.Namespace) -> None:
    lag = result.lag
    p50, p99 = percentile(lag, 50), percentile(lag, 99)
    ratio = result.drain_rate / result.direct_rate if result.direct_rate else float("nan")
    rows: list[tuple[str, str, str, str]] = []
    if args.lag:
        rows += [
            (f"lag p50 ({len(lag)}/{args.lag} published)", f"{p50:.3f} s", "", ""),
            ("lag p99", f"{p99:.3f} s", f"< {LAG_P99_TARGET:.0f} s", verdict(p99 < LAG_P99_TARGET)),
            ("lag max", f"{max(lag) if lag else float('nan'):.3f} s", "", ""),
            ("lag mean", f"{statistics.fmean(lag) if lag else float('nan'):.3f} s", "", ""),
        ]
    if args.drain:
        in_time = result.drain_seconds <= DRAIN_SECONDS_TARGET
        all_out = result.drain_published == result.drain_count
        rows += [
            (
                f"drain total ({result.drain_published}/{result.drain_count} published)",
                f"{result.drain_seconds:.1f} s",
                f"<= {DRAIN_SECONDS_TARGET:.0f} s"
                + (" (embedded)" if result.mode == "embedded" else ""),
                verdict(in_time and all_out) if result.mode == "embedded" else "",
            ),
            ("drain throughput", f"{result.drain_rate:.1f} /s", "", ""),
        ]
    if args.direct:
        rows += [
            (
                f"sandbox direct POST /2/tweets ({result.direct_count}, "
                f"{args.threads * args.workers} thr, {result.direct_errors} err)",
                f"{result.direct_rate:.1f} /s",
                "",
                "",
            ),
        ]
        if args.drain:
            rows.append(
                (
                    "ratio product/sandbox",
                    f"{ratio:.2f}",
                    f">= {RATIO_TARGET}",
                    verdict(ratio >= RATIO_TARGET),
                )
            )
    rows += [
        ("duplicates on the sandbox", str(result.duplicates), "0", verdict(result.duplicates == 0)),
        ("losses (never on the sandbox)", str(result.losses), "0", verdict(result.losses == 0)),
        ("attempts per target", f"{result.attempts_per_target:.3f}", "", ""),
    ]
    if result.not_published:
        rows.append(("targets not published, by status", str(result.not_published), "", ""))
    width = max(len(r[0]) for r in rows)
    print(f"\n== {result.mode}: results")
    print(f"  {'figure':<{width}}  {'value':>12}  {'target':<22} verdict")
    for name, value, target, ok in rows:
        print(f"  {name:<{width}}  {value:>12}  {target:<22} {ok}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--mode", choices=["embedded", "distributed", "both"], default="both")
    parser.add_argument("--lag", type=int, default=1000, help="targets due within one minute")
    parser.add_argument("--drain", type=int, default=10_000, help="targets all due now")
    parser.add_argument("--accounts", type=int, default=500, help="businesses, one X account each")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="processes of each worker's pool (each runs a dispatcher)",
    )
    parser.add_argument("--threads", type=int, default=16, help="GROWTH_PUBLISH_THREADS")
    parser.add_argument("--poll", type=float, default=None, help="GROWTH_PUBLISH_POLL_SECONDS")
    parser.add_argument("--direct", type=int, default=2000, help="direct sandbox posts")
    parser.add_argument("--drain-timeout", type=float, default=900.0, help="seconds")
    parser.add_argument("--redis", default=REDIS_URL, help="broker of the distributed mode")
    parser.add_argument("--log-level", default="INFO", help="the workers' GROWTH_LOG_LEVEL")
    parser.add_argument("--keep", action="store_true", help="keep the data directory and logs")
    args = parser.parse_args()
    modes = ["embedded", "distributed"] if args.mode == "both" else [args.mode]
    print(
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; lag {args.lag}, "
        f"drain {args.drain}, {args.accounts} accounts, {args.workers} worker(s)"
    )
    results = [bench_mode(mode, args) for mode in modes]
    for result in results:
        print_table(result, args)


if __name__ == "__main__":
    main()
