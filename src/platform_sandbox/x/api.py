"""X API v2 users and posts: lookup, create (threads, quotes, media), delete, timelines and
recent search, with X's parameters, defaults, partial errors and pagination tokens."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from platform_sandbox import audience
from platform_sandbox.platform import SandboxContext, context
from platform_sandbox.x import errors
from platform_sandbox.x.common import (
    MEDIA_FIELDS,
    READ_SCOPES,
    TWEET_EXPANSIONS,
    TWEET_FIELDS,
    USER_FIELDS,
    WRITE_SCOPES,
    XAuth,
    XRoute,
    features,
    metrics,
    profile,
    require,
    snowflake,
    split_list,
    tweet_json,
    user_json,
)
from platform_sandbox.x.models import XMedia, XTweet, XUser

router = APIRouter(route_class=XRoute)

DUPLICATE_WINDOW = timedelta(days=30)
RECENT_SEARCH_WINDOW = timedelta(days=7)
MAX_SIMULATED_REPLIES = 100
_HASHTAG = re.compile(r"(?:^|\s)#\w+")


def _weighted_length(text: str) -> tuple[int, bool]:
    import warnings

    with warnings.catch_warnings():
        # twitter-text imports pkg_resources, which warns on every fresh interpreter.
        warnings.simplefilter("ignore")
        from twitter_text import parse_tweet

    result = parse_tweet(text)
    return int(result.weightedLength), bool(result.valid)


class _Query:
    """The field/expansion parameters shared by every post-returning endpoint."""

    def __init__(self, request: Request) -> None:
        params = request.query_params
        self.tweet_fields = split_list(params.get("tweet.fields"), "tweet.fields", TWEET_FIELDS)
        self.user_fields = split_list(params.get("user.fields"), "user.fields", USER_FIELDS)
        self.expansions = split_list(params.get("expansions"), "expansions", TWEET_EXPANSIONS)
        self.media_fields = split_list(params.get("media.fields"), "media.fields", MEDIA_FIELDS)


def _render(
    ctx: SandboxContext,
    session: Session,
    tweets: list[XTweet],
    query: _Query,
    auth: XAuth,
    known_authors: dict[str, XUser] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Posts visible to ``auth``, the problems for the ones withheld, and ``includes``."""
    data: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    authors: dict[str, XUser] = dict(known_authors or {})
    for tweet in tweets:
        author = authors.get(tweet.author_id) or session.get(XUser, tweet.author_id)
        if author is None:
            continue
        authors[author.id] = author
        item, field_problems = tweet_json(ctx, tweet, author, query.tweet_fields, auth)
        if field_problems:
            # X withholds the whole post when a private field cannot be shown.
            problems.extend(field_problems)
            continue
        data.append(item)
    includes: dict[str, Any] = {}
    if "author_id" in query.expansions and data:
        ids = list(dict.fromkeys(t["author_id"] for t in _with_author(data, tweets)))
        includes["users"] = [
            user_json(ctx, session, authors[i], query.user_fields) for i in ids if i in authors
        ]
    if "attachments.media_keys" in query.expansions:
        keys = [k for t in tweets for k in (t.media_keys or [])]
        if keys:
            media = session.scalars(select(XMedia).where(XMedia.media_key.in_(keys))).all()
            by_key = {m.media_key: m for m in media}
            rendered: list[dict[str, Any]] = []
            for tweet in tweets:
                for key in tweet.media_keys or []:
                    entry = _media_json(ctx, session, tweet, key, by_key.get(key), query, authors)
                    if entry is not None:
                        rendered.append(entry)
            includes["media"] = rendered
    return data, problems, includes


def _media_json(
    ctx: SandboxContext,
    session: Session,
    tweet: XTweet,
    key: str,
    media: XMedia | None,
    query: _Query,
    authors: dict[str, XUser],
) -> dict[str, Any] | None:
    """One ``includes.media`` entry. Seeded posts carry keys without an uploaded object
    ("7_<id>" for a video, "3_<id>" for a photo: X's key prefixes); uploads know their category.
    ``public_metrics.view_count`` is on videos only (reference A.4; spec schema Video)."""
    if media is not None:
        kind = _media_type(media.media_category)
    else:
        prefix = key.split("_", maxsplit=1)[0]
        kind = {"7": "video", "16": "animated_gif", "3": "photo"}.get(prefix, "")
        if not kind:
            return None
    out: dict[str, Any] = {"media_key": key, "type": kind}
    author = authors.get(tweet.author_id) or session.get(XUser, tweet.author_id)
    if "public_metrics" in query.media_fields and kind == "video" and author is not None:
        out["public_metrics"] = {"view_count": metrics(ctx, tweet, author).video_views}
    return out


