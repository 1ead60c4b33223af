"""Result tables of the benchmark scripts: one CSV and one markdown file per run."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.vrp import machine, versions

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Run:
    """What a result table says about its run: taken when the run starts."""

    script: str  # e.g. "benchmarks/scale.py"
    argv: Sequence[str] | None
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    version: str = field(default_factory=versions)
    load_start: str = field(default_factory=machine)

    def header(self, title: str, notes: Sequence[str]) -> list[str]:
        """Title, date and command, machine load at start and end, versions, notes."""
        args = self.argv if self.argv is not None else sys.argv[1:]
        command = " ".join(["python", self.script, *args])
        return [
            f"# {title}",
            "",
            f"- Date: {self.started:%Y-%m-%d %H:%M} UTC; command: `{command}`",
            f"- Machine: {self.load_start} at the start; "
            f"{machine().split(', load average ')[1]} at the end (shared with other work).",
            f"- Versions: {self.version}",
            *notes,
            "",
        ]


def write(
    stem: str,
    rows: list[dict[str, object]],
    columns: dict[str, str],
    header: list[str],
    results: Path = RESULTS,
) -> Path:
    """``<stem>.csv`` (all of ``columns``' keys) and ``<stem>.md`` (header and a table
    headed by ``columns``' labels); missing cells are '–'."""
    results.mkdir(parents=True, exist_ok=True)
    with (results / f"{stem}.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        *header,
        "| " + " | ".join(columns.values()) + " |",
        "|" + "---|" * len(columns),
        *("| " + " | ".join(str(r.get(k, "–")) for k in columns) + " |" for r in rows),
    ]
    out = results / f"{stem}.md"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")
    return out
