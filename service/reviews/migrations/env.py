"""Alembic's entry point for the review tables: runs on the connection the caller passes in
``config.attributes["connection"]`` (see ``upgrade``), or on ``sqlalchemy.url`` when there is none."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from service.reviews.migrations import VERSION_TABLE
from service.reviews.models import Base

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        # SQLite alters a table by copying it; batch mode writes later migrations that way.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    """Print the SQL instead of running it (``alembic upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Migrate on the given connection, or on a connection of its own to ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as own:
        _configure(own)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
