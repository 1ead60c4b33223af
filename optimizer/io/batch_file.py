"""Reading a batch file with every problem named: one place for ``solve`` and
``solve-many`` (which reports a bad file and goes on with the others)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optimizer.errors import input_errors
from optimizer.model import Batch, read_batch, surrogate_paths


class InputFileError(ValueError):
    """A file that cannot be used: a title and one line per problem."""

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__(f"{title}: " + "; ".join(lines))
        self.title, self.lines = title, lines


def read_json(path: Path, what: str) -> Any:
    """The JSON in ``path``; ``InputFileError`` for a missing file or bad JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"{what} file not found", [str(path)]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputFileError(f"{what} is not valid JSON", [f"{path}: {e}"]) from None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # where a lone surrogate could hide


def read_batch_file(path: Path) -> Batch:
    """Read and validate a batch file; ``InputFileError`` names every problem.

    A relative road-network path is taken relative to the batch file's folder. Strings
    with lone surrogates (``"\\ud800"`` escapes: valid JSON, not valid text) are refused
    at their paths, as the API does; plans and reports could not be written with them.
    """
    data = read_json(path, "batch")  # clear messages for a missing file or bad JSON
    if _SURROGATE_ESCAPE.search(path.read_text(encoding="utf-8")):
        bad = surrogate_paths(data)
        if bad:
            lines = [f"{p}: string is not valid Unicode (lone surrogate)" for p in bad]
            raise InputFileError(f"{path} is not a valid batch", lines)
    try:
        return read_batch(path)
    except ValidationError as e:
        raise InputFileError(f"{path} is not a valid batch", input_errors(e)) from None
