"""Signed, expiring addresses for media that a platform fetches by URL (Instagram containers,
Facebook photos): ``{GROWTH_PUBLIC_URL}/m/{media_id}/{expires}/{signature}.{ext}``.

The signature is an HMAC-SHA256 of the media id, its content hash and the expiry under the
app's secret key, so an address works only for those bytes, only until it expires, and can't
be guessed or altered; no session or token is involved because the platform has neither.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from growth_manager.config import Settings
from growth_manager.models.content import MediaAsset

PATH_PREFIX = "/m"
# Long enough for a platform to fetch a container's media after retries and a slow queue.
DEFAULT_LIFETIME_SECONDS = 6 * 3600

_EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp"}


def extension(mime: str) -> str:
    return _EXTENSIONS.get(mime, "mp4" if mime.startswith("video/") else "bin")


def _signature(settings: Settings, media_id: int, sha256: str, expires: int) -> str:
    key = hashlib.sha256(("media-url:" + settings.resolved_secret_key()).encode()).digest()
    message = f"{media_id}:{sha256}:{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:40]


def signed_url(
    settings: Settings,
    asset: MediaAsset,
    *,
    lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
    now: float | None = None,
) -> str:
    expires = int((now if now is not None else time.time()) + lifetime_seconds)
    signature = _signature(settings, asset.id, asset.sha256, expires)
    base = settings.public_url.rstrip("/")
    return f"{base}{PATH_PREFIX}/{asset.id}/{expires}/{signature}.{extension(asset.mime)}"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str = ""


def check(
    settings: Settings, asset: MediaAsset, expires: int, signature: str, now: float | None = None
) -> Verdict:
    if not hmac.compare_digest(
        _signature(settings, asset.id, asset.sha256, expires), signature.split(".", maxsplit=1)[0]
    ):
        return Verdict(False, "the signature does not match")
    if (now if now is not None else time.time()) > expires:
        return Verdict(False, "the address has expired")
    return Verdict(True)
