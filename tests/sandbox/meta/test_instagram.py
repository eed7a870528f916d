"""Instagram content publishing and insights over real HTTP: containers moving through
IN_PROGRESS, FINISHED, ERROR and EXPIRED on the sandbox clock, media_publish, the 24-hour
publishing limit, media fields, listing with cursors, and media and account insights."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx2
import pytest

from tests.sandbox.meta import helpers as h
from tests.support.media_server import MediaHost, unreachable_url
from tests.support.sandbox import SandboxHandle

IG = h.FLORIST_IG


@pytest.fixture
def ig(fresh_sandbox: SandboxHandle) -> Iterator[tuple[httpx2.Client, str]]:
    with h.client(fresh_sandbox) as http:
        # Instagram calls work with the user token (and the linked Page's token).
        yield http, h.login(http).user_token


def _get(http: httpx2.Client, path: str, token: str, **params: Any) -> httpx2.Response:
    return http.get(h.graph(path), params={"access_token": token, **params})


def _post(http: httpx2.Client, path: str, token: str, **params: Any) -> httpx2.Response:
    return http.post(h.graph(path), data={"access_token": token, **params})


def _status(http: httpx2.Client, token: str, container: str) -> dict[str, Any]:
    body: dict[str, Any] = _get(http, container, token, fields="status_code,status").json()
    return body


def _advance(sandbox: SandboxHandle, **delta: float) -> None:
    clock = sandbox.ctx.clock
    clock.set_offset(clock.offset_seconds + timedelta(**delta).total_seconds())


def test_image_container_lifecycle_and_publish(
    ig: tuple[httpx2.Client, str], fresh_sandbox: SandboxHandle, media_files: MediaHost
) -> None:
    http, token = ig
    created = _post(
        http,
        f"{IG}/media",
        token,
        image_url=media_files.at("bouquet.jpg"),
        caption="Autumn bouquet #flowers",
    )
    assert created.status_code == 200
    container = created.json()["id"]
    assert list(created.json()) == ["id"]
    assert _status(http, token, container) == {
        "status_code": "IN_PROGRESS",
        "status": "In Progress: Media is still being processed.",
        "id": container,
    }
    early = _post(http, f"{IG}/media_publish", token, creation_id=container)
    error = h.assert_graph_error(early, 9007, 2207027)
    assert error["error_user_title"] == "Media not ready for publishing"

    _advance(fresh_sandbox, seconds=30)
    assert _status(http, token, container)["status_code"] == "FINISHED"
    published = _post(http, f"{IG}/media_publish", token, creation_id=container)
    assert published.status_code == 200
    media_id = published.json()["id"]
    assert _status(http, token, container) == {
        "status_code": "PUBLISHED",
        "status": "Published: Media has been successfully published.",
        "id": container,
    }
    h.assert_graph_error(
        _post(http, f"{IG}/media_publish", token, creation_id=container), 9007, 2207008
    )

    fields = "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count"
    media = _get(http, media_id, token, fields=fields).json()
    assert list(media) == fields.split(",")
    assert media["caption"] == "Autumn bouquet #flowers"
    assert media["media_type"] == "IMAGE"
    # The permalink leads to the post's page, which the sandbox serves under its own address.
    assert media["permalink"].startswith(f"{fresh_sandbox.url}/www.instagram.com/p/")
    page = http.get(media["permalink"])
    assert page.status_code == 200
    assert "Autumn bouquet #flowers" in page.text
    assert media["like_count"] == 0  # just published

    listing = _get(http, f"{IG}/media", token, fields="id", limit=1).json()
    assert listing["data"] == [{"id": media_id}]

    _advance(fresh_sandbox, days=2)
    later = _get(http, media_id, token, fields="like_count,comments_count").json()
    metrics = "views,reach,likes,comments,shares,saved,total_interactions"
    insights = _get(http, f"{media_id}/insights", token, metric=metrics).json()["data"]
    values = {entry["name"]: entry["values"][0]["value"] for entry in insights}
    assert list(values) == metrics.split(",")
    assert values["likes"] == later["like_count"] > 0
    assert values["comments"] == later["comments_count"]
    assert values["reach"] <= values["views"]
    assert values["total_interactions"] == (
        values["likes"] + values["comments"] + values["shares"] + values["saved"]
    )
    assert insights[0] == {
        "name": "views",
        "period": "lifetime",
        "values": [{"value": values["views"]}],
        "title": "Views",
        "description": insights[0]["description"],
        "id": f"{media_id}/insights/views/lifetime",
    }
    # impressions is gone for media created after 2024-07-01, on every version.
    for version in ("v21.0", "v23.0"):
        retired = http.get(
            h.graph(f"{media_id}/insights", version),
            params={"access_token": token, "metric": "impressions,reach"},
        )
        h.assert_graph_error(
            retired,
            100,
            message="(#100) The Media Insights API does not support the impressions metric "
            "for this media product type.",
        )


def test_unusable_media_ends_in_error_and_unpublished_containers_expire(
    ig: tuple[httpx2.Client, str], fresh_sandbox: SandboxHandle, media_files: MediaHost
) -> None:
    http, token = ig
    cases = {
        unreachable_url(): 2207052,  # nothing listens there
        media_files.at("missing/photo.jpg"): 2207052,  # answers 404
        media_files.at("photo.png"): 2207005,  # JPEG only
        media_files.at("menu.html"): 2207052,  # not an image at all
    }
    containers = {
        url: _post(http, f"{IG}/media", token, image_url=url).json()["id"] for url in cases
    }
    reel = _post(
        http, f"{IG}/media", token, media_type="REELS", video_url=media_files.at("clip.html")
    ).json()["id"]
    good = _post(http, f"{IG}/media", token, image_url=media_files.at("ok.jpeg")).json()["id"]
    _advance(fresh_sandbox, minutes=2)
    for url, subcode in cases.items():
        state = _status(http, token, containers[url])
        assert state["status_code"] == "ERROR"
        assert state["status"] == f"Error: Media upload has failed with error code {subcode}"
        h.assert_graph_error(
            _post(http, f"{IG}/media_publish", token, creation_id=containers[url]), 9007, 2207027
        )
    assert _status(http, token, reel)["status"].endswith("2207026")
    assert _status(http, token, good)["status_code"] == "FINISHED"

    _advance(fresh_sandbox, hours=24)
    assert _status(http, token, good)["status_code"] == "EXPIRED"
    expired = _post(http, f"{IG}/media_publish", token, creation_id=good)
    h.assert_graph_error(expired, 9007, 2207020)


def test_reels_and_carousels(
    ig: tuple[httpx2.Client, str], fresh_sandbox: SandboxHandle, media_files: MediaHost
) -> None:
    http, token = ig
    reel = _post(
        http,
        f"{IG}/media",
        token,
        media_type="REELS",
        video_url=media_files.at("clip.mp4"),
        caption="Behind the counter",
    ).json()["id"]
    _advance(fresh_sandbox, seconds=20)
    assert _status(http, token, reel)["status_code"] == "IN_PROGRESS"  # video takes longer
    items = [
        _post(
            http,
            f"{IG}/media",
            token,
            image_url=media_files.at(f"{n}.jpg"),
            is_carousel_item="true",
        ).json()["id"]
        for n in ("a", "b", "c")
    ]
    one_child = _post(http, f"{IG}/media", token, media_type="CAROUSEL", children=items[0])
    h.assert_graph_error(one_child, 100, 2207028)
    eleven = _post(http, f"{IG}/media", token, media_type="CAROUSEL", children=",".join(items * 4))
    h.assert_graph_error(eleven, 100, 2207028)
    carousel = _post(
        http,
        f"{IG}/media",
        token,
        media_type="CAROUSEL",
        children=",".join(items),
        caption="Three bouquets",
    ).json()["id"]
    # A carousel item cannot be published on its own.
    h.assert_graph_error(_post(http, f"{IG}/media_publish", token, creation_id=items[0]), 100)
    _advance(fresh_sandbox, minutes=2)
    album = _post(http, f"{IG}/media_publish", token, creation_id=carousel).json()["id"]
    reel_media = _post(http, f"{IG}/media_publish", token, creation_id=reel).json()["id"]
    body = _get(http, album, token, fields="media_type,caption,children{id,media_type}").json()
    assert body["media_type"] == "CAROUSEL_ALBUM"
    assert [c["media_type"] for c in body["children"]["data"]] == ["IMAGE"] * 3
    reel_body = _get(http, reel_media, token, fields="media_type,media_product_type,permalink")
    assert reel_body.json()["media_product_type"] == "REELS"
    assert "/reel/" in reel_body.json()["permalink"]
    # The carousel counts once against the publishing limit, its children not at all.
    usage = _get(http, f"{IG}/content_publishing_limit", token, fields="quota_usage,config")
    assert usage.json() == {
        "data": [{"quota_usage": 2, "config": {"quota_total": 50, "quota_duration": 86400}}]
    }


def test_publishing_limit_is_a_moving_24_hour_window(
    ig: tuple[httpx2.Client, str], fresh_sandbox: SandboxHandle, media_files: MediaHost
) -> None:
    http, token = ig
    # 50 by default; lowered so the test stays short. The window logic is the same.
    http.post(
        "/_sandbox/ratelimits",
        json={"platform": "meta", "limits": {"publishing_limits": {"instagram": 3}}},
    )

    def container() -> str:
        made = _post(http, f"{IG}/media", token, image_url=media_files.at("p.jpg"))
        return str(made.json()["id"])

    for _ in range(3):
        creation = container()
        _advance(fresh_sandbox, minutes=1)
        assert _post(http, f"{IG}/media_publish", token, creation_id=creation).status_code == 200
    blocked_container = container()
    _advance(fresh_sandbox, minutes=1)
    blocked = _post(http, f"{IG}/media_publish", token, creation_id=blocked_container)
    error = h.assert_graph_error(blocked, 9, 2207042)
    assert error["error_user_title"] == "Maximum number of posts reached"
    limit = _get(http, f"{IG}/content_publishing_limit", token).json()["data"][0]
    assert limit["quota_usage"] == 3
    assert limit["config"]["quota_total"] == 3
    _advance(fresh_sandbox, hours=23, minutes=59)
    retry_container = container()
    _advance(fresh_sandbox, minutes=1)
    assert _post(http, f"{IG}/media_publish", token, creation_id=retry_container).status_code == 200


def test_seeded_media_listing_pages_with_cursors(ig: tuple[httpx2.Client, str]) -> None:
    http, token = ig
    seen: list[str] = []
    response = _get(http, f"{IG}/media", token, fields="id,timestamp", limit=25).json()
    while True:
        seen.extend(item["id"] for item in response["data"])
        assert set(response["paging"]["cursors"]) == {"before", "after"}
        if "next" not in response["paging"]:
            break
        response = http.get(response["paging"]["next"]).json()
    account = _get(http, IG, token, fields="media_count,followers_count,username").json()
    assert len(seen) == len(set(seen)) == account["media_count"] > 25
    assert account["username"] == "harborlaneflorist"


def test_account_insights(ig: tuple[httpx2.Client, str]) -> None:
    http, token = ig
    totals = _get(
        http,
        f"{IG}/insights",
        token,
        metric="views,reach,total_interactions,accounts_engaged",
        period="day",
        metric_type="total_value",
    ).json()["data"]
    assert [t["name"] for t in totals] == [
        "views",
        "reach",
        "total_interactions",
        "accounts_engaged",
    ]
    assert all(
        set(t) == {"name", "period", "title", "description", "total_value", "id"} for t in totals
    )
    assert totals[0]["total_value"]["value"] >= totals[1]["total_value"]["value"]
    series = _get(http, f"{IG}/insights", token, metric="reach,follower_count", period="day").json()
    assert all(len(entry["values"]) == 2 for entry in series["data"])
    needs_total = _get(http, f"{IG}/insights", token, metric="views", period="day")
    h.assert_graph_error(
        needs_total,
        100,
        message="(#100) The following metrics (views) should be specified with parameter "
        "metric_type=total_value",
    )
    gone = _get(http, f"{IG}/insights", token, metric="impressions", period="day")
    assert "Starting from version 22 and above" in h.assert_graph_error(gone, 100)["message"]


def test_instagram_permissions_are_checked(
    fresh_sandbox: SandboxHandle, media_files: MediaHost
) -> None:
    with h.client(fresh_sandbox) as http:
        login = h.login(http, scope="pages_show_list,instagram_basic")
        refused = http.post(
            h.graph(f"{IG}/media"),
            data={"access_token": login.user_token, "image_url": media_files.at("x.jpg")},
        )
        h.assert_graph_error(refused, 10)
        insights = http.get(
            h.graph(f"{IG}/insights"),
            params={"access_token": login.user_token, "metric": "reach", "period": "day"},
        )
        h.assert_graph_error(insights, 10)


def test_media_comments(fresh_sandbox: SandboxHandle) -> None:
    with h.client(fresh_sandbox) as http:
        token = h.login(http).user_token
        media = _get(http, f"{IG}/media", token, fields="id,comments_count", limit=100).json()
        commented = next(m for m in media["data"] if m["comments_count"] > 0)
        listed = _get(http, f"{commented['id']}/comments", token, limit=100).json()
        assert len(listed["data"]) == commented["comments_count"]
        assert set(listed["data"][0]) == {"timestamp", "text", "id"}
        reply = _post(http, f"{commented['id']}/comments", token, message="Thank you! 🌸")
        assert reply.status_code == 200
        after = _get(http, commented["id"], token, fields="comments_count").json()
        assert after["comments_count"] == commented["comments_count"] + 1
        without = h.login(http, scope="pages_show_list,instagram_basic").user_token
        refused = _post(http, f"{commented['id']}/comments", without, message="hi")
        h.assert_graph_error(refused, 10)


def test_media_insights_expand_as_a_field(ig: tuple[httpx2.Client, str]) -> None:
    """``insights.metric(…)`` in ``fields`` answers what the insights edge answers, in a
    listing and a multi-id read alike, and fails the read for a metric the edge refuses."""
    http, token = ig
    metrics = "views,reach,saved,shares,total_interactions"
    listing = _get(
        http, f"{IG}/media", token, fields=f"id,insights.metric({metrics})", limit=3
    ).json()["data"]
    assert len(listing) == 3
    ids = [item["id"] for item in listing]
    multi = _get(http, "", token, ids=",".join(ids), fields=f"insights.metric({metrics})").json()
    assert sorted(multi) == sorted(ids)
    for item in listing:
        edge = _get(http, f"{item['id']}/insights", token, metric=metrics).json()
        assert item["insights"] == edge
        assert multi[item["id"]]["insights"] == edge
    refused = _get(http, ids[0], token, fields="insights.metric(reach,plays)")
    h.assert_graph_error(refused, 100)


def test_media_and_insights_expanded_on_the_account_node(ig: tuple[httpx2.Client, str]) -> None:
    """``media.limit(n){…}`` and ``insights.metric(…)`` asked as fields of the account answer
    what their own edge requests answer, in the node's one response."""
    http, token = ig
    node = _get(
        http,
        IG,
        token,
        fields="followers_count,follows_count,media_count,"
        "media.limit(10){id,timestamp,like_count},"
        "insights.metric(reach,follower_count).period(day)",
    ).json()
    listed = _get(http, f"{IG}/media", token, fields="id,timestamp,like_count", limit=10).json()
    assert node["media"]["data"] == listed["data"]
    assert len(node["media"]["data"]) == 10
    assert node["media"]["paging"]["cursors"] == listed["paging"]["cursors"]
    # paging.next is the edge's own URL: following it continues the listing.
    following = http.get(node["media"]["paging"]["next"]).json()
    second = _get(
        http,
        f"{IG}/media",
        token,
        fields="id,timestamp,like_count",
        limit=10,
        after=listed["paging"]["cursors"]["after"],
    ).json()
    assert [m["id"] for m in following["data"]] == [m["id"] for m in second["data"]]
    alone = _get(http, IG, token, fields="followers_count,follows_count,media_count").json()
    for name in ("followers_count", "follows_count", "media_count"):
        assert node[name] == alone[name]
    series = _get(http, f"{IG}/insights", token, metric="reach,follower_count", period="day")
    assert node["insights"]["data"] == series.json()["data"]
    # Graph caps these edges at 100 a page, expanded or not.
    capped = _get(http, IG, token, fields="media.limit(500){id}").json()
    direct = _get(http, f"{IG}/media", token, fields="id", limit=500).json()
    assert len(capped["media"]["data"]) == len(direct["data"]) <= 100
    unknown = _get(http, IG, token, fields="media{id,impressions_of_nothing}")
    h.assert_graph_error(unknown, 100)
