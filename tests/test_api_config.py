"""The service's settings: one pydantic-settings class, the only reader of the environment
in ``api/``, and the source of the settings table in ``api/README.md``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from api.core.config import Settings, SettingsError, env_name, settings_table
from api.db import make_engine

pytest_plugins = ["api.testing.fixtures"]

REPO = Path(__file__).resolve().parents[1]
API = REPO / "api"


def test_the_readme_table_is_generated_from_the_settings_class() -> None:
    readme = (API / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- settings:begin -->\n(.*?)<!-- settings:end -->", readme, re.S)
    assert found, "api/README.md has no generated settings table"
    assert found[1] == settings_table(), "regenerate it: python -m api.core.config"
    for field in Settings.model_fields:
        assert f"`{env_name(field)}`" in found[1]


def test_nothing_in_api_reads_the_environment_but_the_settings() -> None:
    """No hand-parsed variable (such as the former hidden ``FR_SYNC``) anywhere in ``api/``;
    ``api/testing`` only passes the environment on to the processes it starts."""
    readers = re.compile(r"os\.environ|getenv\(|environ\.get\(")
    found = [
        f"{path.relative_to(REPO)}:{n}"
        for path in sorted(API.rglob("*.py"))
        if "testing" not in path.parts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if readers.search(line)
    ]
    assert not found, found


def test_every_setting_has_its_freshroute_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRESHROUTE_MAX_TIME_LIMIT", "60")  # the one name that is not the field's
    monkeypatch.setenv("FRESHROUTE_HARD_TIMEOUT_FACTOR", "1.5")
    monkeypatch.setenv("FRESHROUTE_SQLITE_SYNCHRONOUS", "NORMAL")
    s = Settings.from_env(max_queue=4)
    assert (s.max_time_limit_s, s.hard_timeout_factor, s.max_queue) == (60, 1.5, 4)
    assert s.sqlite_synchronous == "NORMAL"
    assert Settings(max_time_limit_s=5).max_time_limit_s == 5  # by field name, too
    monkeypatch.setenv("FRESHROUTE_SQLITE_SYNCHRONOUS", "sometimes")
    with pytest.raises(SettingsError, match="FRESHROUTE_SQLITE_SYNCHRONOUS='sometimes'"):
        Settings.from_env()


@pytest.mark.parametrize(("level", "value"), [("OFF", 0), ("NORMAL", 1), ("FULL", 2)])
def test_sqlite_synchronous_is_what_new_connections_start_with(
    tmp_path: Path, level: str, value: int
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", level)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA synchronous")).scalar() == value
    finally:
        engine.dispose()
