"""Request bodies to batches: size, content type, JSON, limits and schema, with JSON paths.

Every problem becomes ``{"path": "orders[3].kg", "reason": "..."}`` (the same paths and
reasons as the CLI, from the pydantic error locations). Nothing a client sends may
cause a 500: bad JSON, non-finite or huge numbers, invalid Unicode and oversized
batches are all reported as input errors.

Nor may a client make the server read its files: a ``road_network`` batch names a road
file, which must lie inside ``FRESHROUTE_ROADS_DIR`` (``road_file``); without that
setting such batches are refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from api.problems import ZH
from optimizer.errors import Said, exception_text, field_errors, join_path, json_path
from optimizer.model import Batch, RoadNetworkTravel
from optimizer.routing.feasibility import check_feasibility
from optimizer.routing.problem import compile_problem

JSON_TYPES = ("application/json",)
_TAGS = ("haversine", "matrix")  # discriminator tags pydantic adds to union locations


class InputError(Exception):
    """The request cannot be accepted; ``detail`` lists each problem with its path."""

    def __init__(self, status: int, detail: list[dict[str, str]] | str) -> None:
        self.status = status
        self.detail = detail
        super().__init__(str(detail))


def problem(path: str, reason: str, zh: str | None = None) -> dict[str, str]:
    """A ``{path, reason}``; ``zh``, the reason in Chinese (by default, a ``Said`` reason's),
    rides along until the response is written in the client's language
    (``api.problems.localized``)."""
    if zh is None and isinstance(reason, Said):
        zh = reason.in_lang("zh-CN")
    out = {"path": path, "reason": str(reason)}
    if zh is not None and zh != reason:
        out[ZH] = zh
    return out


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, refusing non-JSON media types (415) and more than ``max_bytes`` (413).

    A body sent with no Content-Type at all is a 415 too (the API takes JSON only, and
    says so); no body and no Content-Type is left to ``parse_json`` (422, empty body).
    """
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media not in JSON_TYPES and not media.endswith("+json"):
        raise InputError(415, Said("api.media", media=media[:100]))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise InputError(413, Said("api.too_large", max_bytes=max_bytes))
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not media and raw.strip():
        raise InputError(415, Said("api.no_media"))
    return raw


class NotJSONNumber:
    """Where a body had ``NaN``, ``Infinity`` or ``-Infinity`` (Python's JSON reader takes
    them; JSON has no such numbers): ``bad_values`` reports it at its path."""

    def __init__(self, name: str) -> None:
        self.name = name


def parse_json(raw: bytes) -> Any:
    """Parse a JSON body; undecodable text is an error, and NaN and Infinity literals are
    kept as ``NotJSONNumber`` for ``bad_values`` to report at their paths."""
    if not raw.strip():
        raise InputError(422, [problem("", Said("api.empty_body"))])
    try:
        return json.loads(raw, parse_constant=NotJSONNumber)
    except json.JSONDecodeError as e:
        raise InputError(422, [problem("", Said("pydantic.json_invalid", error=e))]) from None
    except RecursionError:
        raise InputError(422, [problem("", Said("api.too_deep_json"))]) from None
    except ValueError as e:  # bad encoding, integer with too many digits
        raise InputError(422, [problem("", Said("pydantic.json_invalid", error=e))]) from None


def bad_values(data: Any, limit: int = 20, max_depth: int = 1000) -> list[dict[str, str]]:
    """Numbers that are not finite (e.g. 1e999), NaN and Infinity literals, strings with
    lone surrogates, and arrays or objects nested deeper than ``max_depth``, each at its
    path."""
    found: list[dict[str, str]] = []
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), data)]
    while stack and len(found) < limit:
        loc, value = stack.pop()
        if len(loc) >= max_depth and isinstance(value, dict | list):
            found.append(
                problem(
                    json_path(loc),
                    Said("api.too_deep", max_depth=max_depth),
                )
            )
        elif isinstance(value, NotJSONNumber):
            found.append(problem(json_path(loc), Said("api.not_json_number", name=value.name)))
        elif isinstance(value, float) and not math.isfinite(value):
            found.append(problem(json_path(loc), Said("api.not_finite")))
        elif isinstance(value, str) and not _encodable(value):
            found.append(problem(json_path(loc), Said("model.lone_surrogate")))
        elif isinstance(value, dict):
            for key, item in value.items():
                if not _encodable(key):
                    found.append(problem(json_path(loc), Said("api.bad_key")))
                    continue
                stack.append(((*loc, key), item))
        elif isinstance(value, list):
            stack.extend(((*loc, i), item) for i, item in enumerate(value))
    return sorted(found, key=lambda p: p["path"])


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def schema_errors(
    error: ValidationError, prefix: tuple[int | str, ...] = ()
) -> list[dict[str, str]]:
    """One ``{path, reason}`` per problem, as ``optimizer.errors.input_errors`` (with the
    reason in Chinese alongside); paths start with ``prefix`` when the validated document
    sits inside a request."""
    en = field_errors(error, "en", prefix, _TAGS)
    zh = field_errors(error, "zh-CN", prefix, _TAGS)
    return [problem(path, reason, z) for (path, reason), (_, z) in zip(en, zh, strict=True)]


