"""api.linkedin.com organizations: the member's roles (``organizationAcls``) and an
organization's profile."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from platform_sandbox.linkedin import common, errors, rest
from platform_sandbox.linkedin.models import LiOrganization, LiOrgRole
from platform_sandbox.platform import context

router = APIRouter(route_class=common.LinkedInRoute)


@router.get("/rest/organizationAcls")
def organization_acls(request: Request) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = rest.versioned(request, session, ctx, "organizationAcls")
        common.require_any_scope(
            caller,
            rest.ORG_SOCIAL_READ | {"w_organization_social"},
            "organizationAcls",
            "FINDER-roleAssignee",
            version,
        )
        q = request.query_params.get("q")
        if q != "roleAssignee":
            raise errors.bad_request(f"Invalid finder: {q}" if q else "Missing finder: q")
        query = select(LiOrgRole).where(LiOrgRole.member_id == caller.member.id)
        role = request.query_params.get("role")
        if role:
            query = query.where(LiOrgRole.role == role)
        state = request.query_params.get("state")
        if state:
            query = query.where(LiOrgRole.state == state)
        rows = list(session.scalars(query.order_by(LiOrgRole.id)))
        start = rest.int_param(request, "start", 0)
        count = rest.int_param(request, "count", 10)
        page = rows[start : start + count]
        elements = [
            {
                "roleAssignee": caller.person_urn,
                "state": r.state,
                "role": r.role,
                "organization": f"urn:li:organization:{r.organization_id}",
            }
            for r in page
        ]
        return JSONResponse({"paging": rest.paging(start, count, len(rows)), "elements": elements})


def _organization_body(org: LiOrganization) -> dict[str, Any]:
    locale = {"country": "US", "language": "en"}
    return {
        "vanityName": org.vanity_name,
        "localizedName": org.name,
        "name": {"localized": {"en_US": org.name}, "preferredLocale": locale},
        "primaryOrganizationType": "NONE",
        "locations": [],
        "localizedWebsite": org.website,
        "website": {"localized": {"en_US": org.website}, "preferredLocale": locale},
        "localizedDescription": org.description,
        "id": org.id,
        "$URN": org.urn,
    }


@router.get("/rest/organizations/{organization_id}")
def organization(request: Request, organization_id: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        _caller, _version = rest.versioned(request, session, ctx, "organizations")
        org = (
            session.get(LiOrganization, int(organization_id)) if organization_id.isdigit() else None
        )
        if org is None:
            raise errors.not_found(f"Organization {organization_id} not found")
        return JSONResponse(_organization_body(org))