def _with_author(data: list[dict[str, Any]], tweets: list[XTweet]) -> list[dict[str, str]]:
    by_id = {t.id: t.author_id for t in tweets}
    return [{"author_id": by_id[d["id"]]} for d in data]


def _media_type(category: str) -> str:
    if "gif" in category:
        return "animated_gif"
    return "video" if "video" in category else "photo"


def _body(
    data: Any, problems: list[dict[str, Any]], includes: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if data:
        body["data"] = data
    if includes:
        body["includes"] = includes
    if problems:
        body["errors"] = problems
    return body


# --- users ---------------------------------------------------------------------------------


@router.get("/2/users/me")
def users_me(
    request: Request, auth: XAuth = Depends(require("GET /2/users/me", READ_SCOPES))
) -> Response:
    ctx = context(request)
    fields = split_list(request.query_params.get("user.fields"), "user.fields", USER_FIELDS)
    with ctx.store.session() as session:
        user = session.get(XUser, auth.user_id)
        if user is None:
            raise errors.unauthorized()
        return JSONResponse({"data": user_json(ctx, session, user, fields)})


@router.get("/2/users/by/username/{username}")
def user_by_username(
    request: Request,
    username: str,
    auth: XAuth = Depends(require("GET /2/users/by/username/{username}", READ_SCOPES)),
) -> Response:
    ctx = context(request)
    fields = split_list(request.query_params.get("user.fields"), "user.fields", USER_FIELDS)
    with ctx.store.session() as session:
        user = session.scalars(select(XUser).where(XUser.username.ilike(username))).first()
        if user is None:
            return JSONResponse(
                {"errors": [errors.not_found_problem("user", "username", username)]}
            )
        if user.suspended:
            return JSONResponse({"errors": [errors.suspended_problem("username", username)]})
        return JSONResponse({"data": user_json(ctx, session, user, fields)})


@router.get("/2/users/{id}")
def user_by_id(
    request: Request, id: str, auth: XAuth = Depends(require("GET /2/users/{id}", READ_SCOPES))
) -> Response:
    ctx = context(request)
    fields = split_list(request.query_params.get("user.fields"), "user.fields", USER_FIELDS)
    with ctx.store.session() as session:
        user = session.get(XUser, id)
        if user is None:
            return JSONResponse({"errors": [errors.not_found_problem("user", "id", id)]})
        if user.suspended:
            return JSONResponse({"errors": [errors.suspended_problem("id", id)]})
        return JSONResponse({"data": user_json(ctx, session, user, fields)})


# --- posts ---------------------------------------------------------------------------------


def _check_ids(raw: str, parameter: str) -> list[str]:
    ids = [i for i in raw.split(",") if i]
    if not ids or len(ids) > 100:
        raise errors.invalid_request(
            f"`{parameter}` query parameter value [{raw}] does not contain between 1 and 100 items",
            {parameter: [raw]},
        )
    for value in ids:
        if not re.fullmatch(r"[0-9]{1,19}", value):
            raise errors.invalid_request(
                f"The `{parameter}` query parameter value [{value}] is not valid",
                {parameter: [raw]},
            )
    return ids


@router.get("/2/tweets")
def get_tweets(
    request: Request,
    ids: str,
    auth: XAuth = Depends(require("GET /2/tweets", READ_SCOPES)),
) -> Response:
    ctx = context(request)
    wanted = _check_ids(ids, "ids")
    query = _Query(request)
    with ctx.store.session() as session:
        found = {t.id: t for t in session.scalars(select(XTweet).where(XTweet.id.in_(wanted)))}
        ordered = [found[i] for i in wanted if i in found]
        data, problems, includes = _render(ctx, session, ordered, query, auth)
        missing = [errors.not_found_problem("tweet", "ids", i) for i in wanted if i not in found]
        return JSONResponse(_body(data, missing + problems, includes))


@router.get("/2/tweets/search/recent")
def search_recent(
    request: Request,
    query: str,
    auth: XAuth = Depends(require("GET /2/tweets/search/recent", READ_SCOPES)),
) -> Response:
    ctx = context(request)
    fields = _Query(request)
    max_results = _max_results(request, 10, 10, 100)
    token = request.query_params.get("next_token") or request.query_params.get("pagination_token")
    now = ctx.clock.now()
    with ctx.store.session() as session:
        conversation = re.fullmatch(r"\s*conversation_id:(\d+)\s*", query)
        fans: dict[str, XUser] = {}
        if conversation:
            tweets, fans = _simulated_replies(ctx, session, conversation.group(1))
            # Recent search covers the last seven days, replies as much as anything else.
            tweets = [t for t in tweets if t.created_at >= now - RECENT_SEARCH_WINDOW]
        else:
            stmt = select(XTweet).where(XTweet.created_at >= now - RECENT_SEARCH_WINDOW)
            author = re.fullmatch(r"\s*from:(\w+)\s*", query)
            if author:
                user = session.scalars(
                    select(XUser).where(XUser.username.ilike(author.group(1)))
                ).first()
                stmt = stmt.where(XTweet.author_id == (user.id if user else ""))
            else:
                stmt = stmt.where(XTweet.text.ilike(f"%{query.strip()}%"))
            tweets = list(session.scalars(stmt))
        tweets = [t for t in tweets if t.created_at <= now]
        return _page(ctx, session, tweets, fields, auth, max_results, token, "next_token", fans)


@router.get("/2/tweets/{id}")
def get_tweet(
    request: Request, id: str, auth: XAuth = Depends(require("GET /2/tweets/{id}", READ_SCOPES))
) -> Response:
    ctx = context(request)
    _check_ids(id, "id")
    query = _Query(request)
    with ctx.store.session() as session:
        tweet = session.get(XTweet, id)
        if tweet is None:
            return JSONResponse({"errors": [errors.not_found_problem("tweet", "id", id)]})
        data, problems, includes = _render(ctx, session, [tweet], query, auth)
        return JSONResponse(_body(data[0] if data else None, problems, includes))


@router.get("/2/users/{id}/tweets")
def user_tweets(
    request: Request,
    id: str,
    auth: XAuth = Depends(require("GET /2/users/{id}/tweets", READ_SCOPES)),
) -> Response:
    ctx = context(request)
    query = _Query(request)
    params = request.query_params
    max_results = _max_results(request, 10, 5, 100)
    exclude = split_list(params.get("exclude"), "exclude", frozenset({"replies", "retweets"}))
    with ctx.store.session() as session:
        owner = session.get(XUser, id)
        if owner is None:
            return JSONResponse({"errors": [errors.not_found_problem("user", "id", id)]})
        if owner.suspended:
            return JSONResponse({"errors": [errors.suspended_problem("id", id)]})
        if owner.protected and owner.id != auth.user_id:
            # Only approved followers see a protected timeline; the sandbox has none.
            return JSONResponse({"errors": [errors.not_authorized_user_problem(id)]})
        stmt = select(XTweet).where(XTweet.author_id == id)
        if "replies" in exclude:
            stmt = stmt.where(XTweet.in_reply_to_tweet_id.is_(None))
        if params.get("since_id"):
            stmt = stmt.where(XTweet.id > params["since_id"])
        if params.get("until_id"):
            stmt = stmt.where(XTweet.id < params["until_id"])
        for name, op in (("start_time", ">="), ("end_time", "<")):
            if params.get(name):
                at = _parse_time(params[name], name)
                stmt = stmt.where(XTweet.created_at >= at if op == ">=" else XTweet.created_at < at)
        tweets = list(session.scalars(stmt))
        return _page(
            ctx,
            session,
            tweets,
            query,
            auth,
            max_results,
            params.get("pagination_token"),
            "pagination_token",
        )


def _parse_time(raw: str, name: str) -> datetime:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise errors.invalid_request(
            f"Invalid '{name}':'{raw}'. '{name}' must be a valid ISO 8601 date.", {name: [raw]}
        ) from None


def _max_results(request: Request, default: int, low: int, high: int) -> int:
    raw = request.query_params.get("max_results")
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise errors.invalid_request(
            f"The `max_results` query parameter value [{raw}] is not between {low} and {high}",
            {"max_results": [raw]},
        )
    return int(raw)


def _encode_token(tweet_id: str) -> str:
    """Opaque lowercase base-36 like X's tokens; it encodes the id the next page starts below."""
    value, digits = int(tweet_id), ""
    while value:
        value, rem = divmod(value, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rem] + digits
    return f"7140dib{digits}"


def _decode_token(token: str, parameter: str) -> int:
    try:
        if not token.startswith("7140dib"):
            raise ValueError(token)
        return int(token[7:], 36)
    except ValueError:
        raise errors.invalid_request(
            f"The `{parameter}` query parameter value [{token}] is not a valid token",
            {parameter: [token]},
        ) from None


def _page(
    ctx: SandboxContext,
    session: Session,
    tweets: list[XTweet],
    query: _Query,
    auth: XAuth,
    max_results: int,
    token: str | None,
    token_name: str,
    known_authors: dict[str, XUser] | None = None,
) -> Response:
    tweets.sort(key=lambda t: int(t.id), reverse=True)
    if token:
        below = _decode_token(token, token_name)
        tweets = [t for t in tweets if int(t.id) < below]
    page, rest = tweets[:max_results], tweets[max_results:]
    data, problems, includes = _render(ctx, session, page, query, auth, known_authors)
    meta: dict[str, Any] = {"result_count": len(data)}
    if data:
        meta["newest_id"] = data[0]["id"]
        meta["oldest_id"] = data[-1]["id"]
    if rest and page:
        meta["next_token"] = _encode_token(page[-1].id)
    body = _body(data, problems, includes)
    body["meta"] = meta
    return JSONResponse(body)


def _simulated_replies(
    ctx: SandboxContext, session: Session, tweet_id: str
) -> tuple[list[XTweet], dict[str, XUser]]:
    """Replies from the simulated audience: as many as the post's reply count, texts from the
    audience model, spread over the hours after posting (none appear before they are written).

    Replies and their authors are transient objects, never stored: they are a pure function
    of the post and the clock, and stored fans would show up as sign-in accounts.
    """
    tweet = session.get(XTweet, tweet_id)
    author = session.get(XUser, tweet.author_id) if tweet else None
    if tweet is None or author is None:
        return [], {}
    count = min(metrics(ctx, tweet, author).comments, MAX_SIMULATED_REPLIES)
    replies: list[XTweet] = []
    fans: dict[str, XUser] = {}
    mood = audience.comment_mood(ctx.seed, profile(ctx, author), tweet.post_key, features(tweet))
    texts = audience.comments(ctx.seed, tweet.post_key, count, mood)
    for index, (text, _sentiment) in enumerate(texts):
        key = f"{tweet.post_key}:r{index}"
        at = tweet.created_at + timedelta(minutes=7 + index * 11)
        digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:4])
        fan_id = str(1_700_000_000_000_000_000 + digest % 10_000_000)
        fans[fan_id] = XUser(
            id=fan_id,
            username=f"fan{fan_id[-7:]}",
            name=f"Follower {fan_id[-4:]}",
            created_at=tweet.created_at - timedelta(days=400),
            audience_key=f"x:fan:{fan_id}",
        )
        replies.append(
            XTweet(
                id=snowflake(at, key),
                author_id=fan_id,
                text=f"@{author.username} {text}",
                created_at=at,
                post_key=key,
                conversation_id=tweet.conversation_id,
                in_reply_to_tweet_id=tweet.id,
                in_reply_to_user_id=author.id,
                media_keys=[],
                # Never flushed, so column defaults don't apply: the metrics read them.
                has_video=False,
                hashtag_count=0,
            )
        )
    return replies, fans


