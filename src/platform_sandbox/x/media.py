"""X media upload (reference A.7): v2 one-shot and chunked initialize/append/finalize with
STATUS, plus the legacy v1.1 ``upload.twitter.com/1.1/media/upload.json`` that older clients
(and the recordings) use.

Bytes are not kept: only sizes, the detected type and image dimensions. Videos and GIFs go
through ``pending -> in_progress -> succeeded`` on the sandbox clock after finalize, so a test
moves the clock instead of waiting; media whose bytes do not match the category ends ``failed``.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
from datetime import timedelta
from typing import Any

import filetype
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from PIL import Image, UnidentifiedImageError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from platform_sandbox.platform import SandboxContext, context
from platform_sandbox.x import errors
from platform_sandbox.x.common import MEDIA_SCOPES, XAuth, XRoute, require, snowflake
from platform_sandbox.x.models import XMedia

router = APIRouter(route_class=XRoute)
legacy_router = APIRouter(route_class=XRoute)

EXPIRES_AFTER = timedelta(hours=24)
PENDING_FOR = timedelta(seconds=1)
PROCESSING_FOR = timedelta(seconds=5)
CATEGORIES = frozenset(
    {
        "amplify_video",
        "tweet_gif",
        "tweet_image",
        "tweet_video",
        "dm_gif",
        "dm_image",
        "dm_video",
        "subtitles",
    }
)
ONE_SHOT_CATEGORIES = frozenset({"tweet_image", "dm_image", "subtitles"})
MAX_BYTES = {"image": 5 * 1024 * 1024, "gif": 15 * 1024 * 1024, "video": 512 * 1024 * 1024}


def _kind(category: str) -> str:
    if "gif" in category:
        return "gif"
    if "video" in category:
        return "video"
    return "subtitles" if category == "subtitles" else "image"


def _key_prefix(category: str) -> str:
    return {"gif": "16", "video": "7"}.get(_kind(category), "3")


def processing_state(ctx: SandboxContext, media: XMedia) -> tuple[str, int | None]:
    """``(state, progress_percent)`` as of the sandbox clock."""
    if media.finalized_at is None:
        return "uploading", None
    if _kind(media.media_category) not in {"video", "gif"}:
        return ("succeeded" if media.valid else "failed"), None
    elapsed = ctx.clock.now() - media.finalized_at
    if elapsed < PENDING_FOR:
        return "pending", 0
    if elapsed < PROCESSING_FOR:
        share = (elapsed - PENDING_FOR) / (PROCESSING_FOR - PENDING_FOR)
        return "in_progress", min(99, int(share * 100))
    return ("succeeded" if media.valid else "failed"), 100


def _detect(data: bytes, category: str) -> tuple[bool, str, int | None, int | None]:
    """Whether ``data`` fits ``category``, its MIME type and image dimensions."""
    kind = filetype.guess(data[:8192])
    mime = kind.mime if kind else ""
    want = _kind(category)
    if want == "subtitles":
        return True, "text/srt", None, None
    if want == "video":
        return mime.startswith("video/"), mime, None, None
    if want == "gif":
        return mime == "image/gif", mime, None, None
    try:
        with Image.open(io.BytesIO(data)) as image:
            return mime.startswith("image/"), mime, image.width, image.height
    except (UnidentifiedImageError, OSError, ValueError):
        # A first chunk of a large image cannot be decoded alone; the magic bytes decide.
        return mime.startswith("image/"), mime, None, None


def _info(ctx: SandboxContext, media: XMedia) -> dict[str, Any]:
    # The 24-hour expiry runs from finalize (one-shot uploads finalize at once).
    expires_at = (media.finalized_at or media.created_at) + EXPIRES_AFTER
    remaining = math.ceil((expires_at - ctx.clock.now()).total_seconds())
    data: dict[str, Any] = {
        "id": media.id,
        "media_key": media.media_key,
        "size": media.size,
        "expires_after_secs": max(0, min(remaining, int(EXPIRES_AFTER.total_seconds()))),
    }
    state, progress = processing_state(ctx, media)
    if progress is not None:
        info: dict[str, Any] = {"state": state, "progress_percent": progress}
        if state in {"pending", "in_progress"}:
            info["check_after_secs"] = 1
        if state == "failed":
            info["error"] = {
                "code": 1,
                "name": "InvalidMedia",
                "message": "Invalid or Unsupported media, Reason: UnsupportedMedia.",
            }
        data["processing_info"] = info
    return data


def _media_payload(raw: Any) -> bytes:
    if isinstance(raw, bytes):
        return raw
    if isinstance(raw, str):
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise errors.invalid_request(
                "The `media` parameter is not valid base64.", {"media": ["<binary>"]}
            ) from None
    raise errors.invalid_request("The `media` parameter is required.", {"media": [""]})


async def _fields(request: Request) -> dict[str, Any]:
    """Form fields and files (multipart or urlencoded) or a JSON body, as one dict."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise errors.invalid_request("Request body is not valid JSON.") from None
        return body if isinstance(body, dict) else {}
    form = await request.form()
    out: dict[str, Any] = {}
    for key, value in form.multi_items():
        out[key] = await value.read() if isinstance(value, UploadFile) else value
    return out


