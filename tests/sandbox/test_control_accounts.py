"""``POST /_sandbox/accounts``: more simulated accounts with past posts, reachable through the
platforms' own sign-in and APIs like the seeded ones."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2

from tests.support.consent import consent
from tests.support.sandbox import SandboxHandle

X_CLIENT = ("sandbox-x-client", "sandbox-x-secret")
X_REDIRECT = "http://127.0.0.1:8000/api/v1/oauth/x/callback"


def _x_token(sandbox: SandboxHandle, user_id: str) -> str:
    """Sign in as ``user_id`` on X's consent page and exchange the code."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode(
        {
            "response_type": "code",
            "client_id": X_CLIENT[0],
            "redirect_uri": X_REDIRECT,
            "scope": "tweet.read users.read offline.access",
            "state": "s",
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        }
    )
    location = consent(
        f"{sandbox.url}/x.com/i/oauth2/authorize?{query}", choose={"account": user_id}
    )
    code = parse_qs(urlsplit(location).query)["code"][0]
    answer = httpx2.post(
        f"{sandbox.url}/api.x.com/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": X_REDIRECT,
            "code_verifier": verifier,
        },
        auth=X_CLIENT,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _create(sandbox: SandboxHandle, **body: object) -> httpx2.Response:
    return httpx2.post(f"{sandbox.url}/_sandbox/accounts", json=body, timeout=30)


def test_new_x_users_sign_in_and_list_their_posts(fresh_sandbox: SandboxHandle) -> None:
    response = _create(fresh_sandbox, platform="x", count=2, posts=30, name="Bench Shop")
    assert response.status_code == 201, response.text
    made = response.json()["accounts"]
    assert len(made) == 2
    assert len({m["id"] for m in made} | {"1590000000000000001", "1590000000000000002"}) == 4
    for user in made:
        token = _x_token(fresh_sandbox, user["id"])
        headers = {"Authorization": f"Bearer {token}"}
        me = httpx2.get(f"{fresh_sandbox.url}/api.x.com/2/users/me", headers=headers).json()
        assert me["data"]["id"] == user["id"]
        assert me["data"]["username"] == user["username"]
        listed = httpx2.get(
            f"{fresh_sandbox.url}/api.x.com/2/users/{user['id']}/tweets",
            params={"max_results": 100, "tweet.fields": "public_metrics,created_at"},
            headers=headers,
        ).json()
        posts = listed["data"]
        assert len(posts) == 30 == user["posts"]
        # Numbers come from the audience model: old posts have been seen by someone.
        assert sum(p["public_metrics"]["like_count"] for p in posts) > 0
    # A second call adds more, never reusing ids or handles.
    again = _create(fresh_sandbox, platform="x", count=1, posts=1).json()["accounts"]
    assert again[0]["id"] not in {m["id"] for m in made}


def test_new_pages_belong_to_their_administrator(fresh_sandbox: SandboxHandle) -> None:
    li = _create(fresh_sandbox, platform="linkedin", count=2, posts=5).json()["accounts"]
    meta = _create(fresh_sandbox, platform="meta", count=2, posts=7).json()["accounts"]
    truth = httpx2.get(f"{fresh_sandbox.url}/_sandbox/accounts", timeout=10).json()["accounts"]
    maya = next(a for a in truth if a.get("kind") == "member" and a["id"] == "mLq7Xw2Tz4")
    administered = {a["organization"] for a in maya["administers"]}
    assert {o["urn"] for o in li} <= administered
    dana = next(a for a in truth if a.get("kind") == "user" and a["id"] == "10229000000000001")
    assert {p["id"] for p in meta} <= set(dana["administers"])
    linked = {a["id"]: a["page_id"] for a in truth if a.get("kind") == "instagram_business"}
    for page in meta:
        ig = page["instagram_business_account"]
        assert linked[ig["id"]] == page["id"]
    state = httpx2.get(f"{fresh_sandbox.url}/_sandbox/state", timeout=60).json()["tables"]
    for org in li:
        assert sum(1 for p in state["li_post"] if p["author"] == org["urn"]) == 5
    for page in meta:
        assert sum(1 for p in state["meta_post"] if p["page_id"] == page["id"]) == 7
        ig_id = page["instagram_business_account"]["id"]
        assert sum(1 for m in state["meta_ig_media"] if m["ig_user_id"] == ig_id) == 7


def test_refuses_unknown_platforms_and_owners(fresh_sandbox: SandboxHandle) -> None:
    assert _create(fresh_sandbox, platform="myspace").status_code == 400
    assert _create(fresh_sandbox, platform="meta", owner="nobody").status_code == 400
    assert _create(fresh_sandbox, platform="linkedin", owner="nobody").status_code == 400
    assert _create(fresh_sandbox, platform="x", count=0).status_code == 422