def _join(base: str, path: str) -> str:
    """``batch`` + ``orders[1].site`` → ``batch.orders[1].site``."""
    return join_path(base, path)


def canonical_sha256(data: Any) -> str:
    """Hash of a JSON document independent of key order and whitespace."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Limits:
    """The service's limits on one request (``api.core.config.Settings``)."""

    max_orders: int
    max_vehicles: int
    roads_dir: Path | None = None  # FRESHROUTE_ROADS_DIR; None: no road files are read
    max_sites: int = 2000
    max_matrix_cells: int = 4_000_000
    max_depth: int = 32


ROADS_OFF = (
    "this service reads no road files unless FRESHROUTE_ROADS_DIR is set; "
    "send travel as a matrix instead (mode 'matrix': site_ids, km, minutes)"
)
ROADS_OUTSIDE = (
    "must name a road file inside the service's road folder (FRESHROUTE_ROADS_DIR), relative to it"
)
MAX_ROAD_PATH = 1024  # characters; keeps the step-by-step resolution cheap


def road_file(path: str, roads_dir: Path | None) -> Path:
    """The file ``path`` names inside ``roads_dir`` (relative to it), resolved; ``ValueError``
    with the reason (``ROADS_OFF``, ``ROADS_OUTSIDE``) otherwise.

    The path is resolved one part at a time, following symlinks, and every step must stay
    inside the folder: neither ``..`` nor a symlink leads out, and nothing outside the
    folder is ever looked at, so the answer for a path outside it is the same whether or
    not that file exists. An absolute path is accepted when it lies inside the folder.
    """
    if roads_dir is None:
        raise ValueError(ROADS_OFF)
    if len(path) > MAX_ROAD_PATH or "\x00" in path:
        raise ValueError(ROADS_OUTSIDE)
    root = Path(roads_dir).resolve()
    given = Path(path)
    if given.is_absolute():
        for folder in (root, Path(roads_dir)):  # as resolved, or as configured
            if given.is_relative_to(folder):
                given = given.relative_to(folder)
                break
        else:
            raise ValueError(ROADS_OUTSIDE)
    here = root
    try:
        for part in given.parts:
            here = here.parent if part == ".." else here / part
            if here.is_symlink():
                here = here.resolve()
            if not here.is_relative_to(root):
                raise ValueError(ROADS_OUTSIDE)
        here = here.resolve()
    except (OSError, RuntimeError):  # unreadable folders, names too long, symlink loops
        raise ValueError(ROADS_OUTSIDE) from None
    if here == root or not here.is_relative_to(root):
        raise ValueError(ROADS_OUTSIDE)
    return here


@dataclass(frozen=True)
class Checked:
    """A valid request, ready to be stored and queued as a job."""

    name: str
    n_orders: int
    time_limit_s: float


def checked_json(raw: bytes, limits: Limits, batch_at: str | None = None) -> Any:
    """Parse a body and check what pydantic would not: finite numbers, Unicode, order count.

    The batch is the body itself, or its member ``batch_at`` (siting requests). Runs
    before the schema so that an oversized batch costs no validation.
    """
    data = parse_json(raw)
    found = bad_values(data, max_depth=limits.max_depth)
    if found:
        raise InputError(422, found)
    batch = data.get(batch_at) if batch_at and isinstance(data, dict) else data
    if isinstance(batch, dict):
        found = size_problems(batch, limits, batch_at or "")
        if found:
            raise InputError(422, found)
        orders = batch.get("orders")
        if isinstance(orders, list) and len(orders) > limits.max_orders:
            raise InputError(
                422,
                [
                    problem(
                        _join(batch_at or "", "orders"),
                        Said("api.max_orders", n=len(orders), limit=limits.max_orders),
                    )
                ],
            )
    return data


