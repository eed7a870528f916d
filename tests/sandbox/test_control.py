"""The control plane: health, reset, state export/import, apps, accounts, clock, persistence."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx2
from fastapi.testclient import TestClient

from platform_sandbox.app import create_app
from platform_sandbox.control import DEMO_COMPETITORS, seed_demo_competitors
from tests.sandbox.x.conftest import XClient
from tests.support.live_server import live_server
from tests.support.sandbox import SandboxHandle


def _control(sandbox: SandboxHandle) -> httpx2.Client:
    return httpx2.Client(base_url=sandbox.url, timeout=10)


def test_health(fresh_sandbox: SandboxHandle) -> None:
    with _control(fresh_sandbox) as http:
        body = http.get("/_sandbox/health").json()
    assert body["status"] == "ok"
    assert "x" in body["platforms"]
    assert body["clock"]["offset_seconds"] == 0


def test_default_apps_for_every_platform(fresh_sandbox: SandboxHandle) -> None:
    with _control(fresh_sandbox) as http:
        apps = http.get("/_sandbox/apps").json()["apps"]
        x_app = next(a for a in apps if a["client_id"] == "sandbox-x-client")
        assert x_app["client_secret"] == "sandbox-x-secret"
        assert "http://localhost:8000/api/v1/oauth/x/callback" in x_app["redirect_uris"]
        added = http.post(
            "/_sandbox/apps",
            json={
                "platform": "x",
                "client_id": "sandbox-x-client",
                "redirect_uris": ["http://127.0.0.1:5000/cb"],
            },
        ).json()
        assert added["redirect_uris"][-1] == "http://127.0.0.1:5000/cb"
        assert len(added["redirect_uris"]) == len(x_app["redirect_uris"]) + 1
        assert (
            http.post("/_sandbox/apps", json={"platform": "myspace", "client_id": "a"}).status_code
            == 400
        )


def test_accounts_expose_the_hidden_best_window(fresh_sandbox: SandboxHandle) -> None:
    with _control(fresh_sandbox) as http:
        accounts = http.get("/_sandbox/accounts", params={"platform": "x"}).json()["accounts"]
    assert [a["username"] for a in accounts] == ["cornerbakery", "riversidecycles"]
    for account in accounts:
        assert 0 <= account["best_weekday"] <= 6
        assert 7 <= account["best_hour"] <= 20
        assert account["followers_count"] > 0


def test_clock_offset_set_and_advance(fresh_sandbox: SandboxHandle) -> None:
    with _control(fresh_sandbox) as http:
        before = datetime.fromisoformat(http.get("/_sandbox/clock").json()["now"])
        set_to = http.post("/_sandbox/clock", json={"offset_seconds": 86400}).json()
        assert set_to["offset_seconds"] == 86400
        advanced = http.post("/_sandbox/clock", json={"advance_seconds": 3600}).json()
        assert advanced["offset_seconds"] == 90000
        assert (datetime.fromisoformat(advanced["now"]) - before).total_seconds() >= 90000
        assert http.post("/_sandbox/clock", json={}).status_code == 400


def test_reset_drops_created_state_and_zeroes_the_clock(fresh_sandbox: SandboxHandle) -> None:
    with httpx2.Client(base_url=fresh_sandbox.url, timeout=10) as http:
        x = XClient(fresh_sandbox, http, hook=lambda r: None)  # type: ignore[arg-type]
        created = http.post(
            "/api.x.com/2/tweets", json={"text": "before reset"}, headers=x.auth()
        ).json()
        http.post("/_sandbox/clock", json={"offset_seconds": 5000})
        http.post(
            "/_sandbox/faults", json={"kind": "status", "path": "/api.x.com/*", "times": None}
        )
        assert http.post("/_sandbox/reset").json()["status"] == "reset"
        assert http.get("/_sandbox/clock").json()["offset_seconds"] == 0
        assert http.get("/_sandbox/faults").json()["faults"] == []
        x.tokens.clear()  # tokens are gone with the reset
        found = http.get(f"/api.x.com/2/tweets/{created['data']['id']}", headers=x.auth()).json()
        assert "data" not in found


def test_state_export_import_round_trip(fresh_sandbox: SandboxHandle) -> None:
    with httpx2.Client(base_url=fresh_sandbox.url, timeout=10) as http:
        x = XClient(fresh_sandbox, http, hook=lambda r: None)  # type: ignore[arg-type]
        headers = x.auth()
        tweet_id = http.post(
            "/api.x.com/2/tweets", json={"text": "keep me"}, headers=headers
        ).json()["data"]["id"]
        http.post("/_sandbox/clock", json={"offset_seconds": 120})
        state = http.get("/_sandbox/state").json()
        assert any(row["id"] == tweet_id for row in state["tables"]["x_tweet"])
        http.post("/_sandbox/reset")
        assert http.get(f"/api.x.com/2/tweets/{tweet_id}", headers=headers).status_code == 401
        imported = http.put("/_sandbox/state", json=state)
        assert imported.status_code == 200, imported.text
        assert http.get("/_sandbox/clock").json()["offset_seconds"] == 120
        # The old token came back with the state, and so did the post.
        again = http.get(f"/api.x.com/2/tweets/{tweet_id}", headers=headers)
        assert again.json()["data"]["text"] == "keep me"
        assert http.get("/_sandbox/state").json()["tables"]["x_tweet"] == state["tables"]["x_tweet"]
        assert http.post("/_sandbox/state", json={"tables": {"nope": []}}).status_code == 400


def test_state_survives_a_restart_on_the_same_data_dir(tmp_path: Path) -> None:
    first = create_app(tmp_path, seed=7)
    with live_server(first) as url, httpx2.Client(base_url=url, timeout=10) as http:
        handle = SandboxHandle(url=url, app=first)
        x = XClient(handle, http, hook=lambda r: None)  # type: ignore[arg-type]
        token = x.token()
        tweet_id = http.post(
            "/api.x.com/2/tweets", json={"text": "persisted"}, headers=x.auth()
        ).json()["data"]["id"]
        http.post("/_sandbox/clock", json={"offset_seconds": 60})
        accounts = http.get("/_sandbox/accounts").json()
    second = create_app(tmp_path, seed=7)
    with live_server(second) as url, httpx2.Client(base_url=url, timeout=10) as http:
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        got = http.get(f"/api.x.com/2/tweets/{tweet_id}", headers=headers)
        assert got.status_code == 200
        assert got.json()["data"]["text"] == "persisted"
        assert http.get("/_sandbox/clock").json()["offset_seconds"] == 60
        # Not re-seeded: the same accounts and no duplicate history.
        assert (
            http.get("/_sandbox/accounts").json()["accounts"][0]["id"]
            == accounts["accounts"][0]["id"]
        )
        refreshed = http.post(
            "/api.x.com/2/oauth2/token",
            data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
            auth=("sandbox-x-client", "sandbox-x-secret"),
        )
        assert refreshed.status_code == 200


def test_the_standalone_server_seeds_demo_competitors_once_per_data_directory(
    tmp_path: Path,
) -> None:
    """``python -m platform_sandbox`` gives a demo someone to compare with; a restart on the
    same data directory finds them there and creates nothing twice."""
    app = create_app(tmp_path, seed=7)
    made = seed_demo_competitors(app)
    assert sorted(made) == sorted(f"{p}:{u}" for p, u, _ in DEMO_COMPETITORS)
    assert seed_demo_competitors(create_app(tmp_path, seed=7)) == []
    with TestClient(app) as client:
        taken = client.post(
            "/_sandbox/competitors", json={"platform": "x", "username": "rivalroasters"}
        )
    assert taken.status_code == 409
