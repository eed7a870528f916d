"""Fetching the media a client names by URL, as Meta's servers do: Instagram containers
(``image_url``, ``video_url``) and Facebook photos and videos (``url``, ``file_url``).

Meta downloads the file itself, so a URL it cannot reach, one that answers non-2xx, or one
whose bytes are not what was promised fails the container (``ERROR`` with a subcode) or the
photo. The sandbox really downloads too: a rule that only read the URL's text passed links that
a real platform would refuse (an expired signature, a server that is down).

The download happens once per request, before the request's database work starts
(:func:`prefetch`, from the async Graph endpoint, so no SQLite lock is held while waiting on a
remote server); its outcome is then kept on the row it created (a container's
``error_subcode``), so a status check never fetches again. Batch sub-requests, which run
without the prefetch, fetch synchronously (:func:`outcome`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import httpx2

FETCH_TIMEOUT = httpx2.Timeout(5.0, connect=3.0)
MAX_BYTES = 100 * 1024 * 1024  # Meta's own ceiling for a reel is 1 GB; the sandbox keeps less

# Instagram's subcodes (reference C.4).
FETCH_FAILED = 2207052
UNSUPPORTED_IMAGE = 2207005
UNSUPPORTED_VIDEO = 2207026

# Which request parameters name media, by the edge they are posted to.
MEDIA_PARAMS = {
    "media": (("image_url", False), ("video_url", True)),
    "photos": (("url", False),),
    "videos": (("file_url", True),),
}


@dataclass(frozen=True)
class Fetched:
    """What downloading one URL gave: ``problem`` is None when the file is usable, else the
    Instagram subcode it fails with; ``size`` is an image's pixel size when known."""

    problem: int | None
    reason: str
    size: tuple[int, int] | None = None


def _image_size(data: bytes) -> tuple[int, int] | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None


IMAGE_MAGIC = (b"\x89PNG", b"GIF8", b"RIFF", b"BM", b"II*\x00", b"MM\x00*")


def judge(status: int, content_type: str, data: bytes, video: bool) -> Fetched:
    """The verdict on a downloaded file: Instagram takes JPEG images only, and MP4/MOV video
    (an ISO base media file: ``ftyp`` at byte 4)."""
    if not 200 <= status < 300:
        return Fetched(FETCH_FAILED, f"the media URL answered {status}")
    if video:
        if data[4:8] == b"ftyp":
            return Fetched(None, "video")
        return Fetched(UNSUPPORTED_VIDEO, f"not an MP4 or MOV video ({content_type or '?'})")
    if data.startswith(b"\xff\xd8\xff"):
        return Fetched(None, "jpeg", _image_size(data))
    if data.startswith(IMAGE_MAGIC) or content_type.startswith("image/"):
        return Fetched(
            UNSUPPORTED_IMAGE,
            f"an image but not a JPEG ({content_type or '?'})",
            _image_size(data),  # Facebook photos take it all the same
        )
    return Fetched(FETCH_FAILED, f"not an image ({content_type or '?'})")


def _refused(url: str) -> Fetched | None:
    if not url.startswith(("http://", "https://")):
        return Fetched(FETCH_FAILED, "not an http(s) URL")
    return None


def fetch(url: str, video: bool) -> Fetched:
    """Download ``url`` now (synchronously)."""
    refused = _refused(url)
    if refused is not None:
        return refused
    try:
        with (
            httpx2.Client(timeout=FETCH_TIMEOUT, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            data = b""
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > MAX_BYTES:
                    break
            return judge(
                response.status_code, response.headers.get("content-type", ""), data, video
            )
    except httpx2.HTTPError as exc:
        return Fetched(FETCH_FAILED, f"the media URL could not be fetched ({type(exc).__name__})")


async def fetch_async(url: str, video: bool) -> Fetched:
    refused = _refused(url)
    if refused is not None:
        return refused
    try:
        async with (
            httpx2.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            data = b""
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > MAX_BYTES:
                    break
            return judge(
                response.status_code, response.headers.get("content-type", ""), data, video
            )
    except httpx2.HTTPError as exc:
        return Fetched(FETCH_FAILED, f"the media URL could not be fetched ({type(exc).__name__})")


async def prefetch(method: str, segments: list[str], params: dict[str, Any]) -> dict[str, Fetched]:
    """Download the media a ``POST /{id}/{media|photos|videos}`` names, keyed by URL."""
    if method != "POST" or len(segments) != 2:
        return {}
    out: dict[str, Fetched] = {}
    for name, video in MEDIA_PARAMS.get(segments[1], ()):
        url = params.get(name)
        if isinstance(url, str) and url and url not in out:
            out[url] = await fetch_async(url, video)
    return out


def outcome(fetched: dict[str, Fetched], url: str, video: bool) -> Fetched:
    """The prefetched verdict on ``url``, or a download now when there was none."""
    found = fetched.get(url)
    return found if found is not None else fetch(url, video)
