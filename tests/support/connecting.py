"""Walking the product's connect flow over HTTP: start at the authorize route, come back to the
callback, and use the account picker's API (the consent pages themselves are
``tests.support.consent``)."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

import httpx2
from fastapi.testclient import TestClient

from tests.support.consent import consent
from tests.support.owners import Owner


def authorize(gm: TestClient, who: Owner, platform: str, business_id: int) -> httpx2.Response:
    """``who`` asks to connect ``platform`` to the business ``business_id``."""
    return gm.get(
        f"/api/v1/oauth/{platform}/authorize",
        params={"business_id": business_id},
        headers=who.headers,
        follow_redirects=False,
    )


def start(gm: TestClient, owner: Owner, platform: str = "x") -> str:
    """Start connecting ``platform`` and return the platform's authorize URL."""
    response = authorize(gm, owner, platform, owner.business_id)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def finish(gm: TestClient, owner: Owner, location: str) -> httpx2.Response:
    """Follow the platform's redirect back to the product's callback."""
    parts = urlsplit(location)
    return gm.get(f"{parts.path}?{parts.query}", headers=owner.headers, follow_redirects=False)


def park(
    gm: TestClient,
    owner: Owner,
    authorize_url: str,
    choose: dict[str, str | list[str]] | None = None,
) -> str:
    """Consent at ``authorize_url`` (with the ``choose``n selections), come back, and return
    the pending token of the login parked for the picker."""
    response = finish(gm, owner, consent(authorize_url, choose=choose))
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert f"/businesses/{owner.business_id}/connections/choose/" in location, location
    return location.rsplit("/", 1)[1].split("#")[0]


def pending(gm: TestClient, owner: Owner, token: str) -> dict[str, Any]:
    """What the picker offers for a parked login."""
    response = gm.get(
        f"/api/v1/businesses/{owner.business_id}/connections/pending/{token}",
        headers=owner.headers,
    )
    assert response.status_code == 200, response.text
    listing: dict[str, Any] = response.json()
    return listing


def choose(gm: TestClient, owner: Owner, token: str, keys: list[str]) -> list[dict[str, Any]]:
    """Connect the identities ``keys`` of a parked login; returns the connected accounts."""
    response = gm.post(
        f"/api/v1/businesses/{owner.business_id}/connections/pending/{token}",
        json={"identities": keys},
        headers=owner.headers,
    )
    assert response.status_code == 201, response.text
    accounts: list[dict[str, Any]] = response.json()
    return accounts


def landing_text(
    gm: TestClient, owner: Owner, response: httpx2.Response, statuses: tuple[int, ...] = (200,)
) -> str:
    """The text of the page a redirect leads to (whitespace collapsed, entities unescaped)."""
    assert response.status_code == 303, response.text
    page = gm.get(response.headers["location"], headers=owner.headers)
    assert page.status_code in statuses, page.text
    return " ".join(html.unescape(page.text).split())
