"""The OpenAPI document says what the API answers: one error shape, the statuses each operation
can return, integer ranges the database stores, and the bearer scheme."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from growth_manager.inputs import LARGEST_INTEGER


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _responses(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = document["paths"][path][method]["responses"]
    return responses


def test_every_error_answer_uses_the_one_error_shape(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["Error"]["required"] == ["type", "detail"]
    assert schemas["Error"]["properties"]["detail"]["type"] == "string"
    assert schemas["ValidationErrorResponse"]["properties"]["detail"]["type"] == "string"
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                ref = response["content"]["application/json"]["schema"]["$ref"]
                expected = "ValidationErrorResponse" if status == "422" else "Error"
                assert ref == f"#/components/schemas/{expected}", (method, path, status)


@pytest.mark.parametrize(
    ("method", "path", "expected", "absent"),
    [
        ("get", "/api/v1/businesses", {"401", "403"}, {"404", "413", "422"}),
        ("post", "/api/v1/businesses", {"401", "403", "413", "422"}, {"404"}),
        ("get", "/api/v1/businesses/{business_id}", {"401", "403", "404", "422"}, {"413"}),
        ("post", "/api/v1/businesses/{business_id}/members", {"404", "409", "413"}, set()),
        ("post", "/api/v1/businesses/{business_id}/media", {"413", "415", "422"}, set()),
        ("post", "/api/v1/auth/signup", {"409", "413", "422", "429"}, {"401", "403"}),
        ("post", "/api/v1/text/measure", {"401", "403", "422", "429"}, {"404"}),
        ("get", "/health", set(), {"401", "403", "404", "422"}),
    ],
)
def test_operations_declare_the_errors_they_can_return(
    document: dict[str, Any], method: str, path: str, expected: set[str], absent: set[str]
) -> None:
    declared = set(_responses(document, method, path))
    assert expected <= declared
    assert not absent & declared


def test_operations_that_take_a_user_declare_the_bearer_scheme(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from `POST /api/v1/auth/token`.",
    }
    assert document["paths"]["/api/v1/businesses"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in document["paths"]["/api/v1/auth/signup"]["post"]


def test_integers_carry_the_range_the_database_stores(document: dict[str, Any]) -> None:
    parameters = document["paths"]["/api/v1/businesses/{business_id}"]["get"]["parameters"]
    business_id = next(p for p in parameters if p["name"] == "business_id")
    assert business_id["schema"]["maximum"] == LARGEST_INTEGER
    offset = next(
        p
        for p in document["paths"]["/api/v1/businesses/{business_id}/drafts"]["get"]["parameters"]
        if p["name"] == "offset"
    )
    assert (offset["schema"]["minimum"], offset["schema"]["maximum"]) == (0, LARGEST_INTEGER)


def test_a_422_from_the_api_matches_the_declared_schema(
    client: TestClient, document: dict[str, Any]
) -> None:
    response = client.post("/api/v1/auth/signup", json={"email": 5})
    assert response.status_code == 422
    body = response.json()
    schema = document["components"]["schemas"]["ValidationErrorResponse"]
    assert set(schema["required"]) <= set(body)
    assert isinstance(body["detail"], str)
    assert {"field", "message", "code"} == set(body["errors"][0])
