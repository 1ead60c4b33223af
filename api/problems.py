"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the service sends is ``{"type", "title", "status", "detail"}``; input errors
add ``errors``: one ``{"path", "reason"}`` per bad field, ``path`` being its JSON path
(``orders[3].kg``, ``header.Idempotency-Key``, ``""`` for the whole body). ``type`` is
``about:blank`` (the HTTP status says it all) or one of the ``urn:freshroute:problem:``
names below, documented in ``api/README.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse

MEDIA_TYPE = "application/problem+json"
BLANK = "about:blank"
INVALID_INPUT = "urn:freshroute:problem:invalid-input"
QUEUE_FULL = "urn:freshroute:problem:queue-full"
COUNTY_FULL = "urn:freshroute:problem:county-full"
IDEMPOTENCY_CONFLICT = "urn:freshroute:problem:idempotency-conflict"
TOO_LARGE = "urn:freshroute:problem:body-too-large"
MEDIA = "urn:freshroute:problem:unsupported-media-type"

TITLES = {
    INVALID_INPUT: "Invalid input",
    QUEUE_FULL: "The queue is full",
    COUNTY_FULL: "The county has too many jobs",
    IDEMPOTENCY_CONFLICT: "Idempotency-Key reused with another request",
    TOO_LARGE: "Request body too large",
    MEDIA: "Unsupported media type",
}


def summary(errors: Sequence[Mapping[str, Any]]) -> str:
    """A one-line ``detail`` for a list of field errors: the first, and how many more."""
    if not errors:
        return "the request is invalid"
    first = errors[0]
    where = first.get("path") or "the body"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('reason', '')}{more}"


def problem_response(
    status: int,
    detail: str,
    *,
    type_: str = BLANK,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An ``application/problem+json`` response; the title is the type's, or the status
    phrase for ``about:blank``."""
    body: dict[str, Any] = {
        "type": type_,
        "title": TITLES.get(type_) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = list(errors)
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=MEDIA_TYPE
    )


def input_problem(
    status: int, detail: list[dict[str, str]] | str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """An ``InputError``'s response: field errors (422) or a body-level refusal (413, 415)."""
    if isinstance(detail, list):
        return problem_response(
            status, summary(detail), type_=INVALID_INPUT, errors=detail, headers=headers
        )
    type_ = {413: TOO_LARGE, 415: MEDIA}.get(status, BLANK)
    return problem_response(status, detail, type_=type_, headers=headers)
