"""Replies under the account's posts on X: ``GET /2/tweets/search/recent`` with
``query=conversation_id:<post id>`` (platform-apis.md §A: ``conversation_id`` is the id of the
post that started the conversation, so every reply in the thread under a post carries it).

Each reply comes with ``author_id`` (expanded to ``includes.users`` for ``username`` and
``name``), ``created_at``, ``text``, ``in_reply_to_user_id`` and ``referenced_tweets`` (its
``replied_to`` entry names the post or reply it answers: the post itself means a comment on the
post, another id a reply to a comment), and ``public_metrics.like_count``. One request per post
and page of up to 100 replies (``next_token`` pages on). Search covers only the last 7 days of
posts on X's Basic and Pro tiers: older replies are not found, which the sync accepts (they
were read while the post was young). The author's own replies in the conversation (threads,
first comments, answers) are left out: they are not the audience's words.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from growth_manager.providers.base import AccountRef, FoundComment, PostComments, TokenSet
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.http import json_body

PAGE = 100
MAX_PAGES = 20
REPLY_FIELDS = (
    "author_id,created_at,conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics"
)


def _time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def post_comments(
    http: PlatformHttp,
    api_base: str,
    auth_base: str,
    account: AccountRef,
    token: TokenSet,
    remote_post_ids: Sequence[str],
    since: datetime | None = None,
) -> PostComments:
    found: list[FoundComment] = []
    calls = 0
    headers = {"Authorization": f"Bearer {token.access_token}"}
    for post_id in dict.fromkeys(str(i) for i in remote_post_ids):
        next_token: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {
                "query": f"conversation_id:{post_id}",
                "max_results": PAGE,
                "tweet.fields": REPLY_FIELDS,
                "expansions": "author_id",
                "user.fields": "username,name",
            }
            if next_token:
                params["next_token"] = next_token
            response = http.request(
                "GET", f"{api_base}/2/tweets/search/recent", params=params, headers=headers
            )
            calls += 1
            body = json_body(response)
            body = body if isinstance(body, dict) else {}
            includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
            users = {
                str(u["id"]): u
                for u in (includes or {}).get("users") or []
                if isinstance(u, dict) and u.get("id")
            }
            for reply in body.get("data") or []:
                comment = _comment(reply, post_id, users, account, auth_base)
                if comment is not None and (since is None or comment.created_at >= since):
                    found.append(comment)
            meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
            next_token = (meta or {}).get("next_token")
            if not next_token:
                break
    return PostComments(comments=tuple(found), calls=calls)


def _comment(
    reply: Any,
    post_id: str,
    users: dict[str, dict[str, Any]],
    account: AccountRef,
    auth_base: str,
) -> FoundComment | None:
    if not isinstance(reply, dict) or not reply.get("id"):
        return None
    author_id = str(reply.get("author_id") or "")
    created = _time(reply.get("created_at"))
    if created is None or author_id == account.external_id or str(reply["id"]) == post_id:
        return None
    parent = None
    for ref in reply.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to":
            parent = str(ref.get("id"))
    user = users.get(author_id, {})
    username = user.get("username")
    metrics = reply.get("public_metrics") if isinstance(reply.get("public_metrics"), dict) else {}
    likes = (metrics or {}).get("like_count")
    return FoundComment(
        remote_id=str(reply["id"]),
        post_remote_id=post_id,
        text=str(reply.get("text") or ""),
        created_at=created,
        parent_remote_id=None if parent in (None, post_id) else parent,
        author_name=user.get("name"),
        author_handle=f"@{username}" if username else None,
        like_count=likes if isinstance(likes, int) else None,
        permalink=(
            f"{auth_base}/{username}/status/{reply['id']}"
            if username
            else f"{auth_base}/i/web/status/{reply['id']}"
        ),
    )
