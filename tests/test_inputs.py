"""Input the database or the process cannot take is refused at the boundary, on every route:
integers beyond 64 bits, lone surrogates and NUL characters, and bodies over their route's
limit (measured while they stream). Runs on SQLite and, with --db=postgres, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from growth_manager.db import Database
from tests.conftest import json_of
from tests.support.factories import bearer_for, make_business, make_strategy, make_user
from tests.support.rows import row_counts

TOO_BIG = 2**63  # one past the largest signed 64-bit integer (SQLite's driver overflows)
TOO_SMALL = -(2**63) - 1
LARGEST = 2**31 - 1  # ids are PostgreSQL INTEGER columns: signed 32-bit


@dataclass(frozen=True)
class Owner:
    headers: dict[str, str]
    business_id: int
    strategy_id: int


@pytest.fixture
def owner(database: Database) -> Owner:
    with database.session() as session:
        user = make_user(session, "owner@example.com", "Owner")
        business = make_business(session, user)
        strategy = make_strategy(session, business)
        return Owner(bearer_for(session, user), business.id, strategy.id)


# Integers beyond 64 bits -------------------------------------------------------------------------
@pytest.mark.parametrize("value", [TOO_BIG, TOO_SMALL, 10**40, LARGEST + 1, -LARGEST - 2])
def test_path_ids_beyond_64_bits_are_404_and_the_connection_stays_usable(
    client: TestClient, owner: Owner, value: int
) -> None:
    base = f"/api/v1/businesses/{owner.business_id}"
    for url in (
        f"/api/v1/businesses/{value}",
        f"{base}/strategies/{value}",
        f"{base}/drafts/{value}",
        f"{base}/media/{value}",
        f"{base}/members/{value}",
    ):
        method = "PATCH" if url.endswith(f"members/{value}") else "GET"
        body = {"role": "viewer"} if method == "PATCH" else None
        response = client.request(method, url, headers=owner.headers, json=body)
        assert response.status_code == 404, (url, response.text)
        assert json_of(response)["type"] == "not_found"
    # The same client (and database connection pool) still answers normally.
    assert client.get(base, headers=owner.headers).status_code == 200


def test_the_largest_storable_id_is_an_ordinary_404(client: TestClient, owner: Owner) -> None:
    response = client.get(f"/api/v1/businesses/{LARGEST}", headers=owner.headers)
    assert response.status_code == 404
    assert json_of(response)["detail"] == f"Business {LARGEST} was not found."
    listing = client.get(
        f"/api/v1/businesses/{owner.business_id}/drafts?offset={LARGEST}", headers=owner.headers
    )
    assert listing.status_code == 200, listing.text
    assert json_of(listing)["items"] == []


@pytest.mark.parametrize("query", ["offset", "limit", "strategy_id"])
def test_query_integers_beyond_64_bits_are_422_naming_the_parameter(
    client: TestClient, owner: Owner, query: str
) -> None:
    response = client.get(
        f"/api/v1/businesses/{owner.business_id}/drafts?{query}={TOO_BIG}",
        headers=owner.headers,
    )
    assert response.status_code == 422, response.text
    payload = json_of(response)
    assert payload["type"] == "validation_error"
    assert payload["detail"].startswith(f"{query}: "), payload["detail"]


def test_a_repeated_query_parameter_is_checked_by_the_value_used(
    client: TestClient, owner: Owner
) -> None:
    response = client.get(
        f"/api/v1/businesses/{owner.business_id}/media?offset=1&offset={TOO_BIG}",
        headers=owner.headers,
    )
    assert response.status_code == 422
    assert json_of(response)["detail"].startswith("offset: must be between")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"strategy_id": TOO_BIG}, "strategy_id"),
        ({"media_ids": [1, TOO_BIG]}, "media_ids.1"),
        ({"media_ids": [TOO_SMALL]}, "media_ids.0"),
        ({"strategy_id": LARGEST + 1}, "strategy_id"),
    ],
)
def test_body_integers_beyond_64_bits_are_422_naming_the_field(
    client: TestClient, owner: Owner, database: Database, body: dict[str, Any], field: str
) -> None:
    before = row_counts(database)
    base = f"/api/v1/businesses/{owner.business_id}"
    for method, url in (("POST", f"{base}/drafts"), ("PATCH", f"{base}/drafts/1")):
        response = client.request(method, url, headers=owner.headers, json=body)
        assert response.status_code == 422, response.text
        assert json_of(response)["detail"].startswith(f"{field}: must be between"), response.text
    assert row_counts(database) == before


# Text that can't be stored ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        ("/api/v1/businesses", '{"name":"x","timezone":"\\ud800"}', "timezone"),
        ("/api/v1/businesses", '{"name":"a\\udfffb"}', "name"),
        ("/api/v1/businesses", '{"name":"a\\u0000b"}', "name"),
        ("drafts", '{"base_text":"hi \\ud83d"}', "base_text"),
        ("drafts", '{"title":"\\u0000"}', "title"),
        ("drafts", '{"variants":{"x":"\\udc00"}}', "variants.x"),
        ("drafts", '{"variants":{"\\ud800":"x"}}', "variants"),
        ("/api/v1/text/measure", '{"text":"\\ud800"}', "text"),
    ],
)
def test_lone_surrogates_and_nul_characters_are_422_naming_the_field(
    client: TestClient, owner: Owner, database: Database, path: str, raw: str, field: str
) -> None:
    url = f"/api/v1/businesses/{owner.business_id}/{path}" if "/" not in path else path
    before = row_counts(database)
    response = client.post(
        url, content=raw.encode(), headers={**owner.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert json_of(response)["detail"].startswith(f"{field}: "), response.text
    assert row_counts(database) == before


def test_a_surrogate_pair_is_ordinary_text(client: TestClient, owner: Owner) -> None:
    response = client.post(
        "/api/v1/businesses",
        content=b'{"name":"Cake \\ud83c\\udf70"}',
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert json_of(response)["name"] == "Cake \N{SHORTCAKE}"


def test_a_nul_character_in_a_query_or_path_is_refused(client: TestClient, owner: Owner) -> None:
    query = client.get("/api/v1/oauth/x/callback?state=%00&code=a", headers=owner.headers)
    assert query.status_code == 422, query.text
    assert json_of(query)["detail"].startswith("state: ")
    path = client.get(
        f"/api/v1/businesses/{owner.business_id}/connections/pending/a%00b", headers=owner.headers
    )
    assert path.status_code == 404, path.text


# Body size, per route, while streaming ------------------------------------------------------------
@dataclass
class Exchange:
    status: int
    body: bytes
    chunks_read: int


def call_asgi(
    app: FastAPI, method: str, path: str, headers: dict[str, str], chunks: Iterator[bytes]
) -> Exchange:
    """Drives the app as a server would, counting how much of the body it pulled."""
    pulled = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        chunk = next(chunks, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    # On a portal's own thread: the browser tests leave Playwright's loop running on this one.
    with anyio.from_thread.start_blocking_portal() as portal:
        portal.call(app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Exchange(start["status"], body, pulled)


def endless(chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    chunk = b"--x\r\n" + b"a" * (chunk_size - 5)
    while True:
        yield chunk


MULTIPART = "multipart/form-data; boundary=x"


def test_multipart_to_a_json_route_gets_the_json_limit_while_streaming(app: FastAPI) -> None:
    limit = app.state.settings.max_request_body_kb * 1024
    exchange = call_asgi(
        app, "POST", "/api/v1/auth/signup", {"content-type": MULTIPART}, endless(64 * 1024)
    )
    assert exchange.status == 413
    assert b"payload_too_large" in exchange.body
    # It stopped at the limit: at most one chunk past it was pulled, not the endless stream.
    assert exchange.chunks_read <= limit // (64 * 1024) + 1


def test_a_declared_length_over_the_limit_is_refused_before_reading(app: FastAPI) -> None:
    for content_type in (MULTIPART, "application/json", "text/plain"):
        exchange = call_asgi(
            app,
            "POST",
            "/api/v1/auth/signup",
            {"content-type": content_type, "content-length": str(190 * 1024 * 1024)},
            endless(),
        )
        assert exchange.status == 413, content_type
        assert exchange.chunks_read == 0


def test_a_declared_length_over_the_json_limit_is_refused_before_reading_and_auth(
    app: FastAPI,
) -> None:
    exchange = call_asgi(
        app,
        "PATCH",
        "/api/v1/businesses/1",
        {"content-type": "application/json", "content-length": str(2 * 1024 * 1024)},
        endless(),
    )
    assert exchange.status == 413
    assert exchange.chunks_read == 0


def test_a_chunked_json_body_over_the_limit_is_413_not_400(
    client: TestClient, owner: Owner, database: Database
) -> None:
    limit = client.app.state.settings.max_request_body_kb * 1024  # type: ignore[attr-defined]
    before = row_counts(database)

    def body() -> Iterator[bytes]:
        yield b'{"name": "Big", "description": "'
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    response = client.post(
        "/api/v1/businesses",
        content=body(),
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert json_of(response)["type"] == "payload_too_large"
    assert row_counts(database) == before


def test_the_upload_route_gets_the_upload_limit(client: TestClient, owner: Owner) -> None:
    # 2 MiB is over the JSON limit but within the upload limit: the media service, not the body
    # limit, decides (and these bytes are no image or video).
    content = b"\x00" * (2 * 1024 * 1024)
    response = client.post(
        f"/api/v1/businesses/{owner.business_id}/media",
        files={"file": ("blob.bin", content, "application/octet-stream")},
        headers=owner.headers,
    )
    assert response.status_code == 415, response.text


# 405 ---------------------------------------------------------------------------------------------
def test_405_lists_every_method_of_the_path(client: TestClient, owner: Owner) -> None:
    response = client.request("OPTIONS", "/api/v1/businesses", headers=owner.headers)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    item = client.request(
        "PUT", f"/api/v1/businesses/{owner.business_id}", headers=owner.headers, json={}
    )
    assert item.status_code == 405
    assert item.headers["allow"] == "DELETE, GET, PATCH"


# Bodies that can't be parsed ----------------------------------------------------------------------
def test_a_json_body_that_is_not_utf8_is_422_like_malformed_json(
    client: TestClient, owner: Owner
) -> None:
    response = client.post(
        "/api/v1/businesses",
        content=b'{"name": "\xff\xfe"}',
        headers={**owner.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert json_of(response)["detail"] == "body: cannot be read: it is not UTF-8 text"


def test_broken_multipart_is_422_naming_the_body(client: TestClient, owner: Owner) -> None:
    response = client.post(
        f"/api/v1/businesses/{owner.business_id}/media",
        content=b"--b\r\nNone--b--\r\n",
        headers={**owner.headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 422, response.text
    assert json_of(response)["detail"] == "body: cannot be read: Invalid multipart data."
