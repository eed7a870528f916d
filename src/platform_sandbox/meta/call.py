"""One Graph request as the handlers see it, and the object it is about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from platform_sandbox.meta import errors
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
