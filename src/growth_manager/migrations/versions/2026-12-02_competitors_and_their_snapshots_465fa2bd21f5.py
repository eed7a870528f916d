"""competitors and their snapshots: the public accounts a business follows, and each read of them

Revision ID: 465fa2bd21f5
Revises: 2226fcf4be11
Create Date: 2026-12-02 00:44:58.795564
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import growth_manager.models.base

revision: str = "465fa2bd21f5"
down_revision: str | None = "2226fcf4be11"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "competitor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("handle", sa.String(length=100), nullable=False),
        sa.Column("handle_key", sa.String(length=100), nullable=False),
        sa.Column("remote_id", sa.String(length=100), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_message", sa.Text(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "last_synced_at", growth_manager.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "deferred_until", growth_manager.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "created_at",
            growth_manager.models.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            growth_manager.models.base.UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user_account.id"],
            name=op.f("fk_competitor_added_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["business.id"],
            name=op.f("fk_competitor_business_id_business"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competitor")),
        sa.UniqueConstraint(
            "business_id",
            "platform",
            "handle_key",
            name=op.f("uq_competitor_business_id_platform_handle_key"),
        ),
    )
    with op.batch_alter_table("competitor", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competitor_business_id"), ["business_id"], unique=False
        )

    op.create_table(
        "competitor_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("competitor_id", sa.Integer(), nullable=False),
        sa.Column("business_id", sa.Integer(), nullable=False),
        sa.Column(
            "captured_at", growth_manager.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("followers", sa.Integer(), nullable=True),
        sa.Column("following", sa.Integer(), nullable=True),
        sa.Column("posts_count", sa.Integer(), nullable=True),
        sa.Column("posts_30d", sa.Integer(), nullable=False),
        sa.Column("mean_interactions", sa.Float(), nullable=True),
        sa.Column("median_interactions", sa.Float(), nullable=True),
        sa.Column("posts", sa.JSON(), nullable=False),
        sa.Column("api_version", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["business_id"],
            ["business.id"],
            name=op.f("fk_competitor_snapshot_business_id_business"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["competitor_id"],
            ["competitor.id"],
            name=op.f("fk_competitor_snapshot_competitor_id_competitor"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competitor_snapshot")),
    )
    with op.batch_alter_table("competitor_snapshot", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_competitor_snapshot_business_id"), ["business_id"], unique=False
        )
        batch_op.create_index(
            "ix_competitor_snapshot_competitor_at", ["competitor_id", "captured_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("competitor_snapshot", schema=None) as batch_op:
        batch_op.drop_index("ix_competitor_snapshot_competitor_at")
        batch_op.drop_index(batch_op.f("ix_competitor_snapshot_business_id"))

    op.drop_table("competitor_snapshot")
    with op.batch_alter_table("competitor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_competitor_business_id"))

    op.drop_table("competitor")
