"""Tables, engine and migrations (SQLAlchemy 2.x, Alembic).

SQLite (the default) runs in WAL mode: a batch is fsynced before its ``202`` goes out
(``synchronous=FULL`` for that commit, see ``Store._write``), and readers never wait
for the writer. PostgreSQL is used
when ``FRESHROUTE_DATABASE_URL`` names it (``postgresql+psycopg://...``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    pass


class County(Base):
    """A tenant: every batch, job and plan belongs to exactly one county."""

    __tablename__ = "counties"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    """An API key, stored as the SHA-256 of a random 32-byte token (never the key)."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class BatchRow(Base):
    """A submitted request body as parsed, a road-network path made absolute inside the
    roads folder: a batch, or a siting request (the job's ``kind`` says which)."""

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("county_id", "idempotency_key", name="uq_batches_idem"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    body_sha256: Mapped[str] = mapped_column(String(64))
    body: Mapped[Any] = mapped_column(JSON)
    name: Mapped[str] = mapped_column(Text, default="")
    n_orders: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobRow(Base):
    """One run of one request: queued → running → done | failed | cancelled.

    ``kind`` says what runs: ``batch`` (a solve; the request is a batch, the result a
    plan) or ``siting.optimize`` / ``siting.evaluate`` / ``siting.compare`` (the request
    is a siting request with its county batch inline, the result a siting result).
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_created", "state", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"), unique=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="batch", server_default="batch")
    state: Mapped[str] = mapped_column(String(16))
    time_limit_s: Mapped[float] = mapped_column(Float)
    phase: Mapped[str | None] = mapped_column(String(64), nullable=True)
    best_cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PlanRow(Base):
    """The validated plan of a finished job (``freshroute.plan/v1`` JSON)."""

    __tablename__ = "plans"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), unique=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SitingResultRow(Base):
    """The result of a finished siting job (see ``api.siting.SitingResultBody``)."""

    __tablename__ = "siting_results"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), unique=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL, full fsync, foreign keys and a busy timeout."""
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
        cur.execute("PRAGMA synchronous=" + __import__("os").environ.get("FR_SYNC", "FULL"))
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
