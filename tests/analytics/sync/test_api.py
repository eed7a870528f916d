"""The sync API with a real worker on the SQLite and the Redis brokers: connecting imports
history in the background, refresh answers with the seed's shape (or 202 and a sync to poll),
overlapping triggers sync an account once, and sync-status tells the truth."""

from __future__ import annotations

import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.models.business import Role
from tests.analytics.sync.conftest import (
    Sandbox,
    add_member,
    connect_run,
    finished,
    followed,
)
from tests.support.apps import app_sharing
from tests.support.owners import Owner, make_owner
from tests.support.tokenhealth import connect_x
from tests.support.waiting import wait_for


def connected_and_imported(gm: TestClient, owner: Owner, database: Database) -> int:
    account_id = connect_x(gm, owner, database)
    run_id = connect_run(database, account_id)
    run = wait_for(lambda: finished(database, run_id), what="the import after connecting")
    assert run.status.value == "completed", run.errors
    assert run.imported > 0
    return account_id


def test_connecting_imports_the_history_in_the_background_and_status_tells_the_truth(
    gm: TestClient, owner: Owner, database: Database, sync_worker: Any
) -> None:
    account_id = connected_and_imported(gm, owner, database)
    posts = followed(database, account_id)

    status = gm.get(
        "/api/v1/analytics/sync-status",
        params={"business_id": owner.business_id},
        headers=owner.headers,
    )
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["total_posts"] == body["synced_posts"] == len(posts)
    assert body["unsynced_posts"] == 0
    assert body["sync_percentage"] == 100.0
    assert body["is_syncing"] is False
    assert body["last_sync_at"] is not None
    x = body["platforms"]["x"]
    assert x["connected"] is True
    assert x["last_sync"] is not None
    assert x["last_error"] is None
    assert x["next_sync"] is not None
    assert x["rate_limit_remaining"] is not None
    assert body["platforms"]["linkedin"]["connected"] is False


