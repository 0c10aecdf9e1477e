"""One article per text: the content hash becomes unique, so that two workers storing the
same text under different URLs at the same moment end with one article.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_articles_content_hash", table_name="articles")
    op.create_index("ix_articles_content_hash", "articles", ["content_hash"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_articles_content_hash", table_name="articles")
    op.create_index("ix_articles_content_hash", "articles", ["content_hash"])
