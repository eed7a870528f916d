"""Publishing on X (platform-apis.md §A.3, §A.7): media uploads, a post or a thread of replies,
an optional first comment, finding an in-flight post again, and deleting.

Steps (the names the publishing engine stores and hands back in ``done``):

``uploaded:<key>``  a video/GIF whose bytes are all sent (finalized) but that X is still
                    processing; the next call only asks for its STATUS.
``media:<key>``     a media id ready to attach.
``part:<i>``        the id of the thread's i-th post (0 is the post itself).
``comment``         the first comment, a reply under the last part.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from growth_manager.providers.base import (
    MediaItem,
    Progress,
    PublishRequest,
    PublishResult,
    StepRecorder,
    TokenSet,
)
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.errors import (
    NotReady,
    OutcomeUnknown,
    Rejected,
    Transient,
)
from growth_manager.providers.http import json_body

# X takes chunks of up to 5 MB; 4 MiB stays under it with room for the multipart framing.
CHUNK_BYTES = 4 * 1024 * 1024
# How many of the account's newest posts ``recover`` reads (one page; X's maximum). The post
# in flight, if it exists, was created moments ago and is among the newest.
RECOVER_PAGE = 100
COMMENT_STEP = "comment"


def part_step(index: int) -> str:
    return f"part:{index}"


def media_step(item: MediaItem) -> str:
    return f"media:{item.key}"


def uploaded_step(item: MediaItem) -> str:
    return f"uploaded:{item.key}"


def status_url(auth_base: str, tweet_id: str) -> str:
    """The post's address on the web (X redirects it to ``/<username>/status/<id>``)."""
    return f"{auth_base}/i/web/status/{tweet_id}"


