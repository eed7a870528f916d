"""Graph edges of a user: the Pages it manages (``/me/accounts``) and its permissions."""

from __future__ import annotations

from typing import Any

from platform_sandbox.meta import common, errors, nodes, oauth
from platform_sandbox.meta.call import Call, Node
from platform_sandbox.meta.common import FieldSpec
from platform_sandbox.meta.models import MetaPage, MetaPageRole


def me_accounts(call: Call, node: Node) -> Any:
    caller = call.need_caller()
    if caller.kind != "user" or caller.user is None or caller.user.id != node.id:
        raise errors.unsupported("GET", f"{node.id}/accounts")
    pages: list[MetaPage] = []
    if caller.has("pages_show_list"):
        for page_id in caller.granted_page_ids:
            page = call.session.get(MetaPage, page_id)
            role = call.session.get(MetaPageRole, (node.id, page_id))
            if page is not None and role is not None:
                pages.append(page)
    specs = common.parse_fields(call.param("fields")) or [
        FieldSpec(n) for n in ("access_token", "category", "category_list", "name", "id", "tasks")
    ]
    paged = common.paginate(pages, call.params, call.link)
    out: dict[str, Any] = {
        "data": [nodes.render(call, Node("page", p.id, p), specs) for p in paged.items]
    }
    out["paging"] = paged.paging or {"cursors": {}}
    if not paged.items:
        out.pop("paging")
    return out


def permissions(call: Call, node: Node) -> Any:
    return oauth.permissions_of(call.need_caller())


def revoke_permissions(call: Call, node: Node) -> Any:
    caller = call.need_caller()
    if caller.grant is None or caller.kind != "user":
        raise errors.unsupported("DELETE", f"{node.id}/permissions")
    caller.grant.revoked = True
    return {"success": True}
