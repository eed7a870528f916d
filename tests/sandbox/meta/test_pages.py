"""Facebook Pages over real HTTP: posting (text, link, photos, multi-photo, scheduled),
deleting, comments, field expansion and Page/post insights with current and retired metrics."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx2
import pytest
from PIL import Image

from platform_sandbox import audience
from tests.sandbox.meta import helpers as h
from tests.support.media_server import MediaHost, unreachable_url
from tests.support.sandbox import SandboxHandle


@pytest.fixture
def page(fresh_sandbox: SandboxHandle) -> Iterator[tuple[httpx2.Client, str, h.Login]]:
    with h.client(fresh_sandbox) as http:
        login = h.login(http)
        yield http, login.page_tokens[h.FLORIST], login


def _get(http: httpx2.Client, path: str, token: str, **params: Any) -> httpx2.Response:
    return http.get(h.graph(path), params={"access_token": token, **params})


def test_feed_post_read_back_and_delete(page: tuple[httpx2.Client, str, h.Login]) -> None:
    http, token, login = page
    created = http.post(
        h.graph(f"{h.FLORIST}/feed"),
        data={
            "access_token": token,
            "message": "Tulips are in! #spring",
            "link": "https://harborlaneflorist.example/tulips",
        },
    )
    assert created.status_code == 200
    post_id = created.json()["id"]
    assert list(created.json()) == ["id"]
    assert post_id.startswith(f"{h.FLORIST}_")

    read = _get(http, post_id, token, fields="id,message,link,permalink_url,created_time,from")
    body = read.json()
    assert body["message"] == "Tulips are in! #spring"
    assert body["from"] == {"name": "Harbor Lane Florist", "id": h.FLORIST}
    assert body["created_time"].endswith("+0000")

    duplicate = http.post(
        h.graph(f"{h.FLORIST}/feed"),
        data={
            "access_token": token,
            "message": "Tulips are in! #spring",
            "link": "https://harborlaneflorist.example/tulips",
        },
    )
    error = h.assert_graph_error(duplicate, 506, 1455006)
    assert error["error_user_title"] == "Duplicate Status Update"

    # A user token may not post to a Page.
    as_user = http.post(
        h.graph(f"{h.FLORIST}/feed"), data={"access_token": login.user_token, "message": "hi"}
    )
    assert h.assert_graph_error(as_user, 200)["message"].startswith("(#200) If posting to a group")

    listed = _get(http, f"{h.FLORIST}/feed", token, limit=1).json()
    assert listed["data"][0]["id"] == post_id

    deleted = http.delete(h.graph(post_id), params={"access_token": token})
    assert deleted.json() == {"success": True}
    gone = _get(http, post_id, token)
    h.assert_graph_error(gone, 100, 33, error_type="GraphMethodException")


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 80, 120)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_photos_single_multi_and_upload(
    page: tuple[httpx2.Client, str, h.Login], media_files: MediaHost
) -> None:
    http, token, _ = page
    single = http.post(
        h.graph(f"{h.FLORIST}/photos"),
        data={"access_token": token, "url": media_files.at("rose.jpg"), "message": "Roses"},
    ).json()
    assert set(single) == {"id", "post_id"}
    assert single["post_id"] == f"{h.FLORIST}_{single['id']}"
    # Facebook downloaded the photo: its size is the file's (the media host serves 1080×1350).
    assert "/rose.jpg" in media_files.requested
    fetched = _get(http, single["id"], token, fields="width,height").json()
    assert (fetched["width"], fetched["height"]) == (1080, 1350)
    for unusable in (
        unreachable_url(),
        media_files.at("missing/rose.jpg"),
        media_files.at("a.html"),
    ):
        refused = http.post(
            h.graph(f"{h.FLORIST}/photos"), data={"access_token": token, "url": unusable}
        )
        h.assert_graph_error(refused, 324)
    # The post's link opens its page in the sandbox.
    permalink = _get(http, single["post_id"], token, fields="permalink_url").json()
    assert "Roses" in http.get(permalink["permalink_url"]).text

    uploaded = http.post(
        h.graph(f"{h.FLORIST}/photos"),
        data={"access_token": token, "published": "false"},
        files={"source": ("peony.jpg", _jpeg(), "image/jpeg")},
    ).json()
    assert list(uploaded) == ["id"]  # unpublished: no post yet
    photo = _get(http, uploaded["id"], token, fields="id,width,height").json()
    assert (photo["width"], photo["height"]) == (640, 480)
    not_an_image = http.post(
        h.graph(f"{h.FLORIST}/photos"),
        data={"access_token": token},
        files={"source": ("notes.jpg", b"definitely not a jpeg", "image/jpeg")},
    )
    h.assert_graph_error(not_an_image, 324)

    second = http.post(
        h.graph(f"{h.FLORIST}/photos"),
        data={"access_token": token, "url": media_files.at("lily.jpg"), "published": "false"},
    ).json()
    # Postiz's shape: JSON body with attached_media, asking for id and permalink_url back.
    album = http.post(
        h.graph(f"{h.FLORIST}/feed"),
        params={"fields": "id,permalink_url"},
        json={
            "access_token": token,
            "message": "This week's bouquets",
            "attached_media": [{"media_fbid": uploaded["id"]}, {"media_fbid": second["id"]}],
            "published": True,
        },
    )
    assert album.status_code == 200, album.text
    assert set(album.json()) == {"id", "permalink_url"}
    attachments = _get(http, album.json()["id"], token, fields="attachments").json()
    subattachments = attachments["attachments"]["data"][0]["subattachments"]["data"]
    assert [s["target"]["id"] for s in subattachments] == [uploaded["id"], second["id"]]
    # A photo can be attached once only.
    reused = http.post(
        h.graph(f"{h.FLORIST}/feed"),
        data={
            "access_token": token,
            "message": "again",
            "attached_media[0]": f'{{"media_fbid":"{second["id"]}"}}',
        },
    )
    h.assert_graph_error(reused, 100)


def test_scheduled_post_goes_live_on_the_clock(
    page: tuple[httpx2.Client, str, h.Login], fresh_sandbox: SandboxHandle
) -> None:
    http, token, _ = page
    now = fresh_sandbox.ctx.clock.now()
    when = int((now + timedelta(hours=2)).timestamp())
    published_too = http.post(
        h.graph(f"{h.FLORIST}/feed"),
        data={"access_token": token, "message": "later", "scheduled_publish_time": str(when)},
    )
    h.assert_graph_error(published_too, 100)
    scheduled = http.post(
        h.graph(f"{h.FLORIST}/feed"),
        data={
            "access_token": token,
            "message": "later",
            "published": "false",
            "scheduled_publish_time": str(when),
        },
    ).json()
    fields = "is_published,scheduled_publish_time"
    before = _get(http, scheduled["id"], token, fields=fields).json()
    assert before["is_published"] is False
    assert before["scheduled_publish_time"] == when
    fresh_sandbox.ctx.clock.set_offset(timedelta(hours=3).total_seconds())
    after = _get(http, scheduled["id"], token, fields=fields).json()
    assert after["is_published"] is True
    assert "scheduled_publish_time" not in after


def test_engagement_fields_and_comments_follow_the_audience(
    page: tuple[httpx2.Client, str, h.Login], fresh_sandbox: SandboxHandle
) -> None:
    http, token, login = page
    post_id = http.post(
        h.graph(f"{h.FLORIST}/feed"),
        data={"access_token": token, "message": "Workshop seats open for Saturday! #flowers"},
    ).json()["id"]
    fields = "reactions.summary(true),comments.summary(true).limit(0),likes.summary(true),shares"
    at_once = _get(http, post_id, token, fields=fields).json()
    assert at_once["reactions"]["summary"] == {"total_count": 0, "viewer_reaction": "NONE"}
    assert "shares" not in at_once  # absent while 0

    fresh_sandbox.ctx.clock.set_offset(timedelta(days=5).total_seconds())
    later = _get(http, post_id, token, fields=fields).json()
    expected = _expected_metrics(http, token, post_id, fresh_sandbox)
    reactions = later["reactions"]["summary"]["total_count"]
    likes = later["likes"]["summary"]["total_count"]
    comments = later["comments"]["summary"]
    assert reactions == expected.likes > 0
    assert 0 < likes <= reactions
    assert comments["total_count"] == expected.comments
    assert later["comments"]["data"] == []  # limit(0)
    assert comments["order"] == "ranked"
    assert comments["can_comment"] is True
    if expected.shares:
        assert later["shares"] == {"count": expected.shares}
    else:
        assert "shares" not in later

    # The counts are the audience model's, and insights agree with the fields.
    insight = _get(
        http,
        f"{post_id}/insights",
        token,
        metric="post_reactions_by_type_total,post_media_view,post_total_media_view_unique",
    ).json()["data"]
    by_type = insight[0]["values"][0]["value"]
    assert sum(by_type.values()) == reactions
    assert set(by_type) == {"like", "love", "wow", "haha", "sorry", "anger"}
    assert insight[0]["id"] == f"{post_id}/insights/post_reactions_by_type_total/lifetime"
    views, viewers = (entry["values"][0]["value"] for entry in insight[1:])
    assert 0 < viewers <= views

    listed = _get(http, f"{post_id}/comments", token, summary="true", limit=2).json()
    assert listed["summary"]["total_count"] == comments["total_count"]
    assert len(listed["data"]) == min(2, comments["total_count"])
    if comments["total_count"] > 2:
        assert "next" in listed["paging"]
        following = http.get(listed["paging"]["next"]).json()
        assert following["data"][0]["id"] != listed["data"][0]["id"]

    written = http.post(
        h.graph(f"{post_id}/comments"), data={"access_token": token, "message": "See you there!"}
    ).json()
    assert written["id"].startswith(post_id.split("_")[1] + "_")
    after = _get(http, f"{post_id}/comments", token, summary="true", limit=100).json()
    assert after["summary"]["total_count"] == comments["total_count"] + 1
    assert after["data"][-1]["message"] == "See you there!"
    assert after["data"][-1]["from"] == {"name": "Harbor Lane Florist", "id": h.FLORIST}
    # Commenting as a Page needs a page token.
    as_user = http.post(
        h.graph(f"{post_id}/comments"), data={"access_token": login.user_token, "message": "x"}
    )
    h.assert_graph_error(as_user, 200)


def _expected_metrics(
    http: httpx2.Client, token: str, post_id: str, sandbox: SandboxHandle
) -> audience.PostMetrics:
    """What the audience model says, from the post as the API reports it."""
    post = _get(http, post_id, token, fields="message,created_time").json()
    posted_at = datetime.strptime(post["created_time"], "%Y-%m-%dT%H:%M:%S%z")
    features = audience.PostFeatures(
        text_length=len(post["message"]),
        posted_at=posted_at,
        hashtag_count=post["message"].count("#"),
    )
    profile = audience.profile_for(sandbox.ctx.seed, f"facebook:{h.FLORIST}")
    return audience.post_metrics(
        sandbox.ctx.seed,
        profile,
        f"facebook:{h.FLORIST}:{post_id}",
        features,
        sandbox.ctx.clock.now(),
    )


def test_field_syntax_errors_and_unknown_fields(page: tuple[httpx2.Client, str, h.Login]) -> None:
    http, token, _ = page
    unknown = _get(http, h.FLORIST, token, fields="id,impressions")
    h.assert_graph_error(
        unknown,
        100,
        message="(#100) Tried accessing nonexisting field (impressions) on node type (Page)",
    )
    broken = _get(http, h.FLORIST, token, fields="instagram_business_account{id")
    h.assert_graph_error(broken, 2500)
    nested = _get(
        http,
        h.FLORIST,
        token,
        fields="name,fan_count,followers_count,picture{url},instagram_business_account"
        "{username,followers_count,media_count}",
    ).json()
    assert nested["picture"]["data"]["url"].startswith("https://")
    assert nested["instagram_business_account"]["media_count"] > 20
    assert 0 < nested["fan_count"] <= nested["followers_count"]


def test_page_insights_current_and_retired_metrics(
    page: tuple[httpx2.Client, str, h.Login], fresh_sandbox: SandboxHandle
) -> None:
    http, token, _ = page
    now = fresh_sandbox.ctx.clock.now()
    since = int((now - timedelta(days=30)).timestamp())
    until = int(now.timestamp())
    body = _get(
        http,
        f"{h.FLORIST}/insights",
        token,
        metric="page_media_view,page_follows,page_post_engagements",
        period="day",
        since=since,
        until=until,
    ).json()
    names = [entry["name"] for entry in body["data"]]
    assert names == ["page_media_view", "page_follows", "page_post_engagements"]
    views = body["data"][0]
    assert views["period"] == "day"
    assert views["id"] == f"{h.FLORIST}/insights/page_media_view/day"
    assert set(views) == {"name", "period", "values", "title", "description", "id"}
    assert 28 <= len(views["values"]) <= 31
    assert all(v["end_time"].endswith("T08:00:00+0000") for v in views["values"])
    assert sum(v["value"] for v in views["values"]) > 0
    follows = [v["value"] for v in body["data"][1]["values"]]
    assert follows == sorted(follows)  # the audience grows
    assert set(body["paging"]) == {"previous", "next"}

    for retired in (
        "page_impressions",
        "page_fans",
        "page_engaged_users",
        "page_impressions_unique",
    ):
        response = _get(
            http, f"{h.FLORIST}/insights", token, metric=f"page_media_view,{retired}", period="day"
        )
        h.assert_graph_error(
            response, 100, message="(#100) The value must be a valid insights metric"
        )
    error = h.assert_graph_error(_get(http, f"{h.FLORIST}/insights", token), 3001, 1504028)
    assert error["error_user_title"] == "No Metric Specified"
    assert error["is_transient"] is False
    too_long = _get(
        http,
        f"{h.FLORIST}/insights",
        token,
        metric="page_media_view",
        period="day",
        since=int((now - timedelta(days=120)).timestamp()),
        until=until,
    )
    h.assert_graph_error(too_long, 100)

    post_id = _get(http, f"{h.FLORIST}/posts", token, limit=1).json()["data"][0]["id"]
    retired_post = _get(http, f"{post_id}/insights", token, metric="post_impressions")
    h.assert_graph_error(
        retired_post, 100, message="(#100) The value must be a valid insights metric"
    )
    path_form = _get(http, f"{post_id}/insights/post_media_view", token).json()
    assert path_form["data"][0]["name"] == "post_media_view"


def test_published_posts_expanded_on_the_page_node(
    page: tuple[httpx2.Client, str, h.Login],
) -> None:
    """``published_posts.limit(n){…}`` as a field of the Page answers the edge's own first page
    next to the Page's fields, in one request; ``paging.next`` continues on the edge."""
    http, token, _ = page
    fields = "id,message,created_time,reactions.summary(true).limit(0)"
    node = _get(
        http, h.FLORIST, token, fields=f"followers_count,published_posts.limit(7){{{fields}}}"
    ).json()
    listed = _get(http, f"{h.FLORIST}/published_posts", token, fields=fields, limit=7).json()
    alone = _get(http, h.FLORIST, token, fields="followers_count").json()
    assert node["followers_count"] == alone["followers_count"]
    assert node["published_posts"]["data"] == listed["data"]
    assert len(listed["data"]) == 7
    following = http.get(node["published_posts"]["paging"]["next"]).json()
    second = _get(
        http,
        f"{h.FLORIST}/published_posts",
        token,
        fields=fields,
        limit=7,
        after=listed["paging"]["cursors"]["after"],
    ).json()
    assert following["data"] == second["data"]
    assert following["data"][0]["id"] not in {p["id"] for p in listed["data"]}
    page_of_100 = _get(http, h.FLORIST, token, fields="published_posts.limit(100){id}").json()[
        "published_posts"
    ]["data"]
    everything = _get(http, f"{h.FLORIST}/published_posts", token, fields="id", limit=100).json()
    assert page_of_100 == everything["data"]
