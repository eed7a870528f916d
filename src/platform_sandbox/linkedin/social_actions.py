"""api.linkedin.com comments (``socialActions/{urn}/comments``, simulated and written), reactions
and comment counts (``socialMetadata``, the legacy ``/v2/socialActions``)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from platform_sandbox import audience
from platform_sandbox.linkedin import common, errors, posts, rest
from platform_sandbox.linkedin.models import LiComment, LiPost
from platform_sandbox.platform import SandboxContext, context

router = APIRouter(route_class=common.LinkedInRoute)

COMMENT_CREATE = rest.Act(
    "socialActions", "CREATE", rest.WRITE_MEMBER, rest.WRITE_ORG, field="/actor"
)


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
    mood = audience.comment_mood(
        ctx.seed, common.profile_of(ctx, post.author), post.audience_key, common.features_of(post)
    )
    texts = audience.comments(ctx.seed, post.audience_key, metrics.comments, mood)
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
            caller, version = rest.versioned(request, session, ctx, "comments")
        else:
            caller, version = rest.legacy(request, session, ctx, "comments"), ""
        post = posts.readable_post(session, caller, urn, "socialActions", version or None)
        comments = _all_comments(session, ctx, post)
        start = rest.int_param(request, "start", 0)
        count = min(rest.int_param(request, "count", 10), 100)
        return JSONResponse(
            {
                "paging": rest.paging(start, count, len(comments)),
                "elements": comments[start : start + count],
            }
        )


@router.post("/rest/socialActions/{urn}/comments")
@router.post("/v2/socialActions/{urn}/comments")
async def create_comment(request: Request, urn: str) -> Response:
    ctx = context(request)
    body = await rest.json_body(request)
    with ctx.store.session() as session:
        if "/rest/" in request.url.path:
            caller, version = rest.versioned(request, session, ctx, "comments")
        else:
            caller, version = rest.legacy(request, session, ctx, "comments"), ""
        post = session.get(LiPost, urn)
        if post is None or post.deleted:
            raise errors.not_found(f"Post {urn} not found")
        actor = body.get("actor")
        message = body.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(actor, str) or not actor:
            raise rest.unprocessable(
                "/actor",
                "field is required but not found and has no default value",
                "MISSING_FIELD",
            )
        if not isinstance(text, str) or not text:
            raise rest.unprocessable(
                "/message/text",
                "field is required but not found and has no default value",
                "MISSING_FIELD",
            )
        rest.require_author_permission(session, caller, actor, COMMENT_CREATE, version or None)
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
        caller, version = rest.versioned(request, session, ctx, "socialMetadata")
        post = posts.readable_post(session, caller, urn, "socialMetadata", version)
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
        caller = rest.legacy(request, session, ctx, "socialActions")
        post = posts.readable_post(session, caller, urn, "socialActions", None)
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
