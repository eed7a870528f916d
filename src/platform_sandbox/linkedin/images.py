"""api.linkedin.com Images API: initialize an upload, the upload URL on www.linkedin.com, and
get an image.

An uploaded image is AVAILABLE at once unless ``ctx.overrides["linkedin"]
["image_processing_seconds"]`` says otherwise: then it is PROCESSING (and refused in a post)
until that many seconds after its upload was initialized, as LinkedIn takes a moment to
process images."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from platform_sandbox.linkedin import common, errors, rest
from platform_sandbox.linkedin.models import LiImage
from platform_sandbox.platform import SandboxContext, context

router = APIRouter(route_class=common.LinkedInRoute)
# The upload URL is served from www.linkedin.com.
uploads_router = APIRouter(route_class=common.LinkedInRoute)


def status_of(ctx: SandboxContext, image: LiImage) -> str:
    """WAITING_UPLOAD, PROCESSING or AVAILABLE, at the sandbox clock's now."""
    if image.status != "AVAILABLE":
        return image.status
    overrides: dict[str, Any] = ctx.overrides.get(common.PLATFORM_NAME, {})
    processing = float(overrides.get("image_processing_seconds", 0))
    if processing and common.now(ctx) < image.created_at + timedelta(seconds=processing):
        return "PROCESSING"
    return image.status


IMAGE_INIT = rest.Act(
    "images",
    "ACTION-initializeUpload",
    rest.WRITE_MEMBER,
    rest.WRITE_ORG,
    field="/initializeUploadRequest/owner",
)


@router.post("/rest/images")
async def images_action(request: Request) -> Response:
    ctx = context(request)
    body = await rest.json_body(request)
    with ctx.store.session() as session:
        caller, version = rest.versioned(request, session, ctx, "images")
        if request.query_params.get("action") != "initializeUpload":
            raise errors.bad_request("Missing or unsupported action")
        init = body.get("initializeUploadRequest")
        owner = init.get("owner") if isinstance(init, dict) else None
        if not isinstance(owner, str) or not owner:
            raise rest.unprocessable(
                "/initializeUploadRequest/owner",
                "field is required but not found and has no default value",
                "MISSING_FIELD",
            )
        rest.require_author_permission(session, caller, owner, IMAGE_INIT, version)
        at = common.now(ctx)
        upload_token = common.random_token("", 32)
        urn = f"urn:li:image:D4E10AQ{common.random_token('', 16)}"
        expires = at + timedelta(days=1)
        session.add(
            LiImage(
                urn=urn,
                owner=owner,
                upload_token=upload_token,
                created_at=at,
                upload_expires_at=expires,
            )
        )
        base = str(request.base_url).rstrip("/")
        upload_url = f"{base}/www.linkedin.com/dms-uploads/sp/v2/{upload_token}/uploaded-image/0"
        return JSONResponse(
            {
                "value": {
                    "uploadUrlExpiresAt": common.epoch_ms(expires),
                    "uploadUrl": upload_url,
                    "image": urn,
                }
            }
        )


@uploads_router.put("/dms-uploads/sp/v2/{upload_token}/uploaded-image/0")
async def upload_image(request: Request, upload_token: str) -> Response:
    ctx = context(request)
    data = await request.body()
    with ctx.store.session() as session:
        if request.headers.get("authorization"):
            common.authenticate(request, session, ctx)
        image = session.scalars(select(LiImage).where(LiImage.upload_token == upload_token)).first()
        if image is None or image.upload_expires_at <= common.now(ctx):
            raise errors.not_found("Upload URL not found or expired")
        if not data:
            raise errors.bad_request("Empty upload")
        image.size_bytes = len(data)
        image.media_type = request.headers.get("content-type", "application/octet-stream")
        image.status = "AVAILABLE"
        return Response(status_code=201)


@router.get("/rest/images/{urn}")
def get_image(request: Request, urn: str) -> Response:
    ctx = context(request)
    with ctx.store.session() as session:
        _caller, _version = rest.versioned(request, session, ctx, "images")
        image = session.get(LiImage, urn)
        if image is None:
            raise errors.not_found(f"Image {urn} not found")
        at = common.now(ctx)
        return JSONResponse(
            {
                "owner": image.owner,
                "status": status_of(ctx, image),
                "id": image.urn,
                "downloadUrlExpiresAt": common.epoch_ms(at + timedelta(days=1)),
                "downloadUrl": f"{str(request.base_url).rstrip('/')}/www.linkedin.com/"
                f"dms-uploads/sp/v2/{image.upload_token}/uploaded-image/0",
            }
        )