@dataclass(frozen=True)
class XPublisher:
    http: PlatformHttp
    platform: str
    api_base: str
    upload_base: str
    auth_base: str

    # --- publish -------------------------------------------------------------------------
    def publish(
        self, request: PublishRequest, token: TokenSet, done: Progress, record: StepRecorder
    ) -> PublishResult:
        progress = dict(done)
        # Once the first part is up its media are attached: nothing is left to upload.
        media_ids = (
            [] if part_step(0) in done else self._upload_all(request.media, token, done, record)
        )
        parts = request.parts or ("",)
        previous: str | None = None
        for index, text in enumerate(parts):
            step = part_step(index)
            if step not in progress:
                body: dict[str, Any] = {"text": text}
                if index == 0 and media_ids:
                    body["media"] = {"media_ids": media_ids}
                if previous is not None:
                    body["reply"] = {"in_reply_to_tweet_id": previous}
                progress[step] = self._create(body, token)
                record(step, progress[step])
            previous = progress[step]
        warnings: list[str] = []
        if request.first_comment and COMMENT_STEP not in progress:
            body = {"text": request.first_comment, "reply": {"in_reply_to_tweet_id": previous}}
            try:
                progress[COMMENT_STEP] = self._create(body, token)
            except Rejected as exc:
                # The post is up; a refused comment is worth telling, not failing the post for.
                warnings.append(f"The first comment was not posted: {exc.message}")
            else:
                record(COMMENT_STEP, progress[COMMENT_STEP])
        first = progress[part_step(0)]
        return PublishResult(
            remote_id=first,
            remote_url=status_url(self.auth_base, first),
            warnings=tuple(warnings),
        )

    def _create(self, body: dict[str, Any], token: TokenSet) -> str:
        response = self.http.request(
            "POST", f"{self.api_base}/2/tweets", json=body, headers=_bearer(token)
        )
        data = _data(json_body(response))
        if not data.get("id"):
            # X said yes without saying to what: the post may well be up, so look before retrying.
            raise OutcomeUnknown(
                self.platform,
                "POST /2/tweets succeeded without a post id",
                endpoint="POST /2/tweets",
            )
        return str(data["id"])

    # --- media ---------------------------------------------------------------------------
    def _upload_all(
        self,
        items: tuple[MediaItem, ...],
        token: TokenSet,
        done: Progress,
        record: StepRecorder,
    ) -> list[str]:
        """Media ids in the post's order. Every item is started before waiting on any, so a
        video processing on X does not hold back the uploads after it."""
        ids: list[str] = []
        waits: list[float] = []
        for item in items:
            if media_step(item) in done:
                ids.append(done[media_step(item)])
                continue
            try:
                media_id, wait = self._upload(item, token, done, record)
            except OutcomeUnknown as exc:
                # An upload whose answer was lost left at most an orphan that expires unused
                # on X: sending it again is safe, so it is only a blip.
                raise Transient(
                    self.platform, exc.message, status=exc.status, endpoint=exc.endpoint
                ) from exc
            if wait is None:
                record(media_step(item), media_id)
                ids.append(media_id)
            else:
                waits.append(wait)
        if waits:
            raise NotReady(self.platform, "X is still processing the video", retry_after=min(waits))
        return ids

    def _upload(
        self, item: MediaItem, token: TokenSet, done: Progress, record: StepRecorder
    ) -> tuple[str, float | None]:
        """(media id, None) once usable, or (media id, seconds to wait) while X processes."""
        if uploaded_step(item) in done:
            media_id = done[uploaded_step(item)]
            return media_id, self._processing_wait(self._status(media_id, token))
        if _category(item) == "tweet_image":
            return self._one_shot(item, token), None
        media_id, finalized = self._chunked(item, token)
        wait = self._processing_wait(finalized)
        if wait is not None:
            record(uploaded_step(item), media_id)
        return media_id, wait

    def _one_shot(self, item: MediaItem, token: TokenSet) -> str:
        with open(item.path, "rb") as file:
            response = self.http.request(
                "POST",
                f"{self.upload_base}/2/media/upload",
                data={"media_category": "tweet_image", "media_type": item.mime},
                files={"media": (_filename(item), file, item.mime)},
                headers=_bearer(token),
            )
        return self._media_id(json_body(response))

    def _chunked(self, item: MediaItem, token: TokenSet) -> tuple[str, dict[str, Any]]:
        base = f"{self.upload_base}/2/media/upload"
        started = self.http.request(
            "POST",
            f"{base}/initialize",
            json={
                "media_type": item.mime,
                "total_bytes": item.size_bytes,
                "media_category": _category(item),
            },
            headers=_bearer(token),
        )
        media_id = self._media_id(json_body(started))
        for index, chunk in enumerate(_chunks(item.path)):
            self.http.request(
                "POST",
                f"{base}/{media_id}/append",
                data={"segment_index": str(index)},
                files={"media": (_filename(item), chunk, "application/octet-stream")},
                headers=_bearer(token),
            )
        finalized = self.http.request("POST", f"{base}/{media_id}/finalize", headers=_bearer(token))
        return media_id, _data(json_body(finalized))

    def _status(self, media_id: str, token: TokenSet) -> dict[str, Any]:
        response = self.http.request(
            "GET",
            f"{self.upload_base}/2/media/upload",
            params={"command": "STATUS", "media_id": media_id},
            headers=_bearer(token),
        )
        return _data(json_body(response))

    def _processing_wait(self, data: dict[str, Any]) -> float | None:
        info = data.get("processing_info")
        if not isinstance(info, dict):
            return None
        state = info.get("state")
        if state in ("pending", "in_progress"):
            return float(info.get("check_after_secs") or 5)
        if state == "failed":
            raw_error = info.get("error")
            error: dict[str, Any] = raw_error if isinstance(raw_error, dict) else {}
            message = str(error.get("message") or "X could not process this media")
            raise Rejected(self.platform, message, code=str(error.get("name") or "media-failed"))
        return None

    def _media_id(self, body: Any) -> str:
        data = _data(body)
        if not data.get("id"):
            raise Transient(self.platform, "the media upload answered without a media id")
        return str(data["id"])

    # --- recover -------------------------------------------------------------------------
    def recover(self, request: PublishRequest, token: TokenSet, done: Progress) -> Progress:
        """The parts (and comment) after ``done`` that are on X: each the account's newest
        post with the part's text that replies to the part before it (the first part: that
        replies to nothing and carries the uploaded media)."""
        parts = request.parts or ("",)
        start = 0
        while start < len(parts) and part_step(start) in done:
            start += 1
        wants_comment = bool(request.first_comment) and COMMENT_STEP not in done
        if start == len(parts) and not wants_comment:
            return {}
        timeline = self._recent(request.account_external_id, token)
        found: dict[str, str] = {}
        previous = done.get(part_step(start - 1)) if start else None
        for index in range(start, len(parts)):
            media = [done[media_step(m)] for m in request.media if media_step(m) in done]
            match = _find(timeline, parts[index], previous, media if index == 0 else [])
            if match is None:
                return found
            found[part_step(index)] = previous = match
        if wants_comment and request.first_comment:
            match = _find(timeline, request.first_comment, previous, [])
            if match is not None:
                found[COMMENT_STEP] = match
        return found

    def _recent(self, user_id: str, token: TokenSet) -> list[dict[str, Any]]:
        response = self.http.request(
            "GET",
            f"{self.api_base}/2/users/{user_id}/tweets",
            params={
                "max_results": str(RECOVER_PAGE),
                "tweet.fields": "created_at,referenced_tweets,attachments,entities",
            },
            headers=_bearer(token),
        )
        body = json_body(response)
        data = body.get("data") if isinstance(body, dict) else None
        return [t for t in data or [] if isinstance(t, dict) and t.get("id")]

    # --- delete --------------------------------------------------------------------------
    def delete(self, request: PublishRequest, token: TokenSet, done: Progress) -> None:
        """The comment, then the parts from the last to the first: a reply never outlives the
        post it answers, even when a deletion fails half way."""
        parts = sorted(
            (s for s in done if s.startswith("part:") and s[5:].isdigit()),
            key=lambda s: int(s[5:]),
            reverse=True,
        )
        for step in [COMMENT_STEP, *parts]:
            tweet_id = done.get(step)
            if not tweet_id:
                continue
            try:
                self.http.request(
                    "DELETE", f"{self.api_base}/2/tweets/{tweet_id}", headers=_bearer(token)
                )
            except Rejected as exc:
                if exc.status != 404:
                    raise


