"""LinkedIn publishing when things go wrong: answers lost after the write (and finding the
post or comment again), throttling, server errors and revoked tokens, each classified once."""

from __future__ import annotations

import pytest

from growth_manager.providers.base import TokenSet
from growth_manager.providers.errors import (
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Rejected,
    Transient,
)
from tests.providers.linkedin.support import (
    MEMBER,
    LinkedIn,
    Recorder,
    comments_on,
    member_request,
    page_request,
    posts_by,
)
from tests.sandbox.linkedin.helpers import BAKERY, login

POSTS = "/api.linkedin.com/rest/posts"
COMMENTS = "/api.linkedin.com/rest/socialActions/*/comments"


def test_lost_answer_to_the_post_is_unknown_and_recover_finds_the_post(
    linkedin: LinkedIn,
) -> None:
    token = linkedin.token()
    # Posts with other texts around it: the match is by text, not "the newest".
    linkedin.provider.publish(member_request("Older post"), token, {}, Recorder())
    request = member_request("Did this go out?", first_comment="It did")
    linkedin.fault("drop_after_commit", POSTS)
    record = Recorder()
    with pytest.raises(OutcomeUnknown):
        linkedin.provider.publish(request, token, {}, record)
    assert record.order == []
    linkedin.provider.publish(member_request("Newer post"), token, {}, Recorder())
    [landed] = posts_by(linkedin.sandbox, MEMBER, "Did this go out?")

    found = linkedin.provider.recover(request, token, record.steps)

    assert found == {"post": landed.urn}
    # Resuming from what was found adds only the comment: no second post.
    resumed = Recorder()
    result = linkedin.provider.publish(request, token, {**record.steps, **found}, resumed)
    assert resumed.order == ["comment"]
    assert result.remote_id == landed.urn
    assert len(posts_by(linkedin.sandbox, MEMBER, "Did this go out?")) == 1


def test_recover_finds_nothing_when_nothing_happened(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    request = page_request("Never made it", first_comment="nor this")
    linkedin.fault("status", POSTS, status=503)
    with pytest.raises(Transient):
        linkedin.provider.publish(request, token, {}, Recorder())
    assert linkedin.provider.recover(request, token, {}) == {}


def test_lost_answer_to_the_comment_and_recover_finds_it(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    request = page_request("Comment lost", first_comment="Find me")
    linkedin.fault("drop_after_commit", COMMENTS)
    record = Recorder()
    with pytest.raises(OutcomeUnknown):
        linkedin.provider.publish(request, token, {}, record)
    assert record.order == ["post"]
    [comment] = comments_on(linkedin.sandbox, record.steps["post"])

    found = linkedin.provider.recover(request, token, record.steps)

    assert set(found) == {"comment"}
    assert found["comment"].endswith(f",{comment.id})")
    # With the comment found, publishing again writes nothing.
    again = Recorder()
    linkedin.provider.publish(request, token, {**record.steps, **found}, again)
    assert again.order == []
    assert len(comments_on(linkedin.sandbox, record.steps["post"])) == 1


def test_recover_when_the_comment_never_landed(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    request = page_request("Comment failed", first_comment="Not there")
    linkedin.fault("status", COMMENTS, status=500)
    record = Recorder()
    with pytest.raises(Transient):
        linkedin.provider.publish(request, token, {}, record)
    assert linkedin.provider.recover(request, token, record.steps) == {}


def test_throttled_post_is_rate_limited_until_midnight_utc(linkedin: LinkedIn) -> None:
    linkedin.fault("status", POSTS, status=429)
    with pytest.raises(RateLimited) as limited:
        linkedin.provider.publish(member_request("Too many"), linkedin.token(), {}, Recorder())
    assert limited.value.status == 429
    assert 0 < limited.value.retry_after <= 24 * 3600
    assert "throttle" in limited.value.message
    assert posts_by(linkedin.sandbox, MEMBER, "Too many") == []


def test_daily_post_limit_of_the_sandbox_is_rate_limited(linkedin: LinkedIn) -> None:
    linkedin.sandbox.ctx.overrides["linkedin"] = {"member_day_limits": {"posts.create": 1}}
    token = linkedin.token()
    linkedin.provider.publish(member_request("One a day"), token, {}, Recorder())
    with pytest.raises(RateLimited) as limited:
        linkedin.provider.publish(member_request("Two a day"), token, {}, Recorder())
    assert limited.value.message == (
        "Resource level throttle MEMBER DAY limit for calls to this resource is reached."
    )


def test_server_error_is_transient(linkedin: LinkedIn) -> None:
    linkedin.fault("status", POSTS, status=500)
    with pytest.raises(Transient) as failed:
        linkedin.provider.publish(page_request("Oops"), linkedin.token(), {}, Recorder())
    assert failed.value.status == 500
    assert posts_by(linkedin.sandbox, BAKERY, "Oops") == []


def test_failed_image_upload_is_transient_and_records_nothing(linkedin: LinkedIn) -> None:
    linkedin.fault("status", "/www.linkedin.com/dms-uploads/*", method="PUT", status=502)
    record = Recorder()
    with pytest.raises(Transient):
        linkedin.provider.publish(
            member_request("Photo", media=(linkedin.image("p"),)), linkedin.token(), {}, record
        )
    assert record.order == []


def test_revoked_token_needs_reauthorization(linkedin: LinkedIn) -> None:
    token = linkedin.token()
    assert linkedin.provider.revoke(token)
    request = member_request("After revoke")
    with pytest.raises(ReauthRequired) as dead:
        linkedin.provider.publish(request, token, {}, Recorder())
    assert dead.value.code == "REVOKED_ACCESS_TOKEN"
    with pytest.raises(ReauthRequired):
        linkedin.provider.recover(request, token, {})
    with pytest.raises(ReauthRequired):
        linkedin.provider.delete(request, token, {"post": "urn:li:share:1"})


def test_recover_says_so_when_linkedin_hides_the_members_posts(linkedin: LinkedIn) -> None:
    # Without r_member_social (granted only to approved apps) a member's posts can't be read.
    tokens = login(linkedin.http, scope="openid profile w_member_social")
    token = TokenSet(
        tokens.access_token, None, None, None, ("openid", "profile", "w_member_social")
    )
    request = member_request("Hidden")
    linkedin.fault("drop_after_commit", POSTS)
    with pytest.raises(OutcomeUnknown):
        linkedin.provider.publish(request, token, {}, Recorder())
    with pytest.raises(Rejected) as hidden:
        linkedin.provider.recover(request, token, {})
    assert hidden.value.status == 403
    assert "can't check whether the last attempt went out" in hidden.value.message
    assert "Not enough permissions" in hidden.value.message
