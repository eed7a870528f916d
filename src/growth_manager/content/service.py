"""Drafts and media: the rules. Callers hand in the :class:`BusinessAccess` their boundary
resolved (the business and the role the action needs); everything here is scoped to it.

Media files: an upload streams into a temporary file inside the media directory while it is
hashed and counted, is decoded as the format its bytes say it is, and only then is renamed to
``<business_id>/<sha256>.<ext>`` and recorded. Any failure removes the temporary file and writes
no row. Removing a stored file waits for the commit, so a rolled-back delete keeps its file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import structlog
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from growth_manager.business.access import BusinessAccess
from growth_manager.business.service import on_business_deleted
from growth_manager.config import Settings
from growth_manager.content import mediafiles
from growth_manager.content.records import DraftRecord
from growth_manager.content.repository import ContentRepository, content_repository
from growth_manager.content.rules import effective_texts, measure, ordered
from growth_manager.content.schemas import DraftCreate, DraftUpdate
from growth_manager.db import after_commit
from growth_manager.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    UnsupportedMedia,
)
from growth_manager.models.content import (
    PLATFORM_ORDER,
    MediaAsset,
    MediaKind,
    Platform,
    Post,
    PostMedia,
    PostStatus,
    PostVariant,
)

log = structlog.get_logger(__name__)

CHUNK_BYTES = 1024 * 1024
INCOMING_DIR = ".incoming"


class DraftInvalid(InvalidInput):
    """A draft's text breaks a platform rule; ``problems`` holds one message per rule."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def _if_rolled_back(session: Session, action: Callable[[], None]) -> None:
    """Runs ``action`` if the session's outermost transaction rolls back instead of committing."""
    # Listeners cannot be removed while SQLAlchemy dispatches them, so a flag retires both.
    settled = False

    def rolled_back(_session: Session, previous: SessionTransaction) -> None:
        nonlocal settled
        if not settled and previous.parent is None:
            settled = True
            action()

    def committed(_session: Session) -> None:
        nonlocal settled
        settled = True

    event.listen(session, "after_soft_rollback", rolled_back)
    event.listen(session, "after_commit", committed)


