"""VADER on a labelled set of comments written for this test.

The clear cases (plain praise, plain complaints, plain questions, unambiguous emoji) must get
the expected label. The cases VADER is known to get wrong are listed apart with what it says,
so a change of lexicon that alters them shows up, but nothing here pretends they are right:

- sarcasm: VADER reads the words, so "Oh great, another price increase" scores positive;
- other languages: the lexicon is English, so French, German, Spanish and Portuguese comments
  score 0 (neutral) whatever they say;
- some emoji: VADER describes an emoji in words and scores those, so 😡 ("pouting face") is
  neutral and 🔥 ("fire") pulls a cheer negative.
"""

from __future__ import annotations

import pytest

from growth_manager.insights.sentiment import label_of, score, scored_with

CLEAR = [
    ("Absolutely love this, thank you so much!", "positive"),
    ("Great service and friendly staff.", "positive"),
    ("Best bakery in town :)", "positive"),
    ("Not bad at all!", "positive"),
    ("love it", "positive"),
    ("😍😍😍", "positive"),
    ("What time do you open on Sunday?", "neutral"),
    ("The shop is on Main Street.", "neutral"),
    ("Posted on Tuesday.", "neutral"),
    ("Terrible service, I want a refund.", "negative"),
    ("The bread was stale and the staff were rude.", "negative"),
    ("Worst experience ever. Never again.", "negative"),
    ("This is not good.", "negative"),
    ("I HATE THIS!!!", "negative"),
    ("😢 so sad to see this", "negative"),
]

# What a reader means, and what VADER says (its known blind spots).
MISREAD = [
    ("Oh great, another price increase. Just what I needed.", "negative", "positive"),
    ("Wow, only waited two hours. Amazing service.", "negative", "positive"),
    ("C'est vraiment génial, merci !", "positive", "neutral"),
    ("Me encanta, ¡gracias!", "positive", "neutral"),
    ("Das ist schrecklich.", "negative", "neutral"),
    ("Não gostei nada.", "negative", "neutral"),
    ("😡", "negative", "neutral"),
    ("👏🔥", "positive", "negative"),
]


@pytest.mark.parametrize(("text", "expected"), CLEAR)
def test_clear_comments_get_the_expected_label(text: str, expected: str) -> None:
    compound, label = score(text)
    assert label == expected, (text, compound)
    sign = {"positive": 1, "neutral": 0, "negative": -1}[expected]
    if sign:
        assert compound * sign >= 0.05
    else:
        assert abs(compound) < 0.05


@pytest.mark.parametrize(("text", "meant", "vader_says"), MISREAD)
def test_known_misreadings_are_what_vader_says_not_what_people_mean(
    text: str, meant: str, vader_says: str
) -> None:
    _, label = score(text)
    assert label == vader_says
    assert label != meant


def test_the_standard_thresholds_and_the_version_stored_with_each_score() -> None:
    assert label_of(0.05) == "positive"
    assert label_of(0.0499) == "neutral"
    assert label_of(-0.0499) == "neutral"
    assert label_of(-0.05) == "negative"
    assert scored_with().startswith("vader 3.")
    assert score("") == (0.0, "neutral")
