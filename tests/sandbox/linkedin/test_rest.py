"""LinkedIn versioned REST against the live sandbox: headers, posts, images, statistics, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from sqlalchemy import select

from platform_sandbox import audience
from platform_sandbox.linkedin import PLATFORM, common
from platform_sandbox.linkedin.models import LiPost
from tests.sandbox.linkedin.helpers import (
    BAKERY,
    COFFEE,
    MAYA,
    TOM,
    client,
    enc,
    login,
    post_body,
    rest_headers,
    restli_list,
)
from tests.support.sandbox import SandboxHandle

API = "/api.linkedin.com"
MAYA_URN = f"urn:li:person:{MAYA}"
TOM_URN = f"urn:li:person:{TOM}"


def _months_back(at: datetime, months: int) -> str:
    year, month = at.year, at.month - months
    while month <= 0:
        year, month = year - 1, month + 12
    return f"{year:04d}{month:02d}"


def _create(http: httpx2.Client, sandbox: SandboxHandle, token: str, body: dict[str, Any]) -> str:
    response = http.post(f"{API}/rest/posts", json=body, headers=rest_headers(sandbox, token))
    assert response.status_code == 201, response.text
    assert response.content == b""
    urn: str = response.headers["x-restli-id"]
    return urn


def _org_posts(sandbox: SandboxHandle, org: str) -> list[LiPost]:
    with sandbox.ctx.store.session() as session:
        return list(
            session.scalars(
                select(LiPost).where(LiPost.author == org).order_by(LiPost.published_at)
            )
        )


# --- headers and error bodies ------------------------------------------------------------------


def test_version_header_rules(fresh_sandbox: SandboxHandle) -> None:
    now = fresh_sandbox.ctx.clock.now()
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        url = f"{API}/rest/organizationAcls?q=roleAssignee"
        base = rest_headers(fresh_sandbox, token)
        missing = http.get(url, headers={k: v for k, v in base.items() if k != "LinkedIn-Version"})
        sunset_version = _months_back(now, 12)
        sunset = http.get(url, headers={**base, "LinkedIn-Version": sunset_version})
        unknown = http.get(url, headers={**base, "LinkedIn-Version": "202213"})
        future = http.get(url, headers={**base, "LinkedIn-Version": _months_back(now, -1)})
        oldest_ok = http.get(url, headers={**base, "LinkedIn-Version": _months_back(now, 11)})
        patch = http.get(url, headers={**base, "LinkedIn-Version": f"{_months_back(now, 1)}.01"})
        no_restli = http.get(
            url, headers={k: v for k, v in base.items() if k != "X-Restli-Protocol-Version"}
        )
        restli_1 = http.get(url, headers={**base, "X-Restli-Protocol-Version": "1.0.0"})
    assert missing.status_code == 400
    assert missing.json()["code"] == "VERSION_MISSING"
    # Exactly the observed body of B.2, with the version echoed as YYYYMMDD.
    assert sunset.status_code == 426
    assert sunset.json() == {
        "status": 426,
        "code": "NONEXISTENT_VERSION",
        "message": f"Requested version {sunset_version}01 is not active",
    }
    assert unknown.status_code == 426
    assert unknown.json()["code"] == "NONEXISTENT_VERSION"
    assert future.status_code == 426
    assert oldest_ok.status_code == 200
    assert patch.status_code == 200
    assert no_restli.status_code == 400
    assert restli_1.status_code == 400
    assert set(no_restli.json()) >= {"status", "message"}


def test_sunset_moves_with_the_sandbox_clock(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        headers = rest_headers(fresh_sandbox, token)
        # Jumping 13 months ahead retires today's version; the access token has expired by then
        # too, so only the version check is compared against a new login.
        fresh_sandbox.ctx.clock.set_offset(400 * 86_400)
        token = login(http).access_token
        response = http.get(
            f"{API}/rest/organizationAcls?q=roleAssignee",
            headers={**headers, "Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 426


def test_authentication_error_bodies(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        none = http.get(f"{API}/v2/userinfo")
        bogus = http.get(f"{API}/v2/userinfo", headers={"Authorization": "Bearer AQVnope"})
    assert none.status_code == 401
    assert none.json() == {
        "message": "Empty oauth2_access_token",
        "serviceErrorCode": 401,
        "status": 401,
    }
    assert bogus.status_code == 401
    # Field for field the observed body of B.6.
    assert bogus.json() == {
        "serviceErrorCode": 65600,
        "message": "Invalid access token",
        "status": 401,
    }


def test_error_response_for_fault_injection() -> None:
    import json

    for status in (400, 401, 403, 404, 426, 429, 500, 503):
        response = PLATFORM.error_response(status)
        body = json.loads(bytes(response.body))
        assert response.status_code == status
        assert body["status"] == status
        assert isinstance(body["message"], str)
    throttle = json.loads(bytes(PLATFORM.error_response(429).body))
    assert throttle == {
        "serviceErrorCode": 101,
        "message": "Resource level throttle limit for calls to this resource is reached.",
        "status": 429,
    }
    custom = json.loads(bytes(PLATFORM.error_response(403, "nope").body))
    assert custom == {
        "status": 403,
        "serviceErrorCode": 100,
        "code": "ACCESS_DENIED",
        "message": "nope",
    }


# --- organizations -----------------------------------------------------------------------------


def test_organization_acls_and_lookup(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        maya = login(http).access_token
        tom = login(http, member=TOM).access_token
        acls = http.get(
            f"{API}/rest/organizationAcls?q=roleAssignee&role=ADMINISTRATOR&state=APPROVED",
            headers=rest_headers(fresh_sandbox, maya),
        )
        other_role = http.get(
            f"{API}/rest/organizationAcls?q=roleAssignee&role=ANALYST",
            headers=rest_headers(fresh_sandbox, maya),
        )
        toms = http.get(
            f"{API}/rest/organizationAcls?q=roleAssignee",
            headers=rest_headers(fresh_sandbox, tom),
        )
        org = http.get(
            f"{API}/rest/organizations/90312417", headers=rest_headers(fresh_sandbox, maya)
        )
        missing = http.get(f"{API}/rest/organizations/1", headers=rest_headers(fresh_sandbox, maya))
    assert acls.status_code == 200
    elements = acls.json()["elements"]
    assert {e["organization"] for e in elements} == {BAKERY, COFFEE}
    assert all(
        e
        == {
            "roleAssignee": MAYA_URN,
            "state": "APPROVED",
            "role": "ADMINISTRATOR",
            "organization": e["organization"],
        }
        for e in elements
    )
    assert other_role.json()["elements"] == []
    assert toms.json()["elements"] == []
    assert org.status_code == 200
    assert org.json()["id"] == 90312417
    assert org.json()["localizedName"] == "Juniper & Rye Bakery"
    assert missing.status_code == 404


# --- posts -------------------------------------------------------------------------------------


def test_member_post_create_get_delete(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        headers = rest_headers(fresh_sandbox, token)
        urn = _create(http, fresh_sandbox, token, post_body(MAYA_URN))
        assert urn.startswith("urn:li:share:")
        got = http.get(f"{API}/rest/posts/{enc(urn)}", headers=headers)
        assert got.status_code == 200
        body = got.json()
        assert body["id"] == urn
        assert body["author"] == MAYA_URN
        assert body["commentary"] == "Fresh sourdough today #bread"
        assert body["lifecycleState"] == "PUBLISHED"
        assert body["visibility"] == "PUBLIC"
        assert body["distribution"]["feedDistribution"] == "MAIN_FEED"
        assert isinstance(body["publishedAt"], int)
        deleted = http.delete(f"{API}/rest/posts/{enc(urn)}", headers=headers)
        assert deleted.status_code == 204
        gone = http.get(f"{API}/rest/posts/{enc(urn)}", headers=headers)
        again = http.delete(f"{API}/rest/posts/{enc(urn)}", headers=headers)
    assert gone.status_code == 404
    assert again.status_code == 204


def test_commentary_limit_and_required_fields(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        headers = rest_headers(fresh_sandbox, token)
        ok = http.post(f"{API}/rest/posts", json=post_body(MAYA_URN, "x" * 3000), headers=headers)
        too_long = http.post(
            f"{API}/rest/posts", json=post_body(MAYA_URN, "x" * 3001), headers=headers
        )
        body = post_body(MAYA_URN)
        del body["distribution"]
        no_distribution = http.post(f"{API}/rest/posts", json=body, headers=headers)
    assert ok.status_code == 201
    assert too_long.status_code == 422
    assert too_long.json()["status"] == 422
    assert "/commentary" in too_long.json()["message"]
    assert no_distribution.status_code == 422


def test_a_repeated_post_is_refused_as_a_duplicate(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        headers = rest_headers(fresh_sandbox, token)
        first = _create(http, fresh_sandbox, token, post_body(MAYA_URN, "Same words"))
        again = http.post(
            f"{API}/rest/posts", json=post_body(MAYA_URN, "Same words"), headers=headers
        )
        other_author = _create(http, fresh_sandbox, token, post_body(BAKERY, "Same words"))
        http.delete(f"{API}/rest/posts/{enc(first)}", headers=headers)
        after_delete = http.post(
            f"{API}/rest/posts", json=post_body(MAYA_URN, "Same words"), headers=headers
        )
        fresh_sandbox.ctx.clock.set_offset(fresh_sandbox.ctx.clock.offset_seconds + 86_401)
        next_day = http.post(
            f"{API}/rest/posts", json=post_body(BAKERY, "Same words"), headers=headers
        )
    assert again.status_code == 422
    assert again.json() == {
        "errorDetailType": "com.linkedin.common.error.BadRequest",
        "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
        f"Content is a duplicate of {first}",
        "errorDetails": {
            "inputErrors": [
                {"description": "Duplicate post is detected", "input": {}, "code": "DUPLICATE_POST"}
            ]
        },
        "status": 422,
    }
    assert other_author.startswith("urn:li:share:")
    assert after_delete.status_code == 201
    assert next_day.status_code == 201


def test_the_post_page_on_www(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        urn = _create(http, fresh_sandbox, token, post_body(MAYA_URN, "Rye & <spelt>"))
        page = http.get(f"/www.linkedin.com/feed/update/{urn}/")
        http.delete(f"{API}/rest/posts/{enc(urn)}", headers=rest_headers(fresh_sandbox, token))
        gone = http.get(f"/www.linkedin.com/feed/update/{urn}/")
        unknown = http.get("/www.linkedin.com/feed/update/urn:li:share:1/")
    assert page.status_code == 200
    assert "Rye &amp; &lt;spelt&gt;" in page.text
    assert "Maya Lindqvist" in page.text
    assert gone.status_code == 404
    assert unknown.status_code == 404


def test_image_upload_then_organization_post(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        headers = rest_headers(fresh_sandbox, token)
        init = http.post(
            f"{API}/rest/images?action=initializeUpload",
            json={"initializeUploadRequest": {"owner": BAKERY}},
            headers=headers,
        )
        assert init.status_code == 200, init.text
        value = init.json()["value"]
        image = value["image"]
        assert image.startswith("urn:li:image:")
        assert value["uploadUrl"].startswith(fresh_sandbox.url + "/www.linkedin.com/")
        # Not uploaded yet: the post is refused.
        early = http.post(
            f"{API}/rest/posts",
            json=post_body(BAKERY, content={"media": {"id": image}}),
            headers=headers,
        )
        assert early.status_code == 422
        put = http.put(
            value["uploadUrl"],
            content=b"\x89PNG\r\n\x1a\n" + bytes(64),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "image/png"},
        )
        assert put.status_code == 201
        status = http.get(f"{API}/rest/images/{enc(image)}", headers=headers)
        assert status.json()["status"] == "AVAILABLE"
        assert status.json()["owner"] == BAKERY
        urn = _create(
            http, fresh_sandbox, token, post_body(BAKERY, content={"media": {"id": image}})
        )
        got = http.get(f"{API}/rest/posts/{enc(urn)}", headers=headers).json()
    assert urn.startswith("urn:li:ugcPost:")
    assert got["author"] == BAKERY
    assert got["content"] == {"media": {"id": image}}


def test_organization_authorship_needs_a_role_and_the_scope(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        tom = login(http, member=TOM).access_token
        as_org = http.post(
            f"{API}/rest/posts", json=post_body(BAKERY), headers=rest_headers(fresh_sandbox, tom)
        )
        as_maya = http.post(
            f"{API}/rest/posts", json=post_body(MAYA_URN), headers=rest_headers(fresh_sandbox, tom)
        )
        member_only = login(http, scope="openid profile w_member_social").access_token
        no_scope = http.post(
            f"{API}/rest/posts",
            json=post_body(BAKERY),
            headers=rest_headers(fresh_sandbox, member_only),
        )
    unpermitted = {
        "status": 403,
        "serviceErrorCode": 100,
        "code": "ACCESS_DENIED",
        "message": "Unpermitted fields present in REQUEST_BODY: Data Processing Exception while "
        "processing fields [/author]",
    }
    assert as_org.status_code == 403
    assert as_org.json() == unpermitted
    assert as_maya.status_code == 403
    assert as_maya.json() == unpermitted
    assert no_scope.status_code == 403
    assert no_scope.json()["message"].startswith(
        "Not enough permissions to access: partnerApiPostsExternal.CREATE."
    )


def test_comments_and_social_metadata(fresh_sandbox: SandboxHandle) -> None:
    seeded = _org_posts(fresh_sandbox, BAKERY)[0]
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        headers = rest_headers(fresh_sandbox, token)
        listed = http.get(
            f"{API}/rest/socialActions/{enc(seeded.urn)}/comments?count=100", headers=headers
        )
        assert listed.status_code == 200
        comments = listed.json()["elements"]
        now = fresh_sandbox.ctx.clock.now()
        metrics = common.metrics_of(fresh_sandbox.ctx, seeded, now)
        expected = [t for t, _ in audience.comments(42, seeded.audience_key, metrics.comments)]
        assert sorted(c["message"]["text"] for c in comments) == sorted(expected)
        created = http.post(
            f"{API}/rest/socialActions/{enc(seeded.urn)}/comments",
            json={"actor": BAKERY, "object": seeded.urn, "message": {"text": "Thanks all!"}},
            headers=headers,
        )
        assert created.status_code == 201
        assert created.json()["message"]["text"] == "Thanks all!"
        meta = http.get(f"{API}/rest/socialMetadata/{enc(seeded.urn)}", headers=headers)
    body = meta.json()
    assert body["entity"] == seeded.urn
    assert body["commentSummary"]["count"] == len(expected) + 1
    assert sum(r["count"] for r in body["reactionSummaries"].values()) == metrics.likes
    assert all(k == v["reactionType"] for k, v in body["reactionSummaries"].items())


# --- statistics --------------------------------------------------------------------------------


def test_share_statistics_with_restli_lists(fresh_sandbox: SandboxHandle) -> None:
    posts = _org_posts(fresh_sandbox, BAKERY)
    shares = [p for p in posts if ":share:" in p.urn][:2]
    ugc = [p for p in posts if ":ugcPost:" in p.urn][:1]
    assert shares
    assert ugc
    now = fresh_sandbox.ctx.clock.now()
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        url = (
            f"{API}/rest/organizationalEntityShareStatistics?q=organizationalEntity"
            f"&organizationalEntity={enc(BAKERY)}"
            f"&shares={restli_list([p.urn for p in shares])}"
            f"&ugcPosts={restli_list([p.urn for p in ugc])}"
        )
        response = http.get(url, headers=rest_headers(fresh_sandbox, token))
    assert response.status_code == 200, response.text
    elements = response.json()["elements"]
    assert [e.get("share") or e.get("ugcPost") for e in elements] == [p.urn for p in shares + ugc]
    for element, post in zip(elements, shares + ugc, strict=True):
        stats = element["totalShareStatistics"]
        assert set(stats) == {
            "uniqueImpressionsCount",
            "shareCount",
            "engagement",
            "clickCount",
            "likeCount",
            "impressionCount",
            "commentCount",
        }
        assert element["organizationalEntity"] == BAKERY
        assert "timeRange" not in element
        # Within a second of the request, so the curve has barely moved for a post of days.
        expected = common.metrics_of(fresh_sandbox.ctx, post, now)
        assert abs(stats["impressionCount"] - expected.impressions) <= max(
            2, expected.impressions // 1000
        )
        assert stats["uniqueImpressionsCount"] <= stats["impressionCount"]
        engaged = (
            stats["clickCount"] + stats["likeCount"] + stats["commentCount"] + stats["shareCount"]
        )
        assert stats["engagement"] == pytest.approx(engaged / stats["impressionCount"])


def test_share_statistics_time_bound_by_day(fresh_sandbox: SandboxHandle) -> None:
    now = fresh_sandbox.ctx.clock.now()
    end = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=14)
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        url = (
            f"{API}/rest/organizationalEntityShareStatistics?q=organizationalEntity"
            f"&organizationalEntity={enc(BAKERY)}"
            f"&timeIntervals=(timeRange:(start:{common.epoch_ms(start)},end:{common.epoch_ms(end)}),"
            "timeGranularityType:DAY)"
        )
        response = http.get(url, headers=rest_headers(fresh_sandbox, token))
    assert response.status_code == 200, response.text
    elements = response.json()["elements"]
    assert len(elements) == 14
    starts = [e["timeRange"]["start"] for e in elements]
    assert starts == [common.epoch_ms(start + timedelta(days=i)) for i in range(14)]
    assert all(e["timeRange"]["end"] - e["timeRange"]["start"] == 86_400_000 for e in elements)
    # Daily buckets add up to the growth of every org post over the fortnight.
    posts = [p for p in _org_posts(fresh_sandbox, BAKERY) if p.published_at < end]
    growth = sum(
        common.metrics_of(fresh_sandbox.ctx, p, end).impressions
        - common.metrics_of(fresh_sandbox.ctx, p, start).impressions
        for p in posts
    )
    assert sum(e["totalShareStatistics"]["impressionCount"] for e in elements) == growth
    assert growth > 0


def test_share_statistics_refuse_other_organizations_posts(fresh_sandbox: SandboxHandle) -> None:
    coffee_post = _org_posts(fresh_sandbox, COFFEE)[-1]
    key = "shares" if ":share:" in coffee_post.urn else "ugcPosts"
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        tom = login(http, member=TOM).access_token
        url = (
            f"{API}/rest/organizationalEntityShareStatistics?q=organizationalEntity"
            f"&organizationalEntity={enc(BAKERY)}&{key}={restli_list([coffee_post.urn])}"
        )
        foreign = http.get(url, headers=rest_headers(fresh_sandbox, token))
        lifetime = (
            f"{API}/rest/organizationalEntityShareStatistics?q=organizationalEntity"
            f"&organizationalEntity={enc(BAKERY)}"
        )
        not_admin = http.get(lifetime, headers=rest_headers(fresh_sandbox, tom))
        own = http.get(lifetime, headers=rest_headers(fresh_sandbox, token))
    assert foreign.status_code == 403
    assert foreign.json() == {
        "status": 403,
        "serviceErrorCode": 100,
        "code": "ACCESS_DENIED",
        "message": "Unpermitted fields present in PARAMETER: Data Processing Exception while "
        f"processing fields [/{key}[0]]",
    }
    assert not_admin.status_code == 403
    assert own.status_code == 200
    assert own.json()["elements"][0]["totalShareStatistics"]["impressionCount"] > 0


def test_follower_statistics_and_network_size(fresh_sandbox: SandboxHandle) -> None:
    now = fresh_sandbox.ctx.clock.now()
    profile = common.profile_of(fresh_sandbox.ctx, BAKERY)
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=7)
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        headers = rest_headers(fresh_sandbox, token)
        size = http.get(
            f"{API}/rest/networkSizes/{enc(BAKERY)}?edgeType=COMPANY_FOLLOWED_BY_MEMBER",
            headers=headers,
        )
        base = (
            f"{API}/rest/organizationalEntityFollowerStatistics?q=organizationalEntity"
            f"&organizationalEntity={enc(BAKERY)}"
        )
        lifetime = http.get(base, headers=headers)
        daily = http.get(
            base + f"&timeIntervals=(timeRange:(start:{common.epoch_ms(start)},"
            f"end:{common.epoch_ms(start + timedelta(days=7))}),timeGranularityType:DAY)",
            headers=headers,
        )
    followers = audience.followers_at(profile, now)
    assert abs(size.json()["firstDegreeSize"] - followers) <= 2
    element = lifetime.json()["elements"][0]
    assert element["organizationalEntity"] == BAKERY
    seniority_total = sum(
        s["followerCounts"]["organicFollowerCount"] for s in element["followerCountsBySeniority"]
    )
    assert abs(seniority_total - followers) <= 2
    gains = daily.json()["elements"]
    assert len(gains) == 7
    assert sum(g["followerGains"]["organicFollowerGain"] for g in gains) == (
        audience.followers_at(profile, start + timedelta(days=7))
        - audience.followers_at(profile, start)
    )


def test_created_post_metrics_grow_with_the_clock(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        urn = _create(http, fresh_sandbox, token, post_body(BAKERY))
        url = (
            f"{API}/rest/organizationalEntityShareStatistics?q=organizationalEntity"
            f"&organizationalEntity={enc(BAKERY)}&shares={restli_list([urn])}"
        )
        first = http.get(url, headers=rest_headers(fresh_sandbox, token)).json()
        fresh_sandbox.ctx.clock.set_offset(2 * 86_400)
        later = http.get(url, headers=rest_headers(fresh_sandbox, token)).json()
    before = first["elements"][0]["totalShareStatistics"]["impressionCount"]
    after = later["elements"][0]["totalShareStatistics"]["impressionCount"]
    assert before < after
    with fresh_sandbox.ctx.store.session() as session:
        post = session.get(LiPost, urn)
        assert post is not None
        expected = common.metrics_of(fresh_sandbox.ctx, post, fresh_sandbox.ctx.clock.now())
    assert abs(after - expected.impressions) <= 2


# --- daily limits ------------------------------------------------------------------------------


def test_daily_limit_429_then_reset_at_midnight_utc(fresh_sandbox: SandboxHandle) -> None:
    fresh_sandbox.ctx.overrides["linkedin"] = {"member_day_limits": {"posts.create": 2}}
    with client(fresh_sandbox) as http:
        token = login(http).access_token
        # Different texts: the same one again would be refused as a duplicate.
        for n in range(2):
            _create(http, fresh_sandbox, token, post_body(MAYA_URN, f"Loaf number {n}"))
        throttled = http.post(
            f"{API}/rest/posts",
            json=post_body(MAYA_URN, "Loaf number 2"),
            headers=rest_headers(fresh_sandbox, token),
        )
        # Other resources have their own counters.
        other = http.get(
            f"{API}/rest/organizationAcls?q=roleAssignee",
            headers=rest_headers(fresh_sandbox, token),
        )
        now = fresh_sandbox.ctx.clock.now()
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=1, microsecond=0)
        fresh_sandbox.ctx.clock.set_offset(
            fresh_sandbox.ctx.clock.offset_seconds + (midnight - now).total_seconds()
        )
        assert fresh_sandbox.ctx.clock.now().astimezone(UTC).date() > now.date()
        after_midnight = http.post(
            f"{API}/rest/posts",
            json=post_body(MAYA_URN, "Loaf number 3"),
            headers=rest_headers(fresh_sandbox, token),
        )
    assert throttled.status_code == 429
    assert throttled.json() == {
        "serviceErrorCode": 101,
        "message": "Resource level throttle MEMBER DAY limit for calls to this resource is reached.",
        "status": 429,
    }
    assert not any(
        h.lower().startswith(("x-ratelimit", "x-rate-limit", "retry-after"))
        for h in throttled.headers
    )
    assert other.status_code == 200
    assert after_midnight.status_code == 201


def test_application_daily_limit(fresh_sandbox: SandboxHandle) -> None:
    with client(fresh_sandbox) as http:
        set_limits = http.post(
            "/_sandbox/ratelimits",
            json={"platform": "linkedin", "limits": {"application_day_limits": {"userinfo": 1}}},
        )
        assert set_limits.status_code == 200, set_limits.text
        maya = login(http).access_token
        tom = login(http, member=TOM).access_token
        first = http.get(f"{API}/v2/userinfo", headers={"Authorization": f"Bearer {maya}"})
        second = http.get(f"{API}/v2/userinfo", headers={"Authorization": f"Bearer {tom}"})
    assert first.status_code == 200
    assert second.status_code == 429
    assert "APPLICATION DAY" in second.json()["message"]
