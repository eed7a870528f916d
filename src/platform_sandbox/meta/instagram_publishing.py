"""Instagram content publishing: media containers (image, video, reels, stories, carousels),
``media_publish`` and the 24-hour publishing limit."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from platform_sandbox.meta import common, errors, nodes
from platform_sandbox.meta.call import Call, Node
from platform_sandbox.meta.errors import GraphError
from platform_sandbox.meta.models import MetaIgAccount, MetaIgContainer, MetaIgMedia


def _ig(node: Node) -> MetaIgAccount:
    account_row = node.row
    assert isinstance(account_row, MetaIgAccount)
    return account_row


def _require_ig_publisher(call: Call) -> None:
    caller = call.need_caller()
    if not caller.has("instagram_basic", "instagram_content_publish"):
        raise errors.permission_missing()


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
        # Downloaded now (before the database work, see media_fetch); the verdict is kept
        # on the container and reported once processing "finishes".
        error_subcode = call.media(video_url, video=True).problem
        ready_at = now + VIDEO_PROCESSING
    elif media_type in ("", "IMAGE", "STORIES"):
        if video_url and not image_url:
            raise errors.invalid_parameter("The parameter media_type is required for video_url.")
        if not image_url:
            raise errors.invalid_parameter("The parameter image_url is required.")
        error_subcode = call.media(image_url, video=False).problem
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
    nodes.check_read(call, node)
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
