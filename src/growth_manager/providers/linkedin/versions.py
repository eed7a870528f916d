"""LinkedIn's monthly API versions (``LinkedIn-Version: YYYYMM``), each supported for at least
a year (platform-apis.md §B.2)."""

from __future__ import annotations

from datetime import date


def sunset_warning(version: str, today: date) -> str | None:
    try:
        pinned = date(int(version[:4]), int(version[4:6]), 1)
    except ValueError:
        return f"GROWTH_LINKEDIN_VERSION={version!r} is not YYYYMM."
    age_days = (today - pinned).days
    if age_days < 300:
        return None
    return (
        f"LinkedIn-Version {version} is {age_days // 30} months old; "
        "LinkedIn sunsets versions after about a year: set GROWTH_LINKEDIN_VERSION."
    )
