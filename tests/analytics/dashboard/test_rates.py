"""The engagement rate and click-through rate: the documented formulas on hand-worked numbers,
and "not available" (None, never 0) when an input is missing."""

from __future__ import annotations

import pytest

from growth_manager.analytics import rates


def test_engagement_rate_adds_every_interaction_over_impressions() -> None:
    values = {
        "likes": 10,
        "comments": 4,
        "shares": 3,
        "reposts": 2,
        "quotes": 1,
        "saves": 5,
        "bookmarks": 5,
        "impressions": 1000,
        "reach": 400,
    }
    # 10 + 4 + 3 + 2 + 1 + 5 + 5 = 30 interactions over 1000 impressions (not the reach).
    assert rates.interactions(values) == 30
    assert rates.engagement_rate(values) == pytest.approx(0.030)


def test_reactions_replace_likes_instead_of_adding_to_them() -> None:
    # Facebook's reactions already count the likes among them.
    values = {"reactions": 50, "likes": 40, "comments": 10, "impressions": 2000}
    assert rates.interactions(values) == 60
    assert rates.engagement_rate(values) == pytest.approx(60 / 2000)


def test_reach_stands_in_when_impressions_are_missing_or_zero() -> None:
    assert rates.engagement_rate({"likes": 9, "reach": 300}) == pytest.approx(0.03)
    assert rates.engagement_rate({"likes": 9, "impressions": 0, "reach": 300}) == pytest.approx(
        0.03
    )


@pytest.mark.parametrize(
    "values",
    [
        {"impressions": 1000},  # nothing to count
        {"likes": 5},  # no audience
        {"likes": 5, "impressions": 0, "reach": 0},
        {},
        {"likes": "12", "impressions": 100},  # not a number
    ],
)
def test_engagement_rate_is_not_available_without_its_inputs(values: dict[str, object]) -> None:
    assert rates.engagement_rate(values) is None


def test_zero_interactions_that_were_reported_are_a_rate_of_zero() -> None:
    assert rates.engagement_rate({"likes": 0, "comments": 0, "impressions": 500}) == 0.0


def test_click_through_rate_is_clicks_over_impressions() -> None:
    assert rates.click_through_rate({"clicks": 25, "impressions": 1000, "reach": 10}) == (
        pytest.approx(0.025)
    )


@pytest.mark.parametrize(
    "values",
    [
        {"impressions": 1000},
        {"clicks": 4},
        {"clicks": 4, "impressions": 0},
        {"clicks": 4, "reach": 9},
    ],
)
def test_click_through_rate_is_not_available_without_its_inputs(values: dict[str, int]) -> None:
    assert rates.click_through_rate(values) is None


def test_aggregates_and_changes_say_not_available_instead_of_zero() -> None:
    assert rates.ratio(0, 0) is None
    assert rates.ratio(3, 4) == 0.75
    assert rates.change(120, 100) == pytest.approx(0.2)
    assert rates.change(5, 0) is None
    assert rates.change(None, 3) is None
