"""What every api.linkedin.com call shares: the steps before its handler and who may act as an
author.

Versioned resources live under ``/rest`` and require ``LinkedIn-Version`` and
``X-Restli-Protocol-Version: 2.0.0``; the legacy ``/v2`` resources kept here (userinfo, me,
socialActions) need neither. Every call is authenticated first, then version-checked, then
counted against the daily throttles, then checked for scopes and roles. The resources live in
identity, organizations, posts, images, social_actions and statistics.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from platform_sandbox.linkedin import common, errors
from platform_sandbox.linkedin.common import Caller
from platform_sandbox.platform import SandboxContext

MEMBER_SOCIAL_READ = {"r_member_social"}
ORG_SOCIAL_READ = {"r_organization_social", "rw_organization_admin", "r_organization_admin"}


def versioned(
    request: Request, session: Session, ctx: SandboxContext, resource: str
) -> tuple[Caller, str]:
    caller = common.authenticate(request, session, ctx)
    version = common.check_version(request, ctx)
    common.count_call(session, ctx, caller, resource)
    return caller, version


def legacy(request: Request, session: Session, ctx: SandboxContext, resource: str) -> Caller:
    caller = common.authenticate(request, session, ctx)
    common.count_call(session, ctx, caller, resource)
    return caller


def paging(start: int, count: int, total: int | None = None) -> dict[str, Any]:
    paging: dict[str, Any] = {"start": start, "count": count, "links": []}
    if total is not None:
        paging["total"] = total
    return paging


def int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise errors.bad_request(f"Invalid value for param: {name}") from exc


def unprocessable(field: str, description: str, code: str) -> errors.LinkedInError:
    # [uncertain] LinkedIn's newer 422 validation shape (errorDetails.inputErrors).
    return errors.LinkedInError(
        {
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": f"ERROR :: {field} :: {description}",
            "errorDetails": {
                "inputErrors": [
                    {
                        "description": description,
                        "input": {"inputPath": {"fieldPath": field}},
                        "code": code,
                    }
                ]
            },
            "status": 422,
        }
    )


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise errors.bad_request("Invalid JSON in request body") from exc
    if not isinstance(body, dict):
        raise errors.bad_request("Request body must be a JSON object")
    return body


@dataclass(frozen=True)
class Act:
    """Acting as or reading an author: scopes by author kind, roles for organizations."""

    resource: str
    method: str
    member_scopes: frozenset[str]
    org_scopes: frozenset[str]
    roles: frozenset[str] = common.POSTING_ROLES
    field: str = "/author"
    location: str = "REQUEST_BODY"


WRITE_MEMBER = frozenset({"w_member_social"})
WRITE_ORG = frozenset({"w_organization_social"})
READ_ROLES = frozenset(
    {"ADMINISTRATOR", "CONTENT_ADMIN", "ANALYST", "CURATOR", "DIRECT_SPONSORED_CONTENT_POSTER"}
)


def read_act(resource: str) -> Act:
    return Act(
        resource,
        "GET",
        frozenset(MEMBER_SOCIAL_READ),
        frozenset(ORG_SOCIAL_READ),
        READ_ROLES,
        field="/id",
        location="PATH",
    )


def require_author_permission(
    session: Session, caller: Caller, author: str, act: Act, version: str | None
) -> None:
    """The token may act as ``author``: itself with member scopes, or an org it has a role on."""
    if author.startswith("urn:li:person:"):
        common.require_any_scope(caller, set(act.member_scopes), act.resource, act.method, version)
        if author != caller.person_urn:
            raise errors.unpermitted_field(act.location, act.field)
        return
    org_id = common.organization_id_of(author)
    if org_id is None:
        raise unprocessable(act.field, f"{author} is not a valid author", "INVALID_VALUE")
    common.require_any_scope(caller, set(act.org_scopes), act.resource, act.method, version)
    if not common.roles_of(session, caller.member.id, org_id) & act.roles:
        raise errors.unpermitted_field(act.location, act.field)
