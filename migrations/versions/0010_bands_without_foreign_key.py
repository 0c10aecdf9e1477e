"""PostgreSQL: `near_dup_bands` without a foreign key to `articles`.

The table is the index of the articles' MinHash bands, written and deleted with them by the
intake and by pruning, and read joined to `articles` (a band of an article no longer there
finds nothing). Its foreign key had PostgreSQL check, and lock, the article's row once per
band, 40 times an article taken in. SQLite keeps it: its checks cost little, and an SQLite
article id can be given again once the last article is deleted, when a band left behind
would belong to the new article.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_near_dup_bands_article_id_articles"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(FOREIGN_KEY, "near_dup_bands", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DELETE FROM near_dup_bands WHERE article_id NOT IN (SELECT id FROM articles)")
        op.create_foreign_key(
            FOREIGN_KEY, "near_dup_bands", "articles", ["article_id"], ["id"], ondelete="CASCADE"
        )
