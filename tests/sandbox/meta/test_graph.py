"""Graph-wide behaviour over real HTTP: versions, ``?ids=`` reads, batch requests, usage
headers and throttling codes, and the error envelope used by fault injection."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from tests.sandbox.meta import helpers as h
from tests.support.sandbox import SandboxHandle


@pytest.fixture
def logged_in(fresh_sandbox: SandboxHandle) -> Iterator[tuple[httpx2.Client, h.Login]]:
    with h.client(fresh_sandbox) as http:
        yield http, h.login(http)


def test_versions_known_expired_and_unknown(logged_in: tuple[httpx2.Client, h.Login]) -> None:
    http, login = logged_in
    current = http.get(h.graph("me", "v23.0"), params={"access_token": login.user_token})
    assert current.headers["facebook-api-version"] == "v23.0"
    newest = http.get(h.graph("me", "v26.0"), params={"access_token": login.user_token})
    assert newest.status_code == 200
    # v18.0-v20.0 ended before the sandbox's date: served by the oldest live version.
    expired = http.get(h.graph("me", "v18.0"), params={"access_token": login.user_token})
    assert expired.status_code == 200
    assert expired.headers["facebook-api-version"] == "v21.0"
    for unknown in ("v99.0", "v17.0", "v23"):
        response = http.get(h.graph("me", unknown), params={"access_token": login.user_token})
        h.assert_graph_error(response, 2500, message="Unknown path components: /me")
    unversioned = http.get("/graph.facebook.com/me", params={"access_token": login.user_token})
    assert unversioned.json()["id"] == h.DANA
    # The login dialog answers under any known version, and not under unknown ones.
    assert (
        http.get("/www.facebook.com/v19.0/dialog/oauth", params=h.dialog_params()).status_code
        == 200
    )
    assert (
        http.get("/www.facebook.com/v99.0/dialog/oauth", params=h.dialog_params()).status_code
        == 400
    )


def test_multi_id_reads(logged_in: tuple[httpx2.Client, h.Login]) -> None:
    http, login = logged_in
    body = http.get(
        h.graph(""),
        params={
            "access_token": login.user_token,
            "ids": f"{h.FLORIST},{h.WORKSHOPS},{h.FLORIST_IG}",
            "fields": "id,name",
        },
    ).json()
    assert list(body) == [h.FLORIST, h.WORKSHOPS, h.FLORIST_IG]
    assert body[h.FLORIST] == {"id": h.FLORIST, "name": "Harbor Lane Florist"}
    missing = http.get(
        h.graph(""), params={"access_token": login.user_token, "ids": f"{h.FLORIST},nope"}
    )
    h.assert_graph_error(
        missing, 803, message="(#803) Some of the aliases you requested do not exist: nope"
    )
    not_granted = http.get(
        h.graph(""), params={"access_token": login.user_token, "ids": f"{h.FLORIST},{h.BIKES}"}
    )
    h.assert_graph_error(not_granted, 100, 33, error_type="GraphMethodException")
    edge = http.get(
        h.graph("insights"),
        params={
            "access_token": login.page_tokens[h.FLORIST],
            "ids": h.FLORIST,
            "metric": "page_follows",
            "period": "day",
        },
    ).json()
    assert edge[h.FLORIST]["data"][0]["name"] == "page_follows"


def test_batch_runs_each_request_in_order(logged_in: tuple[httpx2.Client, h.Login]) -> None:
    http, login = logged_in
    page_token = login.page_tokens[h.FLORIST]
    batch = [
        {"method": "GET", "relative_url": f"{h.FLORIST}?fields=id,name"},
        {
            "method": "POST",
            "relative_url": f"{h.FLORIST}/feed",
            "body": f"message=From+a+batch&access_token={page_token}",
        },
        {"method": "GET", "relative_url": "me"},
        {"method": "GET", "relative_url": "v23.0/does-not-exist"},
    ]
    response = http.post(
        h.graph(""), data={"access_token": login.user_token, "batch": json.dumps(batch)}
    )
    assert response.status_code == 200
    results = response.json()
    assert [r["code"] for r in results] == [200, 200, 200, 400]
    assert all(isinstance(r["body"], str) for r in results)
    assert json.loads(results[0]["body"]) == {"id": h.FLORIST, "name": "Harbor Lane Florist"}
    created = json.loads(results[1]["body"])["id"]
    assert json.loads(results[2]["body"])["id"] == h.DANA
    assert json.loads(results[3]["body"])["error"]["code"] == 100
    names = {header["name"] for header in results[0]["headers"]}
    assert {"Content-Type", "facebook-api-version", "X-App-Usage"} <= names
    # The post from the batch really exists.
    read = http.get(h.graph(created), params={"access_token": page_token, "fields": "message"})
    assert read.json()["message"] == "From a batch"

    # Unversioned, on the bare host, as the batch documentation shows it.
    plain = http.post(
        "/graph.facebook.com",
        data={
            "access_token": login.user_token,
            "include_headers": "false",
            "batch": json.dumps([{"method": "GET", "relative_url": "me"}]),
        },
    ).json()
    assert plain == [
        {
            "code": 200,
            "body": json.dumps({"name": "Dana Whitfield", "id": h.DANA}, separators=(",", ":")),
        }
    ]
    too_many = [{"method": "GET", "relative_url": "me"}] * 51
    h.assert_graph_error(
        http.post(
            h.graph(""), data={"access_token": login.user_token, "batch": json.dumps(too_many)}
        ),
        100,
    )


def _usage(response: httpx2.Response, header: str) -> Any:
    return json.loads(response.headers[header])


def test_usage_headers_and_throttling_codes(logged_in: tuple[httpx2.Client, h.Login]) -> None:
    http, login = logged_in
    page_token = login.page_tokens[h.FLORIST]
    first = http.get(h.graph("me"), params={"access_token": login.user_token})
    assert set(_usage(first, "x-app-usage")) == {"call_count", "total_cputime", "total_time"}
    page_call = http.get(h.graph(h.FLORIST), params={"access_token": page_token})
    buc = _usage(page_call, "x-business-use-case-usage")
    assert list(buc) == [h.FLORIST]
    assert set(buc[h.FLORIST][0]) == {
        "type",
        "call_count",
        "total_cputime",
        "total_time",
        "estimated_time_to_regain_access",
    }
    assert buc[h.FLORIST][0]["type"] == "pages"
    ig_call = http.get(h.graph(h.FLORIST_IG), params={"access_token": login.user_token})
    assert _usage(ig_call, "x-business-use-case-usage")[h.FLORIST_IG][0]["type"] == "instagram"

    def limit(**limits: int) -> None:
        http.delete("/_sandbox/ratelimits")
        http.post(
            "/_sandbox/ratelimits", json={"platform": "meta", "limits": {"rate_limits": limits}}
        )

    cases: list[tuple[dict[str, int], str, str, int, str]] = [
        ({"page": 4}, h.FLORIST, page_token, 80001, "x-business-use-case-usage"),
        ({"instagram": 4}, h.FLORIST_IG, login.user_token, 80002, "x-business-use-case-usage"),
        ({"page_user": 4}, h.FLORIST, login.user_token, 32, "x-app-usage"),
        ({"user": 4}, "me", login.user_token, 17, "x-app-usage"),
        ({"app": 4}, "me", login.user_token, 4, "x-app-usage"),
    ]
    for limits, path, token, code, header in cases:
        limit(**limits)
        # Clearing the overrides also forgets the counters: each case starts from zero.
        responses = [http.get(h.graph(path), params={"access_token": token}) for _ in range(6)]
        assert [r.status_code for r in responses] == [200] * 4 + [400] * 2, limits
        failed = responses[4]
        error = h.assert_graph_error(failed, code)
        assert error["is_transient"] is True
        assert header in failed.headers
        if header == "x-app-usage":
            assert _usage(failed, header)["call_count"] == 100
        else:
            entry = next(iter(_usage(failed, header).values()))[0]
            assert entry["call_count"] == 100
            assert entry["estimated_time_to_regain_access"] > 0
    message = h.assert_graph_error(
        http.get(h.graph("me"), params={"access_token": login.user_token}), 4
    )["message"]
    assert message == "(#4) Application request limit reached"
    # Page tokens are accounted per Page, not against the app's hourly quota.
    assert http.get(h.graph(h.FLORIST), params={"access_token": page_token}).status_code == 200


def test_fault_injection_uses_the_graph_envelope(logged_in: tuple[httpx2.Client, h.Login]) -> None:
    http, login = logged_in
    for status, code in ((500, 1), (503, 2), (429, 4), (400, 100), (403, 200)):
        http.post(
            "/_sandbox/faults",
            json={"kind": "status", "path": "/graph.facebook.com/*", "status": status},
        )
        response = http.get(h.graph("me"), params={"access_token": login.user_token})
        h.assert_graph_error(response, code, status=status)
    http.post(
        "/_sandbox/faults",
        json={
            "kind": "status",
            "path": "/graph.facebook.com/*",
            "status": 500,
            "message": "An unexpected error has occurred.",
        },
    )
    custom = http.get(h.graph("me"), params={"access_token": login.user_token})
    assert custom.json()["error"]["message"] == "An unexpected error has occurred."
    assert http.get(h.graph("me"), params={"access_token": login.user_token}).status_code == 200
