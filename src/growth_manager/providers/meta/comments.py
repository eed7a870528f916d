"""Comments under the account's Facebook Page posts and Instagram media: ``GET /{id}/comments``
(platform-apis.md §C), 100 a page, following ``paging.cursors.after`` while Graph offers a
``paging.next`` page.

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
    for post_id in dict.fromkeys(str(i) for i in remote_post_ids):
        after: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {
                "fields": fields,
                "limit": PAGE,
                "access_token": token.access_token,
            }
            if after:
                params["after"] = after
            response = provider.http.request(
                "GET", f"{provider.graph}/{post_id}/comments", params=params
            )
            calls += 1
            body = response.json()
            body = body if isinstance(body, dict) else {}
            for item in body.get("data") or []:
                comment = _comment(item, post_id, account, instagram)
                if comment is not None and (since is None or comment.created_at >= since):
                    found.append(comment)
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            cursors = (paging or {}).get("cursors")
            after = cursors.get("after") if isinstance(cursors, dict) else None
            if not (paging or {}).get("next") or not after:
                break
    return PostComments(comments=tuple(found), calls=calls)


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
