"""The Competitors page and the Insights section: what each platform allows (and why not),
the add form (editors only) that reads the competitor at once, the comparison table, the
chart's data block, removing; and "How you compare" on the Insights page linking here."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.models.user import User
from tests.competitors.conftest import Rivals, Team
from tests.support.factories import csrf_of, login_client
from tests.support.owners import Owner
from tests.support.tokenhealth import connect_x


def _browser(gm: TestClient, database: Database, user_id: int) -> TestClient:
    client = TestClient(gm.app, base_url="http://testserver")
    with database.read_session() as session:
        user = session.scalars(select(User).where(User.id == user_id)).one()
        session.expunge(user)
    login_client(client, user)
    return client


def test_the_page_adds_compares_and_removes(
    gm: TestClient, owner: Owner, database: Database, rivals: Rivals
) -> None:
    connect_x(gm, owner, database)
    rivals.make("x", "rivalroasters", posts=30, days=60)
    browser = _browser(gm, database, owner.user_id)
    page_url = f"/businesses/{owner.business_id}/competitors"
    page = browser.get(page_url)
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="add-competitor"' in html
    assert "Page Public Content Access" in html
    assert "no read of other organizations" in html
    assert 'data-testid="comparison-table"' in html  # the business's own account is there
    added = browser.post(
        page_url,
        data={"platform": "x", "handle": "@rivalroasters", "csrf_token": csrf_of(browser)},
        follow_redirects=False,
    )
    assert added.status_code == 303
    html = browser.get(page_url).text
    assert "Added @rivalroasters: read." in html
    row = re.search(r'data-testid="row-competitor-(\d+)".*?</tr>', html, re.S)
    assert row is not None
    assert "Rivalroasters" in row.group(0)
    chart = re.search(
        r'<script type="application/json" id="competitors-data">(.*?)</script>', html, re.S
    )
    assert chart is not None
    series = json.loads(chart.group(1))["series"]
    theirs = next(s for s in series if s["kind"] == "competitor")
    assert len(theirs["points"]) == 1
    assert theirs["points"][0][1] > 0
    bad = browser.post(
        page_url,
        data={"platform": "x", "handle": "not valid!", "csrf_token": csrf_of(browser)},
    )
    assert "is not an X username" in bad.text
    competitor_id = row.group(1)
    removed = browser.post(
        f"{page_url}/{competitor_id}/delete",
        data={"csrf_token": csrf_of(browser)},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert f'data-testid="competitor-{competitor_id}"' not in browser.get(page_url).text


def test_viewers_see_no_form_and_cannot_post(
    gm: TestClient, owner: Owner, database: Database, team: Team
) -> None:
    browser = _browser(gm, database, team.viewer.user.id)
    page_url = f"/businesses/{owner.business_id}/competitors"
    html = browser.get(page_url).text
    assert 'data-testid="competitor-platforms"' in html
    assert 'data-testid="add-competitor"' not in html
    refused = browser.post(
        page_url, data={"platform": "x", "handle": "a", "csrf_token": csrf_of(browser)}
    )
    assert refused.status_code == 403


def test_insights_page_says_how_you_compare_and_links_here(
    gm: TestClient, owner: Owner, database: Database, rivals: Rivals
) -> None:
    connect_x(gm, owner, database)
    browser = _browser(gm, database, owner.user_id)
    insights = f"/businesses/{owner.business_id}/insights"
    html = browser.get(insights).text
    assert 'data-testid="insight-compare"' in html
    assert 'data-testid="compare-empty"' in html
    rivals.make("x", "rivalroasters", posts=30, days=60)
    browser.post(
        f"/businesses/{owner.business_id}/competitors",
        data={"platform": "x", "handle": "rivalroasters", "csrf_token": csrf_of(browser)},
    )
    html = browser.get(insights).text
    assert 'data-testid="compare-x"' in html
    assert f'href="/businesses/{owner.business_id}/competitors"' in html
    assert "you against the median of 1 competitor" in html
    assert f'href="/businesses/{owner.business_id}/competitors" class="nav-link' in html
