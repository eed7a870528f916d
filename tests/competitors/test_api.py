"""The competitors API: validation (422 naming what to fix), duplicates (409), roles (editors
add and remove, viewers read, outsiders get 404), and the platforms that can't be read saying
why."""

from __future__ import annotations

from fastapi.testclient import TestClient

from growth_manager.db import Database
from tests.competitors.conftest import Rivals, Team, add
from tests.support.owners import Owner
from tests.support.tokenhealth import connect_x


def _url(owner: Owner, rest: str = "") -> str:
    return f"/api/v1/businesses/{owner.business_id}/competitors{rest}"


def test_handles_and_platforms_are_validated(
    gm: TestClient, owner: Owner, database: Database, rivals: Rivals
) -> None:
    connect_x(gm, owner, database)
    for handle, words in (
        ("has space", "is not an X username"),
        ("@", "handle: give an X username"),
        ("a" * 16, "is not an X username"),
    ):
        answer = add(gm, owner, "x", handle)
        assert answer.status_code == 422, answer.text
        assert words in answer.json()["detail"]
    unknown = add(gm, owner, "myspace", "tom")
    assert unknown.status_code == 422
    assert "unknown platform 'myspace'" in unknown.json()["detail"]
    linkedin = add(gm, owner, "linkedin", "acme")
    assert linkedin.status_code == 422
    assert "no read of other organizations" in linkedin.json()["detail"]
    facebook = add(gm, owner, "facebook", "acme")
    assert facebook.status_code == 422
    assert "Page Public Content Access" in facebook.json()["detail"]
    missing = gm.post(_url(owner), json={"platform": "x"}, headers=owner.headers)
    assert missing.status_code == 422


def test_a_connected_account_is_needed_to_read_through(
    gm: TestClient, owner: Owner, rivals: Rivals
) -> None:
    answer = add(gm, owner, "instagram", "bloomandco")
    assert answer.status_code == 422
    assert "connect your Instagram business account first" in answer.json()["detail"]


def test_duplicates_are_refused_whatever_the_case(
    gm: TestClient, owner: Owner, database: Database, rivals: Rivals
) -> None:
    connect_x(gm, owner, database)
    rivals.make("x", "rivalroasters", posts=3)
    assert add(gm, owner, "x", "rivalroasters").status_code == 201
    again = add(gm, owner, "x", "@RIVALROASTERS")
    assert again.status_code == 409
    assert "already listed" in again.json()["detail"]


def test_roles_and_scoping(
    gm: TestClient, owner: Owner, database: Database, rivals: Rivals, team: Team
) -> None:
    connect_x(gm, owner, database)
    rivals.make("x", "rivalroasters", posts=3)
    competitor = add(gm, owner, "x", "rivalroasters").json()
    listed = gm.get(_url(owner), headers=team.viewer.headers)
    assert listed.status_code == 200
    body = listed.json()
    assert [c["handle"] for c in body["competitors"]] == ["rivalroasters"]
    support = {p["platform"]: p for p in body["platforms"]}
    assert support["x"]["supported"] is True
    assert support["instagram"]["supported"] is True
    assert support["linkedin"]["supported"] is False
    assert support["facebook"]["supported"] is False
    assert "Page Public Content Access" in support["facebook"]["reason"]
    viewer_add = gm.post(
        _url(owner), json={"platform": "x", "handle": "other"}, headers=team.viewer.headers
    )
    assert viewer_add.status_code == 403
    viewer_delete = gm.delete(_url(owner, f"/{competitor['id']}"), headers=team.viewer.headers)
    assert viewer_delete.status_code == 403
    compare = f"/api/v1/businesses/{owner.business_id}/insights/competitors"
    assert gm.get(compare, headers=team.viewer.headers).status_code == 200
    for path in (_url(owner), compare):
        assert gm.get(path, headers=team.outsider.headers).status_code == 404
    outsider_delete = gm.delete(_url(owner, f"/{competitor['id']}"), headers=team.outsider.headers)
    assert outsider_delete.status_code == 404
    assert gm.delete(_url(owner, "/999999"), headers=owner.headers).status_code == 404
    assert gm.delete(_url(owner, f"/{competitor['id']}"), headers=owner.headers).status_code == 204
    assert gm.get(_url(owner), headers=owner.headers).json()["competitors"] == []
