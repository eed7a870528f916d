"""Publishing to a Facebook Page through FacebookProvider against the sandbox over real HTTP:
text and link posts, one photo and several (resumed after a failure between photos), a video,
the first comment (and a refused one as a warning), recovering a post whose answer was lost,
deleting, and a token that no longer works."""

from __future__ import annotations

import httpx2
import pytest

from growth_manager.providers.errors import OutcomeUnknown, ReauthRequired, Rejected, Transient
from growth_manager.providers.meta import FacebookProvider
from tests.providers.meta.publishing import (
    PAGE,
    Recorder,
    Sandbox,
    image,
    page_post,
    page_token,
    video,
)
from tests.sandbox.meta import helpers as h
from tests.support.media_server import MediaHost


def _page_html(http: httpx2.Client, url: str) -> str:
    response = http.get(url)
    assert response.status_code == 200, url
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def test_text_post_with_first_comment(facebook: FacebookProvider, meta: Sandbox) -> None:
    record = Recorder()
    request = page_post("Tulips are in! #spring", first_comment="Open until 6 today")
    result = facebook.publish(request, meta.token, {}, record)

    assert list(record.steps) == ["post", "comment"]
    assert result.remote_id == record.steps["post"]
    assert result.remote_id.startswith(f"{PAGE}_")
    assert result.warnings == ()
    post = meta.read(result.remote_id, "message,permalink_url,comments{id,message}")
    assert post["message"] == "Tulips are in! #spring"
    assert result.remote_url == post["permalink_url"]
    assert [c["message"] for c in post["comments"]["data"]] == ["Open until 6 today"]
    assert post["comments"]["data"][0]["id"] == record.steps["comment"]
    # The link leads to the post's page, comment included.
    page = _page_html(meta.http, result.remote_url)
    assert "Tulips are in! #spring" in page
    assert "Open until 6 today" in page
    # So does Facebook's id URL, the fallback when Graph gives no permalink.
    assert "Tulips are in!" in _page_html(
        meta.http, f"{facebook.config.auth_base}/{result.remote_id}"
    )

    # Called again with the progress, nothing is posted twice.
    again = facebook.publish(request, meta.token, dict(record.steps), record)
    assert again.remote_id == result.remote_id
    assert len(record.calls) == 2


def test_link_post(facebook: FacebookProvider, meta: Sandbox) -> None:
    record = Recorder()
    request = page_post("New workshop dates", link="https://harborlaneflorist.example/workshops")
    result = facebook.publish(request, meta.token, {}, record)
    post = meta.read(result.remote_id, "message,link")
    assert post == {
        "message": "New workshop dates",
        "link": "https://harborlaneflorist.example/workshops",
        "id": result.remote_id,
    }


def test_one_photo_is_fetched_by_url(
    facebook: FacebookProvider, meta: Sandbox, media_files: MediaHost
) -> None:
    record = Recorder()
    url = media_files.at("one/rose.jpg")
    result = facebook.publish(page_post("Roses", media=(image(url),)), meta.token, {}, record)

    assert list(record.steps) == ["post"]
    assert "/one/rose.jpg" in media_files.requested  # the platform downloaded it
    post = meta.read(result.remote_id, "message,attachments")
    assert post["message"] == "Roses"
    assert post["attachments"]["data"][0]["type"] == "photo"
    assert "Roses" in _page_html(meta.http, str(result.remote_url))


def test_several_photos_resume_after_a_failure_between_them(
    facebook: FacebookProvider, meta: Sandbox, media_files: MediaHost
) -> None:
    items = tuple(image(media_files.at(f"multi/{k}.jpg"), key=k) for k in ("a", "b", "c"))
    request = page_post("This week's bouquets", media=items)
    record = Recorder()

    def record_then_fail_next_upload(step: str, value: str) -> None:
        record(step, value)
        if step == "media:a":  # the next photo's upload answers 503
            meta.fault(kind="status", path=f"/graph.facebook.com/*/{PAGE}/photos", status=503)

    with pytest.raises(Transient):
        facebook.publish(request, meta.token, {}, record_then_fail_next_upload)
    assert list(record.steps) == ["media:a"]

    result = facebook.publish(request, meta.token, dict(record.steps), record)
    assert list(record.steps) == ["media:a", "media:b", "media:c", "post"]
    assert [path for path in media_files.requested if path.startswith("/multi/")] == [
        "/multi/a.jpg",
        "/multi/b.jpg",
        "/multi/c.jpg",
    ]  # photo a was not uploaded twice
    post = meta.read(result.remote_id, "message,permalink_url,attachments")
    assert post["message"] == "This week's bouquets"
    photos = post["attachments"]["data"][0]["subattachments"]["data"]
    assert [p["target"]["id"] for p in photos] == [record.steps[f"media:{k}"] for k in "abc"]
    assert result.remote_url == post["permalink_url"]
    assert _page_html(meta.http, result.remote_url).count("<img") == 3


