"""Is the sandbox ever what limits the product? Product requests that call a platform, against
the same platform call made directly to the sandbox.

Starts the platform sandbox and the product's web process (``growth-manager web``) on free
loopback ports with throwaway data, signs up, connects an X account through the real consent
page, then times a bounded number of:

- ``GET /2/users/me`` straight at the sandbox (the platform call alone);
- ``POST /api/v1/businesses/{id}/accounts/{id}/verify`` at the product (auth, tenant check,
  token decryption, the same platform call, budget recording, the account update);
- ``GET /api/v1/businesses/{id}/accounts`` at the product (no platform call).

Prints req/s and the ratio product/sandbox; a ratio well below 1 means the sandbox has headroom.
Asserts nothing.

    .venv/bin/python bench/connections.py [--requests 200] [--threads 4]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from urllib.parse import urlsplit

import httpx2

sys.path.insert(0, os.path.dirname(__file__))
from sandbox import free_port


def wait_for(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited during start-up")
        try:
            if httpx2.get(url, timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start within 60 s")


def rate(label: str, count: int, threads: int, call: Callable[[int], int]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        statuses = list(pool.map(call, range(count)))
    elapsed = time.perf_counter() - started
    bad = [s for s in statuses if s >= 400]
    per_second = count / elapsed
    print(
        f"{label:<58} {per_second:>8.1f} req/s  {elapsed / count * 1000:>7.2f} ms/req"
        + (f"  ({len(bad)} errors)" if bad else "")
    )
    return per_second


def connect_x(product: httpx2.Client) -> tuple[int, int]:
    signup = {"email": "bench@example.com", "password": "a long bench password", "name": "B"}
    assert product.post("/api/v1/auth/signup", json=signup).status_code == 201
    credentials = {"email": signup["email"], "password": signup["password"]}
    token = product.post("/api/v1/auth/token", json=credentials).json()["access_token"]
    product.headers["Authorization"] = f"Bearer {token}"
    business = product.post("/api/v1/businesses", json={"name": "Bench", "timezone": "UTC"})
    business_id = business.json()["id"]
    url = product.get(
        "/api/v1/oauth/x/authorize", params={"business_id": business_id, "format": "json"}
    ).json()["authorization_url"]
    with httpx2.Client(follow_redirects=False) as browser:
        page = browser.get(url).text
        fields = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page))
        account = re.search(r'name="account" value="([^"]+)"', page)
        assert account is not None
        decision = browser.post(
            url,
            data={unescape(k): unescape(v) for k, v in fields.items()}
            | {"account": account.group(1), "action": "authorize"},
        )
    callback = urlsplit(decision.headers["location"])
    product.get(f"{callback.path}?{callback.query}", follow_redirects=False)
    accounts = product.get(f"/api/v1/businesses/{business_id}/accounts").json()
    return business_id, accounts[0]["id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    sandbox_port, web_port = free_port(), free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    product_url = f"http://127.0.0.1:{web_port}"
    with tempfile.TemporaryDirectory() as data:
        env = os.environ | {
            "GROWTH_DATA_DIR": data,
            "GROWTH_PORT": str(web_port),
            "GROWTH_PUBLIC_URL": product_url,
            "GROWTH_SANDBOX_URL": sandbox_url,
            "GROWTH_SANDBOX_PORT": str(sandbox_port),
            "GROWTH_LOG_LEVEL": "WARNING",
            "GROWTH_LOGIN_RATE_LIMIT": "1000/minute",
        }
        exe = [sys.executable, "-m", "growth_manager"]
        subprocess.run([*exe, "migrate"], env=env, check=True, capture_output=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        sandbox = subprocess.Popen([*exe, "sandbox"], env=env, **quiet)  # type: ignore[call-overload]
        web = subprocess.Popen([*exe, "web"], env=env, **quiet)  # type: ignore[call-overload]
        try:
            wait_for(f"{sandbox_url}/_sandbox/health", sandbox, "sandbox")
            wait_for(f"{product_url}/health", web, "web")
            httpx2.post(  # lift X's per-user limits: this measures speed, not quotas
                f"{sandbox_url}/_sandbox/ratelimits",
                json={
                    "platform": "x",
                    "limits": {"rate_limits": {"GET /2/users/me": 10_000_000}},
                },
            ).raise_for_status()
            with httpx2.Client(base_url=product_url, timeout=30) as product:
                business_id, account_id = connect_x(product)
                me = httpx2.Client(base_url=sandbox_url, timeout=30)
                access = read_access_token(data)
                sandbox_rate = rate(
                    "sandbox  GET /2/users/me",
                    args.requests,
                    args.threads,
                    lambda _: (
                        me.get(
                            "/api.x.com/2/users/me", headers={"Authorization": f"Bearer {access}"}
                        ).status_code
                    ),
                )
                verify_rate = rate(
                    "product  POST …/accounts/{id}/verify (calls the sandbox)",
                    args.requests,
                    args.threads,
                    lambda _: (
                        product.post(
                            f"/api/v1/businesses/{business_id}/accounts/{account_id}/verify"
                        ).status_code
                    ),
                )
                list_rate = rate(
                    "product  GET …/accounts (no platform call)",
                    args.requests,
                    args.threads,
                    lambda _: product.get(f"/api/v1/businesses/{business_id}/accounts").status_code,
                )
                print(
                    f"ratio verify/sandbox {verify_rate / sandbox_rate:.2f}  "
                    f"(below 1: the product, not the sandbox, is the bottleneck)"
                )
                print(f"ratio list/sandbox   {list_rate / sandbox_rate:.2f}")
        finally:
            for process in (web, sandbox):
                process.terminate()
                process.wait(timeout=15)


def read_access_token(data_dir: str) -> str:
    """The connected account's access token, decrypted with the data dir's own key."""
    from growth_manager.config import Settings
    from growth_manager.db import Database
    from growth_manager.kit.crypto import configure_keys
    from growth_manager.models.accounts import SocialAccount

    settings = Settings(data_dir=data_dir)
    configure_keys(settings.resolved_token_keys())
    with Database(settings).session() as session:
        account = session.query(SocialAccount).one()
        assert account.access_token is not None
        return account.access_token


if __name__ == "__main__":
    main()