@router.post("/2/tweets", status_code=201)
async def create_tweet(
    request: Request, auth: XAuth = Depends(require("POST /2/tweets", WRITE_SCOPES))
) -> Response:
    try:
        payload = json.loads(await request.body() or b"{}")
    except ValueError:
        raise errors.invalid_request("Request body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise errors.invalid_request("Request body must be a JSON object.")
    tweet_id, text = await run_in_threadpool(_create, context(request), auth, payload)
    prefix = request.url.path.split("/2/tweets", 1)[0]
    location = f"{str(request.base_url).rstrip('/')}{prefix}/2/tweets/{tweet_id}"
    return JSONResponse(
        {"data": {"id": tweet_id, "text": text}}, status_code=201, headers={"location": location}
    )


def _create(ctx: SandboxContext, auth: XAuth, payload: dict[str, Any]) -> tuple[str, str]:
    text = payload.get("text")
    media = payload.get("media") or {}
    media_ids = media.get("media_ids") if isinstance(media, dict) else None
    exclusive = [k for k in ("media", "poll", "quote_tweet_id", "card_uri") if payload.get(k)]
    if len(exclusive) > 1:
        raise errors.invalid_request(
            f"Only one of {', '.join(exclusive)} may be specified.",
            {k: [json.dumps(payload[k])] for k in exclusive},
        )
    if text is not None and not isinstance(text, str):
        raise errors.invalid_request("`text` must be a string.", {"text": [str(text)]})
    if not text and not media_ids:
        raise errors.invalid_request(
            "Post text is required unless media is attached.", {"text": [""]}
        )
    text = text or ""
    if text:
        weighted, valid = _weighted_length(text)
        if weighted > 280 or not valid:
            raise errors.invalid_request("Your Tweet text is too long.", {"text": [text]})
    now = ctx.clock.now()
    with ctx.store.session() as session:
        if text:
            duplicate = session.scalars(
                select(XTweet.id).where(
                    XTweet.author_id == auth.user_id,
                    XTweet.text == text,
                    XTweet.created_at >= now - DUPLICATE_WINDOW,
                )
            ).first()
            if duplicate:
                raise errors.forbidden(errors.DUPLICATE_DETAIL)
        conversation_id = in_reply_to = in_reply_to_user = None
        reply = payload.get("reply")
        if reply is not None:
            parent_id = reply.get("in_reply_to_tweet_id") if isinstance(reply, dict) else None
            parent = session.get(XTweet, str(parent_id)) if parent_id else None
            if parent is None:
                raise errors.forbidden(
                    "You attempted to reply to a Tweet that is deleted or not visible to you."
                )
            conversation_id, in_reply_to = parent.conversation_id, parent.id
            in_reply_to_user = parent.author_id
        quote_id = payload.get("quote_tweet_id")
        if quote_id is not None and session.get(XTweet, str(quote_id)) is None:
            raise errors.invalid_request(
                "The Tweet you are quoting could not be found.", {"quote_tweet_id": [str(quote_id)]}
            )
        media_keys: list[str] = []
        has_video = False
        if media_ids is not None:
            if not isinstance(media_ids, list) or not 1 <= len(media_ids) <= 4:
                raise errors.invalid_request(
                    "`media.media_ids` must contain between 1 and 4 items.",
                    {"media.media_ids": [json.dumps(media_ids)]},
                )
            kinds: list[str] = []
            for media_id in media_ids:
                # Ids are strings on X's wire (``^[0-9]{1,19}$``), never JSON numbers.
                row = (
                    session.get(XMedia, media_id)
                    if isinstance(media_id, str) and re.fullmatch(r"[0-9]{1,19}", media_id)
                    else None
                )
                if row is None or row.owner_id != auth.user_id or not _media_ready(ctx, row):
                    raise errors.invalid_request(
                        "Your media IDs are invalid.", {"media.media_ids": [str(media_id)]}
                    )
                media_keys.append(row.media_key)
                kinds.append(_media_type(row.media_category))
                has_video = has_video or "video" in row.media_category
            # Up to four photos, or one video or GIF alone: X refuses any other mix.
            if len(kinds) > 1 and any(kind != "photo" for kind in kinds):
                raise errors.invalid_request(
                    "Your media IDs are invalid.",
                    {"media.media_ids": [str(m) for m in media_ids]},
                )
        tweet_id = snowflake(now)
        session.add(
            XTweet(
                id=tweet_id,
                author_id=auth.user_id,
                text=text,
                created_at=now,
                post_key=f"x:post:{tweet_id}",
                conversation_id=conversation_id or tweet_id,
                in_reply_to_tweet_id=in_reply_to,
                in_reply_to_user_id=in_reply_to_user,
                quote_tweet_id=str(quote_id) if quote_id is not None else None,
                media_keys=media_keys,
                has_video=has_video,
                hashtag_count=len(_HASHTAG.findall(text)),
            )
        )
    return tweet_id, text


def _media_ready(ctx: SandboxContext, media: XMedia) -> bool:
    from platform_sandbox.x.media import processing_state

    return processing_state(ctx, media)[0] == "succeeded"


@router.delete("/2/tweets/{id}")
def delete_tweet(
    request: Request,
    id: str,
    auth: XAuth = Depends(require("DELETE /2/tweets/{id}", WRITE_SCOPES)),
) -> Response:
    ctx = context(request)
    _check_ids(id, "id")
    with ctx.store.session() as session:
        tweet = session.get(XTweet, id)
        if tweet is None:
            return JSONResponse({"data": {"deleted": False}})
        if tweet.author_id != auth.user_id:
            raise errors.forbidden("You are not allowed to delete this Tweet.")
        session.delete(tweet)
    return JSONResponse({"data": {"deleted": True}})
