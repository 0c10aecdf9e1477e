"""Schema versions: apply the Alembic migrations, read the store's revision, and refuse to
work on a store whose schema does not match the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

import migrations
from ingest.errors import StoreError
from storage.engine import use_wal

# Engine-specific full-text search objects, created by the migrations and absent from the
# models on purpose (see storage.search); autogenerate must not propose dropping them.
FTS_TABLE_PREFIX = "articles_fts"
FTS_COLUMN = "search_vector"
FTS_INDEX = "ix_articles_search_vector"
# On SQLite only (see storage.models.NearDupBand): absent from the models.
SQLITE_BANDS_KEY = "fk_near_dup_bands_article_id_articles"


class SchemaMismatch(StoreError):
    """The store's schema revision is not the one this code was written for."""


class NotAStore(StoreError):
    """The database holds another application's tables."""


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "table" and name and name.startswith(FTS_TABLE_PREFIX):
        return False
    return not (
        (type_ == "column" and name == FTS_COLUMN)
        or (type_ == "index" and name == FTS_INDEX)
        or (type_ == "foreign_key_constraint" and name == SQLITE_BANDS_KEY)
    )


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return config


def head_revision(config: Config | None = None) -> str:
    head = ScriptDirectory.from_config(config or alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations; a database that holds tables but no schema revision belongs
    to something else and is refused, untouched."""
    config = alembic_config()
    if current_revision(engine) is None:
        others = inspect(engine).get_table_names()
        if others:
            where = engine.url.render_as_string(hide_password=True)
            raise NotAStore(
                f"{where} holds tables of something else ({', '.join(sorted(others)[:3])}"
                f"{', ...' if len(others) > 3 else ''}), not a feed-ingest store: give an "
                "empty database or a new file"
            )
    use_wal(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def check_schema(engine: Engine, config: Config | None = None) -> None:
    """Raise `SchemaMismatch` with one sentence that says what to run."""
    config = config or alembic_config()
    current = current_revision(engine)
    head = head_revision(config)
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise SchemaMismatch(
            f"The store at {where} has not been set up yet: run `ingest db upgrade` first."
        )
    known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}
    if current in known:
        raise SchemaMismatch(
            f"The store at {where} is at schema revision {current} but this version of ingest "
            f"needs {head}: run `ingest db upgrade`."
        )
    raise SchemaMismatch(
        f"The store at {where} is at schema revision {current}, newer than this version of "
        f"ingest knows ({head}): upgrade feed-ingest to use it."
    )
