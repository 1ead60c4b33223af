"""Service settings: one pydantic-settings class, read from ``FRESHROUTE_*`` variables.

Every limit and switch of the service is a field here, with its variable, default and
meaning in one place: the service reads them (``Settings.from_env``), tests build an app
with tighter ones (``create_app(Settings(...))``), and the settings table in
``api/README.md`` is generated from the fields (``python -m api.core.config``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "FRESHROUTE_"
DEFAULT_DATABASE_URL = "sqlite:///./freshroute.db"


class SettingsError(ValueError):
    """A ``FRESHROUTE_*`` variable with a value the service cannot use (names the variable)."""


def _shown(text: str) -> dict[str, Any]:
    """The default as the settings table shows it (where the value itself says little)."""
    return {"shown_default": text}


class Settings(BaseSettings):
    """Limits and wiring of one service instance; each field is ``FRESHROUTE_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, frozen=True, extra="ignore", validate_by_name=True
    )

    database_url: str = Field(
        DEFAULT_DATABASE_URL, description="or `postgresql+psycopg://user@host/db`"
    )
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = Field(
        "FULL",
        description=(
            "SQLite `synchronous` level a new connection starts with (reads, migrations). "
            "Submissions, keys, cancels and results are always committed `FULL`, claims "
            "and progress `NORMAL`; ignored on PostgreSQL"
        ),
    )
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=0,
        description="solver processes (`serve --workers N` overrides)",
        json_schema_extra=_shown("`os.cpu_count()`"),
    )
    executor: Literal["local", "ray"] = Field(
        "local",
        description=(
            "where solves run: this server's worker processes, or Ray (`RAY_ADDRESS`'s "
            "cluster, else Ray embedded here; needs the `ray` extra)"
        ),
    )
    max_queue: int = Field(100, ge=1, description="queued jobs (all counties) before `429`")
    max_jobs_per_county: int = Field(
        10,
        ge=1,
        description=(
            "jobs one county may have queued or running; its next submission is a `429` with "
            "`Retry-After` (the earliest end of its running jobs), other counties are not "
            "affected"
        ),
    )
    max_time_limit_s: float = Field(
        300.0,
        ge=0.1,
        validation_alias="FRESHROUTE_MAX_TIME_LIMIT",
        description="cap on a batch's `options.time_limit_s` (and a siting run's)",
    )
    hard_timeout_factor: float = Field(
        2.0, ge=0, description="a solve is killed at this × its limit + the kill grace"
    )
    kill_grace_s: float = Field(30.0, ge=0, description="seconds added to the hard limit")
    max_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1, description="`413` above", json_schema_extra=_shown("10 MiB")
    )
    max_orders: int = Field(5000, ge=1, description="`422` above, naming the limit")
    max_vehicles: int = Field(1000, ge=1, description="sum of fleet counts; `422` above")
    max_sites: int = Field(
        2000,
        ge=1,
        description=("sites per batch; `422` at `sites` (`batch.sites` in siting requests) above"),
    )
    max_matrix_cells: int = Field(
        4_000_000,
        ge=1,
        description=(
            "cells of the travel matrix (sites², and `travel.site_ids`²); `422` at `sites` / "
            "`travel.site_ids` above"
        ),
    )
    max_body_depth: int = Field(
        32,
        ge=4,
        description="nesting of arrays and objects in a body; `422` at the first path too deep",
    )
    check_workers: int = Field(
        1,
        ge=1,
        description=(
            "processes for the pre-solve checks that build the travel matrix (started on "
            "first use, at `FRESHROUTE_WORKER_NICE`)"
        ),
    )
    progress_interval_s: float = Field(
        0.5, ge=0, description="best-cost updates per job at most this often"
    )
    threads: int = Field(
        8,
        ge=2,
        description=(
            "threads for blocking work (database, batch checks); few on purpose: the work "
            "holds the GIL"
        ),
    )
    batch_threads: int = Field(2, ge=1, description="of those, threads for batch checks")
    worker_nice: int = Field(10, ge=0, description="CPU priority of solver processes (0: none)")
    metrics_open_on_loopback: bool = Field(
        True, description="`/metrics` without a key from 127.0.0.0/8 and ::1"
    )
    roads_dir: Path | None = Field(
        None,
        description=(
            "the only folder road files are read from; unset: `road_network` batches are "
            "`422`. Must be an existing folder; a relative value is taken from the starting "
            "folder"
        ),
        json_schema_extra=_shown("unset"),
    )

    @field_validator("roads_dir", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("roads_dir")
    @classmethod
    def _existing_folder(cls, value: Path | None) -> Path | None:
        """Resolved once, so a relative value means the folder the service started in."""
        if value is None:
            return None
        path = value.expanduser().resolve()
        if not path.is_dir():
            raise ValueError(f"{str(value)!r} is not a directory")
        return path

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Settings from the environment, keyword overrides winning; a bad value is a
        ``SettingsError`` naming its variable."""
        try:
            return cls(**overrides)
        except ValidationError as e:
            problems = []
            for error in e.errors():
                name = str(error["loc"][0]) if error["loc"] else ""
                problems.append(f"{env_name(name)}={error.get('input')!r}: {error['msg']}")
            raise SettingsError("; ".join(problems)) from None

    def time_limit(self, requested: float) -> float:
        """The seconds a job may solve: the batch's limit capped by the service's."""
        return min(requested, self.max_time_limit_s)

    def hard_timeout(self, limit: float) -> float:
        """Seconds after which a solve is killed whatever it is doing."""
        return self.hard_timeout_factor * limit + self.kill_grace_s


def env_name(field: str) -> str:
    """The environment variable of a field (its alias, or the prefix and its name)."""
    info = Settings.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, str):
        return info.validation_alias
    return ENV_PREFIX + field.upper()


def _default(field: str) -> str:
    info = Settings.model_fields[field]
    extra = info.json_schema_extra
    if isinstance(extra, dict) and "shown_default" in extra:
        return str(extra["shown_default"])
    value = info.default
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return f"`{value}`"


def settings_table() -> str:
    """The Markdown table of every setting: variable, default, meaning (README)."""
    rows = ["| variable | default | |", "| --- | --- | --- |"]
    for field, info in Settings.model_fields.items():
        rows.append(f"| `{env_name(field)}` | {_default(field)} | {info.description} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(settings_table(), end="")
