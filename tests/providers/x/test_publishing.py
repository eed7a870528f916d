"""Publishing on X through XProvider against the sandbox over HTTP: posts, threads that resume,
media, faults and what they become, recovery of an in-flight post, deletion and the post page."""

from __future__ import annotations

import io
from pathlib import Path

import httpx2
import pytest
from PIL import Image

from growth_manager.providers.base import MediaItem, PublishRequest, TokenSet
from growth_manager.providers.errors import (
    NotReady,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Rejected,
    Transient,
)
from growth_manager.providers.x import XProvider
from tests.providers.x.conftest import BAKERY_ID, Steps, XSandbox, make_provider

THREAD = ("Our sourdough story, a thread 1/3", "It starts at 4 am 2/3", "Come taste it 3/3")


def post(
    *parts: str, media: tuple[MediaItem, ...] = (), comment: str | None = None
) -> PublishRequest:
    return PublishRequest(
        account_external_id=BAKERY_ID,
        account_kind="user",
        parts=parts,
        media=media,
        first_comment=comment,
    )


def replied_to(tweet: dict[str, object] | None) -> str | None:
    assert tweet is not None
    refs = tweet.get("referenced_tweets") or []
    assert isinstance(refs, list)
    return next((r["id"] for r in refs if r["type"] == "replied_to"), None)


def image(tmp_path: Path, key: str = "41") -> MediaItem:
    path = tmp_path / f"photo-{key}.png"
    out = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 120, 40)).save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return MediaItem(
        key=key,
        kind="image",
        mime="image/png",
        size_bytes=path.stat().st_size,
        path=str(path),
        url="",
        filename="photo.png",
    )


def video(tmp_path: Path, key: str = "77", size: int = 9 * 1024 * 1024) -> MediaItem:
    path = tmp_path / f"clip-{key}.mp4"
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    path.write_bytes(head + b"\x00" * (size - len(head)))
    return MediaItem(
        key=key, kind="video", mime="video/mp4", size_bytes=size, path=str(path), url=""
    )


# --- posts and threads ---------------------------------------------------------------------


def test_text_post(provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps) -> None:
    result = provider.publish(post("Fresh croissants at 7"), token, {}, steps)

    assert steps.done == {"part:0": result.remote_id}
    stored = x.tweet(result.remote_id)
    assert stored is not None
    assert stored["text"] == "Fresh croissants at 7"
    assert stored["author_id"] == BAKERY_ID
    assert replied_to(stored) is None
    assert result.remote_url == f"{x.handle.url}/x.com/i/web/status/{result.remote_id}"
    assert result.warnings == ()


