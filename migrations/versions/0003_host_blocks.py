"""Per-host block counts, for learning each host's boilerplate.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "host_blocks",
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("block_key", sa.String(length=16), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_host_blocks_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("host", "block_key", "article_id", name=op.f("pk_host_blocks")),
    )
    op.create_index("ix_host_blocks_host_block_key", "host_blocks", ["host", "block_key"])
    op.create_index(op.f("ix_host_blocks_article_id"), "host_blocks", ["article_id"])


def downgrade() -> None:
    op.drop_table("host_blocks")
