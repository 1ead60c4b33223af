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

from optimizer.errors import in_lang
from optimizer.i18n import Lang, lang_from_accept_language

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


TITLES_ZH = {
    INVALID_INPUT: "输入有误",
    QUEUE_FULL: "任务队列已满",
    COUNTY_FULL: "本县排队任务过多",
    IDEMPOTENCY_CONFLICT: "Idempotency-Key 已用于另一请求",
    TOO_LARGE: "请求体过大",
    MEDIA: "不支持的媒体类型",
}
ZH = "_zh"  # api.inputs.problem: a reason's Chinese text, until the response is written


def request_lang(accept_language: str | None) -> Lang:
    """The language of problem details and tables: zh-CN when ``Accept-Language`` prefers
    Chinese to English, else English (also for no header, ``*`` or only other languages)."""
    if not accept_language:
        return "en"
    # English at the lowest weight: it wins whenever Chinese is not asked for.
    return lang_from_accept_language(f"{accept_language}, en;q=0.001")


def localized(errors: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Field errors in ``lang``: each reason's Chinese text where there is one."""
    out = []
    for e in errors:
        item = {k: v for k, v in e.items() if k != ZH}
        if lang == "zh-CN" and ZH in e:
            item["reason"] = e[ZH]
        out.append(item)
    return out


def summary(errors: Sequence[Mapping[str, Any]], lang: str = "en") -> str:
    """A one-line ``detail`` for a list of field errors: the first, and how many more."""
    zh = lang == "zh-CN"
    if not errors:
        return "请求无效" if zh else "the request is invalid"
    first = errors[0]
    where = first.get("path") or ("请求体" if zh else "the body")
    n = len(errors) - 1
    if zh:
        return f"{where}：{first.get('reason', '')}" + (f"（另有 {n} 处）" if n else "")
    more = f" (and {n} more)" if n else ""
    return f"{where}: {first.get('reason', '')}{more}"


def problem_response(
    status: int,
    detail: str,
    *,
    type_: str = BLANK,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    lang: str = "en",
) -> JSONResponse:
    """An ``application/problem+json`` response; the title is the type's, or the status
    phrase for ``about:blank``."""
    titles = TITLES_ZH if lang == "zh-CN" else TITLES
    body: dict[str, Any] = {
        "type": type_,
        "title": titles.get(type_) or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = localized(errors, lang)
    all_headers = {**(headers or {}), "Content-Language": lang}
    return JSONResponse(body, status_code=status, headers=all_headers, media_type=MEDIA_TYPE)


def input_problem(
    status: int,
    detail: list[dict[str, str]] | str,
    headers: Mapping[str, str] | None = None,
    lang: str = "en",
) -> JSONResponse:
    """An ``InputError``'s response: field errors (422) or a body-level refusal (413, 415),
    in ``lang`` where the reasons have a Chinese text."""
    if isinstance(detail, list):
        errors = localized(detail, lang)
        return problem_response(
            status,
            summary(errors, lang),
            type_=INVALID_INPUT,
            errors=errors,
            headers=headers,
            lang=lang,
        )
    type_ = {413: TOO_LARGE, 415: MEDIA}.get(status, BLANK)
    text = in_lang(detail, lang)
    return problem_response(status, text, type_=type_, headers=headers, lang=lang)
