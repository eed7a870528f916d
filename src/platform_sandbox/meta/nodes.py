"""Graph nodes: lookup with access checks, field rendering with expansion, and the simulated
comments and reactions behind every count."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from platform_sandbox import audience
from platform_sandbox.meta import common, errors
from platform_sandbox.meta import insights as insights_module
from platform_sandbox.meta.call import Call, Node
from platform_sandbox.meta.common import FieldSpec
from platform_sandbox.meta.metrics import (
    fb_metrics,
    ig_features,
    ig_metrics,
    post_features,
    post_is_live,
    reactions_by_type,
)
from platform_sandbox.meta.models import (
    MetaComment,
    MetaIgAccount,
    MetaIgContainer,
    MetaIgMedia,
    MetaPage,
    MetaPageRole,
    MetaPhoto,
    MetaPost,
    MetaToken,
    MetaUser,
)

_ABSENT = object()


# --- lookup ------------------------------------------------------------------------------------


def find(call: Call, object_id: str) -> Node | None:
    """The object with ``object_id`` if it exists, whoever may see it."""
    session = call.session
    if "_" in object_id:
        post = session.get(MetaPost, object_id)
        if post is not None:
            return Node("post", post.id, post)
        comment = session.get(MetaComment, object_id)
        if comment is not None:
            return Node("comment", comment.id, comment)
        simulated = simulated_comment_by_id(call, object_id)
        return simulated
    for kind, model in (
        ("user", MetaUser),
        ("page", MetaPage),
        ("ig_user", MetaIgAccount),
        ("photo", MetaPhoto),
        ("ig_media", MetaIgMedia),
        ("ig_container", MetaIgContainer),
        ("ig_comment", MetaComment),
    ):
        row = session.get(model, object_id)
        if row is not None:
            return Node(kind, object_id, row)
    return None


def owner_page_id(call: Call, node: Node) -> str | None:
    """The Page whose admins (and tokens) may see ``node``; None for users."""
    row = node.row
    if node.kind == "page":
        return str(row.id)
    if node.kind in ("post", "photo"):
        return str(row.page_id)
    if node.kind == "ig_user":
        return str(row.page_id)
    if node.kind in ("ig_media", "ig_container"):
        ig = call.session.get(MetaIgAccount, row.ig_user_id)
        return ig.page_id if ig else None
    if node.kind in ("comment", "ig_comment"):
        parent = find(call, str(row.object_id))
        return owner_page_id(call, parent) if parent else None
    return None


def resolve(call: Call, object_id: str, method: str = "GET") -> Node:
    """``object_id`` as the caller may use it, or Meta's "Unsupported … request" error."""
    caller = call.need_caller()
    if object_id == "me":
        if caller.kind == "user" and caller.user is not None:
            return Node("user", caller.user.id, caller.user)
        if caller.kind == "page" and caller.page is not None:
            return Node("page", caller.page.id, caller.page)
        raise errors.active_token_required()
    node = find(call, object_id)
    if node is None:
        raise errors.unsupported(method, object_id)
    if node.kind == "user":
        if caller.user is None or caller.user.id != node.id:
            raise errors.unsupported(method, object_id)
        return node
    page_id = owner_page_id(call, node)
    if page_id is None or not caller.can_see_page(page_id):
        raise errors.unsupported(method, object_id)
    return node


PAGE_READ_MESSAGE = (
    "This endpoint requires the 'pages_read_engagement' permission or the 'Page Public Content "
    "Access' feature. Refer to https://developers.facebook.com/docs/apps/review/login-permissions"
    "#manage-pages and https://developers.facebook.com/docs/apps/review/feature#reference-"
    "PAGES_ACCESS for details."
)


def check_read(call: Call, node: Node) -> None:
    """Reading posts, photos and comments needs a Page read permission; Instagram objects
    need ``instagram_basic``."""
    caller = call.need_caller()
    if node.kind in ("post", "photo", "comment") and not (
        caller.has("pages_read_engagement") or caller.has("pages_read_user_engagement")
    ):
        raise errors.permission_missing(PAGE_READ_MESSAGE)
    if node.kind in ("ig_user", "ig_media", "ig_container", "ig_comment") and not caller.has(
        "instagram_basic"
    ):
        raise errors.permission_missing()


