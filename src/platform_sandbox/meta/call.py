"""One Graph request as the handlers see it, and the object it is about."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from platform_sandbox.meta import errors, media_fetch
from platform_sandbox.meta.common import Caller
from platform_sandbox.platform import SandboxContext


@dataclass
class Call:
    """One Graph request as the handlers see it (a batch runs one per sub-request)."""

    session: Session
    ctx: SandboxContext
    caller: Caller | None
    version: str
    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    link: str  # this request's URL without paging parameters, for paging.next/previous
    graph_base: str  # e.g. http://127.0.0.1:8123/graph.facebook.com/v23.0
    # Media the request names, downloaded before its database work (media_fetch.prefetch).
    fetched: dict[str, media_fetch.Fetched] = field(default_factory=dict)

    @property
    def web_root(self) -> str:
        """The server's root (``http://127.0.0.1:8123``), under which the sandbox serves
        the web hosts (``/www.facebook.com``, ``/www.instagram.com``) its permalinks name."""
        return self.graph_base.rsplit("/graph.facebook.com", 1)[0]

    def media(self, url: str, video: bool) -> media_fetch.Fetched:
        """The download verdict on a media URL of this request."""
        return media_fetch.outcome(self.fetched, url, video)

    @property
    def now(self) -> datetime:
        return self.ctx.clock.now()

    @property
    def stamp(self) -> datetime:
        """Now, to the second: Graph times have no fractions, and a client recomputing a
        post's metrics from its ``created_time`` must land on the same instant."""
        return self.now.replace(microsecond=0)

    def need_caller(self) -> Caller:
        if self.caller is None:
            raise errors.token_required()
        return self.caller

    def param(self, name: str, default: str | None = None) -> str | None:
        value = self.params.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else str(value)


@dataclass
class Node:
    kind: str  # user, page, ig_user, post, photo, comment, ig_media, ig_container, ig_comment
    id: str
    row: Any

    @property
    def type_name(self) -> str:
        return NODE_TYPE_NAMES[self.kind]


NODE_TYPE_NAMES = {
    "user": "User",
    "page": "Page",
    "ig_user": "IGUser",
    "post": "PagePost",
    "photo": "Photo",
    "comment": "Comment",
    "ig_media": "IGMedia",
    "ig_container": "ShadowIGMediaBuilder",
    "ig_comment": "IGComment",
}
