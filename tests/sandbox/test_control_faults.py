"""Fault injection through the control plane: status with the platform's real error body,
delay, hang until the client times out, and commit-then-drop."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx2
import pytest

from tests.sandbox.x.conftest import XClient
from tests.support.sandbox import SandboxHandle


@pytest.fixture
def x(fresh_sandbox: SandboxHandle) -> Iterator[XClient]:
    with httpx2.Client(base_url=fresh_sandbox.url, timeout=10) as http:
        yield XClient(fresh_sandbox, http, hook=lambda r: None)  # type: ignore[arg-type]


def _fault(x: XClient, **rule: object) -> dict[str, object]:
    response = x.http.post("/_sandbox/faults", json=rule)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _count_posts(x: XClient, text: str) -> int:
    found = x.http.get(
        "/api.x.com/2/tweets/search/recent", params={"query": text}, headers=x.auth()
    )
    count: int = found.json()["meta"]["result_count"]
    return count


def test_status_fault_answers_with_x_error_body_for_n_requests(x: XClient) -> None:
    headers = x.auth()
    _fault(x, kind="status", method="GET", path="/api.x.com/2/users/me", status=503, times=2)
    assert x.http.get("/_sandbox/faults").json()["faults"][0]["remaining"] == 2
    for _ in range(2):
        failed = x.http.get("/api.x.com/2/users/me", headers=headers)
        assert failed.status_code == 503
        assert failed.json() == {
            "title": "Service Unavailable",
            "detail": "Service Unavailable",
            "type": "about:blank",
            "status": 503,
        }
        assert failed.headers["content-type"].startswith("application/problem+json")
    assert x.http.get("/api.x.com/2/users/me", headers=headers).status_code == 200
    assert x.http.get("/_sandbox/faults").json()["faults"] == []


def test_status_fault_with_regex_and_method_filter(x: XClient) -> None:
    headers = x.auth()
    _fault(
        x,
        kind="status",
        method="POST",
        path=r"^/api\.(x|twitter)\.com/2/tweets$",
        regex=True,
        status=429,
        times=None,
    )
    limited = x.http.post("/api.twitter.com/2/tweets", json={"text": "hi"}, headers=headers)
    assert limited.status_code == 429
    assert limited.json()["title"] == "Too Many Requests"
    assert x.http.get("/api.x.com/2/users/me", headers=headers).status_code == 200  # GET untouched
    assert x.http.delete("/_sandbox/faults").json() == {"faults": []}
    assert (
        x.http.post("/api.x.com/2/tweets", json={"text": "hi"}, headers=headers).status_code == 201
    )
    assert x.http.post("/_sandbox/faults", json={"kind": "explode", "path": "*"}).status_code == 400
    assert (
        x.http.post(
            "/_sandbox/faults", json={"kind": "status", "path": "(", "regex": True}
        ).status_code
        == 400
    )


def test_delay_fault_slows_then_succeeds(x: XClient) -> None:
    headers = x.auth()
    _fault(x, kind="delay", path="/api.x.com/2/users/me", delay_ms=300)
    started = time.monotonic()
    response = x.http.get("/api.x.com/2/users/me", headers=headers)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_hang_fault_lasts_until_the_client_times_out(x: XClient) -> None:
    headers = x.auth()
    _fault(x, kind="hang", path="/api.x.com/2/users/me")
    with pytest.raises(httpx2.ReadTimeout):
        x.http.get("/api.x.com/2/users/me", headers=headers, timeout=0.5)
    assert x.http.get("/api.x.com/2/users/me", headers=headers).status_code == 200


def test_drop_after_commit_makes_the_write_but_loses_the_answer(x: XClient) -> None:
    headers = x.auth()
    _fault(x, kind="drop_after_commit", method="POST", path="*/2/tweets")
    with pytest.raises(httpx2.RemoteProtocolError):
        x.http.post("/api.x.com/2/tweets", json={"text": "did this go out zq"}, headers=headers)
    assert _count_posts(x, "did this go out zq") == 1
    retry = x.http.post("/api.x.com/2/tweets", json={"text": "did this go out zq"}, headers=headers)
    assert retry.status_code == 403  # the duplicate rule tells a retry the first one landed


def test_control_plane_is_never_faulted(x: XClient) -> None:
    _fault(x, kind="status", path="*", status=500, times=None)
    assert x.http.get("/_sandbox/health").status_code == 200
    assert x.http.get("/api.x.com/2/users/me").status_code == 500
