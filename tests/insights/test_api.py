"""The insights API's scoping and filters: viewers read, outsiders get 404, an account or
post of another business is a 404, a filter that can't be read a 422 naming it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from growth_manager.models.user import User
from tests.support.analytics_rows import Seeded
from tests.support.world import World

pytestmark = pytest.mark.usefixtures("app")

ROUTES = ("best-times", "performance", "growth")


def test_viewers_read_and_outsiders_get_404(
    world: World, seeded: Seeded, signed_in: Callable[[User], TestClient]
) -> None:
    viewer, outsider = signed_in(world.viewer.user), signed_in(world.outsider.user)
    base = f"/api/v1/businesses/{world.bid}/insights"
    post = seeded.posts[0].id
    for path in (*ROUTES, f"posts/{post}/performance"):
        assert viewer.get(f"{base}/{path}").status_code == 200, path
        assert outsider.get(f"{base}/{path}").status_code == 404, path
    # The outsider's own business does not reach this business's posts or accounts.
    other = f"/api/v1/businesses/{world.other_business.id}/insights"
    assert outsider.get(f"{other}/posts/{post}/performance").status_code == 404
    account = seeded.accounts[0].id
    for route in ROUTES:
        answer = outsider.get(f"{other}/{route}", params={"account_id": account})
        assert answer.status_code == 404, answer.text


def test_best_times_per_account_and_thin_accounts_say_not_enough_data(
    world: World, seeded: Seeded, signed_in: Callable[[User], TestClient]
) -> None:
    viewer = signed_in(world.viewer.user)
    x = seeded.account("x")
    answer = viewer.get(
        f"/api/v1/businesses/{world.bid}/insights/best-times", params={"account_id": x.id}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [a["account_id"] for a in body["accounts"]] == [x.id]
    report = body["accounts"][0]
    assert report["enough_data"] is False
    assert report["note"].startswith("not enough data")
    assert report["sample_size"] == sum(1 for p in seeded.posts if p.account_id == x.id)
    assert {r["source"] for r in report["recommendations"]} == {"typical"}
    only_linkedin = viewer.get(
        f"/api/v1/businesses/{world.bid}/insights/best-times", params={"platforms": "linkedin"}
    ).json()
    assert [a["platform"] for a in only_linkedin["accounts"]] == ["linkedin"]


@pytest.mark.parametrize(
    ("route", "params", "named"),
    [
        ("best-times", {"platforms": "myspace"}, "myspace"),
        ("performance", {"since": "yesterday-ish"}, "yesterday-ish"),
        ("performance", {"limit": "0"}, "limit"),
        ("growth", {"until": "2026-13-40"}, "2026-13-40"),
        ("growth", {"account_id": "abc"}, "account_id"),
    ],
)
def test_bad_filters_are_422_naming_what_to_fix(
    world: World,
    signed_in: Callable[[User], TestClient],
    route: str,
    params: dict[str, str],
    named: str,
) -> None:
    answer = signed_in(world.viewer.user).get(
        f"/api/v1/businesses/{world.bid}/insights/{route}", params=params
    )
    assert answer.status_code == 422, answer.text
    assert named in answer.text
