"""The drafts pages: list, editor, saving through the form (with server validation that keeps
what was typed), deleting, roles, and the editor's wiring to the measure and media APIs."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from growth_manager.db import Database
from growth_manager.models.content import Post
from growth_manager.models.user import User
from tests.content.support import image_bytes
from tests.support.factories import csrf_of
from tests.support.world import World

X_TOO_LONG = "a" * 268 + " https://example.com/page"  # weighs 292 on X

SignedIn = Callable[[User], TestClient]


def editor_state(page: str) -> dict[str, object]:
    match = re.search(
        r'<script type="application/json" id="draft-state">(.*?)</script>', page, re.S
    )
    assert match, "the editor has no state"
    state: dict[str, object] = json.loads(match.group(1))
    return state


def form(client: TestClient, **fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": csrf_of(client),
        "title": "",
        "base_text": "",
        "strategy_id": "",
        "platforms": ["linkedin", "x", "facebook", "instagram"],
    }
    data.update(fields)
    return data


def only_post(database: Database) -> Post | None:
    with database.session() as session:
        post = session.scalars(select(Post)).one_or_none()
        if post is not None:
            _ = post.variants, post.media_links
        return post


def test_list_empty_state_then_rows(signed_in: SignedIn, world: World) -> None:
    client = signed_in(world.editor.user)
    page = client.get(f"/businesses/{world.bid}/drafts")
    assert page.status_code == 200
    assert "No drafts yet" in page.text
    assert f'href="/businesses/{world.bid}/drafts/new"' in page.text

    client.post(
        f"/api/v1/businesses/{world.bid}/drafts",
        json={
            "title": "Spring menu",
            "base_text": "Fresh bread every morning",
            "platforms": ["x", "linkedin"],
            "strategy_id": world.strategy.id,
        },
        headers=world.editor.headers,
    )
    page = client.get(f"/businesses/{world.bid}/drafts")
    assert "No drafts yet" not in page.text
    assert "Spring menu" in page.text
    assert "Fresh bread every morning" in page.text
    assert "Spring launch" in page.text  # the strategy's name
    assert page.text.index(">LinkedIn<") < page.text.index(">X<")
    assert "draft</span>" in page.text


def test_list_needs_login_and_membership(
    client: TestClient, signed_in: SignedIn, world: World
) -> None:
    response = client.get(f"/businesses/{world.bid}/drafts", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    outsider = signed_in(world.outsider.user)
    assert outsider.get(f"/businesses/{world.bid}/drafts").status_code == 404


def test_editor_renders_counters_previews_and_wiring(signed_in: SignedIn, world: World) -> None:
    client = signed_in(world.editor.user)
    page = client.get(f"/businesses/{world.bid}/drafts/new")
    assert page.status_code == 200
    text = page.text
    assert 'name="csrf_token" value="' + csrf_of(client) + '"' in text
    for platform in ("linkedin", "x", "facebook", "instagram"):
        assert f'name="variant_{platform}"' in text
        assert f'name="custom_{platform}"' in text
    for counter in ("0 / 280", "0 / 3000", "0 / 63206", "0 / 2200"):
        assert counter in text
    assert "/api/v1/text/measure" in text
    assert f"/api/v1/businesses/{world.bid}/media" in text
    assert "js/editor.js" in text
    assert 'name="viewport"' in text
    assert "Bloom Bakery" in text  # the preview's account name
    assert "Spring launch" in text  # the strategy select


def test_create_through_the_form(signed_in: SignedIn, world: World, database: Database) -> None:
    client = signed_in(world.editor.user)
    media = client.post(
        f"/api/v1/businesses/{world.bid}/media",
        files={"file": ("a.png", image_bytes("PNG"), "image/png")},
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert media.status_code == 201, media.text
    response = client.post(
        f"/businesses/{world.bid}/drafts/new",
        data=form(
            client,
            title="Launch",
            base_text="Line one\r\nLine two",
            strategy_id=str(world.strategy.id),
            platforms=["linkedin", "x"],
            custom_x="1",
            variant_x="Short for X",
            variant_linkedin="ignored: not ticked",
            media_ids=[str(media.json()["id"])],
        ),
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    post = only_post(database)
    assert post is not None
    assert response.headers["location"] == f"/businesses/{world.bid}/drafts/{post.id}"
    assert post.title == "Launch"
    assert post.base_text == "Line one\nLine two"
    assert post.strategy_id == world.strategy.id
    assert post.platforms == ["linkedin", "x"]
    assert {v.platform.value: v.text for v in post.variants} == {"x": "Short for X"}
    assert [link.media_id for link in post.media_links] == [media.json()["id"]]
    assert post.author_id == world.editor.user.id

    page = client.get(response.headers["location"])
    assert "Draft saved." in page.text
    state = editor_state(page.text)
    assert state["base"] == "Line one\nLine two"
    assert state["platforms"] == ["linkedin", "x"]
    assert state["variants"]["x"] == {"custom": True, "text": "Short for X"}  # type: ignore[index]
    assert state["checks"]["x"]["count"] == 11  # type: ignore[index]
    assert [m["id"] for m in state["media"]] == [media.json()["id"]]  # type: ignore[attr-defined]


def test_invalid_save_rerenders_with_the_message_and_the_typed_text(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    client = signed_in(world.editor.user)
    typed = X_TOO_LONG + "\nsecond line <b>not bold</b>"
    response = client.post(
        f"/businesses/{world.bid}/drafts/new", data=form(client, title="Too long", base_text=typed)
    )
    assert response.status_code == 422
    assert "X: 320/280 characters (X counts links as 23 and emoji as 2)" in html.unescape(
        response.text
    )
    assert 'class="alert alert-error"' in response.text
    state = editor_state(response.text)
    assert state["base"] == typed
    assert state["title"] == "Too long"
    assert state["checks"]["x"]["ok"] is False  # type: ignore[index]
    assert "<b>not bold</b>" not in response.text  # escaped, never injected
    assert only_post(database) is None


def test_invalid_update_keeps_the_saved_draft(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    client = signed_in(world.editor.user)
    created = client.post(
        f"/api/v1/businesses/{world.bid}/drafts",
        json={"title": "Kept", "base_text": "fine"},
        headers=world.editor.headers,
    ).json()
    url = f"/businesses/{world.bid}/drafts/{created['id']}"
    response = client.post(
        url,
        data=form(
            client,
            title="Changed",
            base_text="fine",
            custom_instagram="1",
            variant_instagram=" ".join(f"#t{i}" for i in range(31)),
        ),
    )
    assert response.status_code == 422
    assert "Instagram: 31/30 hashtags" in response.text
    assert editor_state(response.text)["title"] == "Changed"
    post = only_post(database)
    assert post is not None
    assert post.title == "Kept"
    assert post.variants == []

    # A valid save replaces the fields; unticking "own text" removes the variant.
    ok = client.post(
        url,
        data=form(client, title="Changed", base_text="new text", platforms=["facebook"]),
        follow_redirects=False,
    )
    assert ok.status_code == 303
    post = only_post(database)
    assert post is not None
    assert (post.title, post.base_text, post.platforms) == ("Changed", "new text", ["facebook"])


def test_form_needs_csrf(signed_in: SignedIn, world: World, database: Database) -> None:
    client = signed_in(world.editor.user)
    response = client.post(
        f"/businesses/{world.bid}/drafts/new", data=form(client, csrf_token="wrong", base_text="hi")
    )
    assert response.status_code == 403
    assert only_post(database) is None


def test_viewer_reads_but_cannot_save_or_delete(
    signed_in: SignedIn, world: World, database: Database
) -> None:
    editor = signed_in(world.editor.user)
    created = editor.post(
        f"/api/v1/businesses/{world.bid}/drafts",
        json={"base_text": "hello"},
        headers={"X-CSRF-Token": csrf_of(editor)},
    )
    assert created.status_code == 201
    url = f"/businesses/{world.bid}/drafts/{created.json()['id']}"
    viewer = signed_in(world.viewer.user)
    page = viewer.get(url)
    assert page.status_code == 200
    assert "editing needs the editor role" in page.text
    assert "Save draft" not in page.text
    assert viewer.get(f"/businesses/{world.bid}/drafts/new").status_code == 403
    assert viewer.post(url, data=form(viewer, base_text="changed")).status_code == 403
    assert viewer.post(url + "/delete", data={"csrf_token": csrf_of(viewer)}).status_code == 403
    post = only_post(database)
    assert post is not None
    assert post.base_text == "hello"


def test_delete_through_the_form(signed_in: SignedIn, world: World, database: Database) -> None:
    client = signed_in(world.editor.user)
    created = client.post(
        f"/api/v1/businesses/{world.bid}/drafts",
        json={"base_text": "bye"},
        headers={"X-CSRF-Token": csrf_of(client)},
    ).json()
    url = f"/businesses/{world.bid}/drafts/{created['id']}"
    assert "Delete" in client.get(url).text
    response = client.post(
        url + "/delete", data={"csrf_token": csrf_of(client)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/businesses/{world.bid}/drafts"
    assert only_post(database) is None
    assert "Draft deleted." in client.get(response.headers["location"]).text


def test_measure_from_the_browser_needs_the_csrf_header(signed_in: SignedIn, world: World) -> None:
    client = signed_in(world.viewer.user)
    assert client.post("/api/v1/text/measure", json={"text": "hi"}).status_code == 403
    response = client.post(
        "/api/v1/text/measure", json={"text": "hi"}, headers={"X-CSRF-Token": csrf_of(client)}
    )
    assert response.status_code == 200
    assert response.json()["results"][1] == {
        "platform": "x",
        "name": "X",
        "count": 2,
        "limit": 280,
        "hashtags": 0,
        "max_hashtags": None,
        "ok": True,
        "problems": [],
        "uses_base_text": True,
    }


@pytest.mark.parametrize(
    "fields",
    [
        {"strategy_id": str(2**63)},
        {"strategy_id": "99999999999"},
        {"media_ids": ["99999999999"]},
        {"title": "nul \x00 inside"},
    ],
)
def test_form_values_the_database_cannot_store_are_a_clear_error_not_a_500(
    signed_in: SignedIn, world: World, database: Database, fields: dict[str, Any]
) -> None:
    client = signed_in(world.editor.user)
    before = _draft_rows(database)
    response = client.post(
        f"/businesses/{world.bid}/drafts/new",
        data=form(client, **{"title": "T", "base_text": "B", **fields}),
        headers={"Accept": "text/html"},
    )
    assert response.status_code in (404, 422), response.text[:500]
    assert _draft_rows(database) == before


def _draft_rows(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Post)) or 0
