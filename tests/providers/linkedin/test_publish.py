"""LinkedIn publishing over real HTTP against the sandbox: member and page posts, images, the
first comment, resuming from recorded steps, and deleting."""

from __future__ import annotations

from dataclasses import replace
from html import escape

import httpx2
import pytest

from growth_manager.providers.errors import NotReady, Rejected, Transient
from tests.providers.linkedin.support import (
    MEMBER,
    LinkedIn,
    Recorder,
    comments_on,
    images,
    member_request,
    page_request,
    post,
    posts_by,
)
from tests.sandbox.linkedin.helpers import BAKERY, COFFEE, TOM, rest_headers


def test_member_post(linkedin: LinkedIn) -> None:
    record = Recorder()
    result = linkedin.provider.publish(
        member_request("Fresh sourdough at 7am (and rye)"), linkedin.token(), {}, record
    )
    assert record.order == ["post"]
    assert result.remote_id == record.steps["post"]
    assert result.remote_id.startswith("urn:li:share:")
    assert result.remote_url == (
        f"{linkedin.sandbox.url}/www.linkedin.com/feed/update/{result.remote_id}/"
    )
    assert result.warnings == ()
    [created] = posts_by(linkedin.sandbox, MEMBER)[-1:]
    assert created.urn == result.remote_id
    # Little text: unescaped parentheses would cut the post short on LinkedIn.
    assert created.commentary == r"Fresh sourdough at 7am \(and rye\)"
    assert created.visibility == "PUBLIC"
    assert created.lifecycle_state == "PUBLISHED"
    assert created.content is None


@pytest.mark.parametrize("page", [BAKERY, COFFEE])
def test_organization_post(linkedin: LinkedIn, page: str) -> None:
    record = Recorder()
    result = linkedin.provider.publish(
        page_request("Open on Sunday", page), linkedin.token(), {}, record
    )
    created = post(linkedin.sandbox, result.remote_id)
    assert created is not None
    assert created.author == page
    assert created.commentary == "Open on Sunday"
    assert record.steps == {"post": result.remote_id}


def test_page_given_by_its_bare_id_is_named_by_the_account_kind(linkedin: LinkedIn) -> None:
    bare = BAKERY.rsplit(":", 1)[1]
    result = linkedin.provider.publish(
        page_request("Bare id", bare), linkedin.token(), {}, Recorder()
    )
    created = post(linkedin.sandbox, result.remote_id)
    assert created is not None
    assert created.author == BAKERY


def test_image_post(linkedin: LinkedIn) -> None:
    record = Recorder()
    result = linkedin.provider.publish(
        page_request("One loaf", media=(linkedin.image("41"),)), linkedin.token(), {}, record
    )
    assert record.order == ["media:41", "post"]
    image = record.steps["media:41"]
    assert image.startswith("urn:li:image:")
    created = post(linkedin.sandbox, result.remote_id)
    assert created is not None
    assert created.content == {"media": {"id": image}}
    stored = images(linkedin.sandbox)[image]
    assert stored.status == "AVAILABLE"
    assert stored.owner == BAKERY
    assert stored.media_type == "image/png"
    assert stored.size_bytes == len((linkedin.tmp / "41.png").read_bytes())


def test_multi_image_post_keeps_the_order(linkedin: LinkedIn) -> None:
    record = Recorder()
    media = tuple(linkedin.image(key) for key in ("7", "3", "9"))
    result = linkedin.provider.publish(
        member_request("Three loaves", media=media), linkedin.token(), {}, record
    )
    assert record.order == ["media:7", "media:3", "media:9", "post"]
    urns = [record.steps[f"media:{key}"] for key in ("7", "3", "9")]
    assert len(set(urns)) == 3
    created = post(linkedin.sandbox, result.remote_id)
    assert created is not None
    assert created.content == {"multiImage": {"images": [{"id": urn} for urn in urns]}}
    stored = images(linkedin.sandbox)
    assert all(stored[urn].status == "AVAILABLE" and stored[urn].owner == MEMBER for urn in urns)