class DraftService:
    def __init__(self, repository: ContentRepository) -> None:
        self.repository = repository

    def get(self, session: Session, access: BusinessAccess, draft_id: int) -> Post:
        post = self.repository.get_post(session, access.business.id, draft_id)
        if post is None:
            raise NotFound(f"Draft {draft_id} was not found in this business.")
        return post

    def list_page(
        self,
        session: Session,
        access: BusinessAccess,
        *,
        strategy_id: int | None = None,
        status: PostStatus | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[Sequence[DraftRecord], int]:
        return self.repository.list_posts(
            session,
            access.business.id,
            strategy_id=strategy_id,
            status=status,
            limit=limit,
            offset=offset,
        )

    def create(self, session: Session, access: BusinessAccess, data: DraftCreate) -> Post:
        post = Post(
            business_id=access.business.id,
            author_id=access.user.id,
            title=data.title.strip(),
            base_text=data.base_text,
            status=PostStatus.draft,
            platforms=[
                p.value
                for p in ordered(list(PLATFORM_ORDER) if data.platforms is None else data.platforms)
            ],
            variants=[],
            media_links=[],
        )
        self._set_strategy(session, access, post, data.strategy_id)
        self._upsert_variants(post, data.variants)
        self._set_media(session, access, post, data.media_ids)
        self._check_texts(post)
        session.add(post)
        session.flush()
        log.info("content.draft.created", business_id=access.business.id, draft_id=post.id)
        return post

    def update(
        self, session: Session, access: BusinessAccess, draft_id: int, data: DraftUpdate
    ) -> Post:
        post = self.get(session, access, draft_id)
        self._require_editable(post)
        sent = data.model_fields_set
        if "title" in sent:
            post.title = (data.title or "").strip()
        if "base_text" in sent:
            post.base_text = data.base_text or ""
        if "strategy_id" in sent:
            self._set_strategy(session, access, post, data.strategy_id)
        if "platforms" in sent:
            post.platforms = [p.value for p in ordered(data.platforms or [])]
        if data.variants is not None:
            self._upsert_variants(post, data.variants)
        if data.media_ids is not None:
            self._set_media(session, access, post, data.media_ids)
        self._check_texts(post)
        session.flush()
        log.info("content.draft.updated", business_id=access.business.id, draft_id=post.id)
        return post

    def delete(self, session: Session, access: BusinessAccess, draft_id: int) -> None:
        post = self.get(session, access, draft_id)
        self._require_editable(post)
        session.delete(post)
        session.flush()
        log.info("content.draft.deleted", business_id=access.business.id, draft_id=draft_id)

    # Rules ----------------------------------------------------------------------------------
    def _require_editable(self, post: Post) -> None:
        if post.status is not PostStatus.draft:
            raise Conflict(
                f"Draft {post.id} is {post.status.value}; only drafts can be edited or deleted."
            )

    def _set_strategy(
        self, session: Session, access: BusinessAccess, post: Post, strategy_id: int | None
    ) -> None:
        if strategy_id is not None and (
            self.repository.get_strategy(session, access.business.id, strategy_id) is None
        ):
            raise InvalidInput(
                f"strategy_id: strategy {strategy_id} was not found in this business."
            )
        post.strategy_id = strategy_id

    def _upsert_variants(self, post: Post, variants: dict[Platform, str | None]) -> None:
        existing = {variant.platform: variant for variant in post.variants}
        for platform, text in variants.items():
            current = existing.get(platform)
            if text is None:
                if current is not None:
                    post.variants.remove(current)
            elif current is None:
                post.variants.append(PostVariant(platform=platform, text=text))
            else:
                current.text = text

    def _set_media(
        self, session: Session, access: BusinessAccess, post: Post, media_ids: Sequence[int]
    ) -> None:
        found = self.repository.media_by_ids(session, access.business.id, media_ids)
        missing = [str(media_id) for media_id in media_ids if media_id not in found]
        if missing:
            raise InvalidInput(f"media_ids: media {', '.join(missing)} not found in this business.")
        current = {link.media_id: link for link in post.media_links}
        links = []
        for position, media_id in enumerate(media_ids):
            link = current.pop(media_id, None) or PostMedia(media=found[media_id])
            link.position = position
            links.append(link)
        post.media_links = links

    def _check_texts(self, post: Post) -> None:
        # Every targeted platform's effective text, and any variant even when its platform is
        # not targeted now: saving it means someone intends to use it.
        targeted = {p.platform for p in effective_texts(post)}
        problems = [
            problem.message
            for item in effective_texts(post)
            for problem in item.measurement.problems
        ]
        for variant in post.variants:
            if variant.platform not in targeted:
                problems.extend(p.message for p in measure(variant.platform, variant.text).problems)
        if problems:
            raise DraftInvalid(problems)


@dataclass(frozen=True)
class StoredMedia:
    asset: MediaAsset
    created: bool


class MediaService:
    def __init__(self, repository: ContentRepository) -> None:
        self.repository = repository

    def get(self, session: Session, access: BusinessAccess, media_id: int) -> MediaAsset:
        asset = self.repository.get_media(session, access.business.id, media_id)
        if asset is None:
            raise NotFound(f"Media {media_id} was not found in this business.")
        return asset

    def find(self, session: Session, media_id: int) -> MediaAsset | None:
        """Any business's media by id: only for callers that carry their own permission (a
        signed address) or work for the business already (the publisher)."""
        return self.repository.find_media(session, media_id)

    def list_page(
        self, session: Session, access: BusinessAccess, *, limit: int = 50, offset: int = 0
    ) -> tuple[Sequence[MediaAsset], int]:
        return self.repository.list_media(session, access.business.id, limit=limit, offset=offset)

    def forget_business(self, session: Session, settings: Settings, business_id: int) -> None:
        """Remove a deleted business's media files once the deletion commits (the rows go with
        the business through ON DELETE CASCADE; files on disk need this)."""
        folder = settings.media_dir / str(business_id)
        after_commit(session, lambda: shutil.rmtree(folder, ignore_errors=True))

    def path_of(self, settings: Settings, asset: MediaAsset) -> Path:
        return settings.media_dir / asset.storage_path

    def upload(
        self,
        session: Session,
        settings: Settings,
        access: BusinessAccess,
        stream: BinaryIO,
        filename: str,
    ) -> StoredMedia:
        business_id = access.business.id
        incoming = settings.media_dir / INCOMING_DIR
        incoming.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix="upload-", dir=incoming)
        temp_path = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as temp_file:
                sniffed, digest, size = self._receive(settings, stream, temp_file, filename)
            max_pixels = int(settings.max_image_megapixels * 1_000_000)
            try:
                inspected = mediafiles.inspect_file(temp_path, sniffed, max_pixels)
            except mediafiles.TooManyPixels as exc:
                log.info(
                    "content.media.upload.rejected",
                    business_id=business_id,
                    reason="too_many_pixels",
                    width=exc.width,
                    height=exc.height,
                )
                raise InvalidInput(
                    f"file: {_display(filename)} is {exc.width} × {exc.height} pixels "
                    f"({exc.width * exc.height / 1_000_000:.1f} megapixels); images may have at "
                    f"most {settings.max_image_megapixels:g} megapixels. Scale it down and "
                    f"upload it again."
                ) from exc
            except mediafiles.NotAcceptedMedia as exc:
                log.info(
                    "content.media.upload.rejected",
                    business_id=business_id,
                    reason="undecodable",
                    mime=sniffed.mime,
                    error=str(exc),
                )
                raise UnsupportedMedia(
                    f"{_display(filename)} starts like {sniffed.mime} but does not decode as "
                    f"one; accepted are {mediafiles.ACCEPTED_DESCRIPTION}."
                ) from exc
            existing = self.repository.media_by_hash(session, business_id, digest)
            if existing is not None:
                log.info(
                    "content.media.upload.deduplicated",
                    business_id=business_id,
                    media_id=existing.id,
                )
                return StoredMedia(existing, created=False)
            relative = f"{business_id}/{digest}.{sniffed.extension}"
            final_path = settings.media_dir / relative
            final_path.parent.mkdir(parents=True, exist_ok=True)
            file_existed = final_path.exists()
            os.replace(temp_path, final_path)
            asset = MediaAsset(
                business_id=business_id,
                uploaded_by_id=access.user.id,
                sha256=digest,
                kind=sniffed.kind,
                mime=sniffed.mime,
                size_bytes=size,
                width=inspected.width,
                height=inspected.height,
                duration_ms=inspected.duration_ms,
                original_filename=_display(filename)[:255],
                storage_path=relative,
            )
            try:
                with session.begin_nested():
                    session.add(asset)
            except IntegrityError:
                # The same bytes were stored by a concurrent upload: same path, same content.
                winner = self.repository.media_by_hash(session, business_id, digest)
                if winner is None:
                    raise
                return StoredMedia(winner, created=False)
            if not file_existed:
                _if_rolled_back(session, lambda: final_path.unlink(missing_ok=True))
            log.info(
                "content.media.upload.stored",
                business_id=business_id,
                media_id=asset.id,
                kind=asset.kind.value,
                bytes=size,
            )
            return StoredMedia(asset, created=True)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp_path.unlink()

    def _receive(
        self, settings: Settings, stream: BinaryIO, temp_file: BinaryIO, filename: str
    ) -> tuple[mediafiles.Sniffed, str, int]:
        """Copies ``stream`` into ``temp_file``, hashing and counting, until the kind's limit."""
        head = b""
        while len(head) < mediafiles.SNIFF_BYTES:
            chunk = stream.read(mediafiles.SNIFF_BYTES - len(head))
            if not chunk:
                break
            head += chunk
        if not head:
            raise InvalidInput(f"file: {_display(filename)} is empty.")
        sniffed = mediafiles.sniff(head)
        if sniffed is None:
            log.info("content.media.upload.rejected", reason="unknown_type")
            raise UnsupportedMedia(
                f"{_display(filename)} is not an accepted file type (judged by its content, "
                f"not its name); accepted are {mediafiles.ACCEPTED_DESCRIPTION}."
            )
        limit_mb = (
            settings.max_upload_mb_image
            if sniffed.kind is MediaKind.image
            else settings.max_upload_mb_video
        )
        limit = limit_mb * 1024 * 1024
        digest = hashlib.sha256()
        size = 0
        chunk = head
        while chunk:
            size += len(chunk)
            if size > limit:
                log.info("content.media.upload.rejected", reason="too_large", kind=sniffed.kind)
                raise PayloadTooLarge(
                    f"{_display(filename)} is larger than the {limit_mb} MB allowed for "
                    f"{'an image' if sniffed.kind is MediaKind.image else 'a video'}."
                )
            digest.update(chunk)
            temp_file.write(chunk)
            chunk = stream.read(CHUNK_BYTES)
        return sniffed, digest.hexdigest(), size

    def delete(
        self, session: Session, settings: Settings, access: BusinessAccess, media_id: int
    ) -> None:
        asset = self.get(session, access, media_id)
        in_use = self.repository.statuses_of_posts_using(session, asset.id) - {PostStatus.draft}
        if in_use:
            raise Conflict(
                f"Media {media_id} is used by a post that is "
                f"{', '.join(sorted(s.value for s in in_use))}; it can only be removed from drafts."
            )
        path = self.path_of(settings, asset)
        self.repository.detach_media(session, asset.id)
        session.delete(asset)
        session.flush()
        after_commit(session, lambda: path.unlink(missing_ok=True))
        log.info("content.media.deleted", business_id=access.business.id, media_id=media_id)


def _display(filename: str) -> str:
    name = Path(filename or "").name.replace("\n", " ").replace("\r", " ").strip()
    return name or "The file"


drafts = DraftService(content_repository)
media = MediaService(content_repository)
on_business_deleted(media.forget_business)
