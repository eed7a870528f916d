"""The drafts REST API: CRUD, variants, roles and tenant scoping, validation messages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from growth_manager.config import Settings
from growth_manager.db import Database
from growth_manager.models.content import Post, PostVariant
from tests.conftest import json_of
from tests.support.world import World

X_TOO_LONG = "a" * 268 + " https://example.com/page"  # weighs 292 on X


def drafts_url(world: World) -> str:
    return f"/api/v1/businesses/{world.bid}/drafts"


def create(client: TestClient, world: World, **body: object) -> dict[str, object]:
    response = client.post(drafts_url(world), json=body, headers=world.editor.headers)
    assert response.status_code == 201, response.text
    data: dict[str, object] = json_of(response)
    return data


def count_rows(database: Database, model: type[Post] | type[PostVariant]) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_create_get_update_delete(client: TestClient, world: World, database: Database) -> None:
    created = create(
        client,
        world,
        title="Spring menu",
        base_text="Our spring menu is here.\nCome by!",
        strategy_id=world.strategy.id,
        variants={"x": "Spring menu is here 🌷 https://bloom.com/menu"},
    )
    assert created["status"] == "draft"
    assert created["platforms"] == ["linkedin", "x", "facebook", "instagram"]
    assert created["variants"] == {"x": "Spring menu is here 🌷 https://bloom.com/menu"}
    assert created["author_id"] == world.editor.user.id
    checks = {c["platform"]: c for c in created["checks"]}  # type: ignore[attr-defined]
    assert checks["x"]["count"] == 20 + 2 + 1 + 23
    assert checks["x"]["uses_base_text"] is False
    assert checks["linkedin"]["uses_base_text"] is True
    assert checks["linkedin"]["count"] == len("Our spring menu is here.\nCome by!")

    url = f"{drafts_url(world)}/{created['id']}"
    fetched = json_of(client.get(url, headers=world.viewer.headers))
    assert fetched["base_text"] == "Our spring menu is here.\nCome by!"

    # PATCH: only sent fields change; variants upsert; null deletes a variant.
    response = client.patch(
        url,
        json={"title": "Spring menu v2", "variants": {"linkedin": "Longer LinkedIn text"}},
        headers=world.editor.headers,
    )
    assert response.status_code == 200, response.text
    updated = json_of(response)
    assert updated["title"] == "Spring menu v2"
    assert updated["base_text"] == "Our spring menu is here.\nCome by!"
    assert updated["strategy_id"] == world.strategy.id
    assert set(updated["variants"]) == {"x", "linkedin"}

    response = client.patch(
        url, json={"variants": {"x": None}, "strategy_id": None}, headers=world.editor.headers
    )
    updated = json_of(response)
    assert updated["variants"] == {"linkedin": "Longer LinkedIn text"}
    assert updated["strategy_id"] is None
    assert count_rows(database, PostVariant) == 1

    assert client.delete(url, headers=world.editor.headers).status_code == 204
    assert client.get(url, headers=world.editor.headers).status_code == 404
    assert count_rows(database, Post) == 0
    assert count_rows(database, PostVariant) == 0


def test_list_is_paginated_and_filters_by_strategy(client: TestClient, world: World) -> None:
    for index in range(5):
        create(
            client,
            world,
            title=f"Draft {index}",
            strategy_id=world.strategy.id if index % 2 == 0 else None,
        )
    page = json_of(client.get(drafts_url(world) + "?limit=2", headers=world.viewer.headers))
    assert page["total"] == 5
    assert len(page["items"]) == 2
    page3 = json_of(
        client.get(drafts_url(world) + "?limit=2&offset=4", headers=world.viewer.headers)
    )
    assert len(page3["items"]) == 1
    seen = {item["id"] for item in page["items"]} | {item["id"] for item in page3["items"]}
    assert len(seen) == 3

    filtered = json_of(
        client.get(
            drafts_url(world) + f"?strategy_id={world.strategy.id}", headers=world.viewer.headers
        )
    )
    assert filtered["total"] == 3
    assert {item["title"] for item in filtered["items"]} == {"Draft 0", "Draft 2", "Draft 4"}


def test_validation_names_platform_and_limit(client: TestClient, world: World) -> None:
    response = client.post(
        drafts_url(world), json={"base_text": X_TOO_LONG}, headers=world.editor.headers
    )
    assert response.status_code == 422
    body = json_of(response)
    assert body["type"] == "invalid"
    assert body["detail"] == "X: 292/280 characters (X counts links as 23 and emoji as 2)"

    # The same text is fine when the draft is not meant for X.
    ok = client.post(
        drafts_url(world),
        json={"base_text": X_TOO_LONG, "platforms": ["linkedin", "facebook"]},
        headers=world.editor.headers,
    )
    assert ok.status_code == 201, ok.text
    assert [c["platform"] for c in ok.json()["checks"]] == ["linkedin", "facebook"]

    # A variant is always checked against its own platform.
    response = client.post(
        drafts_url(world),
        json={"platforms": ["linkedin"], "variants": {"instagram": "#a " * 31}},
        headers=world.editor.headers,
    )
    assert response.status_code == 422
    assert json_of(response)["detail"] == "Instagram: 31/30 hashtags"

    # Several problems are all named.
    response = client.post(
        drafts_url(world),
        json={"base_text": "a" * 3001, "platforms": ["linkedin", "x"]},
        headers=world.editor.headers,
    )
    detail = json_of(response)["detail"]
    assert "LinkedIn: 3001/3000 characters" in detail
    assert "X: 3001/280 characters" in detail


def test_failed_update_changes_nothing(client: TestClient, world: World) -> None:
    created = create(client, world, base_text="short")
    url = f"{drafts_url(world)}/{created['id']}"
    response = client.patch(url, json={"base_text": X_TOO_LONG}, headers=world.editor.headers)
    assert response.status_code == 422
    assert "X: 292/280" in json_of(response)["detail"]
    assert json_of(client.get(url, headers=world.editor.headers))["base_text"] == "short"


def test_payload_shape_errors_name_the_field(client: TestClient, world: World) -> None:
    response = client.post(
        drafts_url(world), json={"bogus": 1, "platforms": ["myspace"]}, headers=world.editor.headers
    )
    assert response.status_code == 422
    detail = json_of(response)["detail"]
    assert "bogus: is not a known field" in detail
    assert "platforms.0" in detail


def test_strategy_must_belong_to_the_business(client: TestClient, world: World) -> None:
    response = client.post(
        drafts_url(world),
        json={"strategy_id": world.other_strategy.id},
        headers=world.editor.headers,
    )
    assert response.status_code == 422
    assert json_of(response)["detail"].startswith("strategy_id:")


def test_roles_and_scoping(client: TestClient, world: World) -> None:
    created = create(client, world, base_text="hello")
    url = f"{drafts_url(world)}/{created['id']}"

    # Viewers read but do not write.
    assert client.get(url, headers=world.viewer.headers).status_code == 200
    assert client.get(drafts_url(world), headers=world.viewer.headers).status_code == 200
    for response in (
        client.post(drafts_url(world), json={}, headers=world.viewer.headers),
        client.patch(url, json={"title": "x"}, headers=world.viewer.headers),
        client.delete(url, headers=world.viewer.headers),
    ):
        assert response.status_code == 403
        assert "editor role" in json_of(response)["detail"]

    # Owners write.
    assert client.patch(url, json={"title": "o"}, headers=world.owner.headers).status_code == 200

    # Non-members see nothing, even with a real draft id.
    assert client.get(url, headers=world.outsider.headers).status_code == 404
    assert client.get(drafts_url(world), headers=world.outsider.headers).status_code == 404
    assert client.delete(url, headers=world.outsider.headers).status_code == 404

    # A draft id from another business reads as not found inside one's own business.
    other_url = f"/api/v1/businesses/{world.other_business.id}/drafts/{created['id']}"
    assert client.get(other_url, headers=world.outsider.headers).status_code == 404

    # No credentials.
    assert client.get(drafts_url(world)).status_code == 401


def test_measure_endpoint(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/text/measure",
        json={"text": "Hello 😀 https://example.com/x", "variants": {"linkedin": "abc"}},
        headers=world.viewer.headers,
    )
    assert response.status_code == 200
    results = {r["platform"]: r for r in response.json()["results"]}
    assert list(results) == ["linkedin", "x", "facebook", "instagram"]
    assert results["x"] == {
        "platform": "x",
        "name": "X",
        "count": 6 + 2 + 1 + 23,
        "limit": 280,
        "hashtags": 0,
        "max_hashtags": None,
        "ok": True,
        "problems": [],
        "uses_base_text": True,
    }
    assert results["linkedin"]["count"] == 3
    assert results["linkedin"]["uses_base_text"] is False

    over = client.post(
        "/api/v1/text/measure",
        json={"text": X_TOO_LONG, "platforms": ["x"]},
        headers=world.viewer.headers,
    ).json()["results"]
    assert over[0]["ok"] is False
    assert over[0]["problems"] == ["X: 292/280 characters (X counts links as 23 and emoji as 2)"]
    assert client.post("/api/v1/text/measure", json={"text": "a"}).status_code == 401


def test_rules_endpoint(client: TestClient, world: World) -> None:
    data = client.get("/api/v1/text/rules", headers=world.viewer.headers).json()
    by_platform = {p["platform"]: p for p in data["platforms"]}
    assert by_platform["x"]["limit"] == 280
    assert by_platform["x"]["media"]["max_images"] == 4
    assert by_platform["instagram"]["max_hashtags"] == 30
    assert by_platform["instagram"]["media"]["max_items"] == 10


def test_measure_refuses_texts_over_its_limit_naming_it(client: TestClient, world: World) -> None:
    at_limit = client.post(
        "/api/v1/text/measure", json={"text": "a" * 10_000}, headers=world.viewer.headers
    )
    assert at_limit.status_code == 200, at_limit.text
    for body, field in (
        ({"text": "a" * 10_001}, "text"),
        ({"text": "a", "variants": {"facebook": "b" * 10_001}}, "variants.facebook"),
    ):
        response = client.post("/api/v1/text/measure", json=body, headers=world.viewer.headers)
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == (
            f"{field}: is too long: at most 10000 characters, please shorten it"
        )


def test_measure_is_rate_limited_per_user(
    content_settings: Settings, database: Database, world: World
) -> None:
    from growth_manager.app import create_app

    app = create_app(content_settings.model_copy(update={"measure_rate_limit": "3/minute"}))
    app.state.database.dispose()
    app.state.database = database
    with TestClient(app, base_url="http://testserver") as limited:
        statuses = [
            limited.post(
                "/api/v1/text/measure", json={"text": "hi"}, headers=world.viewer.headers
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [200, 200, 200, 429]
        refused = limited.post(
            "/api/v1/text/measure", json={"text": "hi"}, headers=world.viewer.headers
        )
        assert refused.json()["type"] == "rate_limited"
        assert int(refused.headers["Retry-After"]) > 0
        # Another user, from the same address, has a count of their own.
        other = limited.post(
            "/api/v1/text/measure", json={"text": "hi"}, headers=world.editor.headers
        )
        assert other.status_code == 200
