"""The review tables' Alembic migrations, configured in code (there is no alembic.ini).

``upgrade(connection)`` brings a database to the newest schema in the caller's transaction; the store
calls it when it opens, holding a lock so that processes opening a new database at once take turns. To write
the next revision, compare the models with a database at head::

    from alembic import command
    command.revision(alembic_config("sqlite:///data/stadshus.db"), message="...", autogenerate=True)
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

HERE = Path(__file__).resolve().parent
#: The review tables keep their own version table, so the database can hold other tables with their own history.
VERSION_TABLE = "reviews_alembic_version"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the review migrations, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    if url is not None:
        # ConfigParser interpolates "%": a URL-encoded password must survive it.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(connection: Connection, revision: str = "head") -> None:
    """Migrate to ``revision`` inside the caller's transaction on ``connection`` (the caller holds any lock)."""
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE}).get_current_revision()
