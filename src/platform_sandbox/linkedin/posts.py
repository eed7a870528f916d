"""api.linkedin.com Posts API: create, get, find by author and delete posts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_sandbox.linkedin import common, errors, images, rest
from platform_sandbox.linkedin.common import Caller
from platform_sandbox.linkedin.models import LiImage, LiPost
from platform_sandbox.platform import context

router = APIRouter(route_class=common.LinkedInRoute)

COMMENTARY_MAX = 3000
POST_CREATE = rest.Act("partnerApiPostsExternal", "CREATE", rest.WRITE_MEMBER, rest.WRITE_ORG)
POST_DELETE = rest.Act(
    "partnerApiPostsExternal",
    "DELETE",
    rest.WRITE_MEMBER,
    rest.WRITE_ORG,
    field="/id",
    location="PATH",
)
POST_FIND = rest.Act(
    "partnerApiPostsExternal",
    "FINDER-author",
    frozenset(rest.MEMBER_SOCIAL_READ),
    frozenset(rest.ORG_SOCIAL_READ),
    rest.READ_ROLES,
    field="author",
    location="PARAMETER",
)


def media_ids_of(content: dict[str, Any]) -> list[str]:
    if "media" in content:
        media = content["media"]
        return [str(media.get("id", ""))] if isinstance(media, dict) else [""]
    if "multiImage" in content:
        listed = (
            content["multiImage"].get("images", [])
            if isinstance(content["multiImage"], dict)
            else []
        )
        return [str(i.get("id", "")) if isinstance(i, dict) else "" for i in listed]
    return []


@router.post("/rest/posts")
async def create_post(request: Request) -> Response:
    ctx = context(request)
    body = await rest.json_body(request)
    with ctx.store.session() as session:
        caller, version = rest.versioned(request, session, ctx, "posts.create")
        author = body.get("author")
        if not isinstance(author, str) or not author:
            raise rest.unprocessable(
                "/author",
                "field is required but not found and has no default value",
                "MISSING_FIELD",
            )
        rest.require_author_permission(session, caller, author, POST_CREATE, version)
        commentary = body.get("commentary", "")
        if not isinstance(commentary, str):
            raise rest.unprocessable("/commentary", "value is not a string", "INVALID_VALUE_TYPE")
        if len(commentary) > COMMENTARY_MAX:
            raise rest.unprocessable(
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
                raise rest.unprocessable(
                    f"/{field}",
                    "field is required but not found and has no default value",
                    "MISSING_FIELD",
                )
            if value not in allowed:
                raise rest.unprocessable(
                    f"/{field}", f"{value} is not a valid value", "INVALID_ENUM"
                )
        distribution = body.get("distribution")
        if not isinstance(distribution, dict) or "feedDistribution" not in distribution:
            raise rest.unprocessable(
                "/distribution",
                "field is required but not found and has no default value",
                "MISSING_FIELD",
            )
        content = body.get("content")
        media_ids: list[str] = []
        has_video = False
        if content is not None:
            if not isinstance(content, dict):
                raise rest.unprocessable("/content", "value is not a record", "INVALID_VALUE_TYPE")
            media_ids = media_ids_of(content)
            for index, media_id in enumerate(media_ids):
                if media_id.startswith("urn:li:video:"):
                    has_video = True
                    continue
                image = session.get(LiImage, media_id)
                if (
                    image is None
                    or image.owner != author
                    or images.status_of(ctx, image) != "AVAILABLE"
                ):
                    raise rest.unprocessable(
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
                raise rest.unprocessable(
                    "/reshareContext/parent", f"{parent} does not exist", "INVALID_VALUE"
                )
        at = common.now(ctx)
        duplicate = _recent_duplicate(session, author, commentary, content, at)
        if duplicate is not None:
            raise _duplicate_error(duplicate)
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


# LinkedIn refuses a post whose content repeats one of the author's recent posts; it documents
# neither the window nor the rule. A day, for the same commentary and media, is the sandbox's
# reading of the reports (a retry within minutes is always refused).
DUPLICATE_WINDOW = timedelta(hours=24)


def _recent_duplicate(
    session: Session, author: str, commentary: str, content: Any, at: datetime
) -> LiPost | None:
    candidates = session.scalars(
        select(LiPost).where(
            LiPost.author == author,
            LiPost.commentary == commentary,
            LiPost.deleted.is_(False),
            LiPost.created_at >= at - DUPLICATE_WINDOW,
        )
    )
    return next((p for p in candidates if (p.content or None) == (content or None)), None)


def _duplicate_error(duplicate: LiPost) -> errors.LinkedInError:
    # The body LinkedIn sends, as observed (Arisamiga/Linkedin-RSS issue #5).
    return errors.LinkedInError(
        {
            "errorDetailType": "com.linkedin.common.error.BadRequest",
            "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
            f"Content is a duplicate of {duplicate.urn}",
            "errorDetails": {
                "inputErrors": [
                    {
                        "description": "Duplicate post is detected",
                        "input": {},
                        "code": "DUPLICATE_POST",
                    }
                ]
            },
            "status": 422,
        }
    )


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


def readable_post(
    session: Session, caller: Caller, urn: str, resource: str, version: str | None
) -> LiPost:
    post = session.get(LiPost, urn)
    if post is None or post.deleted:
        raise errors.not_found(f"Post {urn} not found")
    rest.require_author_permission(session, caller, post.author, rest.read_act(resource), version)
    return post


@router.get("/rest/posts/{urn}")
def get_post(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = rest.versioned(request, session, ctx, "posts.get")
        post = readable_post(session, caller, urn, "partnerApiPostsExternal", version)
        return JSONResponse(_post_body(post))


@router.get("/rest/posts")
def find_posts(request: Request) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = rest.versioned(request, session, ctx, "posts.finder")
        if request.query_params.get("q") != "author":
            raise errors.bad_request("Missing or invalid finder: q")
        author = request.query_params.get("author", "")
        rest.require_author_permission(session, caller, author, POST_FIND, version)
        start = rest.int_param(request, "start", 0)
        count = min(rest.int_param(request, "count", 10), 100)
        posts = list(
            session.scalars(
                select(LiPost)
                .where(LiPost.author == author, LiPost.deleted.is_(False))
                .order_by(LiPost.published_at.desc())
            )
        )
        elements = [_post_body(p) for p in posts[start : start + count]]
        return JSONResponse({"paging": rest.paging(start, count, len(posts)), "elements": elements})


@router.delete("/rest/posts/{urn}")
def delete_post(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        caller, version = rest.versioned(request, session, ctx, "posts.delete")
        post = session.get(LiPost, urn)
        if post is None:
            raise errors.not_found(f"Post {urn} not found")
        rest.require_author_permission(session, caller, post.author, POST_DELETE, version)
        # Idempotent, as the real endpoint: deleting again is another 204.
        post.deleted = True
        post.last_modified_at = common.now(ctx)
        return Response(status_code=204)
