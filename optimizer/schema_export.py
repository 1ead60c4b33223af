"""Write the JSON Schemas of the batch, plan and events formats to ``docs/``."""

from __future__ import annotations

import json
from pathlib import Path

from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.replan.events import Events

SCHEMAS = {
    "batch.schema.json": Batch,
    "plan.schema.json": Plan,
    "events.schema.json": Events,
}


def schema_text(model: type) -> str:
    return json.dumps(model.model_json_schema(by_alias=True), indent=2, ensure_ascii=False) + "\n"


def main(docs: Path = Path("docs")) -> None:
    docs.mkdir(exist_ok=True)
    for name, model in SCHEMAS.items():
        (docs / name).write_text(schema_text(model), encoding="utf-8")
        print(f"wrote {docs / name}")


if __name__ == "__main__":
    main()
