"""Readable input errors: each names the JSON path of the bad field and the reason."""

from __future__ import annotations

from pydantic import ValidationError


def json_path(loc: tuple[int | str, ...]) -> str:
    """``("orders", 3, "kg")`` → ``orders[3].kg``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def input_errors(error: ValidationError) -> list[str]:
    """One line per problem in a pydantic validation error, path first."""
    lines = []
    for e in error.errors():
        # Tagged unions add the tag to the location ("travel.matrix.km"); keep the real path.
        loc = tuple(p for p in e["loc"] if p not in ("haversine", "matrix", "road_network"))
        msg = str(e["msg"]).removeprefix("Value error, ")
        for part in msg.split("; ") if not loc else [msg]:
            lines.append(f"{json_path(loc)}: {part}" if loc else part)
    return lines
