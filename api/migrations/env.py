"""Alembic environment: the app passes its connection; the CLI reads the URL from the env.

``alembic upgrade head`` at the repository root uses ``FRESHROUTE_DATABASE_URL`` (or the
SQLite default). The service runs the same migrations itself at startup.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from api.core.config import Settings
from api.db import make_engine
from api.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    settings = Settings.from_env()
    engine = make_engine(settings.database_url, settings.sqlite_synchronous)
    try:
        with engine.begin() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
