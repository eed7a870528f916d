"""The commentary LinkedIn is sent: its little text format, so the post reads as written."""

from __future__ import annotations

import pytest

from growth_manager.providers.linkedin.little_text import commentary
from platform_sandbox.linkedin.feed import plain_text


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("Plain words, 100% sure.", "Plain words, 100% sure."),
        ("Open (8am) today", r"Open \(8am\) today"),
        ("New #sourdough loaf", r"New {hashtag|\#|sourdough} loaf"),
        ("C# is not a hashtag", r"C\# is not a hashtag"),
        ("a\\b *c* _d_ ~e~", r"a\\b \*c\* \_d\_ \~e\~"),
        ("@maya [x] <y> {z} |", r"\@maya \[x\] \<y\> \{z\} \|"),
        ("#1 #café", r"{hashtag|\#|1} {hashtag|\#|café}"),
    ],
)
def test_reserved_characters_are_escaped_and_hashtags_kept(text: str, sent: str) -> None:
    assert commentary(text) == sent
    assert plain_text(sent) == text
