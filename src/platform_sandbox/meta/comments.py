"""Graph comment and reaction edges of Page posts and Instagram media."""

from __future__ import annotations

from typing import Any

from platform_sandbox.meta import common, errors, nodes
from platform_sandbox.meta.call import Call, Node
from platform_sandbox.meta.common import FieldSpec
from platform_sandbox.meta.models import MetaComment, MetaIgAccount, MetaIgMedia, MetaPage, MetaPost


def list_comments(call: Call, node: Node) -> Any:
    nodes.check_read(call, node)
    views = nodes.comments_of(call, node)
    order = call.param("order") or "chronological"
    if order == "reverse_chronological":
        views.reverse()
    specs = common.parse_fields(call.param("fields"))
    paged = common.paginate(views, call.params, call.link)
    out: dict[str, Any] = {"data": [nodes.render_comment(call, v, specs) for v in paged.items]}
    if paged.paging:
        out["paging"] = paged.paging
    if node.kind == "post" and common.truthy(call.param("summary", "false")):
        out["summary"] = {"order": order, "total_count": len(views), "can_comment": True}
    return out


def create_comment(call: Call, node: Node) -> Any:
    caller = call.need_caller()
    message = call.param("message") or ""
    attachment = call.param("attachment_url") or call.param("attachment_id")
    if not message and not attachment:
        raise errors.invalid_parameter("Missing message or attachment")
    if node.kind == "post":
        post: MetaPost = node.row
        if caller.kind != "page" or not caller.has("pages_manage_engagement"):
            raise errors.permissions_error()
        page = call.session.get(MetaPage, post.page_id)
        comment_id = f"{post.id.rsplit('_', 1)[-1]}_{common.new_comment_id(call.session)}"
        from_id, from_name = post.page_id, page.name if page else ""
    else:
        media: MetaIgMedia = node.row
        if not caller.has("instagram_manage_comments"):
            raise errors.permission_missing()
        account_row = call.session.get(MetaIgAccount, media.ig_user_id)
        comment_id = str(common.IG_COMMENT_BASE + common.next_sequence(call.session, "ig_comment"))
        from_id = media.ig_user_id
        from_name = account_row.username if account_row else ""
    call.session.add(
        MetaComment(
            id=comment_id,
            object_id=node.id,
            from_id=from_id,
            from_name=from_name,
            message=message,
            created_at=call.stamp,
        )
    )
    return {"id": comment_id}


def edge_as_field(name: str) -> Any:
    def handler(call: Call, node: Node) -> Any:
        nodes.check_read(call, node)
        spec = FieldSpec(
            name,
            {k: str(call.params[k]) for k in ("limit", "summary", "type") if k in call.params},
            common.parse_fields(call.param("fields")),
        )
        return nodes.FIELDS["post"][name](call, node, spec)

    return handler
