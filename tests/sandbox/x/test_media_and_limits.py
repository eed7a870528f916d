"""X media upload (one-shot, chunked with processing states, legacy v1.1) and rate limits."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from platform_sandbox.x.limits import DEFAULT_LIMITS
from tests.sandbox.x.conftest import BAKERY_ID, CYCLES_ID, XClient
from tests.sandbox.x.openapi import SpecViolation, validate

TOO_MANY = {
    "title": "Too Many Requests",
    "detail": "Too Many Requests",
    "type": "about:blank",
    "status": 429,
}


def png(width: int = 64, height: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def mp4(size: int = 300_000) -> bytes:
    # An ISO BMFF header is enough for type sniffing; the rest is padding.
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    return head + b"\x00" * (size - len(head))


def test_one_shot_image_upload_then_post_with_media(x: XClient) -> None:
    uploaded = x.http.post(
        "/api.x.com/2/media/upload",
        files={"media": ("photo.png", png(), "image/png")},
        data={"media_category": "tweet_image"},
        headers=x.auth(),
    )
    assert uploaded.status_code == 200, uploaded.text
    media = uploaded.json()["data"]
    assert media["media_key"] == f"3_{media['id']}"
    assert media["size"] == len(png())
    created = x.http.post(
        "/api.x.com/2/tweets",
        json={"text": "New bread!", "media": {"media_ids": [media["id"]]}},
        headers=x.auth(),
    )
    assert created.status_code == 201
    got = x.http.get(
        f"/api.x.com/2/tweets/{created.json()['data']['id']}",
        params={"tweet.fields": "attachments", "expansions": "attachments.media_keys"},
        headers=x.auth(),
    ).json()
    assert got["data"]["attachments"] == {"media_keys": [media["media_key"]]}
    assert got["includes"]["media"] == [{"media_key": media["media_key"], "type": "photo"}]
    # Someone else's media cannot be attached.
    stolen = x.http.post(
        "/api.x.com/2/tweets",
        json={"text": "mine", "media": {"media_ids": [media["id"]]}},
        headers=x.auth(CYCLES_ID),
    )
    assert stolen.status_code == 400


def test_one_shot_json_base64_and_required_category(x: XClient) -> None:
    encoded = base64.b64encode(png()).decode()
    ok = x.http.post(
        "/api.x.com/2/media/upload",
        json={"media": encoded, "media_category": "tweet_image"},
        headers=x.auth(),
    )
    assert ok.status_code == 200
    missing = x.http.post("/api.x.com/2/media/upload", json={"media": encoded}, headers=x.auth())
    assert missing.status_code == 400
    assert missing.json()["detail"] == "One or more parameters to your request was invalid."
    not_image = x.http.post(
        "/api.x.com/2/media/upload",
        json={"media": base64.b64encode(b"hello").decode(), "media_category": "tweet_image"},
        headers=x.auth(),
    )
    assert not_image.status_code == 400
    no_scope = x.http.post(
        "/api.x.com/2/media/upload",
        json={"media": encoded, "media_category": "tweet_image"},
        headers=x.auth(scope="tweet.read users.read"),
    )
    assert no_scope.status_code == 403


def _chunked(x: XClient, data: bytes, category: str = "tweet_video", chunk: int = 100_000) -> str:
    init = x.http.post(
        "/api.x.com/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": len(data), "media_category": category},
        headers=x.auth(),
    )
    assert init.status_code == 200, init.text
    media_id: str = init.json()["data"]["id"]
    assert init.json()["data"]["media_key"] == f"7_{media_id}"
    for index, start in enumerate(range(0, len(data), chunk)):
        part = x.http.post(
            f"/api.x.com/2/media/upload/{media_id}/append",
            files={"media": ("blob", data[start : start + chunk], "application/octet-stream")},
            data={"segment_index": str(index)},
            headers=x.auth(),
        )
        assert part.status_code == 200, part.text
        assert part.json()["data"]["expires_at"] > 0
    return media_id


def test_chunked_video_processing_states_follow_the_clock(x: XClient) -> None:
    media_id = _chunked(x, mp4())
    final = x.http.post(f"/api.x.com/2/media/upload/{media_id}/finalize", headers=x.auth()).json()[
        "data"
    ]
    assert final["size"] == 300_000
    assert final["processing_info"] == {
        "state": "pending",
        "progress_percent": 0,
        "check_after_secs": 1,
    }
    early = x.http.post(
        "/api.x.com/2/tweets",
        json={"text": "clip", "media": {"media_ids": [media_id]}},
        headers=x.auth(),
    )
    assert early.status_code == 400  # not processed yet
    x.clock(advance_seconds=3)
    status = x.http.get(
        "/api.x.com/2/media/upload",
        params={"command": "STATUS", "media_id": media_id},
        headers=x.auth(),
    ).json()["data"]
    assert status["processing_info"]["state"] == "in_progress"
    assert 0 < status["processing_info"]["progress_percent"] < 100
    x.clock(advance_seconds=5)
    done = x.http.get(
        "/api.x.com/2/media/upload",
        params={"command": "STATUS", "media_id": media_id},
        headers=x.auth(),
    ).json()["data"]
    assert done["processing_info"] == {"state": "succeeded", "progress_percent": 100}
    posted = x.http.post(
        "/api.x.com/2/tweets",
        json={"text": "clip", "media": {"media_ids": [media_id]}},
        headers=x.auth(),
    )
    assert posted.status_code == 201


def test_chunked_upload_of_bad_bytes_fails_processing(x: XClient) -> None:
    media_id = _chunked(x, b"not a video at all" * 100)
    x.http.post(f"/api.x.com/2/media/upload/{media_id}/finalize", headers=x.auth())
    x.clock(advance_seconds=10)
    status = x.http.get(
        "/api.x.com/2/media/upload", params={"media_id": media_id}, headers=x.auth()
    ).json()
    assert status["data"]["processing_info"]["state"] == "failed"


def test_finalize_checks_total_bytes(x: XClient) -> None:
    init = x.http.post(
        "/api.x.com/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": 500, "media_category": "tweet_video"},
        headers=x.auth(),
    ).json()["data"]
    x.http.post(
        f"/api.x.com/2/media/upload/{init['id']}/append",
        files={"media": ("b", mp4(100), "application/octet-stream")},
        data={"segment_index": "0"},
        headers=x.auth(),
    )
    short = x.http.post(f"/api.x.com/2/media/upload/{init['id']}/finalize", headers=x.auth())
    assert short.status_code == 400


def test_legacy_v1_upload_like_the_recording(x: XClient) -> None:
    response = x.http.post(
        "/upload.twitter.com/1.1/media/upload.json",
        files={"media": ("banner.png", png(1252, 626), "image/png")},
        headers=x.auth(),
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"media_id", "media_id_string", "size", "expires_after_secs", "image"}
    assert body["media_id_string"] == str(body["media_id"])
    assert body["expires_after_secs"] == 86400
    assert body["image"] == {"image_type": "image/png", "w": 1252, "h": 626}


def test_rate_limit_headers_count_down_and_429_when_exhausted(x: XClient) -> None:
    headers = x.auth()
    first = x.http.get("/api.x.com/2/users/me", headers=headers)
    second = x.http.get("/api.x.com/2/users/me", headers=headers)
    assert first.headers["x-rate-limit-limit"] == str(DEFAULT_LIMITS["GET /2/users/me"]) == "75"
    assert int(first.headers["x-rate-limit-remaining"]) - 1 == int(
        second.headers["x-rate-limit-remaining"]
    )
    reset = int(first.headers["x-rate-limit-reset"])
    assert 0 < reset - x.sandbox.ctx.clock.timestamp() <= 900
    x.http.post(
        "/_sandbox/ratelimits",
        json={"platform": "x", "limits": {"rate_limits": {"GET /2/users/me": 3}}},
    )
    third = x.http.get("/api.x.com/2/users/me", headers=headers)
    assert third.headers["x-rate-limit-remaining"] == "0"
    limited = x.http.get("/api.x.com/2/users/me", headers=headers)
    assert (limited.status_code, limited.json()) == (429, TOO_MANY)
    assert limited.headers["x-rate-limit-remaining"] == "0"
    assert limited.headers["x-rate-limit-reset"] == str(reset)
    # Other users have their own window; the window reopens after its reset.
    assert x.http.get("/api.x.com/2/users/me", headers=x.auth(CYCLES_ID)).status_code == 200
    x.clock(advance_seconds=901)
    x.tokens.clear()
    assert x.http.get("/api.x.com/2/users/me", headers=x.auth()).status_code == 200


def test_writes_carry_24_hour_limits(x: XClient) -> None:
    x.http.post(
        "/_sandbox/ratelimits",
        json={"platform": "x", "limits": {"user_24hour_limits": {"POST /2/tweets": 2}}},
    )
    one = x.http.post("/api.x.com/2/tweets", json={"text": "one"}, headers=x.auth())
    assert one.headers["x-user-limit-24hour-limit"] == "2"
    assert one.headers["x-user-limit-24hour-remaining"] == "1"
    assert one.headers["x-app-limit-24hour-limit"] == "10000"
    x.http.post("/api.x.com/2/tweets", json={"text": "two"}, headers=x.auth())
    three = x.http.post("/api.x.com/2/tweets", json={"text": "zq write three"}, headers=x.auth())
    assert (three.status_code, three.json()) == (429, TOO_MANY)
    assert three.headers["x-user-limit-24hour-remaining"] == "0"
    # The refused write was not made, and did not count against the 15-minute window.
    assert three.headers["x-rate-limit-remaining"] == str(DEFAULT_LIMITS["POST /2/tweets"] - 2)
    search = x.http.get(
        "/api.x.com/2/tweets/search/recent", params={"query": "zq write three"}, headers=x.auth()
    ).json()
    assert search["meta"]["result_count"] == 0
    assert x.http.get("/api.x.com/2/users/me", headers=x.auth(BAKERY_ID)).status_code == 200


def test_the_validator_rejects_what_x_would_not_send() -> None:
    with pytest.raises(SpecViolation, match="status not documented"):
        validate("POST", "/2/tweets", 200, "application/json", {"data": {"id": "1", "text": "t"}})
    with pytest.raises(SpecViolation, match="'text' is a required property"):
        validate("POST", "/2/tweets", 201, "application/json", {"data": {"id": "1"}})
    with pytest.raises(SpecViolation, match="is not of type"):
        validate("GET", "/2/tweets", 200, "application/json", {"data": [{"id": 1, "text": "t"}]})
    with pytest.raises(SpecViolation, match="not in the spec"):
        validate("GET", "/2/nowhere", 200, "application/json", {})
    with pytest.raises(SpecViolation):
        validate("GET", "/2/users/me", 401, "application/problem+json", {"detail": "no title"})
    assert validate(
        "GET", "/2/tweets/search/recent", 200, "application/json", {"meta": {"result_count": 0}}
    )
