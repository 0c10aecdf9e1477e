"""Alembic environment: runs migrations on the connection `storage.schema` hands over, or on
the URL from the usual settings when called from the `alembic` command line."""

from alembic import context
from sqlalchemy import Connection

from ingest.config import load_settings
from storage.engine import create_store_engine
from storage.models import Base
from storage.schema import include_object


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=include_object,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_store_engine(load_settings().database_url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
