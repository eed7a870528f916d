"""What distinguishes the top posts, against posts seeded here with known features and
numbers: every statement the API makes is recomputed in the test from the seeded values (the
groups, the medians of each post's engagement over its account's median, the ratio), and
every difference the rules say is worth stating must be there."""

from __future__ import annotations

import math
import random
import re
import statistics
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from growth_manager.db import Database
from growth_manager.insights import works
from growth_manager.models.business import Strategy
from tests.insights.seeding import Seed, add_account, add_post
from tests.support.world import World

API = "/api/v1/businesses/{}/insights/what-works"
BERLIN = ZoneInfo("Europe/Berlin")
MIN_GROUP = 8
MIN_RATIO = 1.25


def seed_mixed(database: Database, world: World, now: datetime, count: int = 48) -> list[Seed]:
    """A big X account and a small LinkedIn one, each with posts whose engagement rises with
    an image (×2.2) and a question (×1.6) and falls with a link (×0.6), plus noise; hashtags,
    lengths, topics, days and hours vary."""
    rng = random.Random(11)
    seeds: list[Seed] = []
    with database.session() as session:
        strategy = session.get(Strategy, world.strategy.id)
        assert strategy is not None
        strategy.topics = ["sourdough", "coffee beans"]
        single = Strategy(business_id=world.bid, name="Pastry week", topics=["croissants"])
        session.add(single)
        session.flush()
        for platform, impressions, base in (("x", 8000.0, 0.02), ("linkedin", 300.0, 0.05)):
            account = add_account(session, world.bid, platform)
            for index in range(count):
                image = index % 3 == 0
                question = index % 4 == 1
                link = index % 5 == 2
                tags = ["#bread"] * (index % 2) + ["#bakery", "#local", "#fresh"][: index % 4]
                topic = ("fresh sourdough loaves", "our coffee beans", "the oven")[index % 3]
                text = f"Post {index} about {topic}" + (" " + "lovely crumb " * (index % 7) * 3)
                if question:
                    text += " What do you bake?"
                if link:
                    text += " https://bloom.example/menu"
                if tags:
                    text += " " + " ".join(tags)
                rate = base * (2.2 if image else 1) * (1.6 if question else 1)
                rate *= (0.6 if link else 1) * rng.uniform(0.85, 1.15)
                published = now - timedelta(days=1 + index * 1.3, hours=rng.randint(0, 23))
                strategy_id = None
                if index % 8 == 0:
                    strategy_id = single.id if index % 16 == 0 else strategy.id
                seeds.append(
                    add_post(
                        session,
                        account,
                        text,
                        "image" if image else ("video" if index % 9 == 4 else None),
                        published,
                        round(impressions * rate),
                        impressions,
                        strategy_id,
                    )
                )
    return seeds


# --- the rules restated ---------------------------------------------------------------------------
def multiples_of(seeds: list[Seed]) -> dict[int, float]:
    out: dict[int, float] = {}
    for account_id in {s.account_id for s in seeds}:
        mine = [s for s in seeds if s.account_id == account_id]
        usual = statistics.median(s.likes / s.impressions for s in mine)
        out.update({s.id: (s.likes / s.impressions) / usual for s in mine})
    return out


TAG = re.compile(r"#(\w+)")


def tags_of(seed: Seed) -> set[str]:
    return {t.lower() for t in TAG.findall(seed.text)}


def topics_of(seed: Seed, strategies: dict[int, list[str]]) -> set[str]:
    def about(topic: str) -> bool:
        words = set(re.findall(r"[\w']+", seed.text.lower()))
        needed = [w for w in topic.lower().split() if len(w) >= 3]
        return all(
            w in words
            or w + "s" in words
            or w + "es" in words
            or (w.endswith("s") and w[:-1] in words)
            for w in needed
        )

    if seed.strategy_id is not None:
        own = strategies[seed.strategy_id]
        return set(own) if len(own) == 1 else {t for t in own if about(t)}
    return {t for topics in strategies.values() for t in topics if about(t)}


