"""Throughput of the platform sandbox's X emulation on loopback.

Starts ``python -m platform_sandbox`` on a free port with a throwaway data directory, signs in
through the real consent form and token endpoint, lifts the rate limits through the control
plane, then times a bounded number of representative reads and writes, sequentially and from
a few threads. Prints figures; asserts nothing.

    .venv/bin/python bench/sandbox.py [--requests 300] [--threads 8]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from urllib.parse import parse_qs, urlparse

import httpx2

CLIENT = ("sandbox-x-client", "sandbox-x-secret")
REDIRECT = "http://127.0.0.1:8000/api/v1/oauth/x/callback"
UNLIMITED = 10_000_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("sandbox exited during start-up")
        try:
            if httpx2.get(f"{base}/_sandbox/health", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            time.sleep(0.1)
    raise SystemExit("sandbox did not start within 30 s")


def sign_in(http: httpx2.Client) -> str:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {
        "response_type": "code",
        "client_id": CLIENT[0],
        "redirect_uri": REDIRECT,
        "scope": "tweet.read tweet.write users.read offline.access",
        "state": "bench",
        "code_challenge": challenge.decode().rstrip("="),
        "code_challenge_method": "S256",
    }
    page = http.get("/x.com/i/oauth2/authorize", params=params).text
    hidden = {
        unescape(name): unescape(value)
        for name, value in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page)
    }
    account = re.search(r'name="account" value="([^"]+)"', page)
    assert account is not None
    decision = http.post(
        "/x.com/i/oauth2/authorize",
        data={**hidden, "account": account.group(1), "action": "authorize"},
    )
    code = parse_qs(urlparse(decision.headers["location"]).query)["code"][0]
    token = http.post(
        "/api.x.com/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=CLIENT,
    ).json()
    access: str = token["access_token"]
    return access


def measure(label: str, count: int, threads: int, call: Callable[[int], int]) -> None:
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    if threads == 1:
        results = [call(i) for i in range(count)]
    else:
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(call, range(count)))
    elapsed = time.perf_counter() - started
    for status in results:
        statuses[status] = statuses.get(status, 0) + 1
    print(
        f"{label:<44} {count:>5} req  {threads:>2} thr  {count / elapsed:>8.1f} req/s  "
        f"{elapsed / count * 1000:>7.2f} ms/req  statuses {statuses}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        process = subprocess.Popen(
            [sys.executable, "-m", "platform_sandbox", "--port", str(port), "--data-dir", data_dir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(base, process)
            run(base, args.requests, args.threads)
        finally:
            process.terminate()
            process.wait(timeout=10)


def run(base: str, count: int, threads: int) -> None:
    limits = {
        section: dict.fromkeys(("GET /2/users/me", "GET /2/tweets", "POST /2/tweets"), UNLIMITED)
        for section in ("rate_limits", "user_24hour_limits", "app_24hour_limits")
    }
    with httpx2.Client(base_url=base, timeout=30) as setup:
        setup.post("/_sandbox/ratelimits", json={"platform": "x", "limits": limits})
        headers = {"Authorization": f"Bearer {sign_in(setup)}"}
        me = setup.get("/api.x.com/2/users/me", headers=headers).json()["data"]
        timeline = setup.get(
            f"/api.x.com/2/users/{me['id']}/tweets", params={"max_results": 20}, headers=headers
        ).json()["data"]
    ids = ",".join(t["id"] for t in timeline)
    run_id = secrets.token_hex(4)
    print(f"sandbox {base}: {len(timeline)} ids per GET /2/tweets")

    # One client per thread: httpx2 clients are thread-safe, but a shared pool serialises less
    # realistically than independent connections do.
    for parallel in (1, threads):
        clients = [httpx2.Client(base_url=base, timeout=30) for _ in range(parallel)]

        def client(i: int, clients: list[httpx2.Client] = clients) -> httpx2.Client:
            return clients[i % len(clients)]

        measure(
            "GET /2/users/me?user.fields=public_metrics",
            count,
            parallel,
            lambda i: (
                client(i)
                .get(
                    "/api.x.com/2/users/me",
                    params={"user.fields": "public_metrics"},
                    headers=headers,
                )
                .status_code
            ),
        )
        measure(
            "GET /2/tweets?ids=(20)&tweet.fields=metrics",
            count,
            parallel,
            lambda i: (
                client(i)
                .get(
                    "/api.x.com/2/tweets",
                    params={"ids": ids, "tweet.fields": "public_metrics,non_public_metrics"},
                    headers=headers,
                )
                .status_code
            ),
        )

        def create(i: int, parallel: int = parallel) -> int:
            response = client(i).post(
                "/api.x.com/2/tweets",
                json={"text": f"bench {run_id} {parallel} {i}"},
                headers=headers,
            )
            return response.status_code

        measure("POST /2/tweets", count, parallel, create)
        for http in clients:
            http.close()


if __name__ == "__main__":
    main()
