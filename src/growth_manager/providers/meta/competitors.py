"""Reading a competitor on Instagram through Business Discovery: the connected Instagram
business account asks ``GET /{ig-user-id}?fields=business_discovery.username(<name>)
{username,name,followers_count,follows_count,media_count,media.limit(n){like_count,
comments_count,timestamp}}``, and pages further with ``media.after(<cursor>)`` (the media
edge is only reachable inside the expansion, so its paging has cursors, no ``next`` URL).

A username that is no business or creator account (a personal account, or none at all:
Instagram does not tell them apart) is answered with code 110, subcode 2207013 ("Invalid
user id", user message "The user with username: … cannot be found.").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from growth_manager.providers.base import CompetitorPost, CompetitorProfile, TokenSet
from growth_manager.providers.errors import Rejected
from growth_manager.providers.meta.analytics import GraphProvider, _answered_version, _parse_time

NOT_DISCOVERABLE = "110/2207013"
PAGE_SIZE = 50
MAX_PAGES = 4
MEDIA_FIELDS = "like_count,comments_count,timestamp"


def read(
    provider: GraphProvider, ig_user_id: str, token: TokenSet, handle: str, since: datetime
) -> CompetitorProfile:
    posts: list[CompetitorPost] = []
    node: dict[str, Any] = {}
    after: str | None = None
    calls = 0
    version = provider.version
    for _ in range(MAX_PAGES):
        paging = f".after({after})" if after else ""
        media = f"media{paging}.limit({PAGE_SIZE}){{{MEDIA_FIELDS}}}"
        fields = (
            f"business_discovery.username({handle})"
            f"{{username,name,followers_count,follows_count,media_count,{media}}}"
        )
        try:
            response = provider.http.request(
                "GET",
                f"{provider.graph}/{ig_user_id}",
                params={"fields": fields, "access_token": token.access_token},
            )
        except Rejected as exc:
            if exc.code == NOT_DISCOVERABLE:
                return CompetitorProfile(
                    status="not_business",
                    handle=handle,
                    message=f"{exc.message} Instagram answers this for a personal account "
                    "and for a username that does not exist alike.",
                    calls=calls + 1,
                    api_version=version,
                )
            raise
        calls += 1
        version = _answered_version(provider, response)
        body = response.json()
        found = body.get("business_discovery") if isinstance(body, dict) else None
        if not isinstance(found, dict):
            break
        node = node or found
        edge = _dict(found.get("media"))
        page = [_post(m) for m in edge.get("data") or [] if isinstance(m, dict)]
        posts.extend(p for p in page if p is not None)
        cursors = _dict(_dict(edge.get("paging")).get("cursors"))
        after = cursors.get("after")
        # Newest first: once a page reaches back past ``since``, the rest is older still.
        if not page or not after or min(p.published_at for p in page if p) < since:
            break
    return CompetitorProfile(
        status="ok",
        handle=str(node.get("username") or handle),
        remote_id=str(node["id"]) if node.get("id") else None,
        display_name=str(node.get("name") or node.get("username") or handle),
        followers=_int(node.get("followers_count")),
        following=_int(node.get("follows_count")),
        posts_count=_int(node.get("media_count")),
        posts=tuple(p for p in posts if p is not None and p.published_at >= since),
        calls=calls,
        api_version=version,
    )


def _post(media: dict[str, Any]) -> CompetitorPost | None:
    published = _parse_time(media.get("timestamp"))
    if published is None or not media.get("id"):
        return None
    metrics: dict[str, float] = {}
    # like_count is left out when the owner hides likes: then it is not available, not 0.
    for name, metric in (("like_count", "likes"), ("comments_count", "comments")):
        value = media.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            metrics[metric] = float(value)
    raw: dict[str, Any] = {k: media[k] for k in ("like_count", "comments_count") if k in media}
    return CompetitorPost(str(media["id"]), published, metrics, raw)


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
