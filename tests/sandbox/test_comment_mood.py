"""The audience's comments tilt with how well a post landed: the mood comes from the same
timing and content multipliers as the post's reach, and sets the shares of kind and unkind
comments (measured over many comments, not read off the formula)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from platform_sandbox import audience

SEED = 4242


def _share(labels: list[str], label: str) -> float:
    return sum(1 for x in labels if x == label) / len(labels)


def test_a_post_at_the_best_window_with_media_gets_kinder_comments_than_one_at_night() -> None:
    profile = audience.profile_for(SEED, "x:user:mood")
    monday = datetime(2026, 11, 2, tzinfo=UTC)
    best = monday + timedelta(days=profile.best_weekday, hours=profile.best_hour)
    worst = best + timedelta(days=3, hours=12)  # the far side of the week and the clock
    good = audience.PostFeatures(text_length=140, posted_at=best, media_count=1)
    poor = audience.PostFeatures(text_length=20, posted_at=worst)
    kind, unkind = [], []
    for n in range(200):
        key = f"x:user:mood:p{n}"
        kind += [
            s
            for _, s in audience.comments(
                SEED, key, 20, audience.comment_mood(SEED, profile, key, good)
            )
        ]
        unkind += [
            s
            for _, s in audience.comments(
                SEED, key, 20, audience.comment_mood(SEED, profile, key, poor)
            )
        ]
    assert _share(kind, "positive") > _share(unkind, "positive") + 0.2
    assert _share(kind, "negative") < _share(unkind, "negative")


def test_comments_are_deterministic_and_the_first_ones_stay_as_more_arrive() -> None:
    first = audience.comments(SEED, "k", 5, 0.4)
    assert audience.comments(SEED, "k", 5, 0.4) == first
    assert audience.comments(SEED, "k", 12, 0.4)[:5] == first
