"""notices for every part of the product: a category and a post subject; per-person reads only

Revision ID: 015a25392db4
Revises: 5b1e0c7d9a42
Create Date: 2026-12-01 15:38:07.871369
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import growth_manager.models.base

revision: str = "015a25392db4"
down_revision: str | None = "5b1e0c7d9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "category",
                sa.Enum(
                    "account",
                    "publishing",
                    "sync",
                    "alert",
                    "report",
                    name="noticecategory",
                    native_enum=False,
                    length=20,
                ),
                server_default="account",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("post_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_notification_post_id"), ["post_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_post_id_post"),
            "post",
            ["post_id"],
            ["id"],
            ondelete="CASCADE",
        )
        # Read state is per person since notification_read; the shared column is unused.
        batch_op.drop_column("read_at")


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_notification_post_id_post"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_notification_post_id"))
        batch_op.drop_column("post_id")
        batch_op.drop_column("category")
        batch_op.add_column(
            sa.Column(
                "read_at", growth_manager.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
