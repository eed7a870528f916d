"""Graph edges of an Instagram account and its media: the media list, carousel children and
insights."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from platform_sandbox.meta import common, errors, insights, nodes
from platform_sandbox.meta.call import Call, Node
from platform_sandbox.meta.models import MetaIgMedia


def list_ig_media(call: Call, node: Node) -> Any:
    nodes.check_read(call, node)
    rows = call.session.scalars(
        select(MetaIgMedia)
        .where(
            MetaIgMedia.ig_user_id == node.id,
            MetaIgMedia.parent_id.is_(None),
            MetaIgMedia.timestamp <= call.now,
        )
        .order_by(MetaIgMedia.timestamp.desc())
    )
    specs = common.parse_fields(call.param("fields"))
    paged = common.paginate(list(rows), call.params, call.link)
    out: dict[str, Any] = {
        "data": [nodes.render(call, Node("ig_media", m.id, m), specs) for m in paged.items]
    }
    if paged.paging:
        out["paging"] = paged.paging
    return out


def ig_children(call: Call, node: Node) -> Any:
    nodes.check_read(call, node)
    specs = common.parse_fields(call.param("fields"))
    items = []
    for child_id in node.row.children:
        child = call.session.get(MetaIgMedia, str(child_id))
        if child is not None:
            items.append(nodes.render(call, Node("ig_media", child.id, child), specs))
    return {"data": items}


def ig_media_insights(call: Call, node: Node) -> Any:
    caller = call.need_caller()
    if not caller.has("instagram_manage_insights"):
        raise errors.permission_missing()
    return insights.ig_media_insights(call, node, call.param("metric"))


def ig_account_insights(call: Call, node: Node) -> Any:
    caller = call.need_caller()
    if not caller.has("instagram_manage_insights"):
        raise errors.permission_missing()
    return insights.ig_account_insights(call, node, call.param("metric"))