def test_thread_parts_reply_in_a_chain(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    result = provider.publish(post(*THREAD), token, {}, steps)

    assert steps.order == ["part:0", "part:1", "part:2"]
    ids = [steps.done[f"part:{i}"] for i in range(3)]
    assert result.remote_id == ids[0]
    assert [x.tweet(i)["text"] for i in ids] == list(THREAD)  # type: ignore[index]
    assert replied_to(x.tweet(ids[0])) is None
    assert replied_to(x.tweet(ids[1])) == ids[0]
    assert replied_to(x.tweet(ids[2])) == ids[1]


def test_a_thread_resumes_after_its_last_completed_part(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    first = provider.publish(post(THREAD[0]), token, {}, Steps())

    provider.publish(post(*THREAD), token, {"part:0": first.remote_id}, steps)

    assert steps.order == ["part:1", "part:2"]
    on_x = x.own_posts_with(*THREAD)
    assert sorted(t["text"] for t in on_x) == sorted(THREAD)  # part 0 exists once
    assert replied_to(x.tweet(steps.done["part:1"])) == first.remote_id
    assert replied_to(x.tweet(steps.done["part:2"])) == steps.done["part:1"]


def test_a_finished_post_is_not_posted_again(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    result = provider.publish(post(*THREAD), token, {}, steps)
    again = Steps()

    repeat = provider.publish(post(*THREAD), token, dict(steps.done), again)

    assert again.order == []
    assert repeat.remote_id == result.remote_id
    assert len(x.own_posts_with(*THREAD)) == 3


def test_first_comment_replies_under_the_last_part(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    provider.publish(
        post(*THREAD[:2], comment="Menu: https://cornerbakery.example"), token, {}, steps
    )

    assert steps.order == ["part:0", "part:1", "comment"]
    assert replied_to(x.tweet(steps.done["comment"])) == steps.done["part:1"]


def test_a_refused_first_comment_is_a_warning(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    provider.publish(post("Menu today"), token, {}, Steps())

    # The comment repeats an earlier post: X refuses it as duplicate content.
    result = provider.publish(post("Open late tonight", comment="Menu today"), token, {}, steps)

    assert steps.order == ["part:0"]
    assert len(result.warnings) == 1
    assert "duplicate content" in result.warnings[0]


# --- media ---------------------------------------------------------------------------------


def test_image_is_uploaded_and_attached_to_the_first_part(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps, tmp_path: Path
) -> None:
    photo = image(tmp_path)

    result = provider.publish(post("New loaves", "More tomorrow", media=(photo,)), token, {}, steps)

    assert steps.order == ["media:41", "part:0", "part:1"]
    media_id = steps.done["media:41"]
    stored = x.tweet(result.remote_id)
    assert stored is not None
    assert stored["attachments"] == {"media_keys": [f"3_{media_id}"]}
    assert "attachments" not in (x.tweet(steps.done["part:1"]) or {})


def test_uploaded_media_is_not_uploaded_again(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps, tmp_path: Path
) -> None:
    first = Steps()
    provider.publish(post("Rye day", media=(image(tmp_path),)), token, {}, first)
    x.fault(kind="status", path="/api.x.com/2/media/upload", method="POST", status=500, times=None)

    # Every upload would now fail: the recorded media id is attached as it is.
    result = provider.publish(
        post("Rye day, again", media=(image(tmp_path),)),
        token,
        {"media:41": first.done["media:41"]},
        steps,
    )

    assert steps.order == ["part:0"]
    assert x.tweet(result.remote_id)["attachments"] == {  # type: ignore[index]
        "media_keys": [f"3_{first.done['media:41']}"]
    }


def test_video_waits_for_processing_then_posts(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps, tmp_path: Path
) -> None:
    clip = video(tmp_path)  # over one chunk: initialize, two appends, finalize

    with pytest.raises(NotReady) as waiting:
        provider.publish(post("Watch the shaping", media=(clip,)), token, {}, steps)
    assert waiting.value.retry_after == 1  # X's check_after_secs
    assert steps.order == ["uploaded:77"]
    media_id = steps.done["uploaded:77"]

    with pytest.raises(NotReady):  # still processing: only STATUS is asked
        provider.publish(post("Watch the shaping", media=(clip,)), token, dict(steps.done), steps)
    assert steps.order == ["uploaded:77"]

    x.advance_clock(10)
    result = provider.publish(
        post("Watch the shaping", media=(clip,)), token, dict(steps.done), steps
    )

    assert steps.order == ["uploaded:77", "media:77", "part:0"]
    assert steps.done["media:77"] == media_id
    assert x.tweet(result.remote_id)["attachments"] == {"media_keys": [f"7_{media_id}"]}  # type: ignore[index]


def test_a_video_x_cannot_process_is_rejected(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps, tmp_path: Path
) -> None:
    path = tmp_path / "not-a-video.mp4"
    path.write_bytes(b"plain text, not a video" * 100)
    clip = MediaItem(
        key="9",
        kind="video",
        mime="video/mp4",
        size_bytes=path.stat().st_size,
        path=str(path),
        url="",
    )
    with pytest.raises(NotReady):
        provider.publish(post("Oops", media=(clip,)), token, {}, steps)
    x.advance_clock(10)

    with pytest.raises(Rejected) as refused:
        provider.publish(post("Oops", media=(clip,)), token, dict(steps.done), steps)

    assert "Invalid or Unsupported media" in refused.value.message
    assert x.own_posts_with("Oops") == []


def test_a_lost_upload_answer_is_only_transient(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps, tmp_path: Path
) -> None:
    x.fault(kind="drop_after_commit", path="/api.x.com/2/media/upload", method="POST")

    with pytest.raises(Transient):
        provider.publish(post("Seeded rolls", media=(image(tmp_path),)), token, {}, steps)

    assert steps.order == []
    provider.publish(post("Seeded rolls", media=(image(tmp_path),)), token, {}, steps)
    assert steps.order == ["media:41", "part:0"]


# --- failures ------------------------------------------------------------------------------


def test_lost_answer_is_outcome_unknown_and_recover_finds_the_post(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    x.fault(kind="drop_after_commit", path="/api.x.com/2/tweets", method="POST")

    with pytest.raises(OutcomeUnknown):
        provider.publish(post("Baguettes are back"), token, {}, steps)

    assert steps.done == {}
    [on_x] = x.own_posts_with("Baguettes are back")
    assert provider.recover(post("Baguettes are back"), token, {}) == {"part:0": on_x["id"]}


def test_recover_finds_the_thread_part_in_flight_and_the_thread_completes(
    provider: XProvider, token: TokenSet, x: XSandbox
) -> None:
    def record(step: str, remote_id: str) -> None:
        steps(step, remote_id)
        if step == "part:0":  # the next request's answer is lost
            x.fault(kind="drop_after_commit", path="/api.x.com/2/tweets", method="POST")

    steps = Steps()
    with pytest.raises(OutcomeUnknown):
        provider.publish(post(*THREAD), token, {}, record)
    assert steps.order == ["part:0"]

    found = provider.recover(post(*THREAD), token, steps.done)

    [part_1] = x.own_posts_with(THREAD[1])
    assert found == {"part:1": part_1["id"]}
    rest = Steps()
    provider.publish(post(*THREAD), token, {**steps.done, **found}, rest)
    assert rest.order == ["part:2"]
    assert len(x.own_posts_with(*THREAD)) == 3
    assert replied_to(x.tweet(rest.done["part:2"])) == part_1["id"]


def test_recover_finds_a_first_comment_whose_answer_was_lost(
    provider: XProvider, token: TokenSet, x: XSandbox
) -> None:
    request = post(*THREAD[:2], comment="Order ahead: https://cornerbakery.example")

    def record(step: str, remote_id: str) -> None:
        steps(step, remote_id)
        if step == "part:1":
            x.fault(kind="drop_after_commit", path="/api.x.com/2/tweets", method="POST")

    steps = Steps()
    with pytest.raises(OutcomeUnknown):
        provider.publish(request, token, {}, record)

    [comment] = x.own_posts_with("Order ahead: https://cornerbakery.example")
    assert provider.recover(request, token, steps.done) == {"comment": comment["id"]}


def test_recover_returns_several_parts_in_a_row(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    # The worker died after X took part 0 and part 1 and before either was recorded.
    provider.publish(post(*THREAD[:2]), token, {}, steps)

    found = provider.recover(post(*THREAD), token, {})

    assert found == {"part:0": steps.done["part:0"], "part:1": steps.done["part:1"]}


def test_recover_finds_nothing_when_the_request_never_landed(
    fresh_sandbox: object, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    # A request that hangs until the client gives up: sent, but never applied.
    hasty = make_provider(x.handle, timeout_seconds=1.0)
    x.fault(kind="hang", path="/api.x.com/2/tweets", method="POST", hang_seconds=3)
    try:
        with pytest.raises(OutcomeUnknown):
            hasty.publish(post("Pretzel Friday"), token, {}, steps)
        assert hasty.recover(post("Pretzel Friday"), token, {}) == {}
    finally:
        hasty.http.close()


def test_recover_does_not_take_a_same_text_reply_to_another_post(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    provider.publish(post("Anchor post", "Same words"), token, {}, Steps())
    provider.publish(post("Other anchor"), token, {}, steps)

    assert provider.recover(post("Other anchor", "Same words"), token, steps.done) == {}


def test_recover_tells_the_post_in_flight_from_an_old_one_with_its_text(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps, tmp_path: Path
) -> None:
    provider.publish(post("Weekend hours"), token, {}, Steps())
    x.advance_clock(31 * 24 * 3600)  # past X's duplicate window: the same text may post again
    x.token = fresh = provider.refresh(token)
    x.fault(kind="status", path="/api.x.com/2/tweets", method="POST", status=503)
    with pytest.raises(Transient):
        provider.publish(post("Weekend hours", media=(image(tmp_path),)), fresh, {}, steps)
    assert list(steps.done) == ["media:41"]

    # The old post has the text but not the uploaded photo: it is not this one.
    assert (
        provider.recover(post("Weekend hours", media=(image(tmp_path),)), fresh, steps.done) == {}
    )


def test_rate_limited_for_the_window(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    x.limits("rate_limits", "POST /2/tweets", 1)
    provider.publish(post("One a window"), token, {}, steps)

    with pytest.raises(RateLimited) as limited:
        provider.publish(post("Two a window"), token, {}, steps)

    assert limited.value.status == 429
    assert 800 < limited.value.retry_after <= 900  # until x-rate-limit-reset


def test_rate_limited_for_the_day_waits_for_the_24_hour_reset(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    x.limits("user_24hour_limits", "POST /2/tweets", 1)
    provider.publish(post("One a day"), token, {}, steps)

    with pytest.raises(RateLimited) as limited:
        provider.publish(post("Two a day"), token, {}, steps)

    assert 86_000 < limited.value.retry_after <= 86_400  # x-user-limit-24hour-reset


def test_server_error_is_transient(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    x.fault(kind="status", path="/api.x.com/2/tweets", method="POST", status=503)

    with pytest.raises(Transient) as blip:
        provider.publish(post("Scones"), token, {}, steps)

    assert blip.value.status == 503
    assert x.own_posts_with("Scones") == []


def test_revoked_token_needs_reauthorization(
    provider: XProvider, token: TokenSet, steps: Steps
) -> None:
    provider.revoke(token)

    with pytest.raises(ReauthRequired):
        provider.publish(post("Anyone there?"), token, {}, steps)


def test_duplicate_is_rejected_with_x_s_words(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    provider.publish(post("Same as yesterday"), token, {}, Steps())

    with pytest.raises(Rejected) as refused:
        provider.publish(post("Same as yesterday"), token, {}, steps)

    assert refused.value.code == "duplicate"
    assert refused.value.message == "You are not allowed to create a Tweet with duplicate content."


# --- delete and the post page ---------------------------------------------------------------


def test_delete_removes_every_part(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    provider.publish(post(*THREAD, comment="Thanks for reading"), token, {}, steps)

    provider.delete(post(*THREAD, comment="Thanks for reading"), token, steps.done)

    assert all(x.tweet(remote_id) is None for remote_id in steps.done.values())
    # Already gone is not an error.
    provider.delete(post(*THREAD), token, steps.done)


def test_post_page_shows_the_post(
    provider: XProvider, token: TokenSet, x: XSandbox, steps: Steps
) -> None:
    result = provider.publish(post("Cinnamon buns & coffee <today>", "Until 11"), token, {}, steps)
    assert result.remote_url is not None

    page = httpx2.get(result.remote_url, timeout=10)

    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "Cinnamon buns &amp; coffee &lt;today&gt;" in page.text
    assert "Corner Bakery" in page.text
    assert "@cornerbakery" in page.text
    assert "<time datetime=" in page.text
    assert "Until 11" in page.text  # the thread reads on below
    by_name = httpx2.get(f"{x.handle.url}/x.com/cornerbakery/status/{result.remote_id}", timeout=10)
    assert by_name.status_code == 200
    assert httpx2.get(f"{x.handle.url}/x.com/i/web/status/123", timeout=10).status_code == 404
