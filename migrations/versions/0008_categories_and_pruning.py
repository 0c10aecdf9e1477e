"""Feed categories (from OPML) and pruned entries.

- feeds: `category`, the OPML outline folder the feed was imported from (NULL when none).
- entries: `pruned_at`, set when retention removed the entry's article; such an entry is
  done (its page is not fetched again when its feed still lists it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("feeds", sa.Column("category", sa.Text(), nullable=True))
    op.add_column("entries", sa.Column("pruned_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("entries", "pruned_at")
    op.drop_column("feeds", "category")
