"""Tenant isolation, proved for every business-scoped route there is, including routes added
after this test was written.

The routes are enumerated from the app: every API route and dashboard page whose path holds
``{business_id}`` (or ``{id}`` under ``/businesses``). Each is called by a user who owns another
business, with a plausible request: real ids of the victim's resources, a body that passes
validation, the attacker's valid CSRF token. The answer must be 404, exactly what a business
that does not exist gets: never 200, 403 or a redirect (which act on or reveal the business),
nor 422 (which would mean the route was not really exercised). A second pass calls each route
that also names a child resource (a strategy, a draft, a member…) on the attacker's *own*
business with the victim's child id, which must be 404 too.

When a new route cannot be exercised (it answers 422 to the generated request), the test fails
and says so: give it a plausible request in ``PLAUSIBLE``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.utils import get_flat_params
from fastapi.params import Form, Path, Query
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import select

from growth_manager.db import Database
from growth_manager.models.base import Base
from growth_manager.models.business import Business, Role
from growth_manager.models.content import MediaAsset, MediaKind, Post
from tests.support.factories import (
    add_member,
    bearer_for,
    login_client,
    make_business,
    make_strategy,
    make_user,
)
from tests.support.rows import business_rows, row_counts

PATH_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
BUSINESS_PARAMS = {"business_id"}
# Path parameter name → tables whose rows (in the victim's business) give a real id for it.
RESOURCE_TABLES: dict[str, list[str]] = {
    "draft_id": ["post"],
    "post_id": ["post"],
    "media_id": ["media_asset"],
    "account_id": ["social_account"],
    "connection_id": ["social_account"],
}
MEMBER_PARAMS = {"user_id", "member_id"}
# Requests for routes the generator cannot satisfy on its own: (method, path) → keyword
# arguments for TestClient.request (json, data, files, params).
PLAUSIBLE: dict[tuple[str, str], dict[str, Any]] = {
    # Dashboard forms read their fields themselves, so the generator cannot see them.
    ("POST", "/businesses/{business_id}/members/{user_id}/role"): {"data": {"role": "viewer"}},
}
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4e30000000049454e44ae426082"
)


@dataclass
class ScopedRoute:
    method: str
    path: str
    is_page: bool
    context: Any = field(repr=False)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def scoped_routes(app: FastAPI) -> list[ScopedRoute]:
    found: list[ScopedRoute] = []
    for context in iter_route_contexts(app.routes):
        path, methods = context.path, context.methods
        if not path or not methods or getattr(context, "dependant", None) is None:
            continue
        names = set(PATH_PARAM.findall(path))
        under_businesses = "/businesses/{id" in path
        if not (names & BUSINESS_PARAMS or under_businesses):
            continue
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            found.append(ScopedRoute(method, path, not path.startswith("/api/"), context))
    return found


# Plausible values from JSON schemas ------------------------------------------------------------
def example(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """A small value that satisfies ``schema`` (required fields only)."""
    if "$ref" in schema:
        return example(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return example(options[0], defs)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        required = schema.get("required", [])
        return {name: example(schema["properties"][name], defs) for name in required}
    if kind == "array":
        count = schema.get("minItems", 0)
        return [example(schema.get("items", {}), defs) for _ in range(count)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return float(max(1, schema.get("minimum", 1)))
    if kind == "boolean":
        return True
    if kind == "string" and (schema.get("contentMediaType") or schema.get("format") == "binary"):
        return TINY_PNG  # an upload
    if kind == "string":
        formats = {
            "date": "2026-03-02",
            "date-time": "2026-03-02T09:00:00Z",
            "email": "someone@example.com",
            "uri": "https://example.com/",
        }
        if schema.get("format") in formats:
            return formats[schema["format"]]
        return "plausible" + "x" * max(0, schema.get("minLength", 0) - 9)
    return "plausible"


def schema_of(annotation: Any) -> dict[str, Any]:
    return TypeAdapter(annotation).json_schema(ref_template="#/$defs/{model}")


def body_request(route: ScopedRoute, csrf: str) -> dict[str, Any]:
    body_field = getattr(route.context, "body_field", None)
    if body_field is None:
        return {"data": {"csrf_token": csrf}} if route.is_page and route.method != "GET" else {}
    schema = schema_of(body_field.field_info.annotation)
    value = example(schema, schema.get("$defs", {}))
    if not isinstance(body_field.field_info, Form):
        return {"json": value}
    value = value if isinstance(value, dict) else {}
    files = {k: ("file.png", v, "image/png") for k, v in value.items() if isinstance(v, bytes)}
    data = {k: v for k, v in value.items() if not isinstance(v, bytes)}
    if route.is_page:
        data["csrf_token"] = csrf
    return {"data": data, "files": files} if files else {"data": data}


def query_params(route: ScopedRoute) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for param in get_flat_params(route.context.dependant):
        if isinstance(param.field_info, Query) and param.field_info.is_required():
            schema = schema_of(param.field_info.annotation)
            params[param.alias] = example(schema, schema.get("$defs", {}))
    return params


def path_values(
    route: ScopedRoute, business_id: int, victim: dict[str, int]
) -> tuple[dict[str, Any], bool]:
    """Values for the path parameters, and whether any child id is a real victim resource."""
    values: dict[str, Any] = {}
    names_child = False
    declared = {
        p.name: p
        for p in get_flat_params(route.context.dependant)
        if isinstance(p.field_info, Path)
    }
    for name in PATH_PARAM.findall(route.path):
        if name in BUSINESS_PARAMS or (name == "id" and "/businesses/{id" in route.path):
            values[name] = business_id
        elif name in victim:
            values[name] = victim[name]
            names_child = True
        elif name in declared:
            schema = schema_of(declared[name].field_info.annotation)
            values[name] = example(schema, schema.get("$defs", {}))
        else:
            values[name] = 1
    return values, names_child


# The world ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class World:
    victim_business_id: int
    attacker_business_id: int
    victim_resources: dict[str, int]
    attacker_id: int
    attacker_headers: dict[str, str]


def build_world(database: Database) -> World:
    with database.session() as session:
        victim_owner = make_user(session, "victim@example.com")
        victim_viewer = make_user(session, "victim.viewer@example.com")
        attacker = make_user(session, "attacker@example.com")
        victim = make_business(session, victim_owner, name="Victim Bakery")
        add_member(session, victim, victim_viewer, Role.viewer)
        mine = make_business(session, attacker, name="Attacker Inc")
        strategy = make_strategy(session, victim)
        session.add(Post(business_id=victim.id, title="Secret plan", base_text="Launch day"))
        session.add(
            MediaAsset(
                business_id=victim.id,
                sha256=uuid.uuid4().hex * 2,
                kind=MediaKind.image,
                mime="image/png",
                size_bytes=len(TINY_PNG),
                storage_path=f"{victim.id}/secret.png",
            )
        )
        _add_social_account(session, victim)
        session.flush()
        resources = {"strategy_id": strategy.id}
        for name in MEMBER_PARAMS:
            resources[name] = victim_viewer.id
        for name, tables in RESOURCE_TABLES.items():
            for table_name in tables:
                table = Base.metadata.tables.get(table_name)
                if table is None or "business_id" not in table.c:
                    continue
                row_id = session.scalar(
                    select(table.c.id).where(table.c.business_id == victim.id).limit(1)
                )
                if row_id is not None:
                    resources[name] = row_id
                    break
        return World(
            victim_business_id=victim.id,
            attacker_business_id=mine.id,
            victim_resources=resources,
            attacker_id=attacker.id,
            attacker_headers=bearer_for(session, attacker),
        )


def _add_social_account(session: Any, business: Business) -> None:
    table = Base.metadata.tables.get("social_account")
    if table is None:
        return
    session.execute(
        table.insert().values(
            business_id=business.id,
            platform="x",
            kind="user",
            external_id="victim-x",
            name="Victim on X",
            granted_scopes=[],
            status="active",
            is_sandbox=True,
            refresh_failures=0,
            created_at=datetime.now(UTC),
            updated_at=datetime.now(UTC),
        )
    )


# The test ----------------------------------------------------------------------------------------
def call(
    client: TestClient, route: ScopedRoute, world: World, csrf: str, business_id: int
) -> tuple[Any, bool]:
    values, names_child = path_values(route, business_id, world.victim_resources)
    url = PATH_PARAM.sub(lambda m: str(values[m.group(1)]), route.path)
    request = PLAUSIBLE.get((route.method, route.path)) or body_request(route, csrf)
    headers = {"X-CSRF-Token": csrf} if route.is_page else dict(world.attacker_headers)
    response = client.request(
        route.method,
        url,
        headers=headers,
        params=query_params(route),
        follow_redirects=False,
        **request,
    )
    return response, names_child


def verdict(route: ScopedRoute, response: Any, scenario: str) -> str | None:
    if response.status_code == 404:
        return None
    if response.status_code == 422:
        return (
            f"{route} ({scenario}) could not be exercised: it answered 422 to the generated "
            f"request ({response.text[:300]}). Add a plausible request for it to PLAUSIBLE."
        )
    where = response.headers.get("location", "")
    return (
        f"{route} ({scenario}) answered {response.status_code}{' → ' + where if where else ''}"
        f" instead of 404: {response.text[:200]!r}"
    )


def test_every_business_scoped_route_answers_404_to_another_tenant(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    world = build_world(database)
    with database.session() as session:
        attacker = session.get(Business, world.attacker_business_id)
        assert attacker is not None
        from growth_manager.models.user import User

        attacker_user = session.get(User, world.attacker_id)
        assert attacker_user is not None
    csrf = login_client(client, attacker_user)
    routes = scoped_routes(app)
    # The enumeration itself must see this module's routes, or it proves nothing.
    seen = {str(route) for route in routes}
    for expected in (
        "GET /api/v1/businesses/{business_id}",
        "DELETE /api/v1/businesses/{business_id}/strategies/{strategy_id}",
        "POST /businesses/{business_id}/members/{user_id}/role",
        "GET /businesses/{business_id}/strategies/{strategy_id}",
    ):
        assert expected in seen
    before_counts, before_rows = row_counts(database), business_rows(database)

    failures: list[str] = []
    exercised = 0
    for route in routes:
        response, names_child = call(client, route, world, csrf, world.victim_business_id)
        exercised += 1
        if problem := verdict(route, response, "another tenant's business"):
            failures.append(problem)
        if names_child:
            response, _ = call(client, route, world, csrf, world.attacker_business_id)
            if problem := verdict(route, response, "own business, another tenant's child id"):
                failures.append(problem)

    assert not failures, f"{len(failures)} of {exercised} routes leak:\n" + "\n".join(failures)
    assert row_counts(database) == before_counts
    assert business_rows(database) == before_rows


def test_a_route_that_skips_the_scoping_point_is_caught(
    app: FastAPI, client: TestClient, database: Database
) -> None:
    """The check can fail: a route that answers without the access dependencies is reported."""
    from fastapi import APIRouter

    leaky = APIRouter()

    @leaky.get("/api/v1/businesses/{business_id}/leaky")
    def leaky_route(business_id: int) -> dict[str, int]:
        return {"business_id": business_id}

    app.include_router(leaky)
    world = build_world(database)
    route = next(r for r in scoped_routes(app) if r.path.endswith("/leaky"))
    response, _ = call(client, route, world, "unused", world.victim_business_id)
    problem = verdict(route, response, "another tenant's business")
    assert problem is not None
    assert problem.startswith("GET /api/v1/businesses/{business_id}/leaky")
    assert "answered 200" in problem
