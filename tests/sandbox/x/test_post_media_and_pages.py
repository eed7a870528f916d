"""POST /2/tweets checks its media ids as X does, and x.com shows a post's page."""

from __future__ import annotations

import io

from PIL import Image

from tests.sandbox.x.conftest import XClient

INVALID_MEDIA = {
    "errors": [
        {"message": "Your media IDs are invalid.", "parameters": {"media.media_ids": ["123"]}}
    ],
    "title": "Invalid Request",
    "detail": "One or more parameters to your request was invalid.",
    "type": "https://api.twitter.com/2/problems/invalid-request",
}


def _upload_png(x: XClient) -> str:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 0, 0)).save(out, format="PNG")
    response = x.http.post(
        "/api.x.com/2/media/upload",
        files={"media": ("a.png", out.getvalue(), "image/png")},
        data={"media_category": "tweet_image"},
        headers=x.auth(),
    )
    assert response.status_code == 200, response.text
    media_id: str = response.json()["data"]["id"]
    return media_id


def _upload_video(x: XClient) -> str:
    data = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 1000
    started = x.http.post(
        "/api.x.com/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": len(data), "media_category": "tweet_video"},
        headers=x.auth(),
    )
    media_id: str = started.json()["data"]["id"]
    x.http.post(
        f"/api.x.com/2/media/upload/{media_id}/append",
        files={"media": ("v.mp4", data, "application/octet-stream")},
        data={"segment_index": "0"},
        headers=x.auth(),
    )
    x.http.post(f"/api.x.com/2/media/upload/{media_id}/finalize", headers=x.auth())
    x.clock(advance_seconds=10)
    return media_id


def test_unknown_media_id_is_x_s_invalid_request(x: XClient) -> None:
    response = x.http.post(
        "/api.x.com/2/tweets",
        json={"text": "with nothing", "media": {"media_ids": ["123"]}},
        headers=x.auth(),
    )
    assert response.status_code == 400
    assert response.json() == INVALID_MEDIA


def test_media_ids_are_strings(x: XClient) -> None:
    media_id = _upload_png(x)
    response = x.http.post(
        "/api.x.com/2/tweets",
        json={"text": "number", "media": {"media_ids": [int(media_id)]}},
        headers=x.auth(),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Your media IDs are invalid."


def test_a_video_goes_alone(x: XClient) -> None:
    photo, clip = _upload_png(x), _upload_video(x)
    mixed = x.http.post(
        "/api.x.com/2/tweets",
        json={"text": "mixed", "media": {"media_ids": [photo, clip]}},
        headers=x.auth(),
    )
    assert mixed.status_code == 400
    assert mixed.json()["errors"][0]["message"] == "Your media IDs are invalid."
    alone = x.http.post(
        "/api.x.com/2/tweets",
        json={"text": "alone", "media": {"media_ids": [clip]}},
        headers=x.auth(),
    )
    assert alone.status_code == 201, alone.text


def test_post_page_under_both_web_hosts(x: XClient) -> None:
    created = x.http.post(
        "/api.x.com/2/tweets", json={"text": "Hello from the bakery"}, headers=x.auth()
    )
    tweet_id = created.json()["data"]["id"]
    for path in (
        f"/x.com/i/web/status/{tweet_id}",
        f"/twitter.com/i/web/status/{tweet_id}",
        f"/x.com/cornerbakery/status/{tweet_id}",
    ):
        page = x.http.get(path)
        assert page.status_code == 200, path
        assert "Hello from the bakery" in page.text
        assert "@cornerbakery" in page.text
    # Another account's name in the address, or an id that is no post, is X's missing page.
    assert x.http.get(f"/x.com/riversidecycles/status/{tweet_id}").status_code == 404
    assert x.http.get("/x.com/i/web/status/not-a-number").status_code == 404
