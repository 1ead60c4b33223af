"""Engine and migrations (SQLAlchemy 2.x, Alembic); the tables are in ``api.models``.

SQLite (the default) runs in WAL mode: a batch is fsynced before its ``202`` goes out
(``synchronous=FULL`` for that commit, see ``api.store.base``), and readers never wait
for the writer. PostgreSQL is used when ``FRESHROUTE_DATABASE_URL`` names it
(``postgresql+psycopg://...``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, sqlite_synchronous: str = "FULL") -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, a busy timeout and the
    ``synchronous`` level new connections start with (``Settings.sqlite_synchronous``)."""
    if sqlite_synchronous not in SYNCHRONOUS:
        raise ValueError(f"sqlite_synchronous must be one of {', '.join(SYNCHRONOUS)}")
    if not is_sqlite(url):
        return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=20,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={sqlite_synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return engine


def upgrade(engine: Engine) -> None:
    """Run ``alembic upgrade head`` on ``engine`` (the app does this at startup)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
