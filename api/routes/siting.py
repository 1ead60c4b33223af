"""Siting requests (``POST /v1/siting/{optimize,evaluate,compare}``) and their results."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal

from fastapi import Header, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse, JSONResponse

from api.checks import CheckFailed, CheckPool, road_network
from api.core.config import Settings
from api.deps import ChecksDep, SettingsDep, StoreDep, TenantDep
from api.inputs import Checked, Limits, problem
from api.problems import request_lang
from api.routes.common import (
    AUTH,
    INVALID,
    NOT_FOUND,
    QUEUED,
    IdempotencyKey,
    enqueue,
    json_body,
    v1_router,
)
from api.schemas import Accepted, GeoJSON, SitingResultOut
from api.security import Tenant
from api.siting import COMPARE, EVALUATE, OPTIMIZE, check_request
from optimizer.errors import Rendered, Said, exception_text
from optimizer.i18n import lang_from_accept_language
from optimizer.model import Batch
from optimizer.report.siting_map import render_siting_map
from optimizer.siting.scenario import (
    ScenarioResult,
    comparison_csv,
    comparison_geojson,
    comparison_markdown,
)

router = v1_router("siting")


async def _enqueue_siting(
    request: Request,
    tenant: Tenant,
    settings: Settings,
    checks: CheckPool,
    idempotency_key: str | None,
    kind: str,
) -> JSONResponse:
    """Check a siting request of ``kind`` (its road network in a check process) and queue
    it as a job, as ``POST /v1/batches`` does a batch."""

    def roads(body: Any) -> list[dict[str, str]]:
        """The road network of a siting request's batch, built in a check process."""
        try:
            found: list[dict[str, str]] = checks.run(
                road_network, body, settings.roads_dir, "batch.travel"
            )
        except CheckFailed as e:
            error = Rendered(partial(exception_text, e))
            return [problem("batch.travel", Said("api.roads_not_checked", error=error))]
        return found

    def prepare(data: Any, limits: Limits) -> Checked:
        return check_request(kind, data, limits, settings.max_time_limit_s, roads)

    return await enqueue(request, tenant, idempotency_key, kind, prepare, batch_at="batch")


@router.post(
    "/siting/optimize",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra=json_body(
        "SitingOptimizeRequest", "A county batch inline, plus the options of `site optimize`."
    ),
    responses={**QUEUED, **INVALID},
)
async def siting_optimize(
    request: Request,
    tenant: TenantDep,
    settings: SettingsDep,
    checks: ChecksDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Choose collection-centre sites among the batch's centres and villages (p-median,
    maximal coverage or capacitated facility location), proven optimal or with its gap;
    202 with the job id. The result has the chosen sites as a scenario and their access."""
    return await _enqueue_siting(request, tenant, settings, checks, idempotency_key, OPTIMIZE)


@router.post(
    "/siting/evaluate",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra=json_body("SitingEvaluateRequest", "A county batch inline and one scenario."),
    responses={**QUEUED, **INVALID},
)
async def siting_evaluate(
    request: Request,
    tenant: TenantDep,
    settings: SettingsDep,
    checks: ChecksDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Evaluate one scenario: access to the open centres, produce inside its freshness
    radius, and a routing simulation of sampled days; 202 with the job id."""
    return await _enqueue_siting(request, tenant, settings, checks, idempotency_key, EVALUATE)


@router.post(
    "/siting/compare",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra=json_body(
        "SitingCompareRequest", "A county batch inline and 2 or more scenarios, base first."
    ),
    responses={**QUEUED, **INVALID},
)
async def siting_compare(
    request: Request,
    tenant: TenantDep,
    settings: SettingsDep,
    checks: ChecksDep,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Evaluate scenarios side by side (the same sampled days for each seed); 202 with the
    job id. The result is also a table (CSV, Markdown) and GeoJSON of the catchments."""
    return await _enqueue_siting(request, tenant, settings, checks, idempotency_key, COMPARE)


@router.get(
    "/siting/results/{result_id}",
    response_model=SitingResultOut,
    responses={
        200: {
            "content": {
                "application/geo+json": {"schema": GeoJSON.model_json_schema()},
                "text/csv": {"schema": {"type": "string"}},
                "text/markdown": {"schema": {"type": "string"}},
            },
            "description": (
                "The result; ?format=geojson for open centres and catchment lines, "
                "csv or markdown for the comparison table (one row or column per scenario)."
            ),
        },
        **AUTH,
        **NOT_FOUND,
    },
)
def get_siting_result(
    result_id: str,
    tenant: TenantDep,
    store: StoreDep,
    format: Annotated[Literal["json", "geojson", "csv", "markdown"], Query()] = "json",
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """A finished siting job's result, as JSON, GeoJSON, CSV or Markdown; the CSV and
    Markdown tables in Chinese under ``Accept-Language: zh-CN`` (default English)."""
    found = store.get_siting_result(tenant.county_id, result_id)
    if found is None:
        raise HTTPException(404, Said("api.siting_result_not_found"))
    body, stored, job_id = found
    if format == "json":
        links = SitingResultOut.links_for(result_id, job_id).model_dump()
        return JSONResponse({"id": result_id, "job_id": job_id, **body, "links": links})
    results = [ScenarioResult.model_validate(r) for r in body["results"]]
    lang = request_lang(accept_language)
    language = {"Content-Language": lang}
    if format == "csv":
        text = comparison_csv(results, lang)
        return Response(text, media_type="text/csv; charset=utf-8", headers=language)
    if format == "markdown":
        text = comparison_markdown(results, lang)
        return Response(text, media_type="text/markdown; charset=utf-8", headers=language)
    geo = comparison_geojson(Batch.model_validate(stored["batch"]), results)
    return JSONResponse(geo, media_type="application/geo+json")


@router.get(
    "/siting/results/{result_id}/map",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **AUTH, **NOT_FOUND},
)
def get_siting_map(
    result_id: str,
    tenant: TenantDep,
    store: StoreDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """The scenarios on one map (a layer each: open centres, catchments, freshness radius,
    KPI panel): a self-contained page, Chinese or English by ``Accept-Language``."""
    found = store.get_siting_result(tenant.county_id, result_id)
    if found is None:
        raise HTTPException(404, Said("api.siting_result_not_found"))
    body, stored, _ = found
    lang = lang_from_accept_language(accept_language)
    results = [ScenarioResult.model_validate(r) for r in body["results"]]
    page = render_siting_map(Batch.model_validate(stored["batch"]), results, lang)
    return HTMLResponse(page, headers={"Content-Language": lang})
