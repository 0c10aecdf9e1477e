"""Where an article's fields came from (the page or its feed entry), walls, and page
failures retried with backoff.

- articles: `text_source` ('page' or 'feed'), `feed_fields` (the fields the feed entry
  filled, space-separated; NULL when none), `wall` (why the page is not an article: a
  paywall, a consent dialog, ...).
- entries: the entry's own `author` and `content` (its full content or summary), and
  `attempts`, `retry_at`, `last_error` for pages that failed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD COLUMN on both engines (a batch operation would rebuild `articles` on SQLite and
# lose its full-text triggers).
def upgrade() -> None:
    op.add_column(
        "articles",
        sa.Column("text_source", sa.String(length=8), nullable=False, server_default="page"),
    )
    op.add_column("articles", sa.Column("feed_fields", sa.Text(), nullable=True))
    op.add_column("articles", sa.Column("wall", sa.String(length=40), nullable=True))
    op.add_column("entries", sa.Column("author", sa.Text(), nullable=True))
    op.add_column("entries", sa.Column("content", sa.Text(), nullable=True))
    op.add_column(
        "entries", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("entries", sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("entries", sa.Column("last_error", sa.Text(), nullable=True))


def downgrade() -> None:
    for name in ("last_error", "retry_at", "attempts", "content", "author"):
        op.drop_column("entries", name)
    for name in ("wall", "feed_fields", "text_source"):
        op.drop_column("articles", name)
