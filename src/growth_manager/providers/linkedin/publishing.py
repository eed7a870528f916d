"""Publishing on LinkedIn (platform-apis.md §B.3): images, the post, its first comment; finding
them again after an unknown outcome; deleting the post.

Steps, as the publishing engine stores them: ``media:<key>`` → the image URN (initialized
with ``POST /rest/images?action=initializeUpload``, then the bytes ``PUT`` to its
``uploadUrl``), ``post`` → the post URN (``x-restli-id`` of ``POST /rest/posts``; the text is
sent as little text), ``comment`` → the comment URN (``POST /rest/socialActions/{post}/comments``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from growth_manager.providers.base import (
    MediaItem,
    Progress,
    ProviderConfig,
    PublishRequest,
    PublishResult,
    StepRecorder,
)
from growth_manager.providers.client import PlatformHttp
from growth_manager.providers.errors import NotReady, OutcomeUnknown, Rejected
from growth_manager.providers.linkedin import little_text

POST_STEP = "post"
COMMENT_STEP = "comment"
# An image LinkedIn is still processing is usually ready within seconds.
IMAGE_PROCESSING_RETRY_SECONDS = 10.0
# How far back recovery looks: an unknown outcome is the author's latest post or close to it.
RECENT_POSTS = 20
COMMENTS_PAGE = 100
COMMENT_PAGES = 5


def media_step(item: MediaItem) -> str:
    return f"media:{item.key}"


def author_urn(request: PublishRequest) -> str:
    """``urn:li:person:<id>`` for a member, ``urn:li:organization:<id>`` for a page. Accounts
    are stored by their URN; a bare id is named by the account's kind."""
    external_id = request.account_external_id
    if external_id.startswith("urn:li:"):
        return external_id
    kind = "organization" if request.account_kind == "organization" else "person"
    return f"urn:li:{kind}:{external_id}"


def post_url(config: ProviderConfig, urn: str) -> str:
    """The post's page: ``https://www.linkedin.com/feed/update/<urn>/`` (on the sandbox the
    same path under its www.linkedin.com prefix)."""
    return f"{config.auth_base.rstrip('/')}/feed/update/{urn}/"


def _path_urn(urn: str) -> str:
    return quote(urn, safe="")