def target_of(call: Call, node: Node) -> common.Target | None:
    """The business object a call on ``node`` is accounted to (BUC headers)."""
    if node.kind in ("ig_user",):
        return common.Target("instagram", node.id)
    if node.kind in ("ig_media", "ig_container"):
        return common.Target("instagram", str(node.row.ig_user_id))
    if node.kind == "ig_comment":
        parent = find(call, str(node.row.object_id))
        return target_of(call, parent) if parent else None
    page_id = owner_page_id(call, node)
    return common.Target("pages", page_id) if page_id else None


# --- comments (simulated + written through the API) ------------------------------------------


_PEOPLE = (
    "Ana Souza",
    "Ben Carter",
    "Chloé Martin",
    "Dev Patel",
    "Elif Yılmaz",
    "Finn O'Brien",
    "Grace Kim",
    "Hugo Lambert",
    "Isla Murray",
    "Jonas Berg",
    "Keiko Tanaka",
    "Liam Walsh",
    "Maria Rossi",
    "Nia Okafor",
    "Oscar Lind",
    "Priya Shah",
    "Quinn Adams",
    "Rosa Díaz",
)


def _person(key: str) -> tuple[str, str]:
    digest = int(hashlib.sha256(key.encode()).hexdigest()[:12], 16)
    name = _PEOPLE[digest % len(_PEOPLE)]
    return name, str(100_000_000_000_000 + digest % 900_000_000_000_000)


@dataclass
class CommentView:
    id: str
    message: str
    created_at: datetime
    from_id: str
    from_name: str
    like_count: int
    object_id: str
    instagram: bool


def _object_suffix(object_id: str) -> str:
    return object_id.rsplit("_", 1)[-1]


def simulated_comments(
    call: Call,
    object_id: str,
    audience_key: str,
    posted_at: datetime,
    count: int,
    instagram: bool,
    mood: float | None = None,
) -> list[CommentView]:
    if count <= 0:
        return []
    texts = audience.comments(call.ctx.seed, audience_key, count, mood)
    curve = audience.growth_curve(call.now - posted_at)
    out: list[CommentView] = []
    for index, (text, _sentiment) in enumerate(texts):
        # Spread along the same decay curve as the metrics, so every comment is in the past.
        fraction = min(0.999, curve * (index + 1) / (count + 1))
        at = posted_at + timedelta(hours=-5.0 * math.log(1 - fraction))
        name, person_id = _person(f"{audience_key}:c{index}")
        if instagram:
            digest = int(hashlib.sha256(f"{object_id}:{index}".encode()).hexdigest()[:12], 16)
            comment_id = str(17_800_000_000_000_000 + digest % 100_000_000_000_000)
        else:
            comment_id = f"{_object_suffix(object_id)}_{900_000_000 + index}"
        out.append(
            CommentView(comment_id, text, at, person_id, name, index % 4, object_id, instagram)
        )
    return out


def comments_of(call: Call, node: Node) -> list[CommentView]:
    """Every comment on a post or media, oldest first."""
    if node.kind == "post":
        post: MetaPost = node.row
        metrics = fb_metrics(call.ctx, post, call.now)
        mood = audience.comment_mood(
            call.ctx.seed,
            common.profile_of_page(call.ctx, post.page_id),
            post.audience_key,
            post_features(post),
        )
        simulated = simulated_comments(
            call, post.id, post.audience_key, post.publish_at, metrics.comments, False, mood
        )
    elif node.kind == "ig_media":
        media: MetaIgMedia = node.row
        metrics = ig_metrics(call.ctx, media, call.now)
        mood = audience.comment_mood(
            call.ctx.seed,
            common.profile_of_ig(call.ctx, media.ig_user_id),
            media.audience_key,
            ig_features(media),
        )
        simulated = simulated_comments(
            call, media.id, media.audience_key, media.timestamp, metrics.comments, True, mood
        )
    else:
        return []
    written = [
        CommentView(
            c.id,
            c.message,
            c.created_at,
            c.from_id,
            c.from_name,
            0,
            node.id,
            node.kind == "ig_media",
        )
        for c in call.session.scalars(select(MetaComment).where(MetaComment.object_id == node.id))
    ]
    return sorted(simulated + written, key=lambda c: c.created_at)


def written_comment_count(call: Call, object_id: str) -> int:
    return len(
        list(call.session.scalars(select(MetaComment.id).where(MetaComment.object_id == object_id)))
    )


