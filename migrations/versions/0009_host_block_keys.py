"""The dedup indexes in less space.

- `host_block_keys` (one 64-bit key for host and block, and the article; no rowid on
  SQLite) replaces `host_blocks` (the host's name and a hex key, stored in the table, its
  primary key and its article index): a third of the space.
- SQLite: `near_dup_bands` rebuilt without a rowid (its primary key is the table): two
  copies of each row instead of three. PostgreSQL tables have no such choice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 20_000


def _key(host: str, block: str) -> int:
    """As `storage.site_boilerplate.host_block_key` is at this revision."""
    digest = hashlib.blake2b(f"{host}\0{block}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def upgrade() -> None:
    new = op.create_table(
        "host_block_keys",
        sa.Column("block_key", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_host_block_keys_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("block_key", "article_id", name=op.f("pk_host_block_keys")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_host_block_keys_article_id"), "host_block_keys", ["article_id"])
    conn = op.get_bind()
    old = conn.execute(
        sa.text("SELECT host, block_key, article_id FROM host_blocks").execution_options(
            stream_results=True, yield_per=CHUNK
        )
    )
    for chunk in old.partitions(CHUNK):
        rows = [{"block_key": _key(h, k), "article_id": a} for h, k, a in chunk]
        conn.execute(new.insert(), rows)
    op.drop_table("host_blocks")
    if conn.dialect.name == "sqlite":
        _rebuild_bands(with_rowid=False)


def _rebuild_bands(with_rowid: bool) -> None:
    op.execute(
        "CREATE TABLE near_dup_bands_new (band_key BIGINT NOT NULL, article_id INTEGER NOT NULL,"
        " CONSTRAINT pk_near_dup_bands PRIMARY KEY (band_key, article_id),"
        " CONSTRAINT fk_near_dup_bands_article_id_articles FOREIGN KEY(article_id)"
        " REFERENCES articles (id) ON DELETE CASCADE)" + ("" if with_rowid else " WITHOUT ROWID")
    )
    op.execute("INSERT INTO near_dup_bands_new SELECT band_key, article_id FROM near_dup_bands")
    op.execute("DROP TABLE near_dup_bands")
    op.execute("ALTER TABLE near_dup_bands_new RENAME TO near_dup_bands")
    op.execute("CREATE INDEX ix_near_dup_bands_article_id ON near_dup_bands (article_id)")


def downgrade() -> None:
    """The old table comes back empty (hosts' names are not kept): the counts are learnt
    again from the articles stored after it."""
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
    op.create_index(op.f("ix_host_blocks_article_id"), "host_blocks", ["article_id"])
    op.drop_table("host_block_keys")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_bands(with_rowid=True)
