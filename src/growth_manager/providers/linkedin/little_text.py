"""LinkedIn's "little" text format, which the Posts API reads ``commentary`` in.

Its reserved characters ``| { } @ [ ] ( ) < > # \\ * _ ~`` start templates (mentions,
hashtags) unless escaped with a backslash, and LinkedIn cuts a post short at the first one it
cannot parse: a plain "(see below)" loses the rest of the post. So every reserved character of
the user's text is escaped, and each ``#word`` becomes the hashtag template
``{hashtag|\\#|word}`` so it stays a hashtag. (learn.microsoft.com, Community Management →
Shares → Little Text Format.) Comments are not little text: their ``message.text`` is sent
as written.
"""

from __future__ import annotations

import re

RESERVED = "\\|{}@[]()<>#*_~"
# A hashtag starts a word ("C#" is not one) and runs over letters and digits.
_TOKEN = re.compile(r"(?<!\w)#([^\W_]+)|([" + re.escape(RESERVED) + r"])")


def _replace(match: re.Match[str]) -> str:
    hashtag = match.group(1)
    if hashtag is not None:
        return "{hashtag|\\#|" + hashtag + "}"
    return "\\" + match.group(2)


def commentary(text: str) -> str:
    """``text`` as LinkedIn must receive it to show it as written."""
    return _TOKEN.sub(_replace, text)