def simulated_comment_by_id(call: Call, comment_id: str) -> Node | None:
    suffix, _, index = comment_id.rpartition("_")
    if not suffix or not index.isdigit():
        return None
    for post in call.session.scalars(
        select(MetaPost).where(MetaPost.id.like(f"%\\_{suffix}", escape="\\"))
    ):
        for view in comments_of(call, Node("post", post.id, post)):
            if view.id == comment_id:
                return Node("comment", view.id, _CommentRow(view))
    return None


@dataclass
class _CommentRow:
    """A simulated comment shaped like a :class:`MetaComment` row."""

    view: CommentView

    @property
    def object_id(self) -> str:
        return self.view.object_id


def comment_view(node: Node) -> CommentView:
    row = node.row
    if isinstance(row, _CommentRow):
        return row.view
    assert isinstance(row, MetaComment)
    return CommentView(
        row.id,
        row.message,
        row.created_at,
        row.from_id,
        row.from_name,
        0,
        row.object_id,
        node.kind == "ig_comment",
    )


# --- rendering ---------------------------------------------------------------------------------

Renderer = Callable[[Call, Node, FieldSpec], Any]


def render(call: Call, node: Node, specs: list[FieldSpec] | None) -> dict[str, Any]:
    fields = FIELDS[node.kind]
    chosen = specs if specs is not None else [FieldSpec(n) for n in DEFAULT_FIELDS[node.kind]]
    out: dict[str, Any] = {}
    for spec in chosen:
        renderer = fields.get(spec.name) or _edge_renderer(node, spec.name)
        if renderer is None:
            raise errors.nonexisting_field(spec.name, node.type_name)
        value = renderer(call, node, spec)
        if value is not _ABSENT:
            out[spec.name] = value
    # Graph always names the node, last when the id was not asked for first.
    out.setdefault("id", node.id)
    return out


# (node kind, edge) -> the handler of ``GET /{id}/{edge}``; filled in by ``graph`` from its
# edge table (which routes through this module, so it can't be imported from here).
EDGE_READERS: dict[tuple[str, str], Callable[[Call, Node], Any]] = {}


def _edge_renderer(node: Node, name: str) -> Renderer | None:
    """An edge asked for as a field (``published_posts.limit(100){id,message}``,
    ``insights.metric(reach).period(day)``): Graph answers it as the edge's own request would,
    inside the node's answer, with the modifiers as the edge's parameters and the braces as
    its ``fields``; its ``paging.next`` is the edge's own URL, so a client pages on there."""
    handler = EDGE_READERS.get((node.kind, name))
    if handler is None:
        return None

    def render_edge(call: Call, node: Node, spec: FieldSpec) -> Any:
        params: dict[str, Any] = dict(spec.modifiers)
        if spec.children is not None:
            params["fields"] = common.fields_text(spec.children)
        link_params = {k: v for k, v in params.items() if k not in ("after", "before", "limit")}
        # Graph's paging links carry the token that asked, so they can be followed as they are.
        caller = call.caller
        if caller is not None and caller.token is not None:
            link_params = {"access_token": caller.token.token, **link_params}
        sub = replace(
            call,
            params=params,
            link=f"{call.graph_base}/{node.id}/{name}"
            + (f"?{urlencode(link_params)}" if link_params else ""),
        )
        return handler(sub, node)

    return render_edge


def _sub(call: Call, node: Node, spec: FieldSpec) -> dict[str, Any]:
    return render(call, node, spec.children)


