"""Operational endpoints: ``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from api.deps import ApiKeyDep, PoolDep, SettingsDep, StoreDep, is_loopback, tenant_for
from api.routes.common import AUTH
from api.schemas import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (no dependencies checked)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready."}},
)
def readyz(store: StoreDep, pool: PoolDep) -> JSONResponse:
    """Ready when the service can accept and run work: the database answers and at least
    one worker slot serves (its process is up and warm, or is being replaced after a
    cancelled or killed solve: a momentary respawn does not make the service unready)."""
    try:
        store.ping()
        database = True
    except Exception:
        database = False
    serving = pool.serving()
    ready = database and serving > 0
    body = Readiness(
        ready=ready,
        database=database,
        workers=pool.size,
        workers_alive=pool.alive(),
        workers_serving=serving,
    )
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {"text/plain": {}}}, **AUTH},
)
def metrics(request: Request, settings: SettingsDep, key: ApiKeyDep) -> Response:
    """Prometheus text format; open from loopback, otherwise an API key is needed."""
    if not (settings.metrics_open_on_loopback and is_loopback(request)):
        tenant_for(request, key)
    from prometheus_client import CONTENT_TYPE_LATEST

    return Response(request.app.state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