def test_video_post_by_file_url(
    facebook: FacebookProvider, meta: Sandbox, media_files: MediaHost
) -> None:
    record = Recorder()
    request = page_post("Behind the counter", media=(video(media_files.at("fb/clip.mp4")),))
    result = facebook.publish(request, meta.token, {}, record)
    assert list(record.steps) == ["post"]
    assert "/fb/clip.mp4" in media_files.requested
    assert "Behind the counter" in _page_html(meta.http, str(result.remote_url))
    assert meta.read(result.remote_id, "message")["message"] == "Behind the counter"
    facebook.delete(request, meta.token, dict(record.steps))
    assert meta.http.get(str(result.remote_url)).status_code == 404

    # A file_url Facebook cannot download is refused, and nothing is recorded.
    unusable = page_post("No video here", media=(video(media_files.at("missing/clip.mp4")),))
    nothing = Recorder()
    with pytest.raises(Rejected):
        facebook.publish(unusable, meta.token, {}, nothing)
    assert nothing.steps == {}


def test_a_refused_first_comment_is_a_warning(
    facebook: FacebookProvider, meta: Sandbox, media_files: MediaHost
) -> None:
    # A login without pages_manage_engagement may post but not comment as the Page.
    scopes = ",".join(s for s in h.SCOPES.split(",") if s != "pages_manage_engagement")
    token = page_token(h.login(meta.http, scope=scopes))
    record = Recorder()
    request = page_post("Peonies, finally", first_comment="Pre-order link in bio")
    result = facebook.publish(request, token, {}, record)
    assert list(record.steps) == ["post"]
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("The first comment was not posted: (#200)")
    assert meta.read(result.remote_id, "message")["message"] == "Peonies, finally"


def test_a_lost_answer_is_recovered_from_the_page_feed(
    facebook: FacebookProvider, meta: Sandbox
) -> None:
    request = page_post("Sunflowers all week", first_comment="Ask for the big ones")
    record = Recorder()
    meta.fault(kind="drop_after_commit", path=f"/graph.facebook.com/*/{PAGE}/feed", method="POST")
    with pytest.raises(OutcomeUnknown):
        facebook.publish(request, meta.token, {}, record)
    assert record.steps == {}

    found = facebook.recover(request, meta.token, {})
    assert set(found) == {"post"}
    assert meta.read(found["post"], "message")["message"] == "Sunflowers all week"
    # The comment's answer is lost too: found under the post.
    meta.fault(kind="drop_after_commit", path="/graph.facebook.com/*/comments", method="POST")
    with pytest.raises(OutcomeUnknown):
        facebook.publish(request, meta.token, dict(found), record)
    assert facebook.recover(request, meta.token, dict(found)) == {
        "comment": meta.read(found["post"], "comments{id}")["comments"]["data"][0]["id"]
    }
    # Nothing that did not happen is found.
    assert facebook.recover(page_post("Never posted"), meta.token, {}) == {}


def test_delete_and_delete_again(facebook: FacebookProvider, meta: Sandbox) -> None:
    request = page_post("A post to take down")
    record = Recorder()
    result = facebook.publish(request, meta.token, {}, record)
    facebook.delete(request, meta.token, dict(record.steps))
    gone = meta.http.get(
        h.graph(result.remote_id), params={"access_token": meta.token.access_token}
    )
    h.assert_graph_error(gone, 100, 33, error_type="GraphMethodException")
    facebook.delete(request, meta.token, dict(record.steps))  # already gone: not an error
    assert meta.http.get(str(result.remote_url)).status_code == 404


def test_a_revoked_token_needs_a_new_login(facebook: FacebookProvider, meta: Sandbox) -> None:
    meta.overrides({"sessions": {h.DANA: 460}})  # Dana changed her password
    with pytest.raises(ReauthRequired) as raised:
        facebook.publish(page_post("Will not go out"), meta.token, {}, Recorder())
    assert raised.value.code == "190/460"
