"""Graph API versions and when they stop working (platform-apis.md §C.1)."""

from __future__ import annotations

from datetime import date

GRAPH_EXPIRY = {
    "v18.0": date(2026, 1, 26),
    "v19.0": date(2026, 5, 21),
    "v20.0": date(2026, 9, 24),
    "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20),
    "v23.0": date(2027, 10, 8),
}


def sunset_warning(version: str, today: date) -> str | None:
    expiry = GRAPH_EXPIRY.get(version)
    if expiry is None or (expiry - today).days > 60:
        return None
    return (
        f"Meta Graph API {version} stops working on {expiry.isoformat()}; "
        "set GROWTH_GRAPH_API_VERSION to a newer version."
    )
