"""Drop the index on host_blocks (host, block_key): the primary key (host, block_key,
article_id) already serves those lookups, and every block stored paid for a second,
randomly placed index entry (about 15 per article).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_host_blocks_host_block_key", table_name="host_blocks")


def downgrade() -> None:
    op.create_index("ix_host_blocks_host_block_key", "host_blocks", ["host", "block_key"])
