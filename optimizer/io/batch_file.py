"""Reading a batch file with every problem named: one place for ``solve`` and
``solve-many`` (which reports a bad file and goes on with the others)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from optimizer.errors import input_errors
from optimizer.i18n import t
from optimizer.model import Batch, read_batch, surrogate_paths


class InputFileError(ValueError):
    """A file that cannot be used: a title and one line per problem."""

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__(f"{title}: " + "; ".join(lines))
        self.title, self.lines = title, lines


def read_json(path: Path, what: str, lang: str = "en") -> Any:
    """The JSON in ``path``; ``InputFileError`` for a missing file or bad JSON. ``what``
    is ``batch`` or ``plan`` (``what.*`` in the catalogue); messages in ``lang``."""
    name = t(f"what.{what}", lang)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(t("error.file_not_found", lang, what=name), [str(path)]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        title = t("error.not_json", lang, what=name)
        raise InputFileError(title, [f"{path}: {e}"]) from None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # where a lone surrogate could hide


def read_batch_file(path: Path, lang: str = "en") -> Batch:
    """Read and validate a batch file; ``InputFileError`` names every problem (in
    ``lang``).

    A relative road-network path is taken relative to the batch file's folder. Strings
    with lone surrogates (``"\\ud800"`` escapes: valid JSON, not valid text) are refused
    at their paths, as the API does; plans and reports could not be written with them.
    """
    data = read_json(path, "batch", lang)  # clear messages for a missing file or bad JSON
    title = t("error.invalid_batch", lang, path=path)
    if _SURROGATE_ESCAPE.search(path.read_text(encoding="utf-8")):
        bad = surrogate_paths(data)
        if bad:
            raise InputFileError(title, [f"{p}: {t('model.lone_surrogate', lang)}" for p in bad])
    try:
        return read_batch(path)
    except ValidationError as e:
        raise InputFileError(title, input_errors(e, lang)) from None
