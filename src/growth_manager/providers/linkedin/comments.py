"""Comments under the account's posts on LinkedIn: ``GET /rest/socialActions/{post urn}/comments``
(the versioned Community Management path; platform-apis.md §B.5 names the ``socialActions``
family), ``start``/``count`` paging (100 a page) until ``paging.total`` is reached.

Each element carries ``id``, ``commentUrn``, ``actor`` (a person or organization URN; LinkedIn
gives no display name here without a projection the product is not granted, so the handle is
the URN), ``created.time`` (epoch milliseconds), ``message.text`` and, for a reply to a comment,
``parentComment`` (the parent's URN). The comment's page is the post's page with
``commentUrn`` as a parameter, which LinkedIn opens scrolled to the comment. The account's own
comments (threads, first comments, answers) are left out. LinkedIn offers no time filter on
comments: ``since`` is applied to what is read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from growth_manager.providers.base import (
    AccountRef,
    FoundComment,
    PostComments,
    ProviderConfig,
)
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.linkedin.analytics import account_urn
from growth_manager.providers.linkedin.publishing import post_url

PAGE = 100
MAX_PAGES = 20


def post_comments(
    http: PlatformHttp,
    config: ProviderConfig,
    headers: Mapping[str, str],
    account: AccountRef,
    remote_post_ids: Sequence[str],
    since: datetime | None = None,
) -> PostComments:
    api = config.api_base.rstrip("/")
    own = account_urn(account)
    found: list[FoundComment] = []
    calls = 0
    for urn in dict.fromkeys(remote_post_ids):
        start = 0
        for _ in range(MAX_PAGES):
            response = http.request(
                "GET",
                f"{api}/rest/socialActions/{quote(urn, safe='')}/comments",
                params={"start": start, "count": PAGE},
                headers=dict(headers),
            )
            calls += 1
            body = response.json()
            body = body if isinstance(body, dict) else {}
            elements = [e for e in body.get("elements") or [] if isinstance(e, dict)]
            for element in elements:
                comment = _comment(config, element, urn, own)
                if comment is not None and (since is None or comment.created_at >= since):
                    found.append(comment)
            start += len(elements)
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            total = (paging or {}).get("total")
            if len(elements) < PAGE or (isinstance(total, int) and start >= total):
                break
    return PostComments(comments=tuple(found), calls=calls)


def _comment(
    config: ProviderConfig, element: Mapping[str, Any], post_urn: str, own: str
) -> FoundComment | None:
    comment_urn = element.get("commentUrn") or element.get("$URN")
    created = element.get("created") if isinstance(element.get("created"), dict) else {}
    millis = (created or {}).get("time")
    actor = element.get("actor")
    if not isinstance(comment_urn, str) or not isinstance(millis, int) or actor == own:
        return None
    message = element.get("message") if isinstance(element.get("message"), dict) else {}
    parent = element.get("parentComment")
    return FoundComment(
        remote_id=comment_urn,
        post_remote_id=post_urn,
        text=str((message or {}).get("text") or ""),
        created_at=datetime.fromtimestamp(millis / 1000, UTC),
        parent_remote_id=parent if isinstance(parent, str) else None,
        author_handle=actor if isinstance(actor, str) else None,
        permalink=f"{post_url(config, post_urn)}?commentUrn={quote(comment_urn, safe='')}",
    )