def size_problems(batch: dict[str, Any], limits: Limits, at: str = "") -> list[dict[str, str]]:
    """Sites and travel-matrix cells over the limits, at ``sites`` and ``travel.site_ids``
    (under ``at``): the matrix a solve builds has a row and a column per site."""
    found = []
    sites = batch.get("sites")
    if isinstance(sites, list):
        n = len(sites)
        if n > limits.max_sites:
            found.append(
                problem(
                    _join(at, "sites"),
                    Said("api.max_sites", n=n, limit=limits.max_sites),
                )
            )
        elif n * n > limits.max_matrix_cells:
            found.append(
                problem(
                    _join(at, "sites"),
                    Said("api.max_cells", n=n, cells=n * n, limit=limits.max_matrix_cells),
                )
            )
    travel = batch.get("travel")
    ids = travel.get("site_ids") if isinstance(travel, dict) else None
    if isinstance(ids, list) and len(ids) ** 2 > limits.max_matrix_cells:
        found.append(
            problem(
                _join(at, "travel.site_ids"),
                Said(
                    "api.max_cells",
                    n=len(ids),
                    cells=len(ids) ** 2,
                    limit=limits.max_matrix_cells,
                ),
            )
        )
    return found


def road_problem(error: Exception, roads_dir: Path | None, at: str = "travel") -> dict[str, str]:
    """A road file that cannot be used, as a problem at ``at`` (in English and Chinese);
    the message names files relative to the road folder, whose place on the server is no
    business of clients."""

    def reason(lang: str) -> str:
        text = exception_text(error, lang)
        if roads_dir is not None:
            text = text.replace(f"{Path(roads_dir).resolve()}{os.sep}", "")
        return text

    return problem(at, reason("en"), reason("zh-CN"))


M = TypeVar("M", bound=BaseModel)


def strict(model: type[M], data: Any) -> M:
    """``model`` from a parsed JSON body, in pydantic's strict JSON mode: what the JSON
    Schema refuses is refused (no ``0`` for ``false``, no ``"3"`` for ``3``), as the
    OpenAPI document says. The CLI reads files leniently."""
    return model.model_validate_json(json.dumps(data), strict=True)


def to_batch(data: Any, limits: Limits, at: str = "") -> Batch:
    """Validate a checked body (or its member ``at``) as a batch within the vehicle limit
    and with its road file, if any, inside ``limits.roads_dir`` (422 otherwise, with paths
    under ``at``).

    A road file's path is replaced, in the batch and in ``data`` itself (the body that is
    stored and solved later, in another folder), by the absolute file it names.
    """
    try:
        batch = strict(Batch, data)
    except ValidationError as e:
        raise InputError(422, schema_errors(e, (at,) if at else ())) from None
    if isinstance(batch.travel, RoadNetworkTravel):
        try:
            file = str(road_file(batch.travel.path, limits.roads_dir))
        except ValueError as e:
            raise InputError(422, [problem(_join(at, "travel.path"), str(e))]) from None
        batch.travel.path = data["travel"]["path"] = file
    vehicles = sum(v.count for v in batch.fleet)
    if vehicles > limits.max_vehicles:
        raise InputError(
            422,
            [
                problem(
                    _join(at, "fleet"),
                    Said("api.max_vehicles", n=vehicles, limit=limits.max_vehicles),
                )
            ],
        )
    return batch


@dataclass(frozen=True)
class Feasibility:
    """The pre-solve check of the CLI, as the API reports it."""

    refusals: list[dict[str, str]]  # the batch cannot be planned: 422, ``{path, reason}``
    left_out: list[dict[str, str]]  # ``{path, order, reason, code}``: planned without them
    warnings: list[dict[str, str]] = field(default_factory=list)  # the road network's


def infeasible(batch: Batch) -> Feasibility:
    """Orders no vehicle could serve even alone, which the plan leaves out, and issues
    that refuse the batch (no vehicles, ``min_used``, single visits); each with its path
    and reason (``order`` where it is about one, and its reason ``code``)."""
    refusals, left_out = [], []
    compiled = compile_problem(batch)
    warnings = [problem("travel", w) for w in compiled.travel.warnings]
    for i in check_feasibility(compiled):
        item = problem(i.path, i.reason, i.text("zh-CN")) | {"code": i.code}
        if i.order is not None:
            item["order"] = i.order
        (left_out if i.leaves_out_order else refusals).append(item)
    return Feasibility(refusals, left_out, warnings)
