"""Dashboard pages for businesses, members and strategies: they render what the database holds,
forms persist and redirect, refused forms re-render with field errors and the values entered,
and viewers see read-only pages."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.models.business import Business, BusinessMember, Role, Strategy
from growth_manager.models.content import Post
from tests.business.helpers import STRATEGY_FORM, post, strategy_of
from tests.support.factories import login, make_strategy, make_user
from tests.support.rows import business_rows, row_counts
from tests.support.team import Team


# Businesses -------------------------------------------------------------------------------------
def test_pages_need_a_login(client: TestClient, team: Team) -> None:
    response = client.get(f"/businesses/{team.business_id}/strategies", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/businesses/{team.business_id}/strategies"


def test_list_shows_my_businesses_and_the_create_form(
    client: TestClient, team: Team, database: Database
) -> None:
    login(client, database, team.viewer.email)
    page = client.get("/businesses")
    assert page.status_code == 200
    assert f'href="/businesses/{team.business_id}">Bakery Blum</a>' in page.text
    assert '<span class="badge">viewer</span>' in page.text
    assert "Stranger Things Ltd" not in page.text
    assert 'action="/businesses"' in page.text
    assert 'name="csrf_token"' in page.text


def test_create_business_form_persists_and_redirects(
    client: TestClient, database: Database
) -> None:
    with database.session() as session:
        user = make_user(session, "founder@example.com")
    csrf = login(client, database, user.email)
    response = post(
        client,
        "/businesses",
        csrf,
        {
            "name": "Tiny Tea",
            "timezone": "Asia/Tokyo",
            "website": "tinytea.example",
            "industry": "Tea",
            "description": "Loose-leaf tea.",
        },
    )
    assert response.status_code == 303
    with database.session() as session:
        business = session.scalar(select(Business).where(Business.name == "Tiny Tea"))
        assert business is not None
        assert (business.timezone, business.website) == ("Asia/Tokyo", "https://tinytea.example/")
        role = session.scalar(
            select(BusinessMember.role).where(BusinessMember.business_id == business.id)
        )
        assert role == Role.owner
    assert response.headers["location"] == f"/businesses/{business.id}"
    overview = client.get(response.headers["location"])
    assert "Tiny Tea is ready" in overview.text


def test_create_form_errors_keep_the_values_and_save_nothing(
    client: TestClient, team: Team, database: Database
) -> None:
    csrf = login(client, database, team.owner.email)
    before = row_counts(database)
    response = post(
        client,
        "/businesses",
        csrf,
        {"name": "Keep Me", "timezone": "Berlin", "website": "", "industry": "Shoes"},
    )
    assert response.status_code == 422
    assert '"Berlin" is not an IANA time zone' in response.text.replace("&#34;", '"')
    assert 'value="Keep Me"' in response.text
    assert 'value="Berlin"' in response.text
    assert 'value="Shoes"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert row_counts(database) == before


def test_a_form_without_the_csrf_token_is_refused(
    client: TestClient, team: Team, database: Database
) -> None:
    login(client, database, team.owner.email)
    before = row_counts(database)
    response = client.post("/businesses", data={"name": "Sneaky"}, follow_redirects=False)
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert row_counts(database) == before


def test_overview_shows_details_and_counts(
    client: TestClient, team: Team, database: Database
) -> None:
    with database.session() as session:
        business = session.get(Business, team.business_id)
        assert business is not None
        business.website = "https://blum.example/"
        make_strategy(session, business)
        make_strategy(session, business, name="Paused", is_active=False)
        session.add(Post(business_id=business.id, title="Draft one"))
    login(client, database, team.viewer.email)
    page = client.get(f"/businesses/{team.business_id}")
    assert page.status_code == 200
    assert "<h1>Bakery Blum</h1>" in page.text
    assert 'id="count-strategies">2<' in page.text
    assert "Strategies (1 active)" in page.text
    assert 'id="count-drafts">1<' in page.text
    assert 'id="count-members">3<' in page.text
    assert f'href="/businesses/{team.business_id}/drafts"' in page.text
    assert "https://blum.example/" in page.text
    # Viewers get no edit links.
    assert "Edit details" not in page.text
    assert "New strategy" not in page.text


def test_settings_owner_edits_and_others_read(
    client: TestClient, team: Team, database: Database
) -> None:
    url = f"/businesses/{team.business_id}/settings"
    login(client, database, team.editor.email)
    read_only = client.get(url)
    assert read_only.status_code == 200
    assert "Only owners can change these settings; you are editor." in read_only.text
    assert "<form" not in read_only.text.split('class="container"')[1].split("</main>")[0]
    csrf = login(client, database, team.editor.email)
    before = business_rows(database)
    refused = post(client, url, csrf, {"name": "Hijacked", "timezone": "UTC"})
    assert refused.status_code == 403
    assert "needs the owner role" in refused.text
    assert business_rows(database) == before

    csrf = login(client, database, team.owner.email)
    form = client.get(url)
    assert 'value="Bakery Blum"' in form.text
    saved = post(
        client,
        url,
        csrf,
        {
            "name": "Bakery Blum & Sons",
            "timezone": "Europe/Vienna",
            "website": "",
            "industry": "",
            "description": "Since 1921.",
        },
    )
    assert saved.status_code == 303
    with database.session() as session:
        business = session.get(Business, team.business_id)
        assert business is not None
        assert (business.name, business.timezone, business.website, business.industry) == (
            "Bakery Blum & Sons",
            "Europe/Vienna",
            None,
            None,
        )
    assert "Business details saved." in client.get(saved.headers["location"]).text


def test_settings_errors_re_render(client: TestClient, team: Team, database: Database) -> None:
    csrf = login(client, database, team.owner.email)
    before = business_rows(database)
    response = post(
        client,
        f"/businesses/{team.business_id}/settings",
        csrf,
        {"name": "", "timezone": "UTC", "website": "not a url at all"},
    )
    assert response.status_code == 422
    assert "cannot be blank" in response.text
    assert 'value="not a url at all"' in response.text
    assert business_rows(database) == before


def test_delete_needs_the_name_typed(client: TestClient, team: Team, database: Database) -> None:
    url = f"/businesses/{team.business_id}/delete"
    csrf = login(client, database, team.owner.email)
    wrong = post(client, url, csrf, {"confirm_name": "bakery"})
    assert wrong.status_code == 422
    assert "type the business" in wrong.text
    with database.session() as session:
        assert session.get(Business, team.business_id) is not None
    done = post(client, url, csrf, {"confirm_name": "Bakery Blum"})
    assert done.status_code == 303
    assert done.headers["location"] == "/businesses"
    with database.session() as session:
        assert session.get(Business, team.business_id) is None
    assert "Bakery Blum and everything in it was deleted." in client.get("/businesses").text


def test_editor_cannot_delete(client: TestClient, team: Team, database: Database) -> None:
    csrf = login(client, database, team.editor.email)
    response = post(
        client, f"/businesses/{team.business_id}/delete", csrf, {"confirm_name": "Bakery Blum"}
    )
    assert response.status_code == 403
    with database.session() as session:
        assert session.get(Business, team.business_id) is not None


def test_another_tenants_page_is_a_404_page(
    client: TestClient, team: Team, database: Database
) -> None:
    login(client, database, team.stranger.email)
    page = client.get(f"/businesses/{team.business_id}")
    assert page.status_code == 404
    assert f"Business {team.business_id} was not found." in page.text
    assert "Bakery Blum" not in page.text
    # Exactly what a business that does not exist gets.
    missing = client.get("/businesses/987654/settings")
    assert missing.status_code == 404
    assert "Business 987654 was not found." in missing.text


# Members ----------------------------------------------------------------------------------------
def test_members_page_for_owner_and_viewer(
    client: TestClient, team: Team, database: Database
) -> None:
    url = f"/businesses/{team.business_id}/members"
    login(client, database, team.owner.email)
    page = client.get(url)
    assert page.status_code == 200
    for email in ("owner@example.com", "editor@example.com", "viewer@example.com"):
        assert email in page.text
    assert "Add member" in page.text
    assert "Change role" in page.text
    login(client, database, team.viewer.email)
    page = client.get(url)
    assert page.status_code == 200
    assert "editor@example.com" in page.text
    assert "Add member" not in page.text
    assert "Change role" not in page.text
    assert ">Remove<" not in page.text
    assert ">Leave<" in page.text


def test_member_forms(client: TestClient, team: Team, database: Database) -> None:
    with database.session() as session:
        newcomer = make_user(session, "newcomer@example.com")
    base = f"/businesses/{team.business_id}/members"
    csrf = login(client, database, team.owner.email)

    added = post(client, base, csrf, {"email": "newcomer@example.com", "role": "editor"})
    assert added.status_code == 303
    assert "newcomer@example.com was added as editor." in client.get(base).text

    unknown = post(client, base, csrf, {"email": "ghost@example.com", "role": "viewer"})
    assert unknown.status_code == 404
    assert "Ask them to sign up first" in unknown.text
    assert 'value="ghost@example.com"' in unknown.text

    changed = post(client, f"{base}/{newcomer.id}/role", csrf, {"role": "viewer"})
    assert changed.status_code == 303
    removed = post(client, f"{base}/{newcomer.id}/remove", csrf, {})
    assert removed.status_code == 303
    with database.session() as session:
        assert (
            session.scalar(
                select(BusinessMember).where(
                    BusinessMember.business_id == team.business_id,
                    BusinessMember.user_id == newcomer.id,
                )
            )
            is None
        )


def test_last_owner_demotion_is_explained_and_changes_nothing(
    client: TestClient, team: Team, database: Database
) -> None:
    csrf = login(client, database, team.owner.email)
    before = business_rows(database)
    response = post(
        client,
        f"/businesses/{team.business_id}/members/{team.owner.id}/role",
        csrf,
        {"role": "viewer"},
    )
    assert response.status_code == 409
    assert "A business needs at least one owner." in response.text
    # The page shows the members as they are: still the owner.
    assert 'value="owner" selected' in response.text
    assert business_rows(database) == before


def test_viewer_cannot_change_roles_but_can_leave(
    client: TestClient, team: Team, database: Database
) -> None:
    base = f"/businesses/{team.business_id}/members"
    csrf = login(client, database, team.viewer.email)
    before = business_rows(database)
    promote = post(client, f"{base}/{team.viewer.id}/role", csrf, {"role": "owner"})
    assert promote.status_code == 403
    kick = post(client, f"{base}/{team.editor.id}/remove", csrf, {})
    assert kick.status_code == 403
    assert business_rows(database) == before
    leave = post(client, f"{base}/{team.viewer.id}/remove", csrf, {})
    assert leave.status_code == 303
    assert leave.headers["location"] == "/businesses"
    assert client.get(f"/businesses/{team.business_id}").status_code == 404


# Strategies -------------------------------------------------------------------------------------


def test_strategy_list_for_editor_and_viewer(
    client: TestClient, team: Team, database: Database
) -> None:
    url = f"/businesses/{team.business_id}/strategies"
    login(client, database, team.editor.email)
    empty = client.get(url)
    assert "No strategy yet" in empty.text
    assert "Create the first strategy" in empty.text
    with database.session() as session:
        business = session.get(Business, team.business_id)
        assert business is not None
        make_strategy(session, business, name="Evergreen")
    login(client, database, team.viewer.email)
    page = client.get(url)
    assert page.status_code == 200
    assert ">Evergreen</a>" in page.text
    assert "<td>7</td>" in page.text  # 2 LinkedIn + 5 X posts a week
    # The strategy's platforms by the names their providers give them, not their keys.
    assert '<span class="badge">LinkedIn</span> <span class="badge">X</span>' in page.text
    assert "New strategy" not in page.text


def test_new_strategy_form_creates_with_cadence(
    client: TestClient, team: Team, database: Database
) -> None:
    csrf = login(client, database, team.editor.email)
    form = client.get(f"/businesses/{team.business_id}/strategies/new")
    assert form.status_code == 200
    # The cadence of a platform shows while it is ticked (strategyForm in static/js).
    assert 'x-data="strategyForm"' in form.text
    assert "x-show=\"has('x')\"" in form.text
    response = post(client, f"/businesses/{team.business_id}/strategies", csrf, STRATEGY_FORM)
    assert response.status_code == 303, response.text[:2000]
    strategy = strategy_of(database, team.business_id)
    assert response.headers["location"] == (
        f"/businesses/{team.business_id}/strategies/{strategy.id}"
    )
    assert strategy.topics == ["Pumpkin bread", "Coffee", "Events"]
    assert strategy.keywords == ["bakery", "autumn"]
    assert strategy.platforms == ["x", "instagram"]
    assert strategy.cadence == {
        "x": {"posts_per_week": 5, "preferred_days": [0, 4], "preferred_hours": [8, 17]},
        "instagram": {"posts_per_week": 2, "preferred_days": [], "preferred_hours": []},
    }
    assert (str(strategy.start_date), str(strategy.end_date)) == ("2026-09-01", "2026-11-30")
    assert strategy.is_active is True
    detail = client.get(response.headers["location"])
    assert "Strategy Autumn push was created." in detail.text
    assert 'value="17, 8"' not in detail.text
    assert 'value="8, 17"' in detail.text


def test_strategy_form_errors_keep_what_was_typed(
    client: TestClient, team: Team, database: Database
) -> None:
    csrf = login(client, database, team.editor.email)
    bad = [
        (key, value)
        for key, value in STRATEGY_FORM
        if key not in ("cadence.x.preferred_hours", "end_date")
    ]
    bad += [("cadence.x.preferred_hours", "9, 25"), ("end_date", "2026-08-01")]
    before = row_counts(database)
    response = post(client, f"/businesses/{team.business_id}/strategies", csrf, bad)
    assert response.status_code == 422
    text = response.text
    assert "&#34;25&#34; is past 23:59; hours go from 0 to 23" in text
    assert "2026-08-01 is before the start date 2026-09-01" in text
    assert 'value="9, 25"' in text
    assert 'value="Autumn push"' in text
    assert 'value="2026-08-01"' in text
    assert 'name="platforms" value="instagram" x-model="platforms" checked' in text
    assert row_counts(database) == before


def test_viewer_sees_a_read_only_strategy(
    client: TestClient, team: Team, database: Database
) -> None:
    with database.session() as session:
        business = session.get(Business, team.business_id)
        assert business is not None
        strategy = make_strategy(session, business, goals="Be known for rye")
    login(client, database, team.viewer.email)
    page = client.get(f"/businesses/{team.business_id}/strategies/{strategy.id}")
    assert page.status_code == 200
    assert "Be known for rye" in page.text
    assert "Save strategy" not in page.text
    assert "Delete strategy" not in page.text
    assert "<td>Tue, Thu</td>" in page.text  # LinkedIn's preferred days 1 and 3
    assert client.get(f"/businesses/{team.business_id}/strategies/new").status_code == 403


def test_edit_and_delete_strategy_pages(client: TestClient, team: Team, database: Database) -> None:
    with database.session() as session:
        business = session.get(Business, team.business_id)
        assert business is not None
        strategy_id = make_strategy(session, business).id
    url = f"/businesses/{team.business_id}/strategies/{strategy_id}"
    csrf = login(client, database, team.editor.email)
    edit = client.get(url)
    assert 'value="Always on"' in edit.text
    assert "Save strategy" in edit.text
    fields = [*STRATEGY_FORM[:6], ("platforms", "linkedin"), ("is_active", "")]
    blank = post(client, url, csrf, [*fields, ("cadence.linkedin.posts_per_week", "")])
    assert blank.status_code == 422
    assert "must be a whole number, like 3" in blank.text
    saved = post(client, url, csrf, [*fields, ("cadence.linkedin.posts_per_week", "3")])
    assert saved.status_code == 303
    strategy = strategy_of(database, team.business_id)
    assert (strategy.name, strategy.platforms, strategy.is_active) == (
        "Autumn push",
        ["linkedin"],
        False,
    )
    assert strategy.cadence == {
        "linkedin": {"posts_per_week": 3, "preferred_days": [], "preferred_hours": []}
    }
    deleted = post(client, f"{url}/delete", csrf, {})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == f"/businesses/{team.business_id}/strategies"
    with database.session() as session:
        assert session.get(Strategy, strategy_id) is None
    assert client.get(url).status_code == 404
