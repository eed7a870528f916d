"""The API under concurrent load, on SQLite and on PostgreSQL, against the sandbox as a yardstick.

For each database (a throwaway SQLite data directory; a throwaway PostgreSQL database on the
machine's server), starts the platform sandbox and the product's web process
(``growth-manager web``, one process, as ``make run`` does) on free loopback ports, signs up,
creates a business with 50 drafts, and drives it with ``wrk`` (Debian's package) at 1, 10 and 50
concurrent connections:

- ``list``:   ``GET /api/v1/businesses/{id}/drafts`` (50 drafts, each measured per platform);
- ``get``:    ``GET /api/v1/businesses/{id}/drafts/{draft_id}``;
- ``create``: ``POST /api/v1/businesses/{id}/drafts`` (a write; its commit precedes the 201);
- ``sandbox``: the sandbox's authenticated ``GET /2/users/me``, measured the same way in the
  same run, as the denominator of the ratios (the sandbox is also FastAPI + SQLAlchemy).

Then it seeds 100,000 more posts into 100 other businesses (a database that has grown) and
measures list, get and create again, and last the list with 100,000 drafts in the business itself
(its exact ``total`` then counts them all). Every figure is throughput, p50/p95/p99
latency and errors (socket errors, timeouts, non-2xx answers), plus how often the web process
logged "database is locked". Prints; asserts nothing. The issue's targets: 0 errors and 0 locks
at 50 clients on both databases, list throughput at least half the sandbox's, p99 under 250 ms
at 50 clients, and the same figures with 100,000 posts as with 50.

    .venv/bin/python bench/api.py [--db sqlite|postgres|both] [--duration 60] [--clients 1,10,50]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2

sys.path.insert(0, os.path.dirname(__file__))
from connections import wait_for
from sandbox import UNLIMITED, free_port, sign_in

POSTGRES_ADMIN_URL = os.environ.get(
    "GROWTH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SEEDED_POSTS = 100_000

# wrk calls response() for every answer; done() adds up the threads' status counts and prints
# one JSON line with the latency percentiles (microseconds) and the error counters.
WRK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[tostring(status)] = (counts[tostring(status)] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, string.format('"%s": %d', status, n)) end
  io.write(string.format(
    'WRK {"requests": %d, "seconds": %f, "p50": %d, "p95": %d, "p99": %d, "max": %d, '
    .. '"connect": %d, "read": %d, "write": %d, "timeout": %d, "statuses": {%s}}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, table.concat(parts, ", ")))
end
"""
DRAFT = {
    "title": "Load",
    "base_text": "Written under load, read right after #bench https://example.com/x",
    "platforms": ["x", "linkedin"],
}
POST_SCRIPT = f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{json.dumps(DRAFT)}'
"""


@dataclass
class Figures:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    non_2xx: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.socket_errors + self.non_2xx


def run_wrk(url: str, clients: int, seconds: int, headers: dict[str, str], script: str) -> Figures:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + WRK_SCRIPT)
    command = [
        "wrk",
        f"-t{min(2, clients)}",
        f"-c{clients}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        lua.name,
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    try:
        output = subprocess.run(
            [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
        ).stdout
    finally:
        os.unlink(lua.name)
    line = next(line for line in output.splitlines() if line.startswith("WRK "))
    data = json.loads(line[4:])
    statuses = {int(k): v for k, v in data["statuses"].items()}
    return Figures(
        requests=data["requests"],
        seconds=data["seconds"],
        p50_ms=data["p50"] / 1000,
        p95_ms=data["p95"] / 1000,
        p99_ms=data["p99"] / 1000,
        max_ms=data["max"] / 1000,
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        non_2xx=sum(n for status, n in statuses.items() if not 200 <= status < 300),
    )


def create_postgres_database() -> str:
    from sqlalchemy import create_engine, text

    name = f"growth_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    admin.dispose()


def seed_posts(database_url: str, data_dir: str, business_id: int | None, count: int) -> float:
    """``count`` drafts inserted in bulk, older than the ones made through the API: into
    ``business_id``, or (None) spread over 100 new businesses of 1/100th each."""
    from sqlalchemy import insert

    from growth_manager.config import Settings
    from growth_manager.db import Database
    from growth_manager.models.business import Business
    from growth_manager.models.content import Post, PostStatus

    started = time.perf_counter()
    database = Database(Settings(data_dir=Path(data_dir), database_url=database_url or None))
    oldest = datetime.now(UTC) - timedelta(days=400)
    with database.session() as session:
        if business_id is None:
            owners = [
                session.scalar(
                    insert(Business)
                    .values(name=f"Other {n}", timezone="UTC", description="")
                    .returning(Business.id)
                )
                for n in range(100)
            ]
        else:
            owners = [business_id]
        batch = 10_000
        for first in range(0, count, batch):
            rows = [
                {
                    "business_id": owners[n % len(owners)],
                    "title": f"Seeded {n}",
                    "base_text": f"Seeded post {n} about our week #seeded https://example.com/{n}",
                    "status": PostStatus.draft,
                    "platforms": ["x", "linkedin"],
                    "created_at": oldest + timedelta(minutes=n),
                    "updated_at": oldest + timedelta(minutes=n),
                }
                for n in range(first, min(first + batch, count))
            ]
            session.execute(insert(Post), rows)
    if database_url:
        # PostgreSQL's autovacuum analyses a table that grew within a minute or so; the figures
        # are for a database that has grown, not for plans made when the table was 50 rows.
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    database.dispose()
    return time.perf_counter() - started


def locked_count(log: Path) -> int:
    return log.read_text(errors="replace").count("database is locked")


def print_row(label: str, clients: int, figures: Figures, sandbox: Figures | None) -> None:
    ratio = f"{figures.per_second / sandbox.per_second:>6.2f}" if sandbox else "      "
    print(
        f"  {label:<22} {clients:>3} cl  {figures.per_second:>8.1f} req/s  "
        f"p50 {figures.p50_ms:>7.1f}  p95 {figures.p95_ms:>7.1f}  p99 {figures.p99_ms:>7.1f}  "
        f"max {figures.max_ms:>7.1f} ms  errors {figures.errors:>4}  ratio {ratio}",
        flush=True,
    )


def bench_database(kind: str, clients_list: list[int], seconds: int) -> None:
    sandbox_port, web_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    product_url = f"http://127.0.0.1:{web_port}"
    database_url = create_postgres_database() if kind == "postgres" else ""
    data = tempfile.mkdtemp(prefix="growth-bench-")
    log = Path(data) / "web.log"
    env = os.environ | {
        "GROWTH_DATA_DIR": data,
        "GROWTH_PORT": str(web_port),
        "GROWTH_PUBLIC_URL": product_url,
        "GROWTH_SANDBOX_URL": sandbox_url,
        "GROWTH_SANDBOX_PORT": str(sandbox_port),
        "GROWTH_LOG_LEVEL": "WARNING",
        "GROWTH_LOGIN_RATE_LIMIT": "1000/minute",
    }
    if database_url:
        env["GROWTH_DATABASE_URL"] = database_url
    exe = [sys.executable, "-m", "growth_manager"]
    subprocess.run([*exe, "migrate"], env=env, check=True, capture_output=True)
    with log.open("wb") as log_file:
        sandbox = subprocess.Popen(
            [*exe, "sandbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        web = subprocess.Popen([*exe, "web"], env=env, stdout=log_file, stderr=log_file)
        try:
            wait_for(f"{sandbox_url}/_sandbox/health", sandbox, "sandbox")
            wait_for(f"{product_url}/health", web, "web")
            measure(kind, product_url, sandbox_url, database_url, data, clients_list, seconds, log)
        finally:
            for process in (web, sandbox):
                process.terminate()
                process.wait(timeout=30)
            if database_url:
                drop_postgres_database(database_url)
            shutil.rmtree(data, ignore_errors=True)


def measure(
    kind: str,
    product_url: str,
    sandbox_url: str,
    database_url: str,
    data: str,
    clients_list: list[int],
    seconds: int,
    log: Path,
) -> None:
    limits = {
        section: {"GET /2/users/me": UNLIMITED}
        for section in ("rate_limits", "user_24hour_limits", "app_24hour_limits")
    }
    with httpx2.Client(base_url=sandbox_url, timeout=30) as setup:
        setup.post("/_sandbox/ratelimits", json={"platform": "x", "limits": limits})
        sandbox_headers = {"Authorization": f"Bearer {sign_in(setup)}"}
    with httpx2.Client(base_url=product_url, timeout=30) as product:
        signup = {"email": "bench@example.com", "password": "a long bench password", "name": "B"}
        product.post("/api/v1/auth/signup", json=signup).raise_for_status()
        credentials = {"email": signup["email"], "password": signup["password"]}
        token = product.post("/api/v1/auth/token", json=credentials).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        business = product.post(
            "/api/v1/businesses", json={"name": "Bench", "timezone": "UTC"}, headers=headers
        ).json()["id"]
        draft_ids = [
            product.post(
                f"/api/v1/businesses/{business}/drafts",
                json={
                    "title": f"Draft {n}",
                    "base_text": f"Draft {n}: what we baked this week #bread https://example.com",
                    "platforms": ["x", "linkedin"],
                },
                headers=headers,
            ).json()["id"]
            for n in range(50)
        ]
    drafts = f"{product_url}/api/v1/businesses/{business}/drafts"
    print(f"\n== {kind}: web {product_url}, sandbox {sandbox_url}, {seconds} s per figure")

    sandbox_figures: dict[int, Figures] = {}
    for clients in clients_list:
        figures = run_wrk(
            f"{sandbox_url}/api.x.com/2/users/me", clients, seconds, sandbox_headers, ""
        )
        sandbox_figures[clients] = figures
        print_row("sandbox GET /2/users/me", clients, figures, None)

    for phase in ("50 drafts", "100,000 more posts in 100 other businesses"):
        if phase != "50 drafts":
            took = seed_posts(database_url, data, None, SEEDED_POSTS)
            print(f"  (seeded {SEEDED_POSTS:,} posts in {took:.1f} s)")
        print(f"  -- {phase}")
        locks_before = locked_count(log)
        for label, url, script in (
            ("list", drafts, ""),
            ("get", f"{drafts}/{draft_ids[-1]}", ""),
            ("create", drafts, POST_SCRIPT),
        ):
            for clients in clients_list:
                figures = run_wrk(url, clients, seconds, headers, script)
                print_row(label, clients, figures, sandbox_figures[clients])
        print(f"  'database is locked' in the web log: {locked_count(log) - locks_before}")

    # One signed-in client while 50 others hammer the API with a bearer token that was refused.
    one = f"{drafts}/{draft_ids[-1]}"
    bad = {"Authorization": "Bearer gm_revoked-or-mistyped"}
    alone = run_wrk(one, 1, seconds, headers, "")
    flood: list[Figures] = []
    flooding = threading.Thread(
        target=lambda: flood.append(run_wrk(drafts, max(clients_list), seconds + 2, bad, ""))
    )
    flooding.start()
    time.sleep(1)
    during = run_wrk(one, 1, seconds, headers, "")
    flooding.join()
    print("  -- one signed-in client, alone and during a flood of refused bearer tokens")
    print_row("get, alone", 1, alone, None)
    print_row("get, during the flood", 1, during, None)
    print(f"  (the flood: {flood[0].per_second:.0f} refusals/s, all 401: {flood[0].non_2xx})")

    # The worst case for the list: one business holding 100,000 drafts. The first page is found
    # through an index either way; the exact `total` has to count them all.
    took = seed_posts(database_url, data, business, SEEDED_POSTS)
    print(f"  -- 100,000 more drafts in this business (seeded in {took:.1f} s)")
    most = max(clients_list)
    print_row("list", most, run_wrk(drafts, most, seconds, headers, ""), sandbox_figures[most])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=int, default=60, help="seconds per figure")
    parser.add_argument("--clients", default="1,10,50", help="concurrent connections")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    clients_list = [int(c) for c in args.clients.split(",")]
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"{os.cpu_count()} cores; ratio = product req/s / sandbox req/s at the same clients")
    for kind in kinds:
        bench_database(kind, clients_list, args.duration)


if __name__ == "__main__":
    main()
