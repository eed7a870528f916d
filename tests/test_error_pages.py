"""People see errors as pages; API clients see the one JSON shape."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_a_missing_page_is_an_html_page_for_browsers(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"accept": "text/html,application/xhtml+xml"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-error-type="not_found"' in response.text


def test_the_api_always_answers_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.json() == {"type": "not_found", "detail": "Not Found"}


def test_htmx_requests_get_json_errors(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"accept": "text/html", "hx-request": "true"})
    assert response.headers["content-type"].startswith("application/json")