def _new_media(
    ctx: SandboxContext, auth: XAuth, category: str, media_type: str, total: int | None
) -> XMedia:
    if category not in CATEGORIES:
        raise errors.invalid_request(
            f"The `media_category` value [{category}] is not one of "
            f"[{','.join(sorted(CATEGORIES))}]",
            {"media_category": [category]},
        )
    limit = MAX_BYTES.get(_kind(category))
    if total is not None and limit is not None and total > limit:
        raise errors.invalid_request(
            f"File size exceeds {limit} bytes.", {"total_bytes": [str(total)]}
        )
    now = ctx.clock.now()
    media_id = snowflake(now)
    return XMedia(
        id=media_id,
        media_key=f"{_key_prefix(category)}_{media_id}",
        owner_id=auth.user_id,
        media_type=media_type,
        media_category=category,
        total_bytes=total,
        created_at=now,
        segments={},
    )


def _one_shot(ctx: SandboxContext, auth: XAuth, fields: dict[str, Any]) -> dict[str, Any]:
    category = str(fields.get("media_category") or "")
    if not category:
        raise errors.invalid_request(
            "The `media_category` parameter is required.", {"media_category": [""]}
        )
    data = _media_payload(fields.get("media") or fields.get("media_data"))
    media = _new_media(ctx, auth, category, str(fields.get("media_type") or ""), len(data))
    valid, mime, width, height = _detect(data, category)
    if not valid:
        raise errors.invalid_request("media type unrecognized.", {"media": ["<binary>"]})
    media.media_type = media.media_type or mime
    media.size = len(data)
    media.width, media.height = width, height
    media.finalized_at = media.created_at
    with ctx.store.session() as session:
        session.add(media)
    return _info(ctx, media)


def _initialize(ctx: SandboxContext, auth: XAuth, fields: dict[str, Any]) -> XMedia:
    total = fields.get("total_bytes")
    try:
        total_bytes = int(total) if total is not None else None
    except (TypeError, ValueError):
        raise errors.invalid_request(
            "The `total_bytes` parameter is invalid.", {"total_bytes": [str(total)]}
        ) from None
    category = str(fields.get("media_category") or "tweet_image")
    media = _new_media(ctx, auth, category, str(fields.get("media_type") or ""), total_bytes)
    with ctx.store.session() as session:
        session.add(media)
    return media


def _owned(ctx: SandboxContext, session: Any, auth: XAuth, media_id: str) -> XMedia:
    media: XMedia | None = session.get(XMedia, media_id)
    if media is None or media.owner_id != auth.user_id:
        raise errors.invalid_request(
            f"The `media_id` value [{media_id}] is invalid.", {"media_id": [media_id]}
        )
    return media


def _append(ctx: SandboxContext, auth: XAuth, media_id: str, fields: dict[str, Any]) -> int:
    data = _media_payload(fields.get("media") or fields.get("media_data"))
    raw_index = fields.get("segment_index", 0)
    try:
        index = int(raw_index)
    except (TypeError, ValueError):
        raise errors.invalid_request(
            "The `segment_index` parameter is invalid.", {"segment_index": [str(raw_index)]}
        ) from None
    with ctx.store.session() as session:
        media = _owned(ctx, session, auth, media_id)
        if media.finalized_at is not None:
            raise errors.invalid_request("Media is already finalized.", {"media_id": [media_id]})
        segments = dict(media.segments or {})
        segments[str(index)] = len(data)
        media.segments = segments
        media.size = sum(int(v) for v in segments.values())
        if index == 0:
            valid, mime, width, height = _detect(data, media.media_category)
            media.valid = valid
            media.media_type = media.media_type or mime
            media.width, media.height = width, height
        return int((media.created_at + EXPIRES_AFTER).timestamp())


def _finalize(ctx: SandboxContext, auth: XAuth, media_id: str) -> dict[str, Any]:
    with ctx.store.session() as session:
        media = _owned(ctx, session, auth, media_id)
        if not media.segments:
            raise errors.invalid_request(
                "No media segments were uploaded.", {"media_id": [media_id]}
            )
        if media.total_bytes is not None and media.size != media.total_bytes:
            raise errors.invalid_request(
                "Segments do not add up to provided total file size.", {"media_id": [media_id]}
            )
        if media.finalized_at is None:
            media.finalized_at = ctx.clock.now()
        if _kind(media.media_category) == "image" and not media.valid:
            raise errors.invalid_request("media type unrecognized.", {"media_id": [media_id]})
        session.flush()
        return _info(ctx, media)


def _status(ctx: SandboxContext, auth: XAuth, media_id: str) -> dict[str, Any]:
    with ctx.store.session() as session:
        return _info(ctx, _owned(ctx, session, auth, media_id))


# --- v2 -----------------------------------------------------------------------------------


