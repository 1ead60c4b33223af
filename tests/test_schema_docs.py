"""The committed JSON Schemas in docs/ match the code (run `make schema` to refresh)."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.schema_export import SCHEMAS, schema_text

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_is_current(name: str) -> None:
    assert (DOCS / name).read_text(encoding="utf-8") == schema_text(SCHEMAS[name]), (
        f"docs/{name} is stale: run `make schema`"
    )
