"""REST API for drafts, media and text measurement. Thin: resolve the business and role, call the
service, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from fastapi.responses import FileResponse

from growth_manager.auth.dependencies import CurrentUser, DbSession
from growth_manager.auth.ratelimit import MeasureRateLimit
from growth_manager.business.access import BusinessEditor, BusinessViewer
from growth_manager.config import Settings
from growth_manager.content import rules
from growth_manager.content.schemas import (
    DraftCreate,
    DraftList,
    DraftOut,
    DraftUpdate,
    MeasureRequest,
    MeasureResponse,
    MediaList,
    MediaOut,
    check_out,
    draft_out,
    media_out,
)
from growth_manager.content.service import drafts, media
from growth_manager.errors import NotFound
from growth_manager.kit.answers import model_answer
from growth_manager.models.content import PLATFORM_ORDER, PostStatus

router = APIRouter(prefix="/api/v1", tags=["content"])


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


AppSettings = Annotated[Settings, Depends(app_settings)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]
Offset = Annotated[int, Query(ge=0, description="Items to skip.")]

VALIDATION_DESCRIPTION = (
    "Each text is checked against the limits of the platforms the draft targets (and any "
    "variant against its own platform): X 280 weighted characters (links 23, emoji 2), "
    "LinkedIn 3,000, Facebook 63,206, Instagram 2,200 with at most 30 hashtags. A 422 names "
    "the platform and the limit, e.g. `X: 291/280 characters (X counts links as 23 and emoji "
    "as 2)`."
)


# Text -------------------------------------------------------------------------------------------
@router.post(
    "/text/measure",
    response_model=MeasureResponse,
    summary="Measure a text for each platform",
    description="Counts the text the way each platform does and says whether it fits. The "
    "editor's live counter calls this, so the browser and the server never disagree. "
    "`variants` replace the base text on their platform. Texts longer than 10,000 characters "
    "are a 422 (saving a draft still measures them); rate limited per user (429 with "
    "`Retry-After`).",
    responses={429: {"description": "Too many measurements; see `Retry-After`."}},
)
def measure_text(
    body: MeasureRequest, user: CurrentUser, _limit: MeasureRateLimit
) -> MeasureResponse:
    platforms = rules.ordered(body.platforms) if body.platforms else list(PLATFORM_ORDER)
    results = []
    for platform in platforms:
        variant = body.variants.get(platform)
        text = body.text if variant is None else variant
        results.append(check_out(rules.measure(platform, text), uses_base_text=variant is None))
    return MeasureResponse(results=results)


@router.get(
    "/text/rules",
    summary="What each platform accepts",
    description="Text limit, how it is counted, hashtag limit and media limits per platform.",
)
def platform_rules(user: CurrentUser) -> dict[str, object]:
    return {
        "platforms": [
            {
                "platform": item.platform.value,
                "name": item.name,
                "limit": item.limit,
                "counting": item.counting_note or "Unicode characters",
                "max_hashtags": item.max_hashtags,
                "media": {
                    "max_images": item.media.max_images,
                    "max_videos": item.media.max_videos,
                    "max_items": item.media.max_items,
                    "can_mix_images_and_video": item.media.can_mix,
                    "requires_media": item.media.requires_media,
                },
            }
            for item in (rules.RULES[p] for p in PLATFORM_ORDER)
        ]
    }


# Drafts -----------------------------------------------------------------------------------------
@router.get(
    "/businesses/{business_id}/drafts",
    response_model=DraftList,
    summary="List drafts",
    description="Newest change first. Any member may read. Filter by strategy or status.",
)
def list_drafts(
    *,
    access: BusinessViewer,
    session: DbSession,
    limit: Limit = 50,
    offset: Offset = 0,
    strategy_id: Annotated[int | None, Query(description="Only this strategy's drafts.")] = None,
    status_filter: Annotated[PostStatus | None, Query(alias="status")] = None,
) -> Response:
    posts, total = drafts.list_page(
        session, access, strategy_id=strategy_id, status=status_filter, limit=limit, offset=offset
    )
    return model_answer(
        DraftList(
            items=[draft_out(post) for post in posts], total=total, limit=limit, offset=offset
        )
    )


@router.post(
    "/businesses/{business_id}/drafts",
    response_model=DraftOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a draft",
    description="Needs the editor role. " + VALIDATION_DESCRIPTION,
)
def create_draft(body: DraftCreate, access: BusinessEditor, session: DbSession) -> Response:
    return model_answer(draft_out(drafts.create(session, access, body)), status.HTTP_201_CREATED)


@router.get(
    "/businesses/{business_id}/drafts/{draft_id}",
    response_model=DraftOut,
    summary="Get a draft",
    description="The draft with its variants, media and each targeted platform's measurement.",
)
def get_draft(draft_id: int, access: BusinessViewer, session: DbSession) -> Response:
    return model_answer(draft_out(drafts.get(session, access, draft_id)))


@router.patch(
    "/businesses/{business_id}/drafts/{draft_id}",
    response_model=DraftOut,
    summary="Change a draft",
    description="Only the fields sent change. `variants` upserts per platform and a null "
    "variant deletes it (the platform then uses the base text); `media_ids` replaces the "
    "attachments in order. Needs the editor role. " + VALIDATION_DESCRIPTION,
)
def update_draft(
    draft_id: int, body: DraftUpdate, access: BusinessEditor, session: DbSession
) -> DraftOut:
    return draft_out(drafts.update(session, access, draft_id, body))


@router.delete(
    "/businesses/{business_id}/drafts/{draft_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a draft",
    description="Deletes the draft and its variants; its media stay in the library.",
)
def delete_draft(draft_id: int, access: BusinessEditor, session: DbSession) -> None:
    drafts.delete(session, access, draft_id)


# Media ------------------------------------------------------------------------------------------
@router.post(
    "/businesses/{business_id}/media",
    response_model=MediaOut,
    status_code=status.HTTP_201_CREATED,
    summary="Upload an image or a video",
    description="Multipart field `file`. Accepted: JPEG, PNG, GIF, WebP images and MP4 video, "
    "recognised by their content (the file name and declared type are ignored) and decoded "
    "before they are kept; an image's pixel count is read from its header first, and an "
    "image over the pixel limit is a 422 before it is decoded. 413 over the size limit of the "
    "kind, 415 for anything else. The "
    "same bytes uploaded twice to one business give the existing media (200).",
    responses={
        200: {"description": "Already in this business's library", "model": MediaOut},
        413: {"description": "Larger than the limit for its kind"},
        415: {"description": "Not an accepted image or video"},
    },
)
def upload_media(
    *,
    file: Annotated[UploadFile, File(description="The image or video.")],
    response: Response,
    access: BusinessEditor,
    session: DbSession,
    settings: AppSettings,
) -> MediaOut:
    stored = media.upload(session, settings, access, file.file, file.filename or "")
    if not stored.created:
        response.status_code = status.HTTP_200_OK
    return media_out(stored.asset)


@router.get(
    "/businesses/{business_id}/media",
    response_model=MediaList,
    summary="List media",
    description="The business's media library, newest first.",
)
def list_media(
    access: BusinessViewer,
    session: DbSession,
    limit: Limit = 50,
    offset: Offset = 0,
) -> MediaList:
    assets, total = media.list_page(session, access, limit=limit, offset=offset)
    return MediaList(
        items=[media_out(asset) for asset in assets], total=total, limit=limit, offset=offset
    )


@router.get(
    "/businesses/{business_id}/media/{media_id}",
    response_model=MediaOut,
    summary="Get media metadata",
    description="Kind, type, size, dimensions or duration, and where the bytes are served.",
)
def get_media(media_id: int, access: BusinessViewer, session: DbSession) -> MediaOut:
    return media_out(media.get(session, access, media_id))


@router.get(
    "/businesses/{business_id}/media/{media_id}/content",
    response_class=FileResponse,
    summary="Download media",
    description="The stored bytes with their real content type. Members only.",
)
def media_content(
    media_id: int,
    access: BusinessViewer,
    session: DbSession,
    settings: AppSettings,
) -> FileResponse:
    asset = media.get(session, access, media_id)
    path = media.path_of(settings, asset)
    if not path.is_file():
        raise NotFound(f"The file of media {media_id} is missing from storage.")
    return FileResponse(
        path,
        media_type=asset.mime,
        filename=asset.original_filename or path.name,
        content_disposition_type="inline",
        # The path is content-addressed, so the bytes behind this URL never change.
        headers={
            "Cache-Control": "private, max-age=31536000, immutable",
            "ETag": f'"{asset.sha256}"',
        },
    )


@router.delete(
    "/businesses/{business_id}/media/{media_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete media",
    description="Removes it from the library and from any draft using it; 409 when a post "
    "that is scheduled or published uses it. Needs the editor role.",
)
def delete_media(
    media_id: int,
    access: BusinessEditor,
    session: DbSession,
    settings: AppSettings,
) -> None:
    media.delete(session, settings, access, media_id)