def groups_for(
    feature: str, value: str, strategies: dict[int, list[str]]
) -> Callable[[Seed], bool | None]:
    """Group A (True), B (False) or neither (None) for a finding's feature and value."""
    local = lambda s: s.published_at.astimezone(BERLIN)  # noqa: E731
    bands = {"night": (0, 5), "morning": (6, 11), "afternoon": (12, 17), "evening": (18, 23)}
    lengths = {"short": (0, 80), "medium": (80, 200), "long": (200, 10**9)}
    counts = {"1-2": (1, 2), "3-5": (3, 5), "6+": (6, 10**6)}
    days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    tests: dict[str, Callable[[Seed], bool | None]] = {
        "media": lambda s: s.media_kind is not None,
        "media_kind": lambda s: (s.media_kind == value) if s.media_kind in (None, value) else None,
        "length": lambda s: lengths[value][0] <= len(s.text) < lengths[value][1],
        "hashtags": lambda s: bool(tags_of(s)),
        "hashtag_count": lambda s: counts[value][0] <= len(tags_of(s)) <= counts[value][1],
        "hashtag": lambda s: value in tags_of(s),
        "link": lambda s: "https://" in s.text,
        "question": lambda s: "?" in s.text,
        "weekday": lambda s: local(s).weekday() == days.index(value),
        "hour_band": lambda s: bands[value][0] <= local(s).hour <= bands[value][1],
        "topic": lambda s: value in topics_of(s, strategies),
    }
    return tests[feature]


def recompute(
    seeds: list[Seed], feature: str, value: str, strategies: dict[int, list[str]]
) -> tuple[int, int, float, float]:
    scores = multiples_of(seeds)
    test = groups_for(feature, value, strategies)
    a = [scores[s.id] for s in seeds if test(s) is True]
    b = [scores[s.id] for s in seeds if test(s) is False]
    return len(a), len(b), statistics.median(a) if a else 0.0, statistics.median(b) if b else 0.0


def every_split(seeds: list[Seed], strategies: dict[int, list[str]]) -> list[tuple[str, str]]:
    tags = sorted({t for s in seeds for t in tags_of(s)})
    kinds = sorted({s.media_kind for s in seeds if s.media_kind})
    out = [("media", "present"), ("hashtags", "present")]
    out += [("media_kind", k) for k in kinds if len(kinds) > 1]
    out += [("length", v) for v in ("short", "medium", "long")]
    out += [("hashtag_count", v) for v in ("1-2", "3-5", "6+")]
    out += [("hashtag", t) for t in tags if sum(t in tags_of(s) for s in seeds) >= MIN_GROUP]
    out += [("link", "present"), ("question", "present")]
    out += [
        ("weekday", d)
        for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    ]
    out += [("hour_band", b) for b in ("night", "morning", "afternoon", "evening")]
    out += [("topic", t) for topics in strategies.values() for t in topics]
    return out


def strategies_of(database: Database, business_id: int) -> dict[int, list[str]]:
    with database.session() as session:
        rows = session.query(Strategy).filter(Strategy.business_id == business_id).all()
        return {row.id: list(row.topics or []) for row in rows}


