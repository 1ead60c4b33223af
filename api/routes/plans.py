"""``GET /v1/plans/{id}`` (JSON or GeoJSON) and ``GET /v1/plans/{id}/map`` (HTML)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Header, HTTPException, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import StoreDep, TenantDep
from api.routes.common import AUTH, NOT_FOUND, v1_router
from api.schemas import GeoJSON
from optimizer.errors import Said
from optimizer.geojson import plan_geojson
from optimizer.i18n import lang_from_accept_language
from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.report.map import render_map

router = v1_router("plans")


@router.get(
    "/plans/{plan_id}",
    response_model=Plan,
    responses={
        200: {
            "content": {"application/geo+json": {"schema": GeoJSON.model_json_schema()}},
            "description": "The plan (`freshroute.plan/v1`), or GeoJSON with ?format=geojson.",
        },
        **AUTH,
        **NOT_FOUND,
    },
)
def get_plan(
    plan_id: str,
    tenant: TenantDep,
    store: StoreDep,
    format: Annotated[Literal["json", "geojson"], Query()] = "json",
) -> Response:
    """A finished plan as JSON, or as GeoJSON (sites as points, routes as lines)."""
    found = store.get_plan(tenant.county_id, plan_id)
    if found is None:
        raise HTTPException(404, Said("api.plan_not_found"))
    plan, batch = found
    if format == "json":
        return JSONResponse(plan)
    geo = plan_geojson(Batch.model_validate(batch), Plan.model_validate(plan))
    return JSONResponse(geo, media_type="application/geo+json")


@router.get(
    "/plans/{plan_id}/map",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **AUTH, **NOT_FOUND},
)
def get_plan_map(
    plan_id: str,
    tenant: TenantDep,
    store: StoreDep,
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """The plan's route map: a self-contained page (Leaflet inlined), Chinese or English
    by ``Accept-Language``."""
    found = store.get_plan(tenant.county_id, plan_id)
    if found is None:
        raise HTTPException(404, Said("api.plan_not_found"))
    plan, batch = found
    lang = lang_from_accept_language(accept_language)
    page = render_map(Batch.model_validate(batch), Plan.model_validate(plan), lang)
    return HTMLResponse(page, headers={"Content-Language": lang})