def _edge_list(
    call: Call, items: list[Any], spec: FieldSpec, render_item: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    limit = spec.modifier("limit", "25") or "25"
    paged = common.paginate(items, {"limit": limit}, None)
    out: dict[str, Any] = {"data": [render_item(i) for i in paged.items]}
    if paged.paging:
        out["paging"] = paged.paging
    return out


def _is_summary(spec: FieldSpec) -> bool:
    return common.truthy(spec.modifier("summary", "false"))


# users


def _user_fields() -> dict[str, Renderer]:
    def name(call: Call, node: Node, spec: FieldSpec) -> Any:
        return node.row.name

    def first(call: Call, node: Node, spec: FieldSpec) -> Any:
        return str(node.row.name).split(" ", 1)[0]

    def last(call: Call, node: Node, spec: FieldSpec) -> Any:
        return str(node.row.name).split(" ", 1)[-1]

    def email(call: Call, node: Node, spec: FieldSpec) -> Any:
        caller = call.caller
        return node.row.email if caller is not None and caller.has("email") else _ABSENT

    def picture(call: Call, node: Node, spec: FieldSpec) -> Any:
        return _picture(f"user-{node.id}")

    return {
        "id": lambda c, n, s: n.id,
        "name": name,
        "first_name": first,
        "last_name": last,
        "email": email,
        "picture": picture,
    }


def _picture(key: str) -> dict[str, Any]:
    return {
        "data": {
            "height": 50,
            "is_silhouette": False,
            "url": f"https://scontent.xx.fbcdn.net/v/t39.30808-1/{key}_n.jpg",
            "width": 50,
        }
    }


# pages


def page_followers(call: Call, page: MetaPage) -> int:
    return audience.followers_at(common.profile_of_page(call.ctx, page.id), call.now)


def page_token_for(call: Call, page: MetaPage) -> str | None:
    """The page token the caller's user token yields: non-expiring from a long-lived user
    token, expiring with a short-lived one (reference C.2)."""
    caller = call.caller
    if caller is None or caller.token is None:
        return None
    if caller.kind == "page":
        return caller.token.token
    if caller.kind != "user" or not caller.can_see_page(page.id):
        return None
    parent = caller.token
    existing = call.session.scalars(
        select(MetaToken).where(MetaToken.parent == parent.token, MetaToken.page_id == page.id)
    ).first()
    if existing is not None:
        return existing.token
    token = MetaToken(
        token=common.random_token("EAAO"),
        kind="page",
        app_id=parent.app_id,
        user_id=parent.user_id,
        page_id=page.id,
        long_lived=parent.long_lived,
        parent=parent.token,
        issued_at=call.now,
        expires_at=None if parent.long_lived else parent.expires_at,
    )
    call.session.add(token)
    call.session.flush()
    return token.token


def _page_fields() -> dict[str, Renderer]:
    def ig(call: Call, node: Node, spec: FieldSpec) -> Any:
        page: MetaPage = node.row
        if not page.instagram_id:
            return _ABSENT
        account = call.session.get(MetaIgAccount, page.instagram_id)
        if account is None:
            return _ABSENT
        return _sub(call, Node("ig_user", account.id, account), spec)

    def token(call: Call, node: Node, spec: FieldSpec) -> Any:
        value = page_token_for(call, node.row)
        return _ABSENT if value is None else value

    def tasks(call: Call, node: Node, spec: FieldSpec) -> Any:
        caller = call.caller
        if caller is None or caller.user is None:
            return _ABSENT
        role = call.session.get(MetaPageRole, (caller.user.id, node.id))
        return list(role.tasks) if role else _ABSENT

    def followers(call: Call, node: Node, spec: FieldSpec) -> Any:
        return page_followers(call, node.row)

    def fans(call: Call, node: Node, spec: FieldSpec) -> Any:
        # Page likes lag follows a little: some people follow without liking.
        return int(page_followers(call, node.row) * 0.93)

    def category_list(call: Call, node: Node, spec: FieldSpec) -> Any:
        return [{"id": node.row.category_id, "name": node.row.category}]

    def link(call: Call, node: Node, spec: FieldSpec) -> Any:
        return f"https://www.facebook.com/{node.row.username}"

    def attr(name: str) -> Renderer:
        return lambda c, n, s: getattr(n.row, name) or _ABSENT

    return {
        "id": lambda c, n, s: n.id,
        "name": attr("name"),
        "username": attr("username"),
        "category": attr("category"),
        "category_list": category_list,
        "about": attr("about"),
        "website": attr("website"),
        "link": link,
        "fan_count": fans,
        "followers_count": followers,
        "access_token": token,
        "instagram_business_account": ig,
        "connected_instagram_account": ig,
        "picture": lambda c, n, s: _picture(f"page-{n.id}"),
        "tasks": tasks,
        "is_published": lambda c, n, s: True,
        "verification_status": lambda c, n, s: "not_verified",
    }


# instagram users


def ig_followers(call: Call, account: MetaIgAccount) -> int:
    return audience.followers_at(common.profile_of_ig(call.ctx, account.id), call.now)


def _ig_user_fields() -> dict[str, Renderer]:
    def media_count(call: Call, node: Node, spec: FieldSpec) -> Any:
        rows = call.session.scalars(
            select(MetaIgMedia.id).where(
                MetaIgMedia.ig_user_id == node.id, MetaIgMedia.timestamp <= call.now
            )
        )
        return len(list(rows))

    def follows(call: Call, node: Node, spec: FieldSpec) -> Any:
        return audience.following_at(common.profile_of_ig(call.ctx, node.id), call.now)

    def attr(name: str) -> Renderer:
        return lambda c, n, s: getattr(n.row, name) or _ABSENT

    def discovery(call: Call, node: Node, spec: FieldSpec) -> Any:
        return business_discovery(call, spec)

    return {
        "id": lambda c, n, s: n.id,
        "business_discovery": discovery,
        "ig_id": lambda c, n, s: int(n.row.ig_id),
        "username": attr("username"),
        "name": attr("name"),
        "biography": attr("biography"),
        "website": attr("website"),
        "followers_count": lambda c, n, s: ig_followers(c, n.row),
        "follows_count": follows,
        "media_count": media_count,
        "profile_picture_url": lambda c, n, s: (
            f"https://scontent.cdninstagram.com/v/t51.2885-19/{n.id}_n.jpg"
        ),
    }


# Business Discovery: another business or creator account's public numbers, read through
# the caller's own Instagram account (``GET /{ig-user-id}?fields=business_discovery
# .username(name){followers_count,media_count,media{like_count,comments_count,timestamp}}``).
# Only public fields answer; private ones (insights) are "nonexisting" on the discovered node.
DISCOVERY_USER_FIELDS = frozenset(
    {
        "id",
        "ig_id",
        "username",
        "name",
        "biography",
        "website",
        "followers_count",
        "follows_count",
        "media_count",
        "profile_picture_url",
    }
)
DISCOVERY_MEDIA_FIELDS = frozenset(
    {
        "id",
        "caption",
        "comments_count",
        "like_count",
        "media_type",
        "media_product_type",
        "media_url",
        "permalink",
        "timestamp",
        "username",
    }
)


def business_discovery(call: Call, spec: FieldSpec) -> dict[str, Any]:
    username = (spec.modifier("username") or "").strip().lstrip("@")
    if not username:
        raise errors.invalid_parameter("The parameter username is required")
    target = call.session.scalars(
        select(MetaIgAccount).where(func.lower(MetaIgAccount.username) == username.lower())
    ).first()
    if target is None:
        raise errors.discovery_user_not_found(username)
    node = Node("ig_user", target.id, target)
    fields = FIELDS["ig_user"]
    out: dict[str, Any] = {}
    for child in spec.children or [FieldSpec("id")]:
        if child.name == "media":
            out["media"] = _discovered_media(call, target, child)
            continue
        if child.name not in DISCOVERY_USER_FIELDS:
            raise errors.nonexisting_field(child.name, node.type_name)
        value = fields[child.name](call, node, child)
        if value is not _ABSENT:
            out[child.name] = value
    out.setdefault("id", target.id)
    return out


def _discovered_media(call: Call, target: MetaIgAccount, spec: FieldSpec) -> dict[str, Any]:
    """The discovered account's media, newest first, paged by the expansion's own
    ``limit``/``after``/``before`` modifiers: the paging has cursors only, no ``next`` URL, as
    the edge can't be requested on its own (a client asks again with ``media.after(…)``)."""
    rows = call.session.scalars(
        select(MetaIgMedia)
        .where(
            MetaIgMedia.ig_user_id == target.id,
            MetaIgMedia.parent_id.is_(None),
            MetaIgMedia.timestamp <= call.now,
        )
        .order_by(MetaIgMedia.timestamp.desc())
    )
    children = spec.children or [FieldSpec("id")]
    for child in children:
        if child.name not in DISCOVERY_MEDIA_FIELDS:
            raise errors.nonexisting_field(child.name, "IGMedia")
    paged = common.paginate(list(rows), dict(spec.modifiers), None)
    out: dict[str, Any] = {
        "data": [render(call, Node("ig_media", m.id, m), children) for m in paged.items]
    }
    if paged.paging:
        out["paging"] = paged.paging
    return out


# page posts


def permalink_of_post(post: MetaPost, root: str = "https:/") -> str:
    """The post's page on www.facebook.com; ``root`` is the sandbox's own address, so the link
    opens the sandbox's page for the post (``web_pages``) rather than the real site."""
    return f"{root}/www.facebook.com/{post.page_id}/posts/{_object_suffix(post.id)}"


def _post_fields() -> dict[str, Renderer]:
    def message(call: Call, node: Node, spec: FieldSpec) -> Any:
        return node.row.message or _ABSENT

    def created(call: Call, node: Node, spec: FieldSpec) -> Any:
        return common.graph_time(node.row.publish_at)

    def shares(call: Call, node: Node, spec: FieldSpec) -> Any:
        count = fb_metrics(call.ctx, node.row, call.now).shares
        return {"count": count} if count else _ABSENT

    def reactions(call: Call, node: Node, spec: FieldSpec, only: str | None = None) -> Any:
        total = fb_metrics(call.ctx, node.row, call.now).likes
        by_type = reactions_by_type(total)
        wanted = (spec.modifier("type") or "").upper() or only
        count = by_type.get(wanted, 0) if wanted else total
        people = []
        kinds = [k for k, n in by_type.items() for _ in range(min(n, 100))]
        for index in range(min(count, 100)):
            name, person_id = _person(f"{node.row.audience_key}:r{index}")
            item = {"id": person_id, "name": name}
            if only is None:
                item["type"] = wanted or (kinds[index] if index < len(kinds) else "LIKE")
            people.append(item)
        out = _edge_list(call, people, spec, lambda p: p)
        if _is_summary(spec):
            if only == "LIKE":
                out["summary"] = {"total_count": count, "can_like": True, "has_liked": False}
            else:
                out["summary"] = {"total_count": count, "viewer_reaction": "NONE"}
        return out

    def likes(call: Call, node: Node, spec: FieldSpec) -> Any:
        return reactions(call, node, spec, "LIKE")

    def comments(call: Call, node: Node, spec: FieldSpec) -> Any:
        views = comments_of(call, node)
        if (spec.modifier("order") or "") == "reverse_chronological":
            views.reverse()
        out = _edge_list(call, views, spec, lambda v: render_comment(call, v, spec.children))
        if _is_summary(spec):
            out["summary"] = {
                "order": spec.modifier("order") or "ranked",
                "total_count": len(views),
                "can_comment": True,
            }
        return out

    def picture(call: Call, node: Node, spec: FieldSpec) -> Any:
        photo = _first_photo(call, node.row)
        return photo.url if photo else _ABSENT

    def attachments(call: Call, node: Node, spec: FieldSpec) -> Any:
        post: MetaPost = node.row
        photos = [call.session.get(MetaPhoto, str(p)) for p in post.photo_ids]
        items = [_photo_attachment(p) for p in photos if p is not None]
        if len(items) > 1:
            return {
                "data": [
                    {"media_type": "album", "type": "album", "subattachments": {"data": items}}
                ]
            }
        if items:
            return {"data": items}
        if post.link:
            return {"data": [{"media_type": "link", "type": "share", "url": post.link}]}
        return {"data": []}

    def is_published(call: Call, node: Node, spec: FieldSpec) -> Any:
        return post_is_live(node.row, call.now)

    def scheduled(call: Call, node: Node, spec: FieldSpec) -> Any:
        post: MetaPost = node.row
        if post.published and post.publish_at > call.now:
            return int(post.publish_at.timestamp())
        return _ABSENT

    def from_page(call: Call, node: Node, spec: FieldSpec) -> Any:
        page = call.session.get(MetaPage, node.row.page_id)
        return {"name": page.name if page else "", "id": node.row.page_id}

    def insights(call: Call, node: Node, spec: FieldSpec) -> Any:
        metric = spec.modifier("metric")
        return insights_module.post_insights(call, node, metric, spec.modifier("period"))

    return {
        "id": lambda c, n, s: n.id,
        "message": message,
        "created_time": created,
        "updated_time": created,
        "permalink_url": lambda c, n, s: permalink_of_post(n.row, c.web_root),
        "link": lambda c, n, s: n.row.link or _ABSENT,
        "full_picture": picture,
        "status_type": lambda c, n, s: n.row.status_type,
        "is_published": is_published,
        "scheduled_publish_time": scheduled,
        "from": from_page,
        "shares": shares,
        "reactions": reactions,
        "likes": likes,
        "comments": comments,
        "attachments": attachments,
        "insights": insights,
    }


def _first_photo(call: Call, post: MetaPost) -> MetaPhoto | None:
    return call.session.get(MetaPhoto, str(post.photo_ids[0])) if post.photo_ids else None


def _photo_attachment(photo: MetaPhoto) -> dict[str, Any]:
    return {
        "media": {"image": {"height": photo.height, "src": photo.url, "width": photo.width}},
        "media_type": "photo",
        "target": {"id": photo.id, "url": f"https://www.facebook.com/photo.php?fbid={photo.id}"},
        "type": "photo",
        "url": f"https://www.facebook.com/photo.php?fbid={photo.id}",
    }


# photos


def _photo_fields() -> dict[str, Renderer]:
    def images(call: Call, node: Node, spec: FieldSpec) -> Any:
        photo: MetaPhoto = node.row
        return [{"height": photo.height, "source": photo.url, "width": photo.width}]

    return {
        "id": lambda c, n, s: n.id,
        "created_time": lambda c, n, s: common.graph_time(n.row.created_at),
        "name": lambda c, n, s: n.row.caption or _ABSENT,
        "images": images,
        "picture": lambda c, n, s: n.row.url,
        "link": lambda c, n, s: f"https://www.facebook.com/photo.php?fbid={n.id}",
        "width": lambda c, n, s: n.row.width,
        "height": lambda c, n, s: n.row.height,
        "page_story_id": lambda c, n, s: n.row.post_id or _ABSENT,
        "from": lambda c, n, s: {"id": n.row.page_id},
    }


# comments


def render_comment(call: Call, view: CommentView, specs: list[FieldSpec] | None) -> dict[str, Any]:
    kind = "ig_comment" if view.instagram else "comment"
    return render(call, Node(kind, view.id, _CommentRow(view)), specs)


def _comment_fields() -> dict[str, Renderer]:
    def view(node: Node) -> CommentView:
        return comment_view(node)

    return {
        "id": lambda c, n, s: n.id,
        "message": lambda c, n, s: view(n).message,
        "created_time": lambda c, n, s: common.graph_time(view(n).created_at),
        "from": lambda c, n, s: {"name": view(n).from_name, "id": view(n).from_id},
        "like_count": lambda c, n, s: view(n).like_count,
        "comment_count": lambda c, n, s: 0,
        "can_remove": lambda c, n, s: True,
    }


def _ig_comment_fields() -> dict[str, Renderer]:
    def view(node: Node) -> CommentView:
        return comment_view(node)

    def username(node: Node) -> str:
        return view(node).from_name.lower().replace(" ", "_").replace("'", "")

    return {
        "id": lambda c, n, s: n.id,
        "text": lambda c, n, s: view(n).message,
        "timestamp": lambda c, n, s: common.graph_time(view(n).created_at),
        "username": lambda c, n, s: username(n),
        "like_count": lambda c, n, s: view(n).like_count,
        "from": lambda c, n, s: {"id": view(n).from_id, "username": username(n)},
        "hidden": lambda c, n, s: False,
    }


# instagram media and containers


def ig_permalink(media: MetaIgMedia, root: str = "https:/") -> str:
    """The media's page on www.instagram.com, under the sandbox's ``root`` (see
    :func:`permalink_of_post`)."""
    kind = "reel" if media.media_product_type == "REELS" else "p"
    return f"{root}/www.instagram.com/{kind}/{media.shortcode}/"


def _ig_media_fields() -> dict[str, Renderer]:
    def metrics(call: Call, node: Node) -> audience.PostMetrics:
        return ig_metrics(call.ctx, node.row, call.now)

    def comments_count(call: Call, node: Node, spec: FieldSpec) -> Any:
        return metrics(call, node).comments + written_comment_count(call, node.id)

    def username(call: Call, node: Node, spec: FieldSpec) -> Any:
        account = call.session.get(MetaIgAccount, node.row.ig_user_id)
        return account.username if account else _ABSENT

    def children(call: Call, node: Node, spec: FieldSpec) -> Any:
        media: MetaIgMedia = node.row
        if media.media_type != "CAROUSEL_ALBUM":
            return _ABSENT
        items = []
        for child_id in media.children:
            child = call.session.get(MetaIgMedia, str(child_id))
            if child is not None:
                items.append(render(call, Node("ig_media", child.id, child), spec.children))
        return {"data": items}

    def thumbnail(call: Call, node: Node, spec: FieldSpec) -> Any:
        media: MetaIgMedia = node.row
        if media.media_type != "VIDEO":
            return _ABSENT
        return f"https://scontent.cdninstagram.com/v/t51.29350-15/{media.id}_thumb.jpg"

    def insights(call: Call, node: Node, spec: FieldSpec) -> Any:
        # The insights edge read as a field (``insights.metric(views,reach)``), as Graph expands
        # any edge: the same answer, and the same errors, as GET /{ig-media-id}/insights
        # (reference C.5).
        return insights_module.ig_media_insights(call, node, spec.modifier("metric"))

    return {
        "id": lambda c, n, s: n.id,
        "caption": lambda c, n, s: n.row.caption or _ABSENT,
        "media_type": lambda c, n, s: n.row.media_type,
        "media_product_type": lambda c, n, s: n.row.media_product_type,
        "media_url": lambda c, n, s: n.row.media_url,
        "thumbnail_url": thumbnail,
        "permalink": lambda c, n, s: ig_permalink(n.row, c.web_root),
        "shortcode": lambda c, n, s: n.row.shortcode,
        "timestamp": lambda c, n, s: common.graph_time(n.row.timestamp),
        "username": username,
        "owner": lambda c, n, s: {"id": n.row.ig_user_id},
        "like_count": lambda c, n, s: metrics(c, n).likes,
        "comments_count": comments_count,
        "is_comment_enabled": lambda c, n, s: True,
        "children": children,
        "insights": insights,
    }


CONTAINER_STATUS = {
    "IN_PROGRESS": "In Progress: Media is still being processed.",
    "FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
    "PUBLISHED": "Published: Media has been successfully published.",
    "EXPIRED": "Expired: Media was not published within 24 hours.",
}
CONTAINER_TTL = timedelta(hours=24)


def container_state(call: Call, container: MetaIgContainer) -> tuple[str, int | None]:
    """``(status_code, error subcode)`` at the sandbox clock's now."""
    if container.published_media_id:
        return "PUBLISHED", None
    now = call.now
    if now >= container.created_at + CONTAINER_TTL:
        return "EXPIRED", None
    children = [call.session.get(MetaIgContainer, str(c)) for c in container.children]
    ready_at = max([container.ready_at] + [c.ready_at for c in children if c is not None])
    if now < ready_at:
        return "IN_PROGRESS", None
    if container.error_subcode is not None:
        return "ERROR", container.error_subcode
    for child in children:
        if child is None:
            return "ERROR", 2207028
        if child.error_subcode is not None:
            return "ERROR", 2207028
    return "FINISHED", None


def _container_fields() -> dict[str, Renderer]:
    def status_code(call: Call, node: Node, spec: FieldSpec) -> Any:
        return container_state(call, node.row)[0]

    def status(call: Call, node: Node, spec: FieldSpec) -> Any:
        code, subcode = container_state(call, node.row)
        if code == "ERROR":
            return f"Error: Media upload has failed with error code {subcode}"
        return CONTAINER_STATUS[code]

    return {
        "id": lambda c, n, s: n.id,
        "status_code": status_code,
        "status": status,
        "media_type": lambda c, n, s: n.row.media_type,
        "is_carousel_item": lambda c, n, s: n.row.is_carousel_item,
        "caption": lambda c, n, s: n.row.caption or _ABSENT,
    }


FIELDS: dict[str, dict[str, Renderer]] = {
    "user": _user_fields(),
    "page": _page_fields(),
    "ig_user": _ig_user_fields(),
    "post": _post_fields(),
    "photo": _photo_fields(),
    "comment": _comment_fields(),
    "ig_media": _ig_media_fields(),
    "ig_container": _container_fields(),
    "ig_comment": _ig_comment_fields(),
}

DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "user": ("name", "id"),
    "page": ("name", "id"),
    "ig_user": ("id",),
    "post": ("created_time", "message", "id"),
    "photo": ("created_time", "name", "id"),
    "comment": ("created_time", "from", "message", "id"),
    "ig_media": ("id",),
    "ig_container": ("id",),
    "ig_comment": ("timestamp", "text", "id"),
}
