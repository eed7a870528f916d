"""Comments under the account's Facebook Page posts and Instagram media: the comments edge
(``GET /{id}/comments``, platform-apis.md §C) of up to 50 posts in one request with Graph's
multi-id form ``GET /comments?ids=a,b,…`` (an object per id, each with ``data`` and
``paging``), 100 comments a page; a post with a full page is read on from its own edge after
``paging.cursors.after`` until a page comes back short.

Field names differ between the two: a Page post's comment is
``id,message,from{id,name},created_time,like_count``; an Instagram comment is
``id,text,username,from{id,username},timestamp,like_count``. Comments written by the Page or
the Instagram account itself (first comments, answers) are left out. Graph's comment objects
carry no page of their own in the fields asked, so the sync links to the post's permalink to
answer them. Graph has no time filter on the comments edge: ``since`` is applied to what is
read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from growth_manager.providers.base import AccountRef, FoundComment, PostComments, TokenSet
from growth_manager.providers.meta.analytics import GraphProvider

PAGE = 100
MAX_PAGES = 20
# ``GET /comments?ids=…`` answers the comments edge of up to 50 objects at once (§C.6: each id
# counts as one call against the usage quota, the request is one HTTP round trip).
IDS_PER_READ = 50
FACEBOOK_FIELDS = "id,message,from,created_time,like_count"
INSTAGRAM_FIELDS = "id,text,username,from,timestamp,like_count"


def _time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)
    except ValueError:
        return None


def post_comments(
    provider: GraphProvider,
    account: AccountRef,
    token: TokenSet,
    remote_post_ids: Sequence[str],
    since: datetime | None,
    *,
    instagram: bool,
) -> PostComments:
    fields = INSTAGRAM_FIELDS if instagram else FACEBOOK_FIELDS
    found: list[FoundComment] = []
    calls = 0
    ids = list(dict.fromkeys(str(i) for i in remote_post_ids))
    for start in range(0, len(ids), IDS_PER_READ):
        chunk = ids[start : start + IDS_PER_READ]
        response = provider.http.request(
            "GET",
            f"{provider.graph}/comments",
            params={
                "ids": ",".join(chunk),
                "fields": fields,
                "limit": PAGE,
                "access_token": token.access_token,
            },
        )
        calls += 1
        body = response.json()
        body = body if isinstance(body, dict) else {}
        for post_id in chunk:
            page = body.get(post_id)
            for _ in range(MAX_PAGES):
                page = page if isinstance(page, dict) else {}
                items = [i for i in page.get("data") or [] if isinstance(i, dict)]
                for item in items:
                    comment = _comment(item, post_id, account, instagram)
                    if comment is not None and (since is None or comment.created_at >= since):
                        found.append(comment)
                after = _after(page)
                if after is None or len(items) < PAGE:
                    break
                # More than a page: the rest from the post's own edge, after the cursor.
                response = provider.http.request(
                    "GET",
                    f"{provider.graph}/{post_id}/comments",
                    params={
                        "fields": fields,
                        "limit": PAGE,
                        "after": after,
                        "access_token": token.access_token,
                    },
                )
                calls += 1
                page = response.json()
    return PostComments(comments=tuple(found), calls=calls)


def _after(page: Mapping[str, Any]) -> str | None:
    paging = page.get("paging") if isinstance(page.get("paging"), Mapping) else {}
    cursors = (paging or {}).get("cursors")
    after = cursors.get("after") if isinstance(cursors, Mapping) else None
    return str(after) if after else None


def _comment(item: Any, post_id: str, account: AccountRef, instagram: bool) -> FoundComment | None:
    if not isinstance(item, Mapping) or not item.get("id"):
        return None
    author = item.get("from") if isinstance(item.get("from"), Mapping) else {}
    created = _time(item.get("timestamp" if instagram else "created_time"))
    if created is None or str((author or {}).get("id")) == account.external_id:
        return None
    likes = item.get("like_count")
    if instagram:
        username = item.get("username") or (author or {}).get("username")
        name, handle = None, f"@{username}" if username else None
    else:
        name, handle = (author or {}).get("name"), None
    parent = item.get("parent")
    return FoundComment(
        remote_id=str(item["id"]),
        post_remote_id=post_id,
        text=str(item.get("text" if instagram else "message") or ""),
        created_at=created,
        parent_remote_id=str(parent["id"]) if isinstance(parent, Mapping) else None,
        author_name=name,
        author_handle=handle,
        like_count=likes if isinstance(likes, int) else None,
    )
