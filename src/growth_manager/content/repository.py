"""All SQL for drafts and media. Every lookup is scoped by ``business_id``: an id from another
business reads as "not found", never as someone else's row."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from growth_manager.content.records import (
    POST_COLUMNS,
    DraftRecord,
    MediaLinkRecord,
    VariantRecord,
)
from growth_manager.models.business import Strategy
from growth_manager.models.content import MediaAsset, Post, PostMedia, PostStatus, PostVariant


class ContentRepository:
    # Drafts ---------------------------------------------------------------------------------
    def get_post(self, session: Session, business_id: int, post_id: int) -> Post | None:
        return session.scalar(
            select(Post).where(Post.id == post_id, Post.business_id == business_id)
        )

    def list_posts(
        self,
        session: Session,
        business_id: int,
        *,
        strategy_id: int | None,
        status: PostStatus | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[DraftRecord], int]:
        """One page of drafts, newest change first, and how many there are in all.

        Read as plain rows, not ORM objects: a page is only ever shown, and building 50 Post
        objects with their collections was most of a draft list's CPU (three times the rows).
        """
        # Core statements on the session's connection: no ORM compile or loading step for rows
        # that are only read out (the list is the API's most frequent read).
        post = Post.__table__.c
        conditions = [post.business_id == business_id]
        if strategy_id is not None:
            conditions.append(post.strategy_id == strategy_id)
        if status is not None:
            conditions.append(post.status == status)
        connection = session.connection()
        total = (
            connection.scalar(select(func.count()).select_from(Post.__table__).where(*conditions))
            or 0
        )
        rows = connection.execute(
            select(*(post[column.key] for column in POST_COLUMNS))
            .where(*conditions)
            .order_by(post.updated_at.desc(), post.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        ids = [row.id for row in rows]
        variants: dict[int, list[VariantRecord]] = {}
        media: dict[int, list[MediaLinkRecord]] = {}
        if ids:
            variant = PostVariant.__table__.c
            for post_id, platform, text in connection.execute(
                select(variant.post_id, variant.platform, variant.text)
                .where(variant.post_id.in_(ids))
                .order_by(variant.post_id, variant.platform)
            ):
                variants.setdefault(post_id, []).append(VariantRecord(platform, text))
            # The links first (most drafts have none), the assets only when some are attached.
            link = PostMedia.__table__.c
            links = connection.execute(
                select(link.post_id, link.media_id)
                .where(link.post_id.in_(ids))
                .order_by(link.post_id, link.position)
            ).all()
            if links:
                assets = {
                    asset.id: asset
                    for asset in session.scalars(
                        select(MediaAsset).where(MediaAsset.id.in_({m for _, m in links}))
                    )
                }
                for post_id, media_id in links:
                    media.setdefault(post_id, []).append(MediaLinkRecord(assets[media_id]))
        records = [
            DraftRecord(
                **row._asdict(),
                variants=tuple(variants.get(row.id, ())),
                media_links=tuple(media.get(row.id, ())),
            )
            for row in rows
        ]
        return records, total

    def active_strategy(self, session: Session, business_id: int) -> Strategy | None:
        """The business's active strategy (the newest, if several are)."""
        return session.scalars(
            select(Strategy)
            .where(Strategy.business_id == business_id, Strategy.is_active.is_(True))
            .order_by(Strategy.id.desc())
        ).first()

    def get_strategy(self, session: Session, business_id: int, strategy_id: int) -> Strategy | None:
        return session.scalar(
            select(Strategy).where(Strategy.id == strategy_id, Strategy.business_id == business_id)
        )

    def list_strategies(self, session: Session, business_id: int) -> Sequence[Strategy]:
        return session.scalars(
            select(Strategy)
            .where(Strategy.business_id == business_id)
            .order_by(Strategy.name, Strategy.id)
        ).all()

    # Media ----------------------------------------------------------------------------------
    def find_media(self, session: Session, media_id: int) -> MediaAsset | None:
        return session.get(MediaAsset, media_id)

    def get_media(self, session: Session, business_id: int, media_id: int) -> MediaAsset | None:
        return session.scalar(
            select(MediaAsset).where(
                MediaAsset.id == media_id, MediaAsset.business_id == business_id
            )
        )

    def media_by_ids(
        self, session: Session, business_id: int, media_ids: Sequence[int]
    ) -> dict[int, MediaAsset]:
        if not media_ids:
            return {}
        rows = session.scalars(
            select(MediaAsset).where(
                MediaAsset.business_id == business_id, MediaAsset.id.in_(list(media_ids))
            )
        ).all()
        return {row.id: row for row in rows}

    def media_by_hash(self, session: Session, business_id: int, sha256: str) -> MediaAsset | None:
        return session.scalar(
            select(MediaAsset).where(
                MediaAsset.business_id == business_id, MediaAsset.sha256 == sha256
            )
        )

    def list_media(
        self, session: Session, business_id: int, *, limit: int, offset: int
    ) -> tuple[Sequence[MediaAsset], int]:
        condition = MediaAsset.business_id == business_id
        total = session.scalar(select(func.count()).select_from(MediaAsset).where(condition)) or 0
        rows = session.scalars(
            select(MediaAsset)
            .where(condition)
            .order_by(MediaAsset.created_at.desc(), MediaAsset.id.desc())
            .limit(limit)
            .offset(offset)
        ).all()
        return rows, total

    def statuses_of_posts_using(self, session: Session, media_id: int) -> set[PostStatus]:
        rows = session.scalars(
            select(Post.status)
            .join(PostMedia, PostMedia.post_id == Post.id)
            .where(PostMedia.media_id == media_id)
        ).all()
        return set(rows)

    def detach_media(self, session: Session, media_id: int) -> None:
        session.execute(delete(PostMedia).where(PostMedia.media_id == media_id))


content_repository = ContentRepository()
