"""Publishing to a Facebook Page and an Instagram business account (platform-apis.md §C.3, §C.4).

Both use the account's own token (a Page token, which also serves the Page's Instagram account)
and hand Meta public URLs of the media (``MediaItem.url``): Meta downloads them itself.

Steps (the names the publishing engine stores and hands back in ``done``):

Facebook  ``media:<key>``  an unpublished photo of a multi-photo post (its photo id)
          ``post``         the Page post (``{page-id}_{post-id}``)
          ``comment``      the first comment
Instagram ``item:<key>``   a carousel item container
          ``container``    the container to publish (image, reel or carousel); recorded again,
                           with a new id, when the old one expired before it was published
          ``post``         the published media (its IG media id)
          ``comment``      the first comment

A first comment the platform refuses for good becomes a warning on the result: the post is up
and is never published again for the sake of its comment.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Protocol

from growth_manager.providers.base import (
    MediaItem,
    Progress,
    ProviderConfig,
    PublishRequest,
    PublishResult,
    StepRecorder,
    TokenSet,
)
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.errors import (
    NotReady,
    OutcomeUnknown,
    ProviderError,
    RateLimited,
    ReauthRequired,
    Rejected,
)
from growth_manager.providers.meta.errors import PUBLISHING_LIMIT_SUBCODE


class MetaProvider(Protocol):
    """What publishing needs of the Graph provider (``provider.MetaProvider`` is one): its
    platform, config, HTTP client and the versioned Graph base URL."""

    platform: ClassVar[str]
    config: ProviderConfig
    http: PlatformHttp

    @property
    def graph(self) -> str: ...


# How long to come back after a container still IN_PROGRESS: Meta processes an image in
# seconds and a video in tens of seconds, and asks clients to poll at most once a minute.
IMAGE_POLL_SECONDS = 10.0
VIDEO_POLL_SECONDS = 30.0
CAROUSEL_MIN, CAROUSEL_MAX = 2, 10
PUBLISH_WINDOW = timedelta(hours=24)
DEFAULT_PUBLISH_QUOTA = 50
# How far back recover looks for a post or comment that may have gone through.
RECENT_LIMIT = 25


def _graph(provider: MetaProvider, method: str, path: str, token: TokenSet, **kwargs: Any) -> Any:
    """One Graph call; ``params``/``data``/``json`` as httpx2 takes them. The token goes in the
    query, as every Graph client sends it."""
    params = {**kwargs.pop("params", {}), "access_token": token.access_token}
    url = f"{provider.graph}/{path.lstrip('/')}"
    return provider.http.request(method, url, params=params, **kwargs).json()


def _comment(
    provider: MetaProvider,
    object_id: str,
    request: PublishRequest,
    token: TokenSet,
    done: Progress,
    record: StepRecorder,
) -> tuple[str, ...]:
    """Post the first comment unless done; a refusal is a warning, anything else propagates
    (the post is recorded, so the engine's next try only comments)."""
    if not request.first_comment or "comment" in done:
        return ()
    try:
        body = _graph(
            provider,
            "POST",
            f"{object_id}/comments",
            token,
            data={"message": request.first_comment},
        )
    except Rejected as exc:
        return (f"The first comment was not posted: {exc.message}",)
    record("comment", str(body["id"]))
    return ()


def _find_comment(
    provider: MetaProvider, object_id: str, text: str, token: TokenSet, field: str
) -> str | None:
    body = _graph(
        provider,
        "GET",
        f"{object_id}/comments",
        token,
        params={"fields": f"id,{field}", "limit": 100, "order": "reverse_chronological"},
    )
    for item in body.get("data", []):
        if isinstance(item, dict) and (item.get(field) or "").strip() == text.strip():
            return str(item["id"])
    return None


# --- Facebook Page ---------------------------------------------------------------------------


def _facebook_fallback_url(provider: MetaProvider, post_id: str) -> str:
    return f"{provider.config.auth_base}/{post_id}"


def _facebook_permalink(provider: MetaProvider, post_id: str, token: TokenSet) -> str:
    """The post's ``permalink_url``; the post is up whatever this read answers, so a failed
    read falls back to Facebook's id URL rather than failing the publish."""
    try:
        body = _graph(provider, "GET", post_id, token, params={"fields": "permalink_url"})
    except ReauthRequired:
        raise
    except ProviderError:
        return _facebook_fallback_url(provider, post_id)
    url = body.get("permalink_url") if isinstance(body, dict) else None
    return str(url) if url else _facebook_fallback_url(provider, post_id)


def _facebook_post(
    provider: MetaProvider,
    request: PublishRequest,
    token: TokenSet,
    done: Progress,
    record: StepRecorder,
) -> tuple[str, str | None]:
    """Create the Page post; returns (post id, permalink if the answer carried it)."""
    page = request.account_external_id
    images = [m for m in request.media if m.kind == "image"]
    videos = [m for m in request.media if m.kind == "video"]
    text = request.text
    if videos and (images or len(videos) > 1):
        raise Rejected(provider.platform, "a Facebook post holds one video, or images only")
    if (images or videos) and request.link:
        # A photo or video post has no link preview: the link goes in the text instead.
        text = f"{text}\n\n{request.link}".strip()
    if videos:
        video = videos[0]
        body = _graph(
            provider,
            "POST",
            f"{page}/videos",
            token,
            data={"file_url": video.url, "description": text},
        )
        video_id = str(body["id"])
        # The answer names the video; its story on the Page is {page-id}_{video-id} (the id
        # comments and deletes go to), and its web page /{page-id}/videos/{video-id}.
        post_id = f"{page}_{video_id}"
        record("post", post_id)
        return post_id, f"{provider.config.auth_base}/{page}/videos/{video_id}"
    if len(images) == 1:
        body = _graph(
            provider,
            "POST",
            f"{page}/photos",
            token,
            data={"url": images[0].url, "message": text, "published": "true"},
        )
        post_id = str(body.get("post_id") or f"{page}_{body['id']}")
        record("post", post_id)
        return post_id, None
    if images:
        attached = []
        for image in images:
            step = f"media:{image.key}"
            photo_id = done.get(step)
            if photo_id is None:
                body = _graph(
                    provider,
                    "POST",
                    f"{page}/photos",
                    token,
                    data={"url": image.url, "published": "false"},
                )
                photo_id = str(body["id"])
                record(step, photo_id)
            attached.append({"media_fbid": photo_id})
        payload: dict[str, Any] = {"attached_media": attached, "published": True}
        if text:
            payload["message"] = text
        body = _graph(
            provider,
            "POST",
            f"{page}/feed",
            token,
            params={"fields": "id,permalink_url"},
            json=payload,
        )
    else:
        data = {"message": text}
        if request.link:
            data["link"] = request.link
        body = _graph(
            provider,
            "POST",
            f"{page}/feed",
            token,
            params={"fields": "id,permalink_url"},
            data=data,
        )
    post_id = str(body["id"])
    record("post", post_id)
    permalink = body.get("permalink_url")
    return post_id, str(permalink) if permalink else None


def facebook_publish(
    provider: MetaProvider,
    request: PublishRequest,
    token: TokenSet,
    done: Progress,
    record: StepRecorder,
) -> PublishResult:
    post_id = done.get("post")
    permalink: str | None = None
    if post_id is None:
        post_id, permalink = _facebook_post(provider, request, token, done, record)
    if permalink is None:
        permalink = _facebook_permalink(provider, post_id, token)
    warnings = _comment(provider, post_id, request, token, done, record)
    return PublishResult(remote_id=post_id, remote_url=permalink, warnings=warnings)


def _facebook_message(request: PublishRequest) -> str:
    text = request.text
    if request.media and request.link:
        text = f"{text}\n\n{request.link}".strip()
    return text


def _recover(
    provider: MetaProvider,
    request: PublishRequest,
    token: TokenSet,
    done: Progress,
    *,
    text: str,
    edge: str,
    field: str,
    comment_field: str,
) -> Progress:
    """The post (among the account's recent ``edge`` items whose ``field`` is ``text``) and its
    first comment, whichever of them the platform has and ``done`` lacks."""
    found: dict[str, str] = {}
    post_id = done.get("post")
    if post_id is None:
        if not text:
            return found  # nothing to recognise the post by
        body = _graph(
            provider,
            "GET",
            f"{request.account_external_id}/{edge}",
            token,
            params={"fields": f"id,{field}", "limit": RECENT_LIMIT},
        )
        for item in body.get("data", []):
            if isinstance(item, dict) and (item.get(field) or "").strip() == text:
                post_id = str(item["id"])
                found["post"] = post_id
                break
    if post_id is not None and request.first_comment and "comment" not in done:
        comment_id = _find_comment(provider, post_id, request.first_comment, token, comment_field)
        if comment_id is not None:
            found["comment"] = comment_id
    return found


def facebook_recover(
    provider: MetaProvider, request: PublishRequest, token: TokenSet, done: Progress
) -> Progress:
    return _recover(
        provider,
        request,
        token,
        done,
        text=_facebook_message(request).strip(),
        edge="feed",
        field="message",
        comment_field="message",
    )


def facebook_delete(
    provider: MetaProvider, request: PublishRequest, token: TokenSet, done: Progress
) -> None:
    post_id = done.get("post")
    if post_id is None:
        return
    try:
        _graph(provider, "DELETE", post_id, token)
    except Rejected as exc:
        # (#100) with subcode 33: the object does not exist (any more). Already gone is done.
        if exc.code is None or not exc.code.startswith("100/33"):
            raise


# --- Instagram -------------------------------------------------------------------------------


def _is_video(item: MediaItem) -> bool:
    return item.kind == "video"


def _create_containers(
    provider: MetaProvider,
    request: PublishRequest,
    token: TokenSet,
    done: Mapping[str, str],
    record: StepRecorder,
) -> str:
    """Create the container to publish (and a carousel's items), skipping those in ``done``."""
    ig = request.account_external_id
    media = request.media
    if not media:
        raise Rejected(provider.platform, "an Instagram post needs an image or a video")
    if len(media) > CAROUSEL_MAX:
        raise Rejected(provider.platform, f"an Instagram carousel holds at most {CAROUSEL_MAX}")
    caption = request.text
    if len(media) == 1:
        item = media[0]
        if request.reel or _is_video(item):
            if not _is_video(item):
                raise Rejected(provider.platform, "a reel needs a video")
            data = {"media_type": "REELS", "video_url": item.url, "caption": caption}
        else:
            data = {"image_url": item.url, "caption": caption}
        body = _graph(provider, "POST", f"{ig}/media", token, data=data)
        container = str(body["id"])
        record("container", container)
        return container
    children = []
    for item in media:
        step = f"item:{item.key}"
        child = done.get(step)
        if child is None:
            data = {"is_carousel_item": "true"}
            if _is_video(item):
                data.update(media_type="VIDEO", video_url=item.url)
            else:
                data["image_url"] = item.url
            body = _graph(provider, "POST", f"{ig}/media", token, data=data)
            child = str(body["id"])
            record(step, child)
        children.append(child)
    body = _graph(
        provider,
        "POST",
        f"{ig}/media",
        token,
        data={"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption},
    )
    container = str(body["id"])
    record("container", container)
    return container


def _poll_seconds(request: PublishRequest) -> float:
    return VIDEO_POLL_SECONDS if any(_is_video(m) for m in request.media) else IMAGE_POLL_SECONDS


def _publishing_window_frees(
    provider: MetaProvider, ig: str, token: TokenSet, now: datetime
) -> float | None:
    """Seconds until the 24-hour publishing window has room again.

    The quota counts API-published posts; the account's media list has every post. When the
    quota-th most recent post of any kind leaves the window, fewer than the quota remain in it,
    so at most quota − 1 of them can be API posts: a safe (never early) estimate."""
    try:
        limit = _graph(
            provider,
            "GET",
            f"{ig}/content_publishing_limit",
            token,
            params={"fields": "quota_usage,config"},
        )
        entry = (limit.get("data") or [{}])[0]
        quota = int((entry.get("config") or {}).get("quota_total") or DEFAULT_PUBLISH_QUOTA)
        recent = _graph(
            provider, "GET", f"{ig}/media", token, params={"fields": "timestamp", "limit": quota}
        )
    except ProviderError:
        return None
    stamps = sorted(
        (
            parsed
            for item in recent.get("data", [])
            if isinstance(item, dict)
            and (parsed := _graph_time(item.get("timestamp"))) is not None
            and parsed > now - PUBLISH_WINDOW
        ),
        reverse=True,
    )
    if not stamps:
        return None
    leaving = stamps[min(quota, len(stamps)) - 1]
    return max(1.0, (leaving + PUBLISH_WINDOW - now).total_seconds())


def _graph_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None
    return parsed.astimezone(UTC)


def _publish_container(
    provider: MetaProvider, request: PublishRequest, token: TokenSet, container: str
) -> str:
    ig = request.account_external_id
    try:
        body = _graph(
            provider, "POST", f"{ig}/media_publish", token, params={"creation_id": container}
        )
    except RateLimited as exc:
        if exc.code is None or not exc.code.endswith(f"/{PUBLISHING_LIMIT_SUBCODE}"):
            raise
        frees = _publishing_window_frees(provider, ig, token, datetime.now(UTC))
        if frees is None:
            raise
        raise RateLimited(
            provider.platform,
            exc.message,
            retry_after=frees,
            status=exc.status,
            code=exc.code,
            endpoint=exc.endpoint,
        ) from exc
    return str(body["id"])


def _ig_permalink(provider: MetaProvider, media_id: str, token: TokenSet) -> str | None:
    try:
        body = _graph(provider, "GET", media_id, token, params={"fields": "permalink"})
    except ReauthRequired:
        raise
    except ProviderError:
        return None
    url = body.get("permalink") if isinstance(body, dict) else None
    return str(url) if url else None


def instagram_publish(
    provider: MetaProvider,
    request: PublishRequest,
    token: TokenSet,
    done: Progress,
    record: StepRecorder,
) -> PublishResult:
    progress = dict(done)

    def remember(step: str, value: str) -> None:
        record(step, value)
        progress[step] = value

    media_id = progress.get("post")
    if media_id is None:
        container = progress.get("container") or _create_containers(
            provider, request, token, progress, remember
        )
        # An expired container is replaced once per call; the new one starts IN_PROGRESS.
        for attempt in range(2):
            state = _graph(
                provider, "GET", container, token, params={"fields": "status_code,status"}
            )
            status_code = str(state.get("status_code") or "")
            status_text = str(state.get("status") or status_code)
            if status_code == "FINISHED":
                break
            if status_code == "IN_PROGRESS":
                raise NotReady(
                    provider.platform,
                    "Instagram is still processing the media",
                    retry_after=_poll_seconds(request),
                )
            if status_code == "EXPIRED" and attempt == 0:
                # Not published within 24 hours: its items expired with it, so all are made
                # again (recorded under the same step names, with the new ids).
                fresh = {k: v for k, v in progress.items() if not k.startswith("item:")}
                fresh.pop("container", None)
                container = _create_containers(provider, request, token, fresh, remember)
                continue
            if status_code == "ERROR":
                raise Rejected(
                    provider.platform,
                    f"Instagram could not process the media: {status_text}",
                    code=_subcode_of(status_text),
                    endpoint=f"GET /{container}",
                )
            if status_code == "PUBLISHED":
                # Published by an earlier try whose answer was lost: recover finds the media.
                raise OutcomeUnknown(
                    provider.platform,
                    "the container was already published; the post's id must be looked up",
                    endpoint=f"GET /{container}",
                )
            raise NotReady(
                provider.platform,
                f"Instagram answered the container's status as {status_text!r}",
                retry_after=_poll_seconds(request),
            )
        media_id = _publish_container(provider, request, token, container)
        remember("post", media_id)
    permalink = _ig_permalink(provider, media_id, token)
    warnings = _comment(provider, media_id, request, token, progress, remember)
    return PublishResult(remote_id=media_id, remote_url=permalink, warnings=warnings)


def _subcode_of(status_text: str) -> str | None:
    """``Error: Media upload has failed with error code 2207052`` → ``2207052``."""
    digits = status_text.rstrip(". ").rsplit(" ", 1)[-1]
    return digits if digits.isdigit() else None


def instagram_recover(
    provider: MetaProvider, request: PublishRequest, token: TokenSet, done: Progress
) -> Progress:
    return _recover(
        provider,
        request,
        token,
        done,
        text=request.text.strip(),
        edge="media",
        field="caption",
        comment_field="text",
    )


def instagram_delete(
    provider: MetaProvider, request: PublishRequest, token: TokenSet, done: Progress
) -> None:
    raise Rejected(
        provider.platform,
        "Instagram's API cannot delete posts: delete it in the Instagram app",
    )
