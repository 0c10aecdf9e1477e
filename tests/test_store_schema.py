"""Migrations build exactly the models' schema, and a mismatched store is refused clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from storage.engine import create_store_engine
from storage.models import Base
from storage.schema import (
    SQLITE_BANDS_KEY,
    SchemaMismatch,
    alembic_config,
    check_schema,
    current_revision,
    head_revision,
    include_object,
    upgrade,
)


def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migrated_store_has_every_table_and_search(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    if engine.dialect.name == "sqlite":
        assert "articles_fts" in tables
        with engine.connect() as conn:
            config = "SELECT v FROM articles_fts_config WHERE k = 'automerge'"
            assert conn.execute(text(config)).scalar() == 8  # segments merged 8 at a time
            for table in ("near_dup_bands", "host_block_keys"):  # the key is the table
                ddl = f"SELECT sql FROM sqlite_schema WHERE name = '{table}'"
                assert "WITHOUT ROWID" in conn.execute(text(ddl)).scalar_one(), table
    else:
        columns = {c["name"] for c in inspect(engine).get_columns("articles")}
        assert "search_vector" in columns


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    engine = create_store_engine(database_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    check_schema(engine)
    engine.dispose()


def test_empty_store_is_refused_with_the_command_to_run(empty_database_url: str) -> None:
    engine = create_store_engine(empty_database_url)
    with pytest.raises(SchemaMismatch, match=r"has not been set up yet: run `ingest db upgrade`"):
        check_schema(engine)
    engine.dispose()


def test_store_ahead_of_the_code_is_refused(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00d'"))
    with pytest.raises(SchemaMismatch, match=r"newer than this version of ingest knows"):
        check_schema(engine)


def test_store_behind_the_code_is_refused(engine: Engine, tmp_path: Path) -> None:
    """A code base with one more migration than the store: the store is behind."""
    scripts = tmp_path / "migrations"
    shutil.copytree(Path(alembic_config().get_main_option("script_location") or ""), scripts)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    (scripts / "versions" / "9999_next.py").write_text(
        f'revision = "9999"\ndown_revision = "{head}"\nbranch_labels = None\n'
        "depends_on = None\ndef upgrade() -> None: ...\ndef downgrade() -> None: ...\n"
    )
    config = alembic_config()
    config.set_main_option("script_location", str(scripts))
    with pytest.raises(SchemaMismatch) as caught:
        check_schema(engine, config)
    assert str(caught.value).endswith(
        f"is at schema revision {head} but this version of ingest needs 9999: "
        "run `ingest db upgrade`."
    )


def test_host_block_counts_survive_the_move_to_one_key(empty_database_url: str) -> None:
    """0009: `host_blocks` rows become `host_block_keys` rows the boilerplate queries find."""
    from storage.articles import store_article
    from storage.site_boilerplate import articles_with_blocks, frequent_blocks
    from tests.helpers.records import article

    engine = create_store_engine(empty_database_url)
    upgrade(engine, "0008")
    with engine.begin() as conn:
        ids = [
            store_article(conn, article(f"https://a.example/{n}", host="a.example")).id
            for n in range(3)
        ]
        rows = [("a.example", "k-shared", i) for i in ids] + [("b.example", "k-shared", ids[0])]
        conn.execute(
            text("INSERT INTO host_blocks (host, block_key, article_id) VALUES (:h, :k, :a)"),
            [{"h": h, "k": k, "a": a} for h, k, a in rows],
        )
    upgrade(engine)
    with engine.connect() as conn:
        assert frequent_blocks(conn, {"a.example": ["k-shared", "k-other"]}, 3) == {
            "a.example": {"k-shared": 3}
        }
        assert frequent_blocks(conn, {"b.example": ["k-shared"]}, 2) == {}
        # Several hosts in one statement: each host's counts are its own.
        assert frequent_blocks(conn, {"a.example": ["k-shared"], "b.example": ["k-shared"]}, 1) == {
            "a.example": {"k-shared": 3},
            "b.example": {"k-shared": 1},
        }
        assert articles_with_blocks(conn, "a.example", ["k-shared"]) == sorted(ids)
    assert "host_blocks" not in inspect(engine).get_table_names()
    engine.dispose()


def test_bands_lose_their_foreign_key_on_postgresql_only_and_keep_their_rows(
    empty_database_url: str,
) -> None:
    """0010: on PostgreSQL `near_dup_bands` loses its foreign key (the intake and pruning
    keep it, see `NearDupBand`) and keeps every row; a downgrade drops the bands of
    articles gone and restores the key. SQLite keeps it."""
    from alembic import command

    from storage.articles import store_article
    from tests.helpers.records import article

    engine = create_store_engine(empty_database_url)
    postgresql = engine.dialect.name == "postgresql"
    upgrade(engine, "0009")
    insert = text("INSERT INTO near_dup_bands (band_key, article_id) VALUES (:k, :a)")
    bands = text("SELECT band_key, article_id FROM near_dup_bands ORDER BY band_key")
    with engine.begin() as conn:
        kept = store_article(conn, article("https://a.example/1", host="a.example")).id
        conn.execute(insert, [{"k": k, "a": kept} for k in (-5, 7, 2**62)])
    upgrade(engine)
    keys = inspect(engine).get_foreign_keys("near_dup_bands")
    assert [key["name"] for key in keys] == ([] if postgresql else [SQLITE_BANDS_KEY])
    if postgresql:
        with engine.begin() as conn:
            conn.execute(insert, {"k": 9, "a": kept + 1000})  # an article deleted by hand
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0009")
    (key,) = inspect(engine).get_foreign_keys("near_dup_bands")
    assert (key["referred_table"], key["options"].get("ondelete")) == ("articles", "CASCADE")
    with engine.begin() as conn:
        assert conn.execute(bands).all() == [(-5, kept), (7, kept), (2**62, kept)]
    upgrade(engine)
    engine.dispose()
