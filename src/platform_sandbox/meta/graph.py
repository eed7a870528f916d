"""graph.facebook.com: one catch-all route and a dispatcher, because Graph paths are generic
(``/{id}``, ``/{id}/{edge}``) and batch requests must run the very same handlers in-process.

Every (sub-)request runs in a savepoint, so a Graph error leaves no half-written rows, and is
counted against the usage quotas before its handler runs. ``EDGES`` routes ``/{id}/{edge}`` to
the handlers, which live by the object they serve: users, pages, comments, instagram and
instagram_publishing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from platform_sandbox.meta import (
    comments,
    common,
    errors,
    instagram,
    instagram_publishing,
    media_fetch,
    nodes,
    oauth,
    pages,
    users,
)
from platform_sandbox.meta.call import Call, Node
from platform_sandbox.meta.common import Target
from platform_sandbox.meta.errors import GraphError
from platform_sandbox.platform import SandboxContext, context

router = APIRouter()

MAX_BATCH = 50
MAX_IDS = 50


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
    # Media downloaded before the database work (see media_fetch), keyed by URL.
    fetched: dict[str, media_fetch.Fetched] = field(default_factory=dict)


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
        fetched=await media_fetch.prefetch(method, segments, params),
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
        fetched=request.fetched,
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
            nodes.check_read(call, node)
            return nodes.render(call, node, common.parse_fields(call.param("fields")))
        if method == "DELETE":
            return pages.delete_object(call, node)
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


Handler = Any

EDGES: dict[tuple[str, str, str], Handler] = {
    ("user", "accounts", "GET"): users.me_accounts,
    ("user", "permissions", "GET"): users.permissions,
    ("user", "permissions", "DELETE"): users.revoke_permissions,
    ("page", "feed", "GET"): pages.list_posts,
    ("page", "posts", "GET"): pages.list_posts,
    ("page", "published_posts", "GET"): pages.list_posts,
    ("page", "scheduled_posts", "GET"): pages.scheduled_posts,
    ("page", "feed", "POST"): pages.create_feed_post,
    ("page", "photos", "POST"): pages.create_photo,
    ("page", "videos", "POST"): pages.create_video,
    ("page", "insights", "GET"): pages.page_insights,
    ("post", "insights", "GET"): pages.post_insights,
    ("post", "comments", "GET"): comments.list_comments,
    ("post", "comments", "POST"): comments.create_comment,
    ("post", "reactions", "GET"): comments.edge_as_field("reactions"),
    ("post", "likes", "GET"): comments.edge_as_field("likes"),
    ("ig_user", "media", "GET"): instagram.list_ig_media,
    ("ig_user", "media", "POST"): instagram_publishing.create_container,
    ("ig_user", "media_publish", "POST"): instagram_publishing.publish_media,
    ("ig_user", "content_publishing_limit", "GET"): instagram_publishing.publishing_limit,
    ("ig_user", "insights", "GET"): instagram.ig_account_insights,
    ("ig_media", "insights", "GET"): instagram.ig_media_insights,
    ("ig_media", "comments", "GET"): comments.list_comments,
    ("ig_media", "comments", "POST"): comments.create_comment,
    ("ig_media", "children", "GET"): instagram.ig_children,
}
# Edges read as fields of their node (``published_posts.limit(100){…}``) run the same handlers.
nodes.EDGE_READERS.update(
    {(kind, edge): handler for (kind, edge, method), handler in EDGES.items() if method == "GET"}
)
