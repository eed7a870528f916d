"""How text is counted where a platform documents its limit in characters."""

from __future__ import annotations

import unicodedata


def count_code_points(text: str) -> int:
    """Unicode code points of the NFC-normalised text: what a person sees as characters for
    all but a few combined emoji (where it over-counts, the safe direction)."""
    return len(unicodedata.normalize("NFC", text))