def _find(
    timeline: list[dict[str, Any]], text: str, replies_to: str | None, media_ids: list[str]
) -> str | None:
    """The newest post whose text is ``text`` and that replies to ``replies_to`` (nothing when
    None) and, when ``media_ids`` are given, carries them."""
    wanted = _normalized(text)
    matches = []
    for tweet in timeline:
        if _normalized(_expanded_text(tweet)) != wanted:
            continue
        if _replied_to(tweet) != replies_to:
            continue
        keys = (tweet.get("attachments") or {}).get("media_keys") or []
        # A media key is "<kind>_<media id>".
        if media_ids and sorted(k.rsplit("_", 1)[-1] for k in keys) != sorted(media_ids):
            continue
        matches.append(str(tweet["id"]))
    return max(matches, key=int) if matches else None


def _replied_to(tweet: dict[str, Any]) -> str | None:
    for ref in tweet.get("referenced_tweets") or []:
        if isinstance(ref, dict) and ref.get("type") == "replied_to":
            return str(ref.get("id"))
    return None


def _expanded_text(tweet: dict[str, Any]) -> str:
    """The text as it was sent: X answers with links shortened to t.co (``entities.urls``
    holds the originals) and with ``&``, ``<`` and ``>`` escaped as HTML."""
    text = str(tweet.get("text") or "")
    urls = ((tweet.get("entities") or {}).get("urls")) or []
    for url in urls:
        if isinstance(url, dict) and url.get("url") and url.get("expanded_url"):
            text = text.replace(str(url["url"]), str(url["expanded_url"]))
    return html.unescape(text)


def _normalized(text: str) -> str:
    return " ".join(text.split())


def _category(item: MediaItem) -> str:
    if item.mime == "image/gif":
        return "tweet_gif"  # GIFs go through the chunked flow, processed like videos
    return "tweet_video" if item.kind == "video" else "tweet_image"


def _chunks(path: str) -> Iterator[bytes]:
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            yield chunk


def _filename(item: MediaItem) -> str:
    return item.filename or item.path.rsplit("/", 1)[-1]


def _bearer(token: TokenSet) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.access_token}"}


def _data(body: Any) -> dict[str, Any]:
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else {}
