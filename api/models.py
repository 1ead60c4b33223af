"""Tables (SQLAlchemy 2.x declarative models): counties, API keys, requests, jobs, results.

The schema is made and changed by the Alembic migrations in ``api/migrations``; queries
are in ``api.store``.
"""

from __future__ import annotations

from datetime import UTC, datetime
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
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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
    plan), ``replan`` (the request is the old plan, its batch and the events; the result
    a plan) or ``siting.optimize`` / ``siting.evaluate`` / ``siting.compare`` (the request
    is a siting request with its county batch inline, the result a siting result).
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_created", "state", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("batches.id"), unique=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="batch", server_default="batch")
    lang: Mapped[str] = mapped_column(String(8), default="en", server_default="en")  # errors
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
    """The validated plan of a finished job (``freshroute.plan/v1`` JSON).

    A re-plan (job kind ``replan``) also stores the plan it re-plans (``replanned_from``),
    the day's batch it is a plan of (``batch``: the old batch with the events applied;
    None for a solve, whose batch is the job's request) and what changed (``changes``).
    """

    __tablename__ = "plans"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), unique=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    body: Mapped[Any] = mapped_column(JSON)
    replanned_from: Mapped[str | None] = mapped_column(
        ForeignKey("plans.id"), nullable=True, index=True
    )
    batch: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    changes: Mapped[Any | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SitingResultRow(Base):
    """The result of a finished siting job (see ``api.siting.SitingResultBody``)."""

    __tablename__ = "siting_results"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), unique=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"), index=True)
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