def test_refresh_answers_with_the_result_in_the_seeds_shape(
    gm: TestClient, owner: Owner, database: Database, sync_worker: Any, platform: Sandbox
) -> None:
    account_id = connected_and_imported(gm, owner, database)
    total = len(followed(database, account_id))
    platform.advance(3600)

    response = gm.post(
        "/api/v1/analytics/refresh",
        json={"business_id": owner.business_id, "platforms": ["twitter"]},
        headers=owner.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["business_id"] == owner.business_id
    assert body["platforms"] == ["x"]
    assert body["status"] == "completed"
    assert body["posts_updated"] == total
    assert body["last_synced_at"] is not None
    assert body["message"]
    details = body["sync_details"]
    assert details["total_posts"] == details["synced"] == total
    assert details["failed"] == details["rate_limited"] == 0
    assert details["by_platform"]["x"]["synced"] == total
    # Batched: a hundred posts per metrics read (two when they mix ages), one account read.
    assert details["by_platform"]["x"]["api_calls"] <= 2 * (total // 100 + 1) + 1
    assert details["errors"] == []
    again = gm.get(f"/api/v1/analytics/syncs/{body['sync_id']}", headers=owner.headers)
    assert again.json() == body


def test_a_sync_that_outlasts_the_request_answers_202_and_can_be_polled(
    sandbox_settings: Settings, owner: Owner, database: Database, sync_worker: Any
) -> None:
    impatient = sandbox_settings.model_copy(update={"sync_wait_seconds": 0})
    with TestClient(app_sharing(impatient, database), base_url=impatient.public_url) as gm:
        connected_and_imported(gm, owner, database)
        response = gm.post(
            "/api/v1/analytics/refresh",
            json={"business_id": owner.business_id},
            headers=owner.headers,
        )
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "running"
        location = response.headers["location"]
        assert location == f"/api/v1/analytics/syncs/{response.json()['sync_id']}"

        def done() -> dict[str, Any] | None:
            polled = gm.get(location, headers=owner.headers).json()
            return polled if polled["status"] != "running" else None

        result = wait_for(done, what="the sync to finish")
        assert result["status"] == "completed"
        assert result["posts_updated"] > 0


def test_overlapping_triggers_for_one_account_sync_it_once(
    gm: TestClient, owner: Owner, database: Database, sync_worker: Any, platform: Sandbox
) -> None:
    connected_and_imported(gm, owner, database)
    # Slow reads, so the second trigger arrives while the first one is reading.
    platform.fault(kind="delay", path="/api.x.com/2/tweets", method="GET", delay_ms=800, times=4)
    answers: list[dict[str, Any]] = []

    def trigger() -> None:
        response = gm.post(
            "/api/v1/analytics/refresh",
            json={"business_id": owner.business_id},
            headers=owner.headers,
        )
        assert response.status_code == 200, response.text
        answers.append(response.json())

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(answers) == 2
    reads = sorted(a["sync_details"]["by_platform"]["x"]["synced"] for a in answers)
    assert reads[0] == 0, "one trigger joined the sync already running"
    assert reads[1] > 0
    joined = next(a for a in answers if a["sync_details"]["by_platform"]["x"]["synced"] == 0)
    assert joined["sync_details"]["by_platform"]["x"]["api_calls"] == 0
    assert any(
        "already syncing" in m for m in joined["sync_details"]["by_platform"]["x"]["messages"]
    )


def test_refresh_says_what_to_fix_and_respects_roles(
    gm: TestClient, owner: Owner, database: Database
) -> None:
    unknown = gm.post(
        "/api/v1/analytics/refresh",
        json={"business_id": owner.business_id, "platforms": ["myspace"]},
        headers=owner.headers,
    )
    assert unknown.status_code == 422
    assert "myspace" in unknown.text
    assert "linkedin" in unknown.text

    viewer = add_member(database, owner.business_id, Role.viewer, "viewer@example.com")
    refused = gm.post(
        "/api/v1/analytics/refresh", json={"business_id": owner.business_id}, headers=viewer
    )
    assert refused.status_code == 403
    status = gm.get(
        "/api/v1/analytics/sync-status", params={"business_id": owner.business_id}, headers=viewer
    )
    assert status.status_code == 200

    outsider = make_owner(database, email="other@example.com", name="Other Co").headers
    assert gm.get(
        "/api/v1/analytics/sync-status", params={"business_id": owner.business_id}, headers=outsider
    ).status_code in (403, 404)
    mine = gm.post(
        "/api/v1/analytics/refresh", json={"business_id": owner.business_id}, headers=owner.headers
    )
    # No accounts: nothing to sync, and the answer says so.
    assert mine.status_code == 200
    assert mine.json()["status"] == "completed"
    assert "Connect" in mine.json()["message"]
    sync_id = mine.json()["sync_id"]
    assert gm.get(f"/api/v1/analytics/syncs/{sync_id}", headers=outsider).status_code == 404


def test_a_refresh_waiting_for_its_sync_holds_up_no_other_request(
    sandbox_settings: Settings, owner: Owner, database: Database
) -> None:
    # One request slot, and no worker: the refresh waits its whole 3 s for nothing.
    narrow = sandbox_settings.model_copy(update={"web_threads": 1, "sync_wait_seconds": 3})
    app = app_sharing(narrow, database)
    app.state.database = Database(narrow)  # its own slots: one
    with TestClient(app, base_url=narrow.public_url) as gm:
        connect_x(gm, owner, database)
        answers: list[int] = []
        waiting = threading.Thread(
            target=lambda: answers.append(
                gm.post(
                    "/api/v1/analytics/refresh",
                    json={"business_id": owner.business_id},
                    headers=owner.headers,
                ).status_code
            )
        )
        waiting.start()
        time.sleep(0.5)
        started = time.monotonic()
        status = gm.get(
            "/api/v1/analytics/sync-status",
            params={"business_id": owner.business_id},
            headers=owner.headers,
        )
        took = time.monotonic() - started
        waiting.join(10)
    assert status.status_code == 200
    assert status.json()["is_syncing"] is True
    assert took < 2, f"the status waited {took:.1f} s behind the refresh"
    assert answers == [202]
    app.state.database.dispose()
