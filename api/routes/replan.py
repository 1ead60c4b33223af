"""``POST /v1/plans/{id}/replan`` (queue a re-plan after events) and
``GET /v1/plans/{id}/changes`` (what a re-plan changed, per driver).

The request body is the events document of ``freshroute replan`` (``freshroute.events/v1``,
``docs/events.schema.json``). The events are checked against the plan and its batch here
(cheap, no travel matrix: ``optimizer.replan.residual.check_events``); the re-plan itself
runs as a job (``api.worker``), whose plan links back to the old one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import Header, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from api.deps import SettingsDep, StoreDep, TenantDep
from api.inputs import Checked, InputError, Limits, problem, schema_errors
from api.problems import request_lang
from api.routes.common import (
    AUTH,
    NOT_FOUND,
    QUEUED,
    IdempotencyKey,
    enqueue,
    json_body,
    problem_doc,
    v1_router,
)
from api.schemas import Accepted
from api.store import REPLAN
from optimizer.errors import Said
from optimizer.model import MAX_TIME_LIMIT_S, Batch
from optimizer.plan import Plan
from optimizer.replan.changes import Changes, changes_markdown
from optimizer.replan.events import Events
from optimizer.replan.residual import ReplanInputError, check_events

router = v1_router("plans")

EVENTS_BODY = json_body(
    "Events",
    "What happened since the plan was made (`freshroute.events/v1`, "
    "`docs/events.schema.json`): `now` and any late orders, cancellations, breakdowns, "
    "delays and closed roads.",
)


def _checked(events_data: Any, plan: Any, batch: Any, limit: float) -> Checked:
    """The events, valid and fitting the plan and its batch (422 naming each bad field,
    in English and Chinese), sized as a job."""
    try:
        events = Events.model_validate(events_data)
    except ValidationError as e:
        raise InputError(422, schema_errors(e)) from None
    day = Batch.model_validate(batch)
    try:
        check_events(day, Plan.model_validate(plan), events)
    except ReplanInputError as e:
        errors = [problem(path, text("en"), text("zh-CN")) for path, text in e.items]
        raise InputError(422, errors) from None
    n_orders = len(day.orders) + len(events.add_orders)
    return Checked(name=day.name, n_orders=n_orders, time_limit_s=limit)


@router.post(
    "/plans/{plan_id}/replan",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    openapi_extra=EVENTS_BODY,
    responses={
        **QUEUED,
        **NOT_FOUND,
        422: problem_doc(
            "Bad events (by JSON path), events that do not fit the plan (an unknown vehicle, "
            "order or site), or a plan whose batch is no longer stored."
        ),
    },
)
async def replan_plan(
    plan_id: str,
    request: Request,
    tenant: TenantDep,
    settings: SettingsDep,
    store: StoreDep,
    time_limit_s: Annotated[
        float | None,
        Query(gt=0, le=MAX_TIME_LIMIT_S, description="Seconds (default: the batch's)."),
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Re-plan a plan from `now` after events; 202 with the job id. Done stops stay as they
    were, trucks on the road go on with what is on board, a truck that broke down stays
    down. The job's plan has `replanned_from` (this plan's id), the old plan lists it in
    `replans`, and `GET /v1/plans/{id}/changes` says what changed per driver."""
    found = await to_thread.run_sync(store.get_plan, tenant.county_id, plan_id)
    if found is None:
        raise HTTPException(404, Said("api.plan_not_found"))
    plan, batch = found
    if batch is None:
        raise InputError(422, [problem("", Said("api.replan_batch_gone"))])
    plan = {k: v for k, v in plan.items() if k != "replans"}
    limit = settings.time_limit(
        time_limit_s if time_limit_s is not None else batch["options"]["time_limit_s"]
    )

    def wrap(events: Any) -> dict[str, Any]:
        return {"plan_id": plan_id, "events": events, "plan": plan, "batch": batch}

    def prepare(data: Any, limits: Limits) -> Checked:
        return _checked(data["events"], plan, batch, limit)

    return await enqueue(request, tenant, idempotency_key, REPLAN, prepare, wrap=wrap)


@router.get(
    "/plans/{plan_id}/changes",
    response_model=Changes,
    responses={
        200: {
            "content": {"text/markdown": {"schema": {"type": "string"}}},
            "description": "What the re-plan changed per driver; ?format=markdown for the "
            "drivers' text, in Chinese or English by `Accept-Language`.",
        },
        **AUTH,
        **NOT_FOUND,
    },
)
def get_changes(
    plan_id: str,
    tenant: TenantDep,
    store: StoreDep,
    format: Annotated[Literal["json", "markdown"], Query()] = "json",
    accept_language: Annotated[str | None, Header()] = None,
) -> Response:
    """What a re-plan changed: orders added, handed over, dropped and new times, per
    driver (404 for a plan that is not a re-plan)."""
    found = store.get_changes(tenant.county_id, plan_id)
    if found is None or found[0] is None:
        raise HTTPException(404, Said("api.changes_not_found"))
    changes, plan = found
    if format == "json":
        return JSONResponse(changes)
    lang = request_lang(accept_language)
    text = changes_markdown(
        Changes.model_validate(changes), Plan.model_validate({**plan, "replans": []}), lang
    )
    return Response(
        text, media_type="text/markdown; charset=utf-8", headers={"Content-Language": lang}
    )
