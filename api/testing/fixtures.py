"""Pytest fixtures for the API tests: ``pytest_plugins = ["api.testing.fixtures"]``.

``db_url`` runs a test on SQLite and, when ``FRESHROUTE_TEST_POSTGRES_URL`` is set (see
``api/testing/postgres.sh``), again on a fresh PostgreSQL database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.core.config import Settings, env_name
from api.testing.helpers import Api, ApiFactory, postgres_database

POSTGRES_ENV = "FRESHROUTE_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True)
def _settings_from_the_test_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Settings(...)`` reads ``FRESHROUTE_*`` variables (pydantic-settings): unset them,
    so that a variable in the developer's shell cannot change what a test builds."""
    for field in Settings.model_fields:
        monkeypatch.delenv(env_name(field), raising=False)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a new database on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'freshroute.db'}"
        return
    admin = os.environ.get(POSTGRES_ENV)
    if not admin:
        pytest.skip(f"{POSTGRES_ENV} is not set (run under api/testing/postgres.sh)")
    with postgres_database(admin) as url:
        yield url


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[ApiFactory]:
    """``make_api(**settings)``: a running app on a fresh SQLite file (no workers by default)."""
    started: list[Api] = []

    def make(client: dict[str, Any] | None = None, **overrides: Any) -> Api:
        values: dict[str, Any] = {
            "database_url": f"sqlite:///{tmp_path / f'api{len(started)}.db'}",
            "workers": 0,
            "progress_interval_s": 0.2,
        }
        values.update(overrides)
        api = Api(Settings(**values), **(client or {})).__enter__()
        started.append(api)
        return api

    yield make
    for api in reversed(started):
        api.__exit__(None, None, None)


@pytest.fixture
def api(make_api: ApiFactory) -> Api:
    """An app that stores and queues but runs no solves (workers=0)."""
    return make_api()
