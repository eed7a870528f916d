"""Media at signed, expiring addresses, for platforms that fetch media by URL (see
``content/signed.py``). Outside /api/v1: no credentials, the address itself is the permission."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from growth_manager.auth.dependencies import DbSession
from growth_manager.content import signed
from growth_manager.content.endpoints import AppSettings
from growth_manager.content.service import media
from growth_manager.errors import NotFound

router = APIRouter(tags=["content"])


@router.get(
    signed.PATH_PREFIX + "/{media_id}/{expires}/{signature}",
    response_class=FileResponse,
    summary="Media at a signed, expiring address",
    description="For platforms that fetch media by URL (Instagram containers, Facebook photos). "
    "No credentials: the address itself is the permission, valid for those bytes until "
    "`expires` (Unix time). Anything else is a 404 that says why.",
    include_in_schema=False,
)
def signed_media(
    media_id: int, expires: int, signature: str, session: DbSession, settings: AppSettings
) -> FileResponse:
    asset = media.find(session, media_id)
    verdict = signed.check(settings, asset, expires, signature) if asset else None
    if asset is None or verdict is None or not verdict.ok:
        reason = verdict.reason if verdict else "no such media"
        raise NotFound(f"This media address is not valid: {reason}.")
    path = media.path_of(settings, asset)
    if not path.is_file():
        raise NotFound(f"The file of media {media_id} is missing from storage.")
    return FileResponse(
        path,
        media_type=asset.mime,
        headers={"Cache-Control": "public, max-age=3600", "ETag": f'"{asset.sha256}"'},
    )
