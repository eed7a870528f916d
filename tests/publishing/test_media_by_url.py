"""Media that platforms fetch by URL: the product serves it at a signed, expiring address under
GROWTH_PUBLIC_URL, and the sandbox really fetches it when Instagram builds a container (and
Facebook a photo). A product whose address the platform can't reach fails as it would for real."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from growth_manager.config import Settings
from growth_manager.content.signed import signed_url
from growth_manager.db import Database
from growth_manager.models.content import MediaAsset
from growth_manager.publishing.engine import Publisher
from tests.publishing.conftest import FAST, run_until_settled
from tests.support.apps import app_sharing
from tests.support.live_server import free_port, live_server
from tests.support.media_server import jpeg_bytes
from tests.support.owners import Owner
from tests.support.sandbox import SandboxHandle, register_callbacks
from tests.support.tokenhealth import connect_meta


@dataclass
class Served:
    client: TestClient
    settings: Settings
    url: str


@pytest.fixture
def served(
    settings: Settings, database: Database, fresh_sandbox: SandboxHandle
) -> Iterator[Served]:
    """The product on a real port, its public URL that port: what the platform fetches."""
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    configured = settings.model_copy(
        update={"sandbox_url": fresh_sandbox.url, "public_url": public}
    )
    register_callbacks(fresh_sandbox, public)
    app = app_sharing(configured, database)
    with live_server(app, port) as url, TestClient(app, base_url=public) as client:
        yield Served(client, configured, url)


def upload_jpeg(client: TestClient, owner: Owner) -> int:
    response = client.post(
        f"/api/v1/businesses/{owner.business_id}/media",
        files={"file": ("loaf.jpg", jpeg_bytes(), "image/jpeg")},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    media_id: int = response.json()["id"]
    return media_id


def test_signed_addresses_serve_the_bytes_until_they_expire(
    served: Served, owner: Owner, database: Database
) -> None:
    media_id = upload_jpeg(served.client, owner)
    with database.session() as session:
        asset = session.get(MediaAsset, media_id)
        assert asset is not None
        good = signed_url(served.settings, asset)
        expired = signed_url(served.settings, asset, lifetime_seconds=-1)
    assert good.startswith(served.settings.public_url)
    fetched = httpx2.get(good)  # no credentials: the address is the permission
    assert fetched.status_code == 200
    assert fetched.content == jpeg_bytes()
    assert fetched.headers["content-type"] == "image/jpeg"
    tampered = good.replace(f"/m/{media_id}/", f"/m/{media_id + 1}/")
    assert httpx2.get(tampered).status_code == 404
    forged = good[:-8] + "00000000" + good[-4:]
    assert httpx2.get(forged).status_code == 404
    gone = httpx2.get(expired)
    assert gone.status_code == 404
    assert "expired" in gone.json()["detail"]


def test_instagram_and_facebook_fetch_the_image_from_the_product(
    served: Served, owner: Owner, database: Database, fresh_sandbox: SandboxHandle
) -> None:
    accounts = connect_meta(served.client, owner, database)
    media_id = upload_jpeg(served.client, owner)
    response = served.client.post(
        "/api/v1/schedule",
        json={
            "business_id": owner.business_id,
            "account_ids": [accounts["instagram"], accounts["facebook"]],
            "text": "Our new loaf",
            "media_ids": [media_id],
            "first_comment": "Baked this morning",
            "scheduled_for": "2099-01-01T09:00:00Z",
        },
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    publisher = Publisher(database, served.settings, policy=FAST, owner="media-test")
    for target in response.json()["targets"]:
        row = _settle(publisher, database, target["id"], fresh_sandbox)
        assert row.status.value == "published", (target["platform"], row.last_error)
        assert row.remote_url
        page = httpx2.get(row.remote_url)
        assert page.status_code == 200
        assert "Our new loaf" in page.text


def _settle(
    publisher: Publisher, database: Database, target_id: int, sandbox: SandboxHandle
) -> Any:
    """Instagram answers "still processing" first; the engine comes back for it later (the
    sandbox's clock moves on instead of the test sleeping)."""
    for _ in range(10):
        row = run_until_settled(publisher, database, target_id)
        if row.status.value != "retrying":
            return row
        moved = httpx2.post(f"{sandbox.url}/_sandbox/clock", json={"advance_seconds": 60})
        assert moved.status_code == 200, moved.text
    return row


def test_a_product_the_platform_can_not_reach_fails_with_instagram_s_words(
    gm: TestClient,
    owner: Owner,
    database: Database,
    sandbox_settings: Settings,
    fresh_sandbox: SandboxHandle,
) -> None:
    """``gm`` is not served on any port: its public URL leads nowhere."""
    accounts = connect_meta(gm, owner, database)
    media_id = upload_jpeg(gm, owner)
    response = gm.post(
        "/api/v1/schedule",
        json={
            "business_id": owner.business_id,
            "account_ids": [accounts["instagram"]],
            "text": "Nobody can see this",
            "media_ids": [media_id],
            "scheduled_for": "2099-01-01T09:00:00Z",
        },
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    publisher = Publisher(database, sandbox_settings, policy=FAST, owner="media-test")
    row = _settle(publisher, database, response.json()["targets"][0]["id"], fresh_sandbox)
    assert row.status.value == "failed"
    assert row.last_error
    assert "Instagram could not process the media" in row.last_error
    assert row.last_error_code == "2207052"  # media fetch failed
