"""Graph edges of a Page: its posts (listed, scheduled, written), photos and videos, deleting
an object, and Page and post insights."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from platform_sandbox.meta import common, errors, insights, media_fetch, metrics, nodes
from platform_sandbox.meta.call import Call, Node
from platform_sandbox.meta.common import Caller
from platform_sandbox.meta.errors import GraphError
from platform_sandbox.meta.models import MetaComment, MetaPage, MetaPhoto, MetaPost


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


def _page(node: Node) -> MetaPage:
    page = node.row
    assert isinstance(page, MetaPage)
    return page


def list_posts(call: Call, node: Node) -> Any:
    caller = call.need_caller()
    if not (caller.has("pages_read_engagement") or caller.has("pages_read_user_engagement")):
        raise errors.permission_missing(nodes.PAGE_READ_MESSAGE)
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
    if source is None:
        # Facebook downloads the photo itself and refuses the request when it can't (or
        # when what it got is not an image). Unlike Instagram, any common image format works.
        fetched = call.media(url, video=False)
        if fetched.problem is not None and fetched.problem != media_fetch.UNSUPPORTED_IMAGE:
            raise GraphError("(#324) Missing or invalid image file", 324)
        if fetched.size is not None:
            width, height = fetched.size
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
    if file_url and call.media(file_url, video=True).problem is not None:
        # Code and subcode of Facebook's video upload failures [uncertain: not in the
        # reference; seen in client code for resumable uploads].
        raise GraphError(
            "There was a problem uploading your video file. Please try again with another file.",
            6000,
            1363019,
            is_transient=False,
            user_title="Video upload failed",
            user_msg="The video at file_url could not be fetched or is not a supported video.",
        )
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