def test_uploaded_images_are_not_uploaded_again(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    media = (linkedin.image("1"), linkedin.image("2"))
    first = Recorder()
    linkedin.fault("status", "/api.linkedin.com/rest/posts", status=500)
    with pytest.raises(Transient):
        linkedin.provider.publish(member_request("Two", media=media), token, {}, first)
    assert first.order == ["media:1", "media:2"]
    before = set(images(linkedin.sandbox))

    second = Recorder()
    result = linkedin.provider.publish(
        member_request("Two", media=media), token, first.steps, second
    )

    assert second.order == ["post"]
    assert set(images(linkedin.sandbox)) == before
    created = post(linkedin.sandbox, result.remote_id)
    assert created is not None
    assert created.content == {
        "multiImage": {"images": [{"id": first.steps["media:1"]}, {"id": first.steps["media:2"]}]}
    }


def test_first_comment_is_under_the_post(linkedin: LinkedIn) -> None:
    record = Recorder()
    result = linkedin.provider.publish(
        page_request("Menu below", first_comment="Menu: https://example.com/menu"),
        linkedin.token(),
        {},
        record,
    )
    assert record.order == ["post", "comment"]
    [comment] = comments_on(linkedin.sandbox, result.remote_id)
    assert comment.actor == BAKERY
    assert comment.text == "Menu: https://example.com/menu"
    assert record.steps["comment"].startswith("urn:li:comment:(")
    assert record.steps["comment"].endswith(f",{comment.id})")
    assert result.warnings == ()


def test_resume_after_the_post_only_adds_the_comment(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    earlier = linkedin.provider.publish(member_request("Resumed"), token, {}, Recorder())
    posts_before = len(posts_by(linkedin.sandbox, MEMBER))

    record = Recorder()
    result = linkedin.provider.publish(
        member_request("Resumed", first_comment="Say hi"),
        token,
        {"post": earlier.remote_id},
        record,
    )

    assert record.order == ["comment"]
    assert result.remote_id == earlier.remote_id
    assert len(posts_by(linkedin.sandbox, MEMBER)) == posts_before
    assert [c.text for c in comments_on(linkedin.sandbox, earlier.remote_id)] == ["Say hi"]


def test_everything_done_makes_no_call(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    first = Recorder()
    done = linkedin.provider.publish(member_request("Done", first_comment="c"), token, {}, first)
    again = Recorder()
    result = linkedin.provider.publish(
        member_request("Done", first_comment="c"), token, first.steps, again
    )
    assert again.order == []
    assert result.remote_id == done.remote_id
    assert len(comments_on(linkedin.sandbox, done.remote_id)) == 1


def test_a_refused_first_comment_is_a_warning_and_the_post_stays(linkedin: LinkedIn) -> None:
    linkedin.fault(
        "status",
        "/api.linkedin.com/rest/socialActions/*/comments",
        status=403,
        message="Comments are disabled on this post",
    )
    record = Recorder()
    result = linkedin.provider.publish(
        member_request("No comments please", first_comment="first!"),
        linkedin.token(),
        {},
        record,
    )
    assert record.order == ["post"]
    assert result.warnings == (
        "LinkedIn refused the first comment: Comments are disabled on this post",
    )
    assert post(linkedin.sandbox, result.remote_id) is not None
    assert comments_on(linkedin.sandbox, result.remote_id) == []


def test_video_is_refused_before_anything_is_sent(linkedin: LinkedIn) -> None:
    video = replace(linkedin.image("v"), kind="video", mime="video/mp4")
    record = Recorder()
    with pytest.raises(Rejected, match="video"):
        linkedin.provider.publish(
            member_request("Clip", media=(linkedin.image("i"), video)), linkedin.token(), {}, record
        )
    assert record.order == []
    assert images(linkedin.sandbox) == {}
    assert posts_by(linkedin.sandbox, MEMBER, "Clip") == []


def test_posting_for_a_page_the_member_does_not_run_is_refused(linkedin: LinkedIn) -> None:
    with pytest.raises(Rejected) as refused:
        linkedin.provider.publish(
            page_request("Not mine"), linkedin.token(member=TOM), {}, Recorder()
        )
    assert refused.value.status == 403
    assert refused.value.code == "ACCESS_DENIED"
    assert "Unpermitted fields present in REQUEST_BODY" in refused.value.message
    assert posts_by(linkedin.sandbox, BAKERY, "Not mine") == []


def test_the_same_text_again_is_refused_as_a_duplicate(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    first = linkedin.provider.publish(member_request("Twice"), token, {}, Recorder())
    with pytest.raises(Rejected) as refused:
        linkedin.provider.publish(member_request("Twice"), token, {}, Recorder())
    assert refused.value.status == 422
    assert f"Content is a duplicate of {first.remote_id}" in refused.value.message


def test_an_image_linkedin_does_not_know_is_refused(linkedin: LinkedIn) -> None:
    with pytest.raises(Rejected) as refused:
        linkedin.provider.publish(
            member_request("Ghost", media=(linkedin.image("g"),)),
            linkedin.token(),
            {"media:g": "urn:li:image:D4E10AQdoesnotexist"},
            Recorder(),
        )
    assert refused.value.status == 404


def test_delete(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    request = member_request("Gone soon", first_comment="bye")
    record = Recorder()
    result = linkedin.provider.publish(request, token, {}, record)

    linkedin.provider.delete(request, token, record.steps)

    deleted = post(linkedin.sandbox, result.remote_id)
    assert deleted is not None
    assert deleted.deleted
    linkedin.provider.delete(request, token, record.steps)  # already gone: fine
    linkedin.provider.delete(request, token, {"post": "urn:li:share:1"})  # never existed: fine
    linkedin.provider.delete(request, token, {})  # nothing was posted: nothing to do
    page = httpx2.get(result.remote_url or "")
    assert page.status_code == 404


def test_the_post_page_shows_the_post(linkedin: LinkedIn) -> None:
    text = "Croissants <hot> & fresh (8am) #bakery\nsecond_line"
    result = linkedin.provider.publish(page_request(text), linkedin.token(), {}, Recorder())
    assert result.remote_url is not None
    page = httpx2.get(result.remote_url)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert escape(text) in page.text
    assert escape("Juniper & Rye Bakery") in page.text
    created = post(linkedin.sandbox, result.remote_id)
    assert created is not None
    assert created.published_at.strftime("%d %b %Y") in page.text


def test_an_image_without_its_bytes_is_refused(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    init = linkedin.http.post(
        "/api.linkedin.com/rest/images?action=initializeUpload",
        json={"initializeUploadRequest": {"owner": MEMBER}},
        headers=rest_headers(linkedin.sandbox, token.access_token),
    )
    waiting = init.json()["value"]["image"]
    record = Recorder()
    with pytest.raises(Rejected, match="WAITING_UPLOAD"):
        linkedin.provider.publish(
            member_request("Never sent", media=(linkedin.image("w"),)),
            token,
            {"media:w": waiting},
            record,
        )
    assert record.order == []
    assert posts_by(linkedin.sandbox, MEMBER, "Never sent") == []


def test_an_image_still_processing_is_not_ready_then_posts(linkedin: LinkedIn) -> None:
    linkedin.sandbox.ctx.overrides["linkedin"] = {"image_processing_seconds": 60}
    token = linkedin.token()
    request = page_request("Processing", media=(linkedin.image("a"), linkedin.image("b")))
    first = Recorder()
    with pytest.raises(NotReady) as not_ready:
        linkedin.provider.publish(request, token, {}, first)
    assert not_ready.value.retry_after > 0
    assert "PROCESSING" in not_ready.value.message
    assert first.order == ["media:a", "media:b"]
    assert posts_by(linkedin.sandbox, BAKERY, "Processing") == []

    clock = linkedin.sandbox.ctx.clock
    clock.set_offset(clock.offset_seconds + 61)
    second = Recorder()
    result = linkedin.provider.publish(request, token, first.steps, second)

    assert second.order == ["post"]
    created = post(linkedin.sandbox, result.remote_id)
    assert created is not None
    assert created.content == {
        "multiImage": {"images": [{"id": first.steps["media:a"]}, {"id": first.steps["media:b"]}]}
    }


def test_a_missing_media_file_is_refused_before_linkedin_is_asked(linkedin: LinkedIn) -> None:
    gone = linkedin.image("gone")
    (linkedin.tmp / "gone.png").unlink()
    with pytest.raises(Rejected, match=r"gone\.png can't be read"):
        linkedin.provider.publish(
            member_request("Lost file", media=(gone,)), linkedin.token(), {}, Recorder()
        )
    assert images(linkedin.sandbox) == {}