@router.post("/2/media/upload")
async def upload(
    request: Request, auth: XAuth = Depends(require("POST /2/media/upload", MEDIA_SCOPES))
) -> Response:
    ctx = context(request)
    fields = await _fields(request)
    command = str(fields.get("command") or "").upper()
    # The chunked quickstart still shows INIT/APPEND/FINALIZE form commands on this path.
    if command == "INIT":
        media = await run_in_threadpool(_initialize, ctx, auth, fields)
        return JSONResponse({"data": _init_data(media)})
    if command == "APPEND":
        expires = await run_in_threadpool(_append, ctx, auth, str(fields.get("media_id")), fields)
        return JSONResponse({"data": {"expires_at": expires}})
    if command == "FINALIZE":
        info = await run_in_threadpool(_finalize, ctx, auth, str(fields.get("media_id")))
        return JSONResponse({"data": info})
    return JSONResponse({"data": await run_in_threadpool(_one_shot, ctx, auth, fields)})


def _init_data(media: XMedia) -> dict[str, Any]:
    return {
        "id": media.id,
        "media_key": media.media_key,
        "expires_after_secs": int(EXPIRES_AFTER.total_seconds()) - 1,
    }


@router.get("/2/media/upload")
def upload_status(
    request: Request,
    media_id: str,
    auth: XAuth = Depends(require("GET /2/media/upload", MEDIA_SCOPES)),
) -> Response:
    command = request.query_params.get("command", "STATUS")
    if command != "STATUS":
        raise errors.invalid_request(
            f"The `command` query parameter value [{command}] is not one of [STATUS]",
            {"command": [command]},
        )
    return JSONResponse({"data": _status(context(request), auth, media_id)})


@router.post("/2/media/upload/initialize")
async def initialize(
    request: Request,
    auth: XAuth = Depends(require("POST /2/media/upload/initialize", MEDIA_SCOPES)),
) -> Response:
    fields = await _fields(request)
    media = await run_in_threadpool(_initialize, context(request), auth, fields)
    return JSONResponse({"data": _init_data(media)})


@router.post("/2/media/upload/{id}/append")
async def append(
    request: Request,
    id: str,
    auth: XAuth = Depends(require("POST /2/media/upload/{id}/append", MEDIA_SCOPES)),
) -> Response:
    fields = await _fields(request)
    expires = await run_in_threadpool(_append, context(request), auth, id, fields)
    return JSONResponse({"data": {"expires_at": expires}})


@router.post("/2/media/upload/{id}/finalize")
def finalize(
    request: Request,
    id: str,
    auth: XAuth = Depends(require("POST /2/media/upload/{id}/finalize", MEDIA_SCOPES)),
) -> Response:
    return JSONResponse({"data": _finalize(context(request), auth, id)})


# --- legacy v1.1 ---------------------------------------------------------------------------


def _legacy(data: dict[str, Any], media: XMedia | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"media_id": int(data["id"]), "media_id_string": data["id"]}
    for key in ("size", "expires_after_secs", "processing_info"):
        if key in data:
            out[key] = data[key]
    if media is not None and media.width and media.height:
        out["image"] = {"image_type": media.media_type, "w": media.width, "h": media.height}
    return out


def _load(ctx: SandboxContext, media_id: str) -> XMedia | None:
    with ctx.store.session() as session:
        found: XMedia | None = session.get(XMedia, media_id)
        return found


@legacy_router.post("/1.1/media/upload.json")
async def legacy_upload(
    request: Request,
    auth: XAuth = Depends(require("POST /1.1/media/upload.json", MEDIA_SCOPES)),
) -> Response:
    ctx = context(request)
    fields = await _fields(request)
    command = str(fields.get("command") or "").upper()
    if command == "INIT":
        created = await run_in_threadpool(_initialize, ctx, auth, fields)
        body = _legacy(_init_data(created))
        body["media_key"] = created.media_key
        return JSONResponse(body, status_code=202)
    if command == "APPEND":
        await run_in_threadpool(_append, ctx, auth, str(fields.get("media_id")), fields)
        return Response(status_code=204)
    if command == "FINALIZE":
        info = await run_in_threadpool(_finalize, ctx, auth, str(fields.get("media_id")))
        finalized = await run_in_threadpool(_load, ctx, info["id"])
        return JSONResponse(_legacy(info, finalized), status_code=201)
    fields.setdefault("media_category", "tweet_image")
    info = await run_in_threadpool(_one_shot, ctx, auth, fields)
    uploaded = await run_in_threadpool(_load, ctx, info["id"])
    return JSONResponse(_legacy(info, uploaded))


@legacy_router.get("/1.1/media/upload.json")
def legacy_status(
    request: Request,
    media_id: str,
    auth: XAuth = Depends(require("GET /1.1/media/upload.json", MEDIA_SCOPES)),
) -> Response:
    ctx = context(request)
    info = _status(ctx, auth, media_id)
    return JSONResponse(_legacy(info, _load(ctx, media_id)))
