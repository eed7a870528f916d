"""Validate sandbox X responses against X's official OpenAPI spec (x-api-v2-openapi.json).

A response must use a documented path and method; a 2xx status must be listed explicitly
(so a 200 where X answers 201 fails); errors fall under ``default`` and must match the schema
for their content type: ``Problem`` (plus the schema its ``type`` discriminates to) for
``application/problem+json``. ``$ref``s resolve inside the spec document.

The spec has three ``required`` names that its own ``properties`` do not define
(``MediaUploadResponse.meta``, ``MediaUploadAppendResponse.meta``, ``ProcessingInfo.type``)
and that no real X response carries (reference A.7 quotes a real STATUS body); those are
dropped, and nothing else is relaxed.
"""

from __future__ import annotations

import copy
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx2
from openapi_schema_validator import OAS30Validator

SPEC_PATH = Path(os.environ.get("X_OPENAPI_SPEC", "/work/shared/specs/x-api-v2-openapi.json"))
HOST_PREFIXES = ("/api.x.com", "/api.twitter.com")
# Not described by the spec (OAuth token endpoints are documented elsewhere).
UNDOCUMENTED = ("/2/oauth2/",)


class SpecViolation(AssertionError):
    pass


def _drop_undefined_required(node: Any) -> None:
    if isinstance(node, dict):
        props = node.get("properties")
        required = node.get("required")
        if isinstance(props, dict) and isinstance(required, list):
            node["required"] = [name for name in required if name in props]
            if not node["required"]:
                del node["required"]
        for value in node.values():
            _drop_undefined_required(value)
    elif isinstance(node, list):
        for value in node:
            _drop_undefined_required(value)


@cache
def load_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC_PATH.read_text())
    spec = copy.deepcopy(spec)
    _drop_undefined_required(spec["components"])
    return spec


@cache
def _path_patterns() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in load_spec()["paths"]:
        regex = re.sub(
            r"\{[^/]+\}", r"[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
        )
        patterns.append((re.compile(f"^{regex}$"), template))
    # Literal segments beat parameters (/2/tweets/search/recent over /2/tweets/{id}).
    patterns.sort(key=lambda p: p[1].count("{"))
    return patterns


def match_path(path: str) -> str | None:
    for pattern, template in _path_patterns():
        if pattern.match(path):
            return template
    return None


def _validate_schema(schema: dict[str, Any], body: Any, where: str) -> None:
    spec = load_spec()
    root = {**schema, "components": spec["components"]}
    validator = OAS30Validator(root)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        details = "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
        raise SpecViolation(f"{where}: {details}\nbody: {json.dumps(body)[:1500]}")


def validate(method: str, path: str, status: int, content_type: str, body: Any) -> str:
    """Raise :class:`SpecViolation` unless the response fits the spec; returns the template."""
    template = match_path(path)
    where = f"{method} {path} -> {status}"
    if template is None:
        raise SpecViolation(f"{where}: path not in the spec")
    operation = load_spec()["paths"][template].get(method.lower())
    if operation is None:
        raise SpecViolation(f"{where}: method not in the spec for {template}")
    responses = operation["responses"]
    if 200 <= status < 300:
        if str(status) not in responses:
            raise SpecViolation(f"{where}: status not documented ({sorted(responses)})")
        response = responses[str(status)]
    else:
        response = responses.get(str(status)) or responses["default"]
    media = content_type.split(";", maxsplit=1)[0].strip()
    content = response.get("content", {})
    if media not in content:
        raise SpecViolation(f"{where}: content type {media!r} not in {sorted(content)}")
    _validate_schema(content[media]["schema"], body, where)
    if media == "application/problem+json":
        mapping = load_spec()["components"]["schemas"]["Problem"]["discriminator"]["mapping"]
        specific = mapping.get(body.get("type", ""))
        if specific is None:
            raise SpecViolation(f"{where}: problem type {body.get('type')!r} is not in the spec")
        _validate_schema({"$ref": specific}, body, where)
    return template


class ValidatingHook:
    """httpx2 response hook: validates every X API v2 response the client sees."""

    def __init__(self) -> None:
        self.validated: list[str] = []

    def __call__(self, response: httpx2.Response) -> None:
        path = response.request.url.path
        prefix = next((p for p in HOST_PREFIXES if path.startswith(p + "/2/")), None)
        if prefix is None:
            return
        api_path = path[len(prefix) :]
        if any(api_path.startswith(u) for u in UNDOCUMENTED):
            return
        response.read()
        body = response.json() if response.content else None
        template = validate(
            response.request.method,
            api_path,
            response.status_code,
            response.headers.get("content-type", ""),
            body,
        )
        self.validated.append(f"{response.request.method} {template} {response.status_code}")
