"""api.linkedin.com identity: OIDC ``/v2/userinfo``, the legacy ``/v2/me``, and the profile
pictures media.licdn.com serves."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from platform_sandbox.linkedin import common, rest
from platform_sandbox.linkedin.models import LiMember
from platform_sandbox.platform import context

router = APIRouter(route_class=common.LinkedInRoute)
media_router = APIRouter(route_class=common.LinkedInRoute)


def _picture_url(request: Request, member: LiMember) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}/media.licdn.com/dms/image/{member.id}/profile-displayphoto-shrink_100_100/0/"


@router.get("/v2/userinfo")
def userinfo(request: Request) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller = rest.legacy(request, session, ctx, "userinfo")
        common.require_any_scope(caller, {"openid"}, "userinfo", "GET", None)
        member = caller.member
        body: dict[str, Any] = {"sub": member.id}
        if "profile" in caller.scopes:
            body.update(
                {
                    "name": member.name,
                    "given_name": member.given_name,
                    "family_name": member.family_name,
                    "picture": _picture_url(request, member),
                    "locale": {
                        "country": member.locale_country,
                        "language": member.locale_language,
                    },
                }
            )
        if "email" in caller.scopes:
            body["email"] = member.email
            body["email_verified"] = True
        return JSONResponse(body)


@router.get("/v2/me")
def me(request: Request) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller = rest.legacy(request, session, ctx, "me")
        # OIDC-only apps famously get 403 here: /v2/me needs the legacy profile scopes.
        common.require_any_scope(caller, {"r_liteprofile", "r_basicprofile"}, "me", "GET", None)
        m = caller.member
        locale = {"country": m.locale_country, "language": m.locale_language}
        key = f"{m.locale_language}_{m.locale_country}"
        body: dict[str, Any] = {
            "localizedLastName": m.family_name,
            "lastName": {"localized": {key: m.family_name}, "preferredLocale": locale},
            "firstName": {"localized": {key: m.given_name}, "preferredLocale": locale},
            "id": m.id,
            "localizedFirstName": m.given_name,
        }
        if "r_basicprofile" in caller.scopes:
            body["localizedHeadline"] = m.headline
            body["vanityName"] = m.vanity_name
        return JSONResponse(body)


@media_router.get("/dms/image/{member_id}/{variant}/0/")
def profile_picture(member_id: str, variant: str) -> Response:
    digest = hashlib.sha256(member_id.encode()).hexdigest()
    initials = member_id[:1].upper()
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        f'<rect width="100" height="100" fill="#{digest[:6]}"/>'
        f'<text x="50" y="62" font-size="40" text-anchor="middle" fill="#fff">{initials}</text>'
        "</svg>"
    )
    return Response(svg, media_type="image/svg+xml")