# --- the tests -----------------------------------------------------------------------------------
def test_every_statement_matches_numbers_recomputed_from_the_seeded_posts(
    client: TestClient, database: Database, world: World, now: datetime
) -> None:
    seeds = seed_mixed(database, world, now)
    strategies = strategies_of(database, world.bid)
    response = client.get(
        API.format(world.bid),
        params={"since": (now - timedelta(days=80)).date().isoformat()},
        headers=world.viewer.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    in_period = [
        s for s in seeds if s.published_at >= datetime.fromisoformat(body["period"]["since"])
    ]
    assert body["posts"] == body["rated_posts"] == len(in_period)
    findings = body["findings"]
    assert findings, body["summary"]
    for finding in findings:
        n_a, n_b, median_a, median_b = recompute(
            in_period, finding["feature"], finding["value"], strategies
        )
        assert (finding["n_a"], finding["n_b"]) == (n_a, n_b), finding
        assert finding["median_a"] == pytest.approx(median_a)
        assert finding["median_b"] == pytest.approx(median_b)
        assert finding["ratio"] == pytest.approx(median_a / median_b)
        assert n_a >= MIN_GROUP
        assert n_b >= MIN_GROUP
        assert not 1 / MIN_RATIO < finding["ratio"] < MIN_RATIO
        assert f"({n_a} vs {n_b} posts)" in finding["statement"]
        shown = f"{median_a / median_b:.1f}×" if median_a / median_b >= 0.95 else None
        if shown:
            assert shown in finding["statement"]
    strengths = [abs(math.log(f["ratio"])) for f in findings]
    assert strengths == sorted(strengths, reverse=True)

    # Nothing worth saying is left out.
    stated = {(f["feature"], f["value"]) for f in findings}
    for feature, value in every_split(in_period, strategies):
        n_a, n_b, median_a, median_b = recompute(in_period, feature, value, strategies)
        worth = (
            n_a >= MIN_GROUP
            and n_b >= MIN_GROUP
            and median_b > 0
            and median_a > 0
            and not 1 / MIN_RATIO < median_a / median_b < MIN_RATIO
        )
        assert ((feature, value) in stated) == worth, (feature, value, n_a, n_b)

    # The effects seeded are found, the right way round.
    by_key = {(f["feature"], f["value"]): f for f in findings}
    assert by_key[("media", "present")]["ratio"] > 1.6
    assert by_key[("media", "present")]["statement"].startswith("Posts with media got ")
    assert by_key[("media_kind", "image")]["statement"].startswith("Posts with an image got ")
    assert by_key[("question", "present")]["ratio"] > 1.25
    assert by_key[("link", "present")]["ratio"] < 0.8


def test_the_insights_page_shows_the_statements(
    signed_in: Any, client: TestClient, database: Database, world: World, now: datetime
) -> None:
    seed_mixed(database, world, now)
    page = signed_in(world.viewer.user).get(
        f"/businesses/{world.bid}/insights", params={"days": "90"}
    )
    assert page.status_code == 200
    api = client.get(API.format(world.bid), headers=world.viewer.headers).json()
    assert 'data-testid="insight-what-works"' in page.text
    shown = page.text.count('data-testid="works-finding"')
    assert shown == min(len(api["findings"]), works.SHOWN) > 0
    for finding in api["findings"][:shown]:
        assert finding["statement"] in page.text


def test_nothing_stands_out_when_engagement_does_not_depend_on_the_features(
    client: TestClient, database: Database, world: World, now: datetime
) -> None:
    with database.session() as session:
        account = add_account(session, world.bid, "x")
        for index in range(40):
            text = f"Plain post {index}" + (" #bread" if index % 2 else "") + " ?" * (index % 3)
            add_post(
                session,
                account,
                text,
                "image" if index % 2 == 0 else None,
                now - timedelta(days=1, hours=index * 7),
                100.0,
                5000.0,
            )
    body = client.get(API.format(world.bid), headers=world.owner.headers).json()
    assert body["findings"] == []
    assert body["summary"].startswith("Nothing stands out")
    assert "(40 posts compared)" in body["summary"]


def test_too_few_posts_is_said_and_unrated_ones_are_counted(
    client: TestClient, database: Database, world: World, now: datetime
) -> None:
    with database.session() as session:
        account = add_account(session, world.bid, "x")
        for index in range(6):
            add_post(session, account, f"p{index}", None, now - timedelta(days=index + 1), 5, 100)
        small = add_account(session, world.bid, "linkedin")
        for index in range(3):  # too few for the account's median
            add_post(session, small, f"q{index}", None, now - timedelta(days=index + 1), 5, 100)
    body = client.get(API.format(world.bid), headers=world.owner.headers).json()
    assert (body["posts"], body["rated_posts"]) == (9, 6)
    assert body["summary"].startswith("Not enough posts to tell what works: 6 rated posts")
    assert body["notes"][0].startswith("3 posts left out")


def test_access_and_bad_input(client: TestClient, world: World) -> None:
    url = API.format(world.bid)
    assert client.get(url, headers=world.outsider.headers).status_code == 404
    assert client.get(url).status_code == 401
    bad = client.get(url, params={"platforms": "myspace"}, headers=world.owner.headers)
    assert bad.status_code == 422
    assert "myspace" in bad.json()["detail"]
    bad = client.get(url, params={"since": "yesterday-ish"}, headers=world.owner.headers)
    assert bad.status_code == 422
    assert "since" in bad.json()["detail"]


def test_topics_follow_the_strategy_of_posts_published_through_the_product() -> None:
    base: dict[str, Any] = {
        "remote_post_id": 1,
        "account_id": 1,
        "platform": "x",
        "published_at": datetime(2026, 1, 1, tzinfo=BERLIN),
        "media_kind": None,
        "remote_url": None,
        "post_id": None,
        "imported": True,
        "interactions": None,
        "audience": None,
        "engagement_rate": None,
        "followers": None,
    }
    strategies = {1: ["croissants"], 2: ["sourdough", "coffee beans"]}
    post = works.PostFacts(text="New bake today", strategy_id=1, **base)
    assert works.topics_of(post, strategies) == {"croissants"}
    post = works.PostFacts(text="Our coffee bean of the week", strategy_id=2, **base)
    assert works.topics_of(post, strategies) == {"coffee beans"}
    post = works.PostFacts(text="Croissants and sourdough", strategy_id=None, **base)
    assert works.topics_of(post, strategies) == {"croissants", "sourdough"}
