"""graph.facebook.com: one catch-all route and a dispatcher, because Graph paths are generic
(``/{id}``, ``/{id}/{edge}``) and batch requests must run the very same handlers in-process.

Every (sub-)request runs in a savepoint, so a Graph error leaves no half-written rows, and is
counted against the usage quotas before its handler runs.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from platform_sandbox.meta import common, errors, insights, metrics, nodes, oauth
from platform_sandbox.meta.call import Call, Node
from platform_sandbox.meta.common import Caller, FieldSpec, Target
from platform_sandbox.meta.errors import GraphError
from platform_sandbox.meta.models import (
    MetaComment,
    MetaIgAccount,
    MetaIgContainer,
    MetaIgMedia,
    MetaPage,
    MetaPageRole,
    MetaPhoto,
    MetaPost,
)
from platform_sandbox.platform import SandboxContext, context

router = APIRouter()

MAX_BATCH = 50
MAX_IDS = 50
PAGE_READ_MESSAGE = (
    "This endpoint requires the 'pages_read_engagement' permission or the 'Page Public Content "
    "Access' feature. Refer to https://developers.facebook.com/docs/apps/review/login-permissions"
    "#manage-pages and https://developers.facebook.com/docs/apps/review/feature#reference-"
    "PAGES_ACCESS for details."
)


@dataclass
class GraphRequest:
    method: str
    version: str | None  # as written in the path; None when unversioned
    segments: list[str]
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    token: str | None = None
    base: str = ""  # {scheme}://{host}/graph.facebook.com
    query: str = ""


@dataclass
class GraphResult:
    status: int
    body: Any
    headers: dict[str, str]

    def text(self) -> str:
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False)


# --- HTTP entry point ----------------------------------------------------------------------------


async def _read_params(request: Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    params: dict[str, Any] = dict(request.query_params)
    files: dict[str, bytes] = {}
    content_type = request.headers.get("content-type", "")
    if request.method in ("POST", "DELETE"):
        if content_type.startswith("application/json"):
            raw = await request.body()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise errors.invalid_parameter("Invalid JSON in the request body") from exc
                if isinstance(body, dict):
                    params.update(body)
        elif content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
            form = await request.form()
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files[key] = await value.read()
                else:
                    params[key] = value
    return params, files


def _token_from(request: Request, params: dict[str, Any]) -> str | None:
    raw = params.pop("access_token", None)
    if raw:
        return str(raw)
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return None


# "" as well as "/": batch clients post to the bare host, https://graph.facebook.com.
@router.api_route("", methods=["GET", "POST", "DELETE"], include_in_schema=False)
@router.api_route("/", methods=["GET", "POST", "DELETE"], include_in_schema=False)
@router.api_route("/{path:path}", methods=["GET", "POST", "DELETE"], include_in_schema=False)
async def graph_endpoint(request: Request, path: str = "") -> Response:
    ctx = context(request)
    try:
        params, files = await _read_params(request)
    except GraphError as exc:
        return exc.response()
    token = _token_from(request, params)
    segments = [s for s in path.split("/") if s]
    version: str | None = None
    if segments and common.looks_like_version(segments[0]):
        version = segments.pop(0)
    method = request.method
    override = str(params.pop("method", "")).upper()
    if method == "GET" and override in ("POST", "DELETE"):
        method = override
    graph_request = GraphRequest(
        method=method,
        version=version,
        segments=segments,
        params=params,
        files=files,
        token=token,
        base=str(request.base_url).rstrip("/") + "/graph.facebook.com",
        query=request.url.query,
    )
    result = await run_in_threadpool(execute, ctx, graph_request)
    return Response(
        result.text(),
        status_code=result.status,
        headers=result.headers,
        media_type="application/json; charset=UTF-8",
    )


def execute(ctx: SandboxContext, request: GraphRequest) -> GraphResult:
    with ctx.store.session() as session:
        return run_one(session, ctx, request)


def run_one(session: Session, ctx: SandboxContext, request: GraphRequest) -> GraphResult:
    now = ctx.clock.now()
    if request.version is not None and request.version not in common.VERSIONS:
        error = errors.unknown_path("/" + "/".join(request.segments))
        return _error_result(error)
    version = common.serving_version(request.version, now)
    headers = {"facebook-api-version": version}
    savepoint = session.begin_nested()
    try:
        body, extra = dispatch(session, ctx, request, version)
        savepoint.commit()
    except GraphError as exc:
        savepoint.rollback()
        result = _error_result(exc)
        result.headers.update(headers)
        return result
    headers.update(extra)
    return GraphResult(200, body, headers)


def _error_result(error: GraphError) -> GraphResult:
    body = error.body()
    return GraphResult(error.status, body, error.response_headers(body["error"]["fbtrace_id"]))


# --- dispatch ------------------------------------------------------------------------------------


def dispatch(
    session: Session, ctx: SandboxContext, request: GraphRequest, version: str
) -> tuple[Any, dict[str, str]]:
    segments = request.segments
    params = request.params
    if segments == ["oauth", "access_token"]:
        return oauth.access_token(session, ctx, params), {}
    if segments == ["debug_token"]:
        return oauth.debug_token(session, ctx, params, request.token), {}
    if not segments and request.method == "POST" and "batch" in params:
        return run_batch(session, ctx, request), {}
    caller = common.authenticate(session, ctx, request.token) if request.token else None
    link_query = urlencode(
        [(k, v) for k, v in parse_qsl(request.query) if k not in ("after", "before", "limit")]
    )
    path = "/".join(segments)
    call = Call(
        session=session,
        ctx=ctx,
        caller=caller,
        version=version,
        method=request.method,
        params=params,
        files=request.files,
        link=f"{request.base}/{version}/{path}" + (f"?{link_query}" if link_query else ""),
        graph_base=f"{request.base}/{version}",
    )
    if "ids" in params and len(segments) <= 1:
        return multi_ids(call, segments[0] if segments else None)
    if not segments:
        if caller is None:
            raise errors.token_required()
        raise errors.invalid_parameter("Must specify the ids parameter or a batch")
    if caller is None:
        if segments[0] == "me":
            raise errors.active_token_required()
        raise errors.token_required()
    node = nodes.resolve(call, segments[0], request.method)
    headers = account(call, [node])
    return handle(call, node, segments[1:]), headers


def account(call: Call, targets_of: list[Node]) -> dict[str, str]:
    targets: list[Target] = []
    for node in targets_of:
        target = nodes.target_of(call, node)
        if target is not None:
            targets.append(target)
    return common.account_call(call.ctx, call.caller, targets)


def multi_ids(call: Call, edge: str | None) -> tuple[Any, dict[str, str]]:
    raw = call.param("ids") or ""
    ids = [i.strip() for i in raw.split(",") if i.strip()]
    if not ids:
        raise errors.invalid_parameter("The parameter ids is required")
    if len(ids) > MAX_IDS:
        raise errors.invalid_parameter(f"Too many IDs. Maximum: {MAX_IDS}. Provided: {len(ids)}.")
    caller = call.need_caller()
    found: list[Node] = []
    missing: list[str] = []
    for object_id in ids:
        node = nodes.find(call, object_id) if object_id != "me" else None
        if object_id == "me":
            node = nodes.resolve(call, "me")
        if node is None:
            missing.append(object_id)
            continue
        found.append(node)
    if missing:
        raise errors.aliases_missing(missing)
    for node in found:
        nodes.resolve(call, node.id if node.kind != "user" or caller.user is None else "me")
    headers: dict[str, str] = {}
    # Each id is one call against the quotas (reference C.6).
    for node in found:
        headers = account(call, [node])
    out = {}
    for object_id, node in zip(ids, found, strict=True):
        out[object_id] = handle(call, node, [edge] if edge else [])
    return out, headers


# --- batch (C.6) ---------------------------------------------------------------------------------


def run_batch(session: Session, ctx: SandboxContext, request: GraphRequest) -> list[Any]:
    raw = request.params.get("batch")
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as exc:
        raise errors.invalid_parameter("The parameter batch must be a JSON array") from exc
    if not isinstance(items, list) or not items:
        raise errors.invalid_parameter("The parameter batch must be a JSON array")
    if len(items) > MAX_BATCH:
        raise GraphError(
            f"(#100) Too many requests in batch message. Maximum batch size is {MAX_BATCH}", 100
        )
    include_headers = str(request.params.get("include_headers", "true")).lower() != "false"
    out: list[Any] = []
    for item in items:
        if not isinstance(item, dict) or not item.get("relative_url"):
            error = errors.invalid_parameter("Each batch request needs a relative_url")
            out.append(_batch_entry(_error_result(error), include_headers))
            continue
        sub = _sub_request(item, request)
        out.append(_batch_entry(run_one(session, ctx, sub), include_headers))
    return out


def _sub_request(item: dict[str, Any], outer: GraphRequest) -> GraphRequest:
    url = urlsplit(str(item["relative_url"]))
    segments = [s for s in url.path.split("/") if s]
    # Relative URLs may carry the host prefix clients use for the real host.
    if segments and segments[0] == "graph.facebook.com":
        segments = segments[1:]
    version = outer.version
    if segments and common.looks_like_version(segments[0]):
        version = segments.pop(0)
    params: dict[str, Any] = dict(parse_qsl(url.query, keep_blank_values=True))
    body = item.get("body")
    if isinstance(body, str):
        params.update(parse_qsl(body, keep_blank_values=True))
    elif isinstance(body, dict):
        params.update(body)
    token = params.pop("access_token", None) or outer.token
    return GraphRequest(
        method=str(item.get("method", "GET")).upper(),
        version=version,
        segments=segments,
        params=params,
        token=str(token) if token else None,
        base=outer.base,
        query=url.query,
    )


def _batch_entry(result: GraphResult, include_headers: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"code": result.status}
    if include_headers:
        names = {"Content-Type": "text/javascript; charset=UTF-8", **result.headers}
        entry["headers"] = [{"name": k, "value": v} for k, v in names.items()]
    entry["body"] = result.text()
    return entry


# --- handlers ------------------------------------------------------------------------------------


def handle(call: Call, node: Node, rest: list[str]) -> Any:
    method = call.method
    if not rest:
        if method == "GET":
            _check_read(call, node)
            return nodes.render(call, node, common.parse_fields(call.param("fields")))
        if method == "DELETE":
            return delete_object(call, node)
        raise errors.unsupported(method, node.id)
    edge, extra = rest[0], rest[1:]
    handler = EDGES.get((node.kind, edge, method))
    if handler is None:
        if method == "GET" and not extra:
            raise errors.nonexisting_field(edge, node.type_name)
        raise errors.unknown_path("/" + "/".join([node.id, *rest]))
    if extra and not (edge == "insights" and len(extra) <= 2):
        raise errors.unknown_path("/" + "/".join([node.id, *rest]))
    if extra:
        call.params["metric"] = extra[0]
        if len(extra) == 2:
            call.params["period"] = extra[1]
    return handler(call, node)


def _check_read(call: Call, node: Node) -> None:
    caller = call.need_caller()
    if node.kind in ("post", "photo", "comment") and not (
        caller.has("pages_read_engagement") or caller.has("pages_read_user_engagement")
    ):
        raise errors.permission_missing(PAGE_READ_MESSAGE)
    if node.kind in ("ig_user", "ig_media", "ig_container", "ig_comment") and not caller.has(
        "instagram_basic"
    ):
        raise errors.permission_missing()


def _require_page_publisher(call: Call, page_id: str) -> Caller:
    caller = call.need_caller()
    if (
        caller.kind != "page"
        or caller.page is None
        or caller.page.id != page_id
        or not caller.has("pages_manage_posts", "pages_read_engagement")
    ):
        raise errors.permissions_error(errors.PAGE_PUBLISH_PERMISSIONS)
    return caller


def _fields_after_write(call: Call, node: Node, base: dict[str, Any]) -> dict[str, Any]:
    """A write with ``fields=`` answers with those fields of the new object (Postiz asks for
    ``id,permalink_url`` when it posts)."""
    specs = common.parse_fields(call.param("fields"))
    if specs is None:
        return base
    return {**base, **nodes.render(call, node, specs)}


# users ----------------------------------------------------------------------------------------


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


# pages ----------------------------------------------------------------------------------------


def _page(node: Node) -> MetaPage:
    page = node.row
    assert isinstance(page, MetaPage)
    return page


def list_posts(call: Call, node: Node) -> Any:
    caller = call.need_caller()
    if not (caller.has("pages_read_engagement") or caller.has("pages_read_user_engagement")):
        raise errors.permission_missing(PAGE_READ_MESSAGE)
    page = _page(node)
    now = call.now
    rows = call.session.scalars(
        select(MetaPost).where(MetaPost.page_id == page.id).order_by(MetaPost.publish_at.desc())
    )
    live = [p for p in rows if metrics.post_is_live(p, now)]
    specs = common.parse_fields(call.param("fields"))
    paged = common.paginate(live, call.params, call.link)
    out: dict[str, Any] = {
        "data": [nodes.render(call, Node("post", p.id, p), specs) for p in paged.items]
    }
    if paged.paging:
        out["paging"] = paged.paging
    return out


def scheduled_posts(call: Call, node: Node) -> Any:
    page = _page(node)
    rows = call.session.scalars(
        select(MetaPost).where(MetaPost.page_id == page.id).order_by(MetaPost.publish_at)
    )
    waiting = [p for p in rows if p.published and p.publish_at > call.now]
    specs = common.parse_fields(call.param("fields"))
    return {"data": [nodes.render(call, Node("post", p.id, p), specs) for p in waiting]}


def _attached_media(call: Call) -> list[str]:
    """``attached_media`` as JSON (list or string) or PHP-style ``attached_media[0]`` keys."""
    raw = call.params.get("attached_media")
    items: list[Any] = []
    if isinstance(raw, list):
        items = raw
    elif isinstance(raw, str) and raw.strip():
        try:
            decoded = json.loads(raw)
        except ValueError as exc:
            raise errors.invalid_parameter("param attached_media must be an array") from exc
        items = decoded if isinstance(decoded, list) else [decoded]
    else:
        indexed = sorted(
            (k for k in call.params if k.startswith("attached_media[")),
            key=lambda k: int("".join(ch for ch in k if ch.isdigit()) or 0),
        )
        for key in indexed:
            value = call.params[key]
            try:
                items.append(json.loads(value) if isinstance(value, str) else value)
            except ValueError as exc:
                raise errors.invalid_parameter(f"param {key} must be a JSON object") from exc
    ids: list[str] = []
    for index, item in enumerate(items):
        fbid = item.get("media_fbid") if isinstance(item, dict) else None
        if not fbid:
            raise errors.invalid_parameter(f"param attached_media[{index}] must have a media_fbid")
        ids.append(str(fbid))
    return ids


def _publish_time(call: Call) -> tuple[bool, Any]:
    """``(published, publish_at)`` from ``published`` and ``scheduled_publish_time``."""
    published_raw = call.param("published")
    published = True if published_raw is None else common.truthy(published_raw)
    scheduled_raw = call.param("scheduled_publish_time")
    now = call.stamp
    if not scheduled_raw:
        return published, now
    if published:
        raise errors.invalid_parameter(
            "You cannot specify a scheduled publish time on a published post"
        )
    at = common.parse_time(scheduled_raw)
    if at is None or not (now + timedelta(minutes=10) <= at <= now + timedelta(days=30)):
        raise errors.invalid_parameter("The specified scheduled publish time is invalid.")
    # A scheduled post is published by Facebook at its time: it counts as published from then.
    return True, at


def _new_post(
    call: Call,
    page: MetaPage,
    post_id: str,
    message: str,
    *,
    link: str | None,
    status_type: str,
    photo_ids: list[str],
    published: bool,
    publish_at: Any,
    media_count: int = 0,
    has_video: bool = False,
) -> MetaPost:
    post = MetaPost(
        id=post_id,
        page_id=page.id,
        message=message,
        link=link,
        status_type=status_type,
        photo_ids=photo_ids,
        created_at=call.stamp,
        publish_at=publish_at,
        published=published,
        audience_key=f"facebook:{page.id}:{post_id}",
        text_length=len(message),
        media_count=media_count,
        has_video=has_video,
        hashtag_count=common.hashtags(message),
    )
    call.session.add(post)
    call.session.flush()
    return post


def create_feed_post(call: Call, node: Node) -> Any:
    page = _page(node)
    _require_page_publisher(call, page.id)
    message = call.param("message") or ""
    link = call.param("link")
    attached = _attached_media(call)
    if not message and not link and not attached:
        raise errors.invalid_parameter("Requires one of the params: message, link, attached_media")
    if link and not link.startswith(("http://", "https://")):
        # [uncertain] wording; the subcode is the documented bad-link one (C.3).
        raise GraphError("(#100) The link you entered is not a valid URL", 100, 1609005)
    published, publish_at = _publish_time(call)
    latest = call.session.scalars(
        select(MetaPost).where(MetaPost.page_id == page.id).order_by(MetaPost.created_at.desc())
    ).first()
    if (
        latest is not None
        and message
        and latest.message == message
        and latest.link == link
        and not attached
    ):
        raise GraphError(
            "(#506) Duplicate status message",
            506,
            1455006,
            is_transient=False,
            user_title="Duplicate Status Update",
            user_msg="This status update is identical to the last one you posted. Try posting "
            "something different, or delete your previous update.",
        )
    photos: list[MetaPhoto] = []
    for index, fbid in enumerate(attached):
        photo = call.session.get(MetaPhoto, fbid)
        if photo is None or photo.page_id != page.id or photo.published or photo.post_id:
            raise errors.invalid_parameter(
                f"param attached_media[{index}] has an invalid media_fbid {fbid}"
            )
        photos.append(photo)
    post_id = f"{page.id}_{common.new_object_id(call.session)}"
    status_type = "added_photos" if photos else ("shared_story" if link else "mobile_status_update")
    post = _new_post(
        call,
        page,
        post_id,
        message,
        link=link,
        status_type=status_type,
        photo_ids=[p.id for p in photos],
        published=published,
        publish_at=publish_at,
        media_count=len(photos),
    )
    for photo in photos:
        photo.post_id = post.id
    return _fields_after_write(call, Node("post", post.id, post), {"id": post.id})


IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP"}


def _image_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            if image.format not in IMAGE_FORMATS:
                return None
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def create_photo(call: Call, node: Node) -> Any:
    page = _page(node)
    _require_page_publisher(call, page.id)
    url = call.param("url")
    source = call.files.get("source")
    if not url and source is None:
        raise GraphError("(#324) Requires upload file", 324)
    photo_id = common.new_object_id(call.session)
    width, height = 1080, 1080
    if source is not None:
        size = _image_size(source)
        if size is None:
            raise GraphError("(#324) Missing or invalid image file", 324)
        width, height = size
        url = f"https://scontent.xx.fbcdn.net/v/t39.30808-6/{photo_id}_n.jpg"
    assert url is not None
    if not url.startswith(("http://", "https://")):
        raise errors.invalid_parameter("url should represent a valid URL")
    if "broken" in url.lower():
        raise GraphError("(#324) Missing or invalid image file", 324)
    caption = call.param("message") or call.param("caption") or ""
    published, publish_at = _publish_time(call)
    photo = MetaPhoto(
        id=photo_id,
        page_id=page.id,
        url=url,
        caption=caption,
        width=width,
        height=height,
        published=published,
        post_id=None,
        created_at=call.stamp,
    )
    call.session.add(photo)
    if not published:
        return {"id": photo_id}
    post = _new_post(
        call,
        page,
        f"{page.id}_{photo_id}",
        caption,
        link=None,
        status_type="added_photos",
        photo_ids=[photo_id],
        published=True,
        publish_at=publish_at,
        media_count=1,
    )
    photo.post_id = post.id
    return {"id": photo_id, "post_id": post.id}


def create_video(call: Call, node: Node) -> Any:
    page = _page(node)
    _require_page_publisher(call, page.id)
    file_url = call.param("file_url")
    if not file_url and "source" not in call.files:
        raise GraphError("(#324) Requires upload file", 324)
    video_id = common.new_object_id(call.session)
    description = call.param("description") or ""
    published, publish_at = _publish_time(call)
    _new_post(
        call,
        page,
        f"{page.id}_{video_id}",
        description,
        link=None,
        status_type="added_video",
        photo_ids=[],
        published=published,
        publish_at=publish_at,
        media_count=1,
        has_video=True,
    )
    return {"id": video_id}


def delete_object(call: Call, node: Node) -> Any:
    caller = call.need_caller()
    session = call.session
    if node.kind == "post":
        post: MetaPost = node.row
        _require_page_publisher(call, post.page_id)
        for photo_id in post.photo_ids:
            photo = session.get(MetaPhoto, str(photo_id))
            if photo is not None:
                session.delete(photo)
        for comment in session.scalars(select(MetaComment).where(MetaComment.object_id == post.id)):
            session.delete(comment)
        session.delete(post)
        return {"success": True}
    if node.kind == "photo":
        photo_row: MetaPhoto = node.row
        _require_page_publisher(call, photo_row.page_id)
        if photo_row.post_id:
            linked = session.get(MetaPost, photo_row.post_id)
            if linked is not None and len(linked.photo_ids) <= 1:
                session.delete(linked)
        session.delete(photo_row)
        return {"success": True}
    if node.kind in ("comment", "ig_comment") and isinstance(node.row, MetaComment):
        if caller.kind != "page" and node.kind == "comment":
            raise errors.permissions_error()
        session.delete(node.row)
        return {"success": True}
    raise errors.unsupported("DELETE", node.id)


def page_insights(call: Call, node: Node) -> Any:
    caller = call.need_caller()
    if not caller.has("read_insights"):
        raise errors.permission_missing()
    return insights.page_insights(call, node, call.param("metric"))


def post_insights(call: Call, node: Node) -> Any:
    caller = call.need_caller()
    if not caller.has("read_insights"):
        raise errors.permission_missing()
    return insights.post_insights(call, node, call.param("metric"), call.param("period"))


# comments and reactions -----------------------------------------------------------------------


def list_comments(call: Call, node: Node) -> Any:
    _check_read(call, node)
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


def _edge_as_field(name: str) -> Any:
    def handler(call: Call, node: Node) -> Any:
        _check_read(call, node)
        spec = FieldSpec(
            name,
            {k: str(call.params[k]) for k in ("limit", "summary", "type") if k in call.params},
            common.parse_fields(call.param("fields")),
        )
        return nodes.FIELDS["post"][name](call, node, spec)

    return handler


# instagram --------------------------------------------------------------------------------------


def _ig(node: Node) -> MetaIgAccount:
    account_row = node.row
    assert isinstance(account_row, MetaIgAccount)
    return account_row


def _require_ig_publisher(call: Call) -> None:
    caller = call.need_caller()
    if not caller.has("instagram_basic", "instagram_content_publish"):
        raise errors.permission_missing()


IMAGE_EXTENSIONS = {"jpg", "jpeg"}
OTHER_IMAGE_EXTENSIONS = {"png", "gif", "webp", "heic", "bmp", "tif", "tiff"}
VIDEO_EXTENSIONS = {"mp4", "mov"}


def media_problem(url: str, video: bool) -> int | None:
    """The error subcode a container for ``url`` ends in, or None when it will process.

    The sandbox fetches nothing, so the rule reads the URL: "broken" anywhere means the fetch
    fails (2207052); a file extension of the wrong kind means an unsupported format (2207005
    for images, JPEG only as on the real API; 2207026 for video). URLs without an extension
    (typical for app-served media) are taken as usable.
    """
    if "broken" in url.lower():
        return 2207052
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    if "." not in last:
        return None
    extension = last.rsplit(".", 1)[-1].lower()
    if video:
        return None if extension in VIDEO_EXTENSIONS else 2207026
    if extension in IMAGE_EXTENSIONS:
        return None
    return 2207005 if extension in OTHER_IMAGE_EXTENSIONS else 2207052


IMAGE_PROCESSING = timedelta(seconds=10)
VIDEO_PROCESSING = timedelta(seconds=60)
CAPTION_LIMIT = 2200


def _children(call: Call) -> list[str]:
    raw = call.params.get("children")
    if isinstance(raw, list):
        return [str(c) for c in raw]
    text = str(raw or "").strip()
    if text.startswith("["):
        try:
            return [str(c) for c in json.loads(text)]
        except ValueError:
            pass
    return [c.strip() for c in text.split(",") if c.strip()]


def carousel_error(message: str) -> GraphError:
    return GraphError(
        "Invalid parameter",
        100,
        2207028,
        is_transient=False,
        user_title="Carousel validation failed",
        user_msg=message,
    )


def create_container(call: Call, node: Node) -> Any:
    _require_ig_publisher(call)
    account_row = _ig(node)
    now = call.stamp
    media_type = (call.param("media_type") or "").upper()
    image_url, video_url = call.param("image_url"), call.param("video_url")
    caption = call.param("caption") or ""
    is_item = common.truthy(call.param("is_carousel_item", "false"))
    if len(caption) > CAPTION_LIMIT:
        raise GraphError(
            "Invalid parameter",
            100,
            2207010,
            is_transient=False,
            user_title="Caption too long",
            user_msg="The caption exceeds 2200 characters.",
        )
    children: list[str] = []
    error_subcode: int | None = None
    ready_at = now + IMAGE_PROCESSING
    if media_type == "CAROUSEL":
        children = _children(call)
        if not 2 <= len(children) <= 10:
            raise carousel_error("A carousel needs between 2 and 10 children.")
        for child_id in children:
            child = call.session.get(MetaIgContainer, child_id)
            if child is None or child.ig_user_id != account_row.id or not child.is_carousel_item:
                raise carousel_error(f"{child_id} is not a carousel item container of this user.")
        ready_at = now
    elif media_type in ("REELS", "VIDEO", "STORIES") and (video_url or media_type != "STORIES"):
        if not video_url:
            raise errors.invalid_parameter("The parameter video_url is required.")
        error_subcode = media_problem(video_url, video=True)
        ready_at = now + VIDEO_PROCESSING
    elif media_type in ("", "IMAGE", "STORIES"):
        if video_url and not image_url:
            raise errors.invalid_parameter("The parameter media_type is required for video_url.")
        if not image_url:
            raise errors.invalid_parameter("The parameter image_url is required.")
        error_subcode = media_problem(image_url, video=False)
        media_type = media_type or "IMAGE"
    else:
        raise errors.invalid_parameter(
            "The parameter media_type must be one of {IMAGE, VIDEO, REELS, STORIES, CAROUSEL}"
        )
    container = MetaIgContainer(
        id=common.new_container_id(call.session),
        ig_user_id=account_row.id,
        media_type=media_type or "IMAGE",
        image_url=image_url,
        video_url=video_url,
        caption="" if is_item else caption,
        is_carousel_item=is_item,
        children=children,
        created_at=now,
        ready_at=ready_at,
        error_subcode=error_subcode,
    )
    call.session.add(container)
    return {"id": container.id}


PUBLISH_WINDOW = timedelta(hours=24)
DEFAULT_PUBLISH_LIMIT = 50


def publish_limit(call: Call) -> int:
    overrides: dict[str, Any] = call.ctx.overrides.get(common.PLATFORM_NAME, {}).get(
        "publishing_limits", {}
    )
    return int(overrides.get("instagram", DEFAULT_PUBLISH_LIMIT))


def quota_usage(call: Call, ig_user_id: str) -> int:
    since = call.now - PUBLISH_WINDOW
    rows = call.session.scalars(
        select(MetaIgMedia.id).where(
            MetaIgMedia.ig_user_id == ig_user_id,
            MetaIgMedia.via_api.is_(True),
            MetaIgMedia.parent_id.is_(None),
            MetaIgMedia.timestamp > since,
        )
    )
    return len(list(rows))


def _shortcode(media_id: str) -> str:
    import hashlib

    digest = hashlib.sha256(media_id.encode()).digest()
    import base64

    return base64.urlsafe_b64encode(digest).decode()[:11].replace("=", "A")


def _media_row(
    call: Call, account_row: MetaIgAccount, container: MetaIgContainer, parent: str | None
) -> MetaIgMedia:
    media_id = common.new_ig_media_id(call.session)
    video = bool(container.video_url) and container.media_type != "IMAGE"
    if container.media_type == "CAROUSEL":
        media_type, product = "CAROUSEL_ALBUM", "FEED"
    elif video:
        media_type = "VIDEO"
        product = "STORY" if container.media_type == "STORIES" else "REELS"
    else:
        media_type = "IMAGE"
        product = "STORY" if container.media_type == "STORIES" else "FEED"
    extension = "mp4" if video else "jpg"
    caption = container.caption
    media = MetaIgMedia(
        id=media_id,
        ig_user_id=account_row.id,
        media_type=media_type,
        media_product_type=product,
        caption=caption,
        media_url=f"https://scontent.cdninstagram.com/v/t51.29350-15/{media_id}_n.{extension}",
        shortcode=_shortcode(media_id),
        timestamp=call.stamp,
        children=[],
        parent_id=parent,
        via_api=True,
        audience_key=f"instagram:{account_row.id}:{media_id}",
        text_length=len(caption),
        media_count=max(1, len(container.children)),
        has_video=video,
        hashtag_count=common.hashtags(caption),
    )
    call.session.add(media)
    return media


def publish_media(call: Call, node: Node) -> Any:
    _require_ig_publisher(call)
    account_row = _ig(node)
    creation_id = call.param("creation_id")
    if not creation_id:
        raise errors.invalid_parameter("The parameter creation_id is required.")
    container = call.session.get(MetaIgContainer, creation_id)
    if container is None or container.ig_user_id != account_row.id or container.is_carousel_item:
        raise errors.invalid_parameter(f"Param creation_id {creation_id} is not a valid media id")
    state, _subcode = nodes.container_state(call, container)
    if state == "EXPIRED":
        raise GraphError(
            "The media has expired",
            9007,
            2207020,
            is_transient=False,
            user_title="Media expired",
            user_msg="The media you are trying to publish has expired. Please "
            "create a new media container and try again.",
        )
    if state == "PUBLISHED":
        raise GraphError(
            "Media ID is not available",
            9007,
            2207008,
            is_transient=False,
            user_title="Media already published",
            user_msg="This media has already been published.",
        )
    if state != "FINISHED":
        raise GraphError(
            "Media ID is not available",
            9007,
            2207027,
            is_transient=False,
            user_title="Media not ready for publishing",
            user_msg="The media is not ready for publishing, please wait for a moment",
        )
    if quota_usage(call, account_row.id) >= publish_limit(call):
        raise GraphError(
            "Application request limit reached",
            9,
            2207042,
            is_transient=False,
            user_title="Maximum number of posts reached",
            user_msg="The account has reached its limit of published posts in a "
            "24-hour window. Please try again later.",
        )
    media = _media_row(call, account_row, container, None)
    call.session.flush()
    child_ids = []
    for child_id in container.children:
        child = call.session.get(MetaIgContainer, str(child_id))
        if child is not None:
            row = _media_row(call, account_row, child, media.id)
            row.caption = ""
            child.published_media_id = row.id
            child_ids.append(row.id)
    media.children = child_ids
    container.published_media_id = media.id
    return {"id": media.id}


def publishing_limit(call: Call, node: Node) -> Any:
    _check_read(call, node)
    usage = quota_usage(call, node.id)
    entry: dict[str, Any] = {
        "quota_usage": usage,
        "config": {"quota_total": publish_limit(call), "quota_duration": 86400},
    }
    specs = common.parse_fields(call.param("fields"))
    if specs is not None:
        wanted = {s.name for s in specs}
        entry = {k: v for k, v in entry.items() if k in wanted}
    return {"data": [entry]}


def list_ig_media(call: Call, node: Node) -> Any:
    _check_read(call, node)
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
    _check_read(call, node)
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


Handler = Any

EDGES: dict[tuple[str, str, str], Handler] = {
    ("user", "accounts", "GET"): me_accounts,
    ("user", "permissions", "GET"): permissions,
    ("user", "permissions", "DELETE"): revoke_permissions,
    ("page", "feed", "GET"): list_posts,
    ("page", "posts", "GET"): list_posts,
    ("page", "published_posts", "GET"): list_posts,
    ("page", "scheduled_posts", "GET"): scheduled_posts,
    ("page", "feed", "POST"): create_feed_post,
    ("page", "photos", "POST"): create_photo,
    ("page", "videos", "POST"): create_video,
    ("page", "insights", "GET"): page_insights,
    ("post", "insights", "GET"): post_insights,
    ("post", "comments", "GET"): list_comments,
    ("post", "comments", "POST"): create_comment,
    ("post", "reactions", "GET"): _edge_as_field("reactions"),
    ("post", "likes", "GET"): _edge_as_field("likes"),
    ("ig_user", "media", "GET"): list_ig_media,
    ("ig_user", "media", "POST"): create_container,
    ("ig_user", "media_publish", "POST"): publish_media,
    ("ig_user", "content_publishing_limit", "GET"): publishing_limit,
    ("ig_user", "insights", "GET"): ig_account_insights,
    ("ig_media", "insights", "GET"): ig_media_insights,
    ("ig_media", "comments", "GET"): list_comments,
    ("ig_media", "comments", "POST"): create_comment,
    ("ig_media", "children", "GET"): ig_children,
}
