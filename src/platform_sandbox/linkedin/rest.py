"""api.linkedin.com: OIDC userinfo, organizations, posts, images, comments and statistics.

Versioned resources live under ``/rest`` and require ``LinkedIn-Version`` and
``X-Restli-Protocol-Version: 2.0.0``; the legacy ``/v2`` resources kept here (userinfo, me,
socialActions) need neither. Every call is authenticated first, then version-checked, then
counted against the daily throttles, then checked for scopes and roles.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_sandbox import audience
from platform_sandbox.linkedin import common, errors, restli
from platform_sandbox.linkedin.common import Caller
from platform_sandbox.linkedin.models import (
    LiComment,
    LiImage,
    LiMember,
    LiOrganization,
    LiOrgRole,
    LiPost,
)
from platform_sandbox.platform import SandboxContext, context

router = APIRouter(route_class=common.LinkedInRoute)
# Upload URLs and profile pictures are served from LinkedIn's other hosts.
uploads_router = APIRouter(route_class=common.LinkedInRoute)
media_router = APIRouter(route_class=common.LinkedInRoute)

COMMENTARY_MAX = 3000
STATS_WINDOW = timedelta(days=365)
MEMBER_SOCIAL_READ = {"r_member_social"}
ORG_SOCIAL_READ = {"r_organization_social", "rw_organization_admin", "r_organization_admin"}
ORG_ADMIN = {"rw_organization_admin"}


def _versioned(
    request: Request, session: Session, ctx: SandboxContext, resource: str
) -> tuple[Caller, str]:
    caller = common.authenticate(request, session, ctx)
    version = common.check_version(request, ctx)
    common.count_call(session, ctx, caller, resource)
    return caller, version


def _legacy(request: Request, session: Session, ctx: SandboxContext, resource: str) -> Caller:
    caller = common.authenticate(request, session, ctx)
    common.count_call(session, ctx, caller, resource)
    return caller


def _paging(start: int, count: int, total: int | None = None) -> dict[str, Any]:
    paging: dict[str, Any] = {"start": start, "count": count, "links": []}
    if total is not None:
        paging["total"] = total
    return paging


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise errors.bad_request(f"Invalid value for param: {name}") from exc


def _unprocessable(field: str, description: str, code: str) -> errors.LinkedInError:
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


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise errors.bad_request("Invalid JSON in request body") from exc
    if not isinstance(body, dict):
        raise errors.bad_request("Request body must be a JSON object")
    return body


def _picture_url(request: Request, member: LiMember) -> str:
    base = str(request.base_url).rstrip("/")
    return f"{base}/media.licdn.com/dms/image/{member.id}/profile-displayphoto-shrink_100_100/0/"


# --- identity ---------------------------------------------------------------------------------


@router.get("/v2/userinfo")
def userinfo(request: Request) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller = _legacy(request, session, ctx, "userinfo")
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
        caller = _legacy(request, session, ctx, "me")
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


# --- organizations ----------------------------------------------------------------------------


@router.get("/rest/organizationAcls")
def organization_acls(request: Request) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = _versioned(request, session, ctx, "organizationAcls")
        common.require_any_scope(
            caller,
            ORG_SOCIAL_READ | {"w_organization_social"},
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
        start = _int_param(request, "start", 0)
        count = _int_param(request, "count", 10)
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
        return JSONResponse({"paging": _paging(start, count, len(rows)), "elements": elements})


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
        _caller, _version = _versioned(request, session, ctx, "organizations")
        org = (
            session.get(LiOrganization, int(organization_id)) if organization_id.isdigit() else None
        )
        if org is None:
            raise errors.not_found(f"Organization {organization_id} not found")
        return JSONResponse(_organization_body(org))


# --- posts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Act:
    """Acting as or reading an author: scopes by author kind, roles for organizations."""

    resource: str
    method: str
    member_scopes: frozenset[str]
    org_scopes: frozenset[str]
    roles: frozenset[str] = common.POSTING_ROLES
    field: str = "/author"
    location: str = "REQUEST_BODY"


_WRITE_MEMBER = frozenset({"w_member_social"})
_WRITE_ORG = frozenset({"w_organization_social"})
_READ_ROLES = frozenset(
    {"ADMINISTRATOR", "CONTENT_ADMIN", "ANALYST", "CURATOR", "DIRECT_SPONSORED_CONTENT_POSTER"}
)
POST_CREATE = _Act("partnerApiPostsExternal", "CREATE", _WRITE_MEMBER, _WRITE_ORG)
POST_DELETE = _Act(
    "partnerApiPostsExternal", "DELETE", _WRITE_MEMBER, _WRITE_ORG, field="/id", location="PATH"
)
POST_FIND = _Act(
    "partnerApiPostsExternal",
    "FINDER-author",
    frozenset(MEMBER_SOCIAL_READ),
    frozenset(ORG_SOCIAL_READ),
    _READ_ROLES,
    field="author",
    location="PARAMETER",
)
IMAGE_INIT = _Act(
    "images",
    "ACTION-initializeUpload",
    _WRITE_MEMBER,
    _WRITE_ORG,
    field="/initializeUploadRequest/owner",
)
COMMENT_CREATE = _Act("socialActions", "CREATE", _WRITE_MEMBER, _WRITE_ORG, field="/actor")


def _read_act(resource: str) -> _Act:
    return _Act(
        resource,
        "GET",
        frozenset(MEMBER_SOCIAL_READ),
        frozenset(ORG_SOCIAL_READ),
        _READ_ROLES,
        field="/id",
        location="PATH",
    )


def _require_author_permission(
    session: Session, caller: Caller, author: str, act: _Act, version: str | None
) -> None:
    """The token may act as ``author``: itself with member scopes, or an org it has a role on."""
    if author.startswith("urn:li:person:"):
        common.require_any_scope(caller, set(act.member_scopes), act.resource, act.method, version)
        if author != caller.person_urn:
            raise errors.unpermitted_field(act.location, act.field)
        return
    org_id = common.organization_id_of(author)
    if org_id is None:
        raise _unprocessable(act.field, f"{author} is not a valid author", "INVALID_VALUE")
    common.require_any_scope(caller, set(act.org_scopes), act.resource, act.method, version)
    if not common.roles_of(session, caller.member.id, org_id) & act.roles:
        raise errors.unpermitted_field(act.location, act.field)


def _media_ids(content: dict[str, Any]) -> list[str]:
    if "media" in content:
        media = content["media"]
        return [str(media.get("id", ""))] if isinstance(media, dict) else [""]
    if "multiImage" in content:
        images = (
            content["multiImage"].get("images", [])
            if isinstance(content["multiImage"], dict)
            else []
        )
        return [str(i.get("id", "")) if isinstance(i, dict) else "" for i in images]
    return []


@router.post("/rest/posts")
async def create_post(request: Request) -> Response:
    ctx = context(request)
    body = await _json_body(request)
    with ctx.store.session() as session:
        caller, version = _versioned(request, session, ctx, "posts.create")
        author = body.get("author")
        if not isinstance(author, str) or not author:
            raise _unprocessable(
                "/author",
                "field is required but not found and has no default value",
                "MISSING_FIELD",
            )
        _require_author_permission(session, caller, author, POST_CREATE, version)
        commentary = body.get("commentary", "")
        if not isinstance(commentary, str):
            raise _unprocessable("/commentary", "value is not a string", "INVALID_VALUE_TYPE")
        if len(commentary) > COMMENTARY_MAX:
            raise _unprocessable(
                "/commentary",
                f"length {len(commentary)} exceeds the maximum allowed length {COMMENTARY_MAX}",
                "FIELD_LENGTH_TOO_LONG",
            )
        for field, allowed in (
            ("visibility", {"PUBLIC", "CONNECTIONS", "LOGGED_IN", "CONTAINER"}),
            ("lifecycleState", {"PUBLISHED", "DRAFT"}),
        ):
            value = body.get(field)
            if value is None:
                raise _unprocessable(
                    f"/{field}",
                    "field is required but not found and has no default value",
                    "MISSING_FIELD",
                )
            if value not in allowed:
                raise _unprocessable(f"/{field}", f"{value} is not a valid value", "INVALID_ENUM")
        distribution = body.get("distribution")
        if not isinstance(distribution, dict) or "feedDistribution" not in distribution:
            raise _unprocessable(
                "/distribution",
                "field is required but not found and has no default value",
                "MISSING_FIELD",
            )
        content = body.get("content")
        media_ids: list[str] = []
        has_video = False
        if content is not None:
            if not isinstance(content, dict):
                raise _unprocessable("/content", "value is not a record", "INVALID_VALUE_TYPE")
            media_ids = _media_ids(content)
            for index, media_id in enumerate(media_ids):
                if media_id.startswith("urn:li:video:"):
                    has_video = True
                    continue
                image = session.get(LiImage, media_id)
                if image is None or image.owner != author or image.status != "AVAILABLE":
                    raise _unprocessable(
                        "/content/media/id"
                        if len(media_ids) == 1
                        else f"/content/multiImage/images/{index}/id",
                        f"{media_id} is not an available media asset owned by {author}",
                        "INVALID_VALUE",
                    )
        reshare = body.get("reshareContext")
        parent: str | None = None
        if isinstance(reshare, dict):
            parent = str(reshare.get("parent", ""))
            parent_post = session.get(LiPost, parent)
            if parent_post is None or parent_post.deleted:
                raise _unprocessable(
                    "/reshareContext/parent", f"{parent} does not exist", "INVALID_VALUE"
                )
        at = common.now(ctx)
        kind = "ugcPost" if media_ids else "share"
        urn = f"urn:li:{kind}:{common.activity_id(session, at)}"
        session.add(
            LiPost(
                urn=urn,
                author=author,
                commentary=commentary,
                visibility=str(body["visibility"]),
                lifecycle_state=str(body["lifecycleState"]),
                distribution=distribution,
                content=content,
                reshare_parent=parent,
                is_reshare_disabled=bool(body.get("isReshareDisabledByAuthor", False)),
                created_at=at,
                published_at=at,
                last_modified_at=at,
                audience_key=common.audience_key(urn),
                media_count=len(media_ids),
                has_video=has_video,
            )
        )
        return Response(status_code=201, headers={"x-restli-id": urn})


def _post_body(post: LiPost) -> dict[str, Any]:
    body: dict[str, Any] = {
        "isReshareDisabledByAuthor": post.is_reshare_disabled,
        "createdAt": common.epoch_ms(post.created_at),
        "lifecycleState": post.lifecycle_state,
        "lastModifiedAt": common.epoch_ms(post.last_modified_at),
        "visibility": post.visibility,
        "publishedAt": common.epoch_ms(post.published_at),
        "author": post.author,
        "id": post.urn,
        "distribution": post.distribution,
        "commentary": post.commentary,
        "lifecycleStateInfo": {"isEditedByAuthor": False},
    }
    if post.content:
        body["content"] = post.content
    if post.reshare_parent:
        body["reshareContext"] = {"parent": post.reshare_parent, "root": post.reshare_parent}
    return body


def _readable_post(
    session: Session, caller: Caller, urn: str, resource: str, version: str | None
) -> LiPost:
    post = session.get(LiPost, urn)
    if post is None or post.deleted:
        raise errors.not_found(f"Post {urn} not found")
    _require_author_permission(session, caller, post.author, _read_act(resource), version)
    return post


@router.get("/rest/posts/{urn}")
def get_post(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = _versioned(request, session, ctx, "posts.get")
        post = _readable_post(session, caller, urn, "partnerApiPostsExternal", version)
        return JSONResponse(_post_body(post))


@router.get("/rest/posts")
def find_posts(request: Request) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = _versioned(request, session, ctx, "posts.finder")
        if request.query_params.get("q") != "author":
            raise errors.bad_request("Missing or invalid finder: q")
        author = request.query_params.get("author", "")
        _require_author_permission(session, caller, author, POST_FIND, version)
        start = _int_param(request, "start", 0)
        count = min(_int_param(request, "count", 10), 100)
        posts = list(
            session.scalars(
                select(LiPost)
                .where(LiPost.author == author, LiPost.deleted.is_(False))
                .order_by(LiPost.published_at.desc())
            )
        )
        elements = [_post_body(p) for p in posts[start : start + count]]
        return JSONResponse({"paging": _paging(start, count, len(posts)), "elements": elements})


@router.delete("/rest/posts/{urn}")
def delete_post(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = _versioned(request, session, ctx, "posts.delete")
        post = session.get(LiPost, urn)
        if post is None:
            raise errors.not_found(f"Post {urn} not found")
        _require_author_permission(session, caller, post.author, POST_DELETE, version)
        # Idempotent, as the real endpoint: deleting again is another 204.
        post.deleted = True
        post.last_modified_at = common.now(ctx)
        return Response(status_code=204)


# --- images -----------------------------------------------------------------------------------


@router.post("/rest/images")
async def images_action(request: Request) -> Response:
    ctx = context(request)
    body = await _json_body(request)
    with ctx.store.session() as session:
        caller, version = _versioned(request, session, ctx, "images")
        if request.query_params.get("action") != "initializeUpload":
            raise errors.bad_request("Missing or unsupported action")
        init = body.get("initializeUploadRequest")
        owner = init.get("owner") if isinstance(init, dict) else None
        if not isinstance(owner, str) or not owner:
            raise _unprocessable(
                "/initializeUploadRequest/owner",
                "field is required but not found and has no default value",
                "MISSING_FIELD",
            )
        _require_author_permission(session, caller, owner, IMAGE_INIT, version)
        at = common.now(ctx)
        upload_token = common.random_token("", 32)
        urn = f"urn:li:image:D4E10AQ{common.random_token('', 16)}"
        expires = at + timedelta(days=1)
        session.add(
            LiImage(
                urn=urn,
                owner=owner,
                upload_token=upload_token,
                created_at=at,
                upload_expires_at=expires,
            )
        )
        base = str(request.base_url).rstrip("/")
        upload_url = f"{base}/www.linkedin.com/dms-uploads/sp/v2/{upload_token}/uploaded-image/0"
        return JSONResponse(
            {
                "value": {
                    "uploadUrlExpiresAt": common.epoch_ms(expires),
                    "uploadUrl": upload_url,
                    "image": urn,
                }
            }
        )


@uploads_router.put("/dms-uploads/sp/v2/{upload_token}/uploaded-image/0")
async def upload_image(request: Request, upload_token: str) -> Response:
    ctx = context(request)
    data = await request.body()
    with ctx.store.session() as session:
        if request.headers.get("authorization"):
            common.authenticate(request, session, ctx)
        image = session.scalars(select(LiImage).where(LiImage.upload_token == upload_token)).first()
        if image is None or image.upload_expires_at <= common.now(ctx):
            raise errors.not_found("Upload URL not found or expired")
        if not data:
            raise errors.bad_request("Empty upload")
        image.size_bytes = len(data)
        image.media_type = request.headers.get("content-type", "application/octet-stream")
        image.status = "AVAILABLE"
        return Response(status_code=201)


@router.get("/rest/images/{urn}")
def get_image(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        _caller, _version = _versioned(request, session, ctx, "images")
        image = session.get(LiImage, urn)
        if image is None:
            raise errors.not_found(f"Image {urn} not found")
        at = common.now(ctx)
        return JSONResponse(
            {
                "owner": image.owner,
                "status": image.status,
                "id": image.urn,
                "downloadUrlExpiresAt": common.epoch_ms(at + timedelta(days=1)),
                "downloadUrl": f"{str(request.base_url).rstrip('/')}/www.linkedin.com/"
                f"dms-uploads/sp/v2/{image.upload_token}/uploaded-image/0",
            }
        )


# --- comments and social metadata -------------------------------------------------------------


def _activity_of(post: LiPost) -> str:
    return f"urn:li:activity:{post.urn.rsplit(':', 1)[1]}"


def _comment_body(
    post: LiPost, comment_id: str, actor: str, text: str, created: datetime
) -> dict[str, Any]:
    urn = f"urn:li:comment:({_activity_of(post)},{comment_id})"
    stamp = {"actor": actor, "time": common.epoch_ms(created)}
    return {
        "actor": actor,
        "commentUrn": urn,
        "created": stamp,
        "lastModified": stamp,
        "id": comment_id,
        "message": {"attributes": [], "text": text},
        "object": post.urn,
        "$URN": urn,
    }


def _simulated_comments(ctx: SandboxContext, post: LiPost, at: datetime) -> list[dict[str, Any]]:
    metrics = common.metrics_of(ctx, post, at)
    texts = audience.comments(ctx.seed, post.audience_key, metrics.comments)
    span = max(at - post.published_at, timedelta(0))
    out = []
    for index, (text, _sentiment) in enumerate(texts):
        digest = hashlib.sha256(f"{post.audience_key}:{index}".encode()).hexdigest()
        actor = f"urn:li:person:sim{digest[:8]}"
        # Comments arrive like the engagement curve: most in the first hours.
        share = 1 - (1 - (index + 1) / (len(texts) + 1)) ** 0.25
        created = post.published_at + min(span, timedelta(hours=48)) * (1 - share) ** 3
        comment_id = str(int(digest[8:20], 16) % 10**16)
        out.append(_comment_body(post, comment_id, actor, text, created))
    return out


def _all_comments(session: Session, ctx: SandboxContext, post: LiPost) -> list[dict[str, Any]]:
    at = common.now(ctx)
    comments = _simulated_comments(ctx, post, at)
    stored = session.scalars(
        select(LiComment).where(LiComment.post_urn == post.urn).order_by(LiComment.id)
    )
    comments += [_comment_body(post, str(c.id), c.actor, c.text, c.created_at) for c in stored]
    comments.sort(key=lambda c: int(c["created"]["time"]))
    return comments


@router.get("/rest/socialActions/{urn}/comments")
@router.get("/v2/socialActions/{urn}/comments")
def list_comments(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        if "/rest/" in request.url.path:
            caller, version = _versioned(request, session, ctx, "comments")
        else:
            caller, version = _legacy(request, session, ctx, "comments"), ""
        post = _readable_post(session, caller, urn, "socialActions", version or None)
        comments = _all_comments(session, ctx, post)
        start = _int_param(request, "start", 0)
        count = min(_int_param(request, "count", 10), 100)
        return JSONResponse(
            {
                "paging": _paging(start, count, len(comments)),
                "elements": comments[start : start + count],
            }
        )


@router.post("/rest/socialActions/{urn}/comments")
@router.post("/v2/socialActions/{urn}/comments")
async def create_comment(request: Request, urn: str) -> Response:
    ctx = context(request)
    body = await _json_body(request)
    with ctx.store.session() as session:
        if "/rest/" in request.url.path:
            caller, version = _versioned(request, session, ctx, "comments")
        else:
            caller, version = _legacy(request, session, ctx, "comments"), ""
        post = session.get(LiPost, urn)
        if post is None or post.deleted:
            raise errors.not_found(f"Post {urn} not found")
        actor = body.get("actor")
        message = body.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(actor, str) or not actor:
            raise _unprocessable(
                "/actor",
                "field is required but not found and has no default value",
                "MISSING_FIELD",
            )
        if not isinstance(text, str) or not text:
            raise _unprocessable(
                "/message/text",
                "field is required but not found and has no default value",
                "MISSING_FIELD",
            )
        _require_author_permission(session, caller, actor, COMMENT_CREATE, version or None)
        comment = LiComment(
            post_urn=post.urn,
            actor=actor,
            text=text,
            parent_comment=body.get("parentComment"),
            created_at=common.now(ctx),
        )
        session.add(comment)
        session.flush()
        created = _comment_body(post, str(comment.id), actor, text, comment.created_at)
        return JSONResponse(created, status_code=201, headers={"x-restli-id": created["$URN"]})


_REACTIONS = (
    ("LIKE", 0.70),
    ("PRAISE", 0.12),
    ("EMPATHY", 0.08),
    ("INTEREST", 0.05),
    ("APPRECIATION", 0.03),
    ("ENTERTAINMENT", 0.02),
)


def _reactions(likes: int) -> dict[str, int]:
    out: dict[str, int] = {}
    left = likes
    for name, share in _REACTIONS[1:]:
        n = int(likes * share)
        out[name] = n
        left -= n
    out = {"LIKE": left, **out}
    return {k: v for k, v in out.items() if v > 0}


@router.get("/rest/socialMetadata/{urn}")
def social_metadata(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = _versioned(request, session, ctx, "socialMetadata")
        post = _readable_post(session, caller, urn, "socialMetadata", version)
        metrics = common.metrics_of(ctx, post, common.now(ctx))
        comments = len(_all_comments(session, ctx, post))
        return JSONResponse(
            {
                "reactionSummaries": {
                    kind: {"reactionType": kind, "count": n}
                    for kind, n in _reactions(metrics.likes).items()
                },
                "commentsState": "OPEN",
                "commentSummary": {"count": comments, "topLevelCount": comments},
                "entity": post.urn,
            }
        )


@router.get("/v2/socialActions/{urn}")
def social_actions(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller = _legacy(request, session, ctx, "socialActions")
        post = _readable_post(session, caller, urn, "socialActions", None)
        metrics = common.metrics_of(ctx, post, common.now(ctx))
        comments = len(_all_comments(session, ctx, post))
        return JSONResponse(
            {
                "likesSummary": {"totalLikes": metrics.likes, "likedByCurrentUser": False},
                "commentsSummary": {
                    "totalFirstLevelComments": comments,
                    "commentsState": "OPEN",
                },
                "target": post.urn,
            }
        )


# --- statistics -------------------------------------------------------------------------------


def _time_intervals(request: Request, at: datetime) -> list[tuple[datetime, datetime]] | None:
    raw = restli.raw_query_params(request.url.query).get("timeIntervals")
    if not raw:
        return None
    try:
        value = restli.parse(raw[0])
        if not isinstance(value, dict):
            raise restli.RestliSyntaxError("timeIntervals must be a record")
        time_range = value.get("timeRange")
        if not isinstance(time_range, dict):
            raise restli.RestliSyntaxError("timeIntervals.timeRange is required")
        start = common.from_ms(int(time_range["start"]))
        end = common.from_ms(int(time_range["end"])) if "end" in time_range else at
        granularity = value.get("timeGranularityType", "DAY")
    except (restli.RestliSyntaxError, KeyError, ValueError, TypeError) as exc:
        raise errors.bad_request(f"Invalid value for param: timeIntervals ({exc})") from exc
    steps = {"DAY": timedelta(days=1), "WEEK": timedelta(days=7)}
    if granularity not in steps or end <= start:
        raise errors.bad_request("Invalid value for param: timeIntervals")
    step = steps[str(granularity)]
    buckets: list[tuple[datetime, datetime]] = []
    cursor = start
    # Statistics cover a rolling 12 months and nothing after now.
    while cursor < end and cursor < at:
        bucket_end = min(cursor + step, end)
        if bucket_end > at - STATS_WINDOW:
            buckets.append((cursor, bucket_end))
        cursor = cursor + step
    return buckets


def _org_param(request: Request) -> tuple[str, int]:
    if request.query_params.get("q") != "organizationalEntity":
        raise errors.bad_request("Missing or invalid finder: q")
    urn = request.query_params.get("organizationalEntity", "")
    org_id = common.organization_id_of(urn)
    if org_id is None:
        raise errors.bad_request("Invalid value for param: organizationalEntity")
    return urn, org_id


def _require_org_admin(
    session: Session, caller: Caller, org_id: int, resource: str, version: str
) -> None:
    common.require_any_scope(caller, ORG_ADMIN, resource, "FINDER-organizationalEntity", version)
    if "ADMINISTRATOR" not in common.roles_of(session, caller.member.id, org_id):
        raise errors.unpermitted_field("PARAMETER", "/organizationalEntity")


def _metrics_at(ctx: SandboxContext, posts: list[LiPost], at: datetime) -> audience.PostMetrics:
    return common.sum_metrics([common.metrics_of(ctx, p, at) for p in posts if p.published_at < at])


@router.get("/rest/organizationalEntityShareStatistics")
def share_statistics(request: Request) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = _versioned(request, session, ctx, "shareStatistics")
        org_urn, org_id = _org_param(request)
        _require_org_admin(session, caller, org_id, "organizationalEntityShareStatistics", version)
        at = common.now(ctx)
        raw = restli.raw_query_params(request.url.query)
        selected: list[tuple[str, LiPost]] = []
        for param in ("shares", "ugcPosts"):
            for value in raw.get(param, []):
                try:
                    urns = restli.parse_urn_list(value)
                except restli.RestliSyntaxError as exc:
                    raise errors.bad_request(f"Invalid value for param: {param}") from exc
                for index, urn in enumerate(urns):
                    post = session.get(LiPost, urn)
                    expected = "share" if param == "shares" else "ugcPost"
                    if (
                        post is None
                        or post.deleted
                        or post.author != org_urn
                        or not urn.startswith(f"urn:li:{expected}:")
                    ):
                        raise errors.unpermitted_field("PARAMETER", f"/{param}[{index}]")
                    selected.append((expected, post))
        buckets = _time_intervals(request, at)
        elements: list[dict[str, Any]] = []
        if selected:
            for key, post in selected:
                if buckets is None:
                    elements.append(
                        {
                            "organizationalEntity": org_urn,
                            key: post.urn,
                            "totalShareStatistics": common.share_statistics(
                                common.metrics_of(ctx, post, at)
                            ),
                        }
                    )
                    continue
                for start, end in buckets:
                    delta = common.diff_metrics(
                        common.metrics_of(ctx, post, start), common.metrics_of(ctx, post, end)
                    )
                    elements.append(
                        {
                            "organizationalEntity": org_urn,
                            key: post.urn,
                            "timeRange": {
                                "start": common.epoch_ms(start),
                                "end": common.epoch_ms(end),
                            },
                            "totalShareStatistics": common.share_statistics(delta),
                        }
                    )
        else:
            posts = list(
                session.scalars(
                    select(LiPost).where(
                        LiPost.author == org_urn,
                        LiPost.deleted.is_(False),
                        LiPost.published_at > at - STATS_WINDOW,
                    )
                )
            )
            if buckets is None:
                elements.append(
                    {
                        "organizationalEntity": org_urn,
                        "totalShareStatistics": common.share_statistics(
                            _metrics_at(ctx, posts, at)
                        ),
                    }
                )
            else:
                snapshots: dict[datetime, audience.PostMetrics] = {}
                for start, end in buckets:
                    for edge in (start, end):
                        if edge not in snapshots:
                            snapshots[edge] = _metrics_at(ctx, posts, edge)
                    elements.append(
                        {
                            "organizationalEntity": org_urn,
                            "timeRange": {
                                "start": common.epoch_ms(start),
                                "end": common.epoch_ms(end),
                            },
                            "totalShareStatistics": common.share_statistics(
                                common.diff_metrics(snapshots[start], snapshots[end])
                            ),
                        }
                    )
        return JSONResponse({"paging": _paging(0, len(elements)), "elements": elements})


_SENIORITIES = [
    (f"urn:li:seniority:{i}", w)
    for i, w in [
        (1, 0.05),
        (2, 0.10),
        (3, 0.30),
        (4, 0.22),
        (5, 0.13),
        (6, 0.08),
        (7, 0.05),
        (8, 0.04),
        (9, 0.02),
        (10, 0.01),
    ]
]
_FUNCTIONS = [
    (f"urn:li:function:{i}", w)
    for i, w in [(1, 0.06), (4, 0.12), (8, 0.18), (13, 0.09), (15, 0.25), (18, 0.10), (25, 0.20)]
]


def _split(total: int, weights: list[tuple[str, float]], key: str) -> list[dict[str, Any]]:
    out = []
    left = total
    for index, (urn, weight) in enumerate(weights):
        n = left if index == len(weights) - 1 else int(total * weight)
        left -= n
        out.append(
            {key: urn, "followerCounts": {"organicFollowerCount": n, "paidFollowerCount": 0}}
        )
    return out


@router.get("/rest/organizationalEntityFollowerStatistics")
def follower_statistics(request: Request) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = _versioned(request, session, ctx, "followerStatistics")
        org_urn, org_id = _org_param(request)
        _require_org_admin(
            session, caller, org_id, "organizationalEntityFollowerStatistics", version
        )
        at = common.now(ctx)
        profile = common.profile_of(ctx, org_urn)
        buckets = _time_intervals(request, at)
        elements: list[dict[str, Any]] = []
        if buckets is None:
            followers = audience.followers_at(profile, at)
            employees = max(1, followers // 40)
            elements.append(
                {
                    "followerCountsByAssociationType": [
                        {
                            "followerCounts": {
                                "organicFollowerCount": employees,
                                "paidFollowerCount": 0,
                            },
                            "associationType": "EMPLOYEE",
                        }
                    ],
                    "followerCountsBySeniority": _split(followers, _SENIORITIES, "seniority"),
                    "followerCountsByFunction": _split(followers, _FUNCTIONS, "function"),
                    "followerCountsByIndustry": [],
                    "followerCountsByGeoCountry": [],
                    "followerCountsByGeo": [],
                    "followerCountsByStaffCountRange": [],
                    "organizationalEntity": org_urn,
                }
            )
        else:
            for start, end in buckets:
                gain = audience.followers_at(profile, end) - audience.followers_at(profile, start)
                elements.append(
                    {
                        "timeRange": {"start": common.epoch_ms(start), "end": common.epoch_ms(end)},
                        "followerGains": {"organicFollowerGain": gain, "paidFollowerGain": 0},
                        "organizationalEntity": org_urn,
                    }
                )
        return JSONResponse({"paging": _paging(0, len(elements)), "elements": elements})


@router.get("/rest/networkSizes/{urn}")
def network_sizes(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = _versioned(request, session, ctx, "networkSizes")
        common.require_any_scope(
            caller, ORG_SOCIAL_READ | {"w_organization_social"}, "networkSizes", "GET", version
        )
        edge = request.query_params.get("edgeType")
        if edge not in {"COMPANY_FOLLOWED_BY_MEMBER", "CompanyFollowedByMember"}:
            raise errors.bad_request("Invalid value for param: edgeType")
        org_id = common.organization_id_of(urn)
        if org_id is None or session.get(LiOrganization, org_id) is None:
            raise errors.not_found(f"Organization {urn} not found")
        size = audience.followers_at(common.profile_of(ctx, urn), common.now(ctx))
        return JSONResponse({"firstDegreeSize": size})


_QUERY_TYPES = {
    "IMPRESSION": "impressions",
    "MEMBERS_REACHED": "reach",
    "RESHARE": "shares",
    "REACTION": "likes",
    "COMMENT": "comments",
}


@router.get("/rest/memberCreatorPostAnalytics")
def member_post_analytics(request: Request) -> Response:
    """B.4b [uncertain]: request form from memory of the doc; response shape not verified."""
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = _versioned(request, session, ctx, "memberCreatorPostAnalytics")
        q = request.query_params.get("q")
        common.require_any_scope(
            caller,
            {"r_member_postAnalytics"},
            "memberCreatorPostAnalytics",
            f"FINDER-{q}",
            version,
        )
        query_type = request.query_params.get("queryType", "")
        if query_type not in _QUERY_TYPES:
            raise errors.bad_request("Invalid value for param: queryType")
        at = common.now(ctx)
        if q == "entity":
            raw = restli.raw_query_params(request.url.query).get("entity", [""])[0]
            try:
                entity = restli.parse(raw)
            except restli.RestliSyntaxError as exc:
                raise errors.bad_request("Invalid value for param: entity") from exc
            urn = next(iter(entity.values()), "") if isinstance(entity, dict) else ""
            post = session.get(LiPost, str(urn))
            if post is None or post.deleted or post.author != caller.person_urn:
                raise errors.unpermitted_field("PARAMETER", "/entity")
            posts = [post]
        elif q == "me":
            posts = list(
                session.scalars(
                    select(LiPost).where(
                        LiPost.author == caller.person_urn, LiPost.deleted.is_(False)
                    )
                )
            )
        else:
            raise errors.bad_request("Missing or invalid finder: q")
        total = _metrics_at(ctx, posts, at)
        count = int(getattr(total, _QUERY_TYPES[query_type]))
        return JSONResponse(
            {
                "paging": _paging(0, 1),
                "elements": [{"count": count, "metricType": query_type}],
            }
        )