class Publisher:
    """One account's publishing calls, with the token's versioned headers."""

    def __init__(
        self, http: PlatformHttp, config: ProviderConfig, headers: Mapping[str, str]
    ) -> None:
        self.http = http
        self.config = config
        self.headers = dict(headers)
        self.platform = http.platform

    @property
    def api(self) -> str:
        return self.config.api_base.rstrip("/")

    # --- publish ---------------------------------------------------------------------------

    def publish(
        self, request: PublishRequest, done: Progress, record: StepRecorder
    ) -> PublishResult:
        author = author_urn(request)
        urn = done.get(POST_STEP)
        if urn is None:
            self._refuse_unsupported_media(request)
            images = [self._image(item, author, done, record) for item in request.media]
            self._require_available(images)
            urn = self._create_post(author, little_text.commentary(request.text), images)
            record(POST_STEP, urn)
        warnings: list[str] = []
        if request.first_comment and COMMENT_STEP not in done:
            try:
                comment = self._create_comment(urn, author, request.first_comment)
            except Rejected as exc:
                # The post is up and stays up; only the comment is lost, and retrying it
                # would be refused the same way.
                warnings.append(f"LinkedIn refused the first comment: {exc.message}")
            else:
                record(COMMENT_STEP, comment)
        return PublishResult(
            remote_id=urn, remote_url=post_url(self.config, urn), warnings=tuple(warnings)
        )

    def _refuse_unsupported_media(self, request: PublishRequest) -> None:
        # Refused before any upload, so a post with a video never half-publishes.
        for item in request.media:
            if item.kind != "image":
                raise Rejected(
                    self.platform,
                    f"Publishing a {item.kind} to LinkedIn is not supported yet: "
                    "only images can be attached to a LinkedIn post for now",
                    code="UNSUPPORTED_MEDIA",
                )

    def _image(self, item: MediaItem, author: str, done: Progress, record: StepRecorder) -> str:
        step = media_step(item)
        if step in done:
            return done[step]
        try:
            data = Path(item.path).read_bytes()
        except OSError as exc:
            raise Rejected(
                self.platform,
                f"The file of {item.filename or item.key} can't be read: {exc.strerror}",
                code="MEDIA_FILE_UNREADABLE",
            ) from exc
        response = self.http.request(
            "POST",
            f"{self.api}/rest/images",
            params={"action": "initializeUpload"},
            json={"initializeUploadRequest": {"owner": author}},
            headers=self.headers,
        )
        value = _dict(response.json()).get("value")
        value = value if isinstance(value, dict) else {}
        upload_url, image = value.get("uploadUrl"), value.get("image")
        if not isinstance(upload_url, str) or not isinstance(image, str):
            raise Rejected(
                self.platform,
                "LinkedIn answered the image upload request without an upload URL or image",
                endpoint="POST /rest/images",
            )
        # A PUT of the same bytes again is harmless, so a lost answer here is a Transient.
        self.http.request(
            "PUT",
            upload_url,
            content=data,
            headers={
                "Authorization": self.headers["Authorization"],
                "Content-Type": item.mime or "application/octet-stream",
            },
        )
        record(step, image)
        return image

    def _require_available(self, images: list[str]) -> None:
        for image in images:
            response = self.http.request(
                "GET", f"{self.api}/rest/images/{_path_urn(image)}", headers=self.headers
            )
            status = _dict(response.json()).get("status")
            if status == "AVAILABLE":
                continue
            if status == "PROCESSING_FAILED":
                raise Rejected(
                    self.platform,
                    f"LinkedIn could not process the image {image}",
                    code="PROCESSING_FAILED",
                    endpoint="GET /rest/images",
                )
            if status == "WAITING_UPLOAD":
                # Its upload was answered with success, yet LinkedIn has no bytes: waiting
                # would never end, and the recorded image can't be uploaded again.
                raise Rejected(
                    self.platform,
                    f"LinkedIn never received the image {image} (status WAITING_UPLOAD)",
                    code="WAITING_UPLOAD",
                    endpoint="GET /rest/images",
                )
            raise NotReady(
                self.platform,
                f"LinkedIn is still processing the image {image} (status {status})",
                retry_after=IMAGE_PROCESSING_RETRY_SECONDS,
                endpoint="GET /rest/images",
            )

    def _create_post(self, author: str, commentary: str, images: list[str]) -> str:
        body: dict[str, Any] = {
            "author": author,
            "commentary": commentary,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if len(images) == 1:
            body["content"] = {"media": {"id": images[0]}}
        elif images:
            body["content"] = {"multiImage": {"images": [{"id": image} for image in images]}}
        response = self.http.request(
            "POST", f"{self.api}/rest/posts", json=body, headers=self.headers
        )
        urn = response.headers.get("x-restli-id")
        if not urn:
            # Created (2xx) but unnamed: only a look at the author's posts can tell which.
            raise OutcomeUnknown(
                self.platform,
                "LinkedIn accepted the post but did not say its id (no x-restli-id header)",
                endpoint="POST /rest/posts",
            )
        return str(urn)

    def _create_comment(self, post: str, author: str, text: str) -> str:
        response = self.http.request(
            "POST",
            f"{self.api}/rest/socialActions/{_path_urn(post)}/comments",
            json={"actor": author, "object": post, "message": {"text": text}},
            headers=self.headers,
        )
        body = _dict(response.json() if response.content else {})
        comment = (
            response.headers.get("x-restli-id")
            or body.get("commentUrn")
            or body.get("$URN")
            or body.get("id")
        )
        if not comment:
            raise OutcomeUnknown(
                self.platform,
                "LinkedIn accepted the first comment but did not say its id",
                endpoint="POST /rest/socialActions/{urn}/comments",
            )
        return str(comment)

    # --- recover ---------------------------------------------------------------------------

    def recover(self, request: PublishRequest, done: Progress) -> dict[str, str]:
        author = author_urn(request)
        found: dict[str, str] = {}
        post = done.get(POST_STEP)
        if post is None:
            post = self._find_post(author, request.text)
            if post is None:
                return found
            found[POST_STEP] = post
        if request.first_comment and COMMENT_STEP not in done:
            comment = self._find_comment(post, author, request.first_comment)
            if comment is not None:
                found[COMMENT_STEP] = comment
        return found

    def _find_post(self, author: str, text: str) -> str | None:
        # The author finder, newest first; the text is what tells our post from the others.
        # LinkedIn answers the commentary as it was sent (little text).
        wanted = {little_text.commentary(text), text}
        try:
            response = self.http.request(
                "GET",
                f"{self.api}/rest/posts",
                params={"author": author, "q": "author", "count": str(RECENT_POSTS)},
                headers=self.headers,
            )
        except Rejected as exc:
            raise self._cannot_look(exc, "posts") from exc
        for element in _elements(response.json()):
            if (
                element.get("commentary") in wanted
                and element.get("author") == author
                and element.get("lifecycleState", "PUBLISHED") == "PUBLISHED"
                and isinstance(element.get("id"), str)
            ):
                return str(element["id"])
        return None

    def _find_comment(self, post: str, author: str, text: str) -> str | None:
        for element in self._comments(post):
            message = element.get("message")
            if (
                element.get("actor") == author
                and isinstance(message, dict)
                and message.get("text") == text
            ):
                comment = element.get("commentUrn") or element.get("$URN") or element.get("id")
                if comment:
                    return str(comment)
        return None

    def _comments(self, post: str) -> Iterator[dict[str, Any]]:
        for page in range(COMMENT_PAGES):
            try:
                response = self.http.request(
                    "GET",
                    f"{self.api}/rest/socialActions/{_path_urn(post)}/comments",
                    params={"start": str(page * COMMENTS_PAGE), "count": str(COMMENTS_PAGE)},
                    headers=self.headers,
                )
            except Rejected as exc:
                raise self._cannot_look(exc, "comments") from exc
            elements = _elements(response.json())
            yield from elements
            if len(elements) < COMMENTS_PAGE:
                return

    def _cannot_look(self, exc: Rejected, what: str) -> Rejected:
        """Reading a member's posts and comments needs r_member_social, which LinkedIn grants
        only to approved apps: without it, whether the lost request landed can't be checked
        here, and saying so beats guessing (a blind retry could post twice)."""
        if exc.status != 403:
            return exc
        return Rejected(
            self.platform,
            f"LinkedIn did not let this app read the account's {what} ({exc.message}), so it "
            "can't check whether the last attempt went out; look at the account on LinkedIn",
            status=exc.status,
            code=exc.code,
            endpoint=exc.endpoint,
        )

    # --- delete ----------------------------------------------------------------------------

    def delete(self, done: Progress) -> None:
        post = done.get(POST_STEP)
        if post is None:
            return
        try:
            self.http.request(
                "DELETE", f"{self.api}/rest/posts/{_path_urn(post)}", headers=self.headers
            )
        except Rejected as exc:
            if exc.status != 404:  # already gone is what was asked for
                raise


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _elements(body: Any) -> list[dict[str, Any]]:
    elements = _dict(body).get("elements")
    if not isinstance(elements, list):
        return []
    return [element for element in elements if isinstance(element, dict)]
