"""How X counts a post's length: twitter-text's weighted length."""

from __future__ import annotations

import re
import warnings
from functools import lru_cache

with warnings.catch_warnings():
    # twitter-text imports pkg_resources at import time, which warns on current setuptools.
    warnings.simplefilter("ignore")
    import twitter_text
    from twitter_text.extract_urls import extract_urls_with_indices

X_URL_WEIGHT = 23
_LINE_ENDINGS = re.compile(r"\r\n|\r|\n")  # twitter-text's convert_line_ending


@lru_cache(maxsize=8192)
def count_x_weighted(text: str) -> int:
    """X's weighted length (twitter-text v3: links 23, CJK and emoji 2, most else 1).

    Cached, and plain-ASCII text takes a short path: ``parse_tweet`` runs a regex of every emoji
    over the whole text (about 1 ms for a short post), and every draft listed is measured again,
    which made emoji matching most of a draft list's CPU. ASCII text holds no emoji, and every
    ASCII character weighs 1, so its length is its characters with each link counted as 23
    (after twitter-text's line-ending folding). tests/content/test_rules.py checks the short
    path against ``parse_tweet`` on generated text.
    """
    if not text:
        return 0
    if text.isascii():
        folded = _LINE_ENDINGS.sub("\n", text)
        urls = extract_urls_with_indices(folded)
        return len(folded) - sum(len(url["url"]) for url in urls) + X_URL_WEIGHT * len(urls)
    return int(twitter_text.parse_tweet(text).weightedLength)
