"""Instagram Business Discovery over real HTTP: another business account's followers, media
count and recent media with their public numbers, read through the caller's own Instagram
account with field expansion and cursor paging; Meta's error for a username that is no
business or creator account (personal, or not there at all)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from tests.sandbox.meta import helpers as h
from tests.support.sandbox import SandboxHandle

IG = h.FLORIST_IG
DISCOVERY = "business_discovery.username({name}){{followers_count,media_count,{media}}}"


@pytest.fixture
def ig(fresh_sandbox: SandboxHandle) -> Iterator[tuple[httpx2.Client, str]]:
    with h.client(fresh_sandbox) as http:
        yield http, h.login(http).user_token


def _competitor(http: httpx2.Client, **body: Any) -> dict[str, Any]:
    response = http.post("/_sandbox/competitors", json={"platform": "meta", **body})
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _discover(http: httpx2.Client, token: str, name: str, media: str) -> httpx2.Response:
    return http.get(
        h.graph(IG),
        params={"access_token": token, "fields": DISCOVERY.format(name=name, media=media)},
    )


def test_a_business_account_is_discovered_with_its_media_numbers(
    ig: tuple[httpx2.Client, str],
) -> None:
    http, token = ig
    made = _competitor(http, username="bloomandco", kind="business", posts=12, days=40)
    answer = _discover(http, token, "bloomandco", "media{like_count,comments_count,timestamp}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["id"] == IG
    found = body["business_discovery"]
    assert found["id"] == made["id"]
    assert found["followers_count"] > 0
    assert found["media_count"] == 12
    media = found["media"]["data"]
    assert len(media) == 12
    assert all(set(m) == {"like_count", "comments_count", "timestamp", "id"} for m in media)
    stamps = [m["timestamp"] for m in media]
    assert stamps == sorted(stamps, reverse=True)
    # The call counts against the caller's Instagram account (BUC header).
    assert IG in answer.headers.get("x-business-use-case-usage", "")


def test_media_pages_with_the_expansion_cursors(ig: tuple[httpx2.Client, str]) -> None:
    http, token = ig
    _competitor(http, username="pagedrival", posts=7)
    first = _discover(http, token, "pagedrival", "media.limit(5){timestamp}").json()
    page = first["business_discovery"]["media"]
    assert len(page["data"]) == 5
    assert "next" not in page["paging"]
    after = page["paging"]["cursors"]["after"]
    second = _discover(http, token, "pagedrival", f"media.after({after}).limit(5){{timestamp}}")
    rest = second.json()["business_discovery"]["media"]["data"]
    assert len(rest) == 2
    assert {m["id"] for m in rest}.isdisjoint(m["id"] for m in page["data"])


@pytest.mark.parametrize("name", ["janespersonal", "no_such_account_42"])
def test_personal_and_missing_accounts_get_the_same_error(
    ig: tuple[httpx2.Client, str], name: str
) -> None:
    http, token = ig
    _competitor(http, username="janespersonal", kind="personal")
    answer = _discover(http, token, name, "media{like_count}")
    error = h.assert_graph_error(answer, 110, 2207013, message="Invalid user id")
    assert error["error_user_title"] == "Cannot find User"
    assert error["error_user_msg"] == f"The user with username: {name} cannot be found."
    assert error["is_transient"] is False


def test_private_fields_are_not_discoverable(ig: tuple[httpx2.Client, str]) -> None:
    http, token = ig
    _competitor(http, username="rivalinsights", posts=2)
    answer = _discover(http, token, "rivalinsights", "media{insights}")
    h.assert_graph_error(answer, 100)


def test_discovery_needs_the_callers_own_account(ig: tuple[httpx2.Client, str]) -> None:
    http, token = ig
    made = _competitor(http, username="otherrival", posts=2)
    answer = http.get(
        h.graph(made["id"]),
        params={"access_token": token, "fields": "business_discovery.username(bloom){id}"},
    )
    h.assert_graph_error(answer, 100, 33, error_type="GraphMethodException")
