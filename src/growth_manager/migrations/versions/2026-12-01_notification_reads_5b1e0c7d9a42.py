"""notification reads: who has read which notification

Revision ID: 5b1e0c7d9a42
Revises: 70ef61ec90b4
Create Date: 2026-12-01 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import growth_manager.models.base

revision: str = "5b1e0c7d9a42"
down_revision: str | None = "70ef61ec90b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_read",
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", growth_manager.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notification.id"],
            name=op.f("fk_notification_read_notification_id_notification"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_read_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("notification_id", "user_id", name=op.f("pk_notification_read")),
    )
    with op.batch_alter_table("notification_read", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_read_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification_read", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_read_user_id"))
    op.drop_table("notification_read")
