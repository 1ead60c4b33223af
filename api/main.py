"""The app factory: ``create_app(settings)`` wires storage, workers, routes and errors.

At startup the app migrates the database (``alembic upgrade head``), re-queues the jobs a
previous process left running (or fails them after a second interruption), and starts
the worker processes. At shutdown running jobs go back to the queue.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from api.checks import CheckPool
from api.core.config import Settings
from api.db import make_engine, upgrade
from api.inputs import InputError, problem
from api.metrics import HTTPMetricsMiddleware, Metrics
from api.problems import (
    BLANK,
    COUNTY_FULL,
    IDEMPOTENCY_CONFLICT,
    MEDIA_TYPE,
    QUEUE_FULL,
    TOO_LARGE,
    input_problem,
    problem_response,
    request_lang,
)
from api.routes import batches, docs, jobs, ops, plans, replan, siting
from api.schemas import Problem
from api.security import KeyCache
from api.siting import REQUESTS
from api.store import IdempotencyConflict, QueueFull, Store
from api.worker import WorkerPool
from optimizer.errors import error_parts, in_lang, json_path
from optimizer.i18n import t
from optimizer.model import Batch
from optimizer.replan.events import Events

log = logging.getLogger("freshroute.api")


def _version() -> str:
    try:
        return version("freshroute")
    except PackageNotFoundError:
        return "0.0.0"


class BodyLimitMiddleware:
    """413 before reading a body whose Content-Length is over the limit (any route)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            status, detail = 0, ""
            if length is not None:
                if not length.isdigit():
                    status, detail = 400, "Content-Length is not a number"
                elif int(length) > self.max_bytes:
                    status, detail = 413, f"request body is larger than {self.max_bytes} bytes"
            if status:
                response = problem_response(
                    status, detail, type_=TOO_LARGE if status == 413 else BLANK
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """OpenAPI with the request bodies (read raw by the routes) as component schemas: the
    batch schema of ``optimizer.model``, the re-plan events of ``optimizer.replan`` and
    the siting requests of ``api.siting``."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (Batch, Events, *REQUESTS.values(), Problem):
        body = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(body.pop("$defs", {}))
        components[model.__name__] = body
    _problem_responses(schema)
    app.openapi_schema = schema
    return schema


def _problem_responses(schema: dict[str, Any]) -> None:
    """Every documented error (4xx, 5xx) as ``application/problem+json`` with the Problem
    schema, whatever the route's own media type (HTML for maps); FastAPI's default 422
    schemas, then unused, are dropped."""
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for code, response in operation.get("responses", {}).items():
                if code[0] in "45":
                    ref = {"$ref": "#/components/schemas/Problem"}
                    response["content"] = {MEDIA_TYPE: {"schema": ref}}
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)


def _allowed_methods(request: Request) -> str:
    """Every method the request's path has, from the OpenAPI document (Starlette names
    only the methods of the first route that matched: GET for ``/v1/jobs/{id}``)."""
    path = request.scope.get("path", "")
    methods: set[str] = set()
    for template, item in request.app.openapi().get("paths", {}).items():
        regex, _, _ = compile_path(template)
        if regex.match(path):
            methods |= {m.upper() for m in item if m in HTTP_METHODS}
    return ", ".join(sorted(methods))


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _zh(error: Any) -> str:
    """A request error's reason in Chinese (``optimizer.errors``)."""
    return "; ".join(reason for _, reason in error_parts(error, "zh-CN"))


def _handlers(app: FastAPI) -> None:
    """Every error as RFC 9457 problem details (``api.problems``)."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed_methods(request)
        lang = request_lang(request.headers.get("accept-language"))
        detail = in_lang(exc.detail, lang)
        if lang == "zh-CN" and detail in ("Not Found", "Method Not Allowed"):
            detail = t(f"api.http.{exc.status_code}", lang)  # Starlette's: no such path, method
        return problem_response(exc.status_code, detail, headers=headers, lang=lang)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        lang = request_lang(request.headers.get("accept-language"))
        return input_problem(exc.status, exc.detail, lang=lang)

    @app.exception_handler(RequestValidationError)
    async def request_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            problem(json_path(tuple(e.get("loc", ()))), str(e.get("msg", "")), _zh(e))
            for e in exc.errors()
        ]
        return input_problem(422, detail, lang=request_lang(request.headers.get("accept-language")))

    @app.exception_handler(QueueFull)
    async def queue_full(request: Request, exc: QueueFull) -> JSONResponse:
        lang = request_lang(request.headers.get("accept-language"))
        if lang == "en":
            detail = f"{exc}; retry in {exc.retry_after} s"
        elif exc.county_limit is None:
            detail = t("api.queue_full", lang, depth=exc.depth, retry=exc.retry_after)
        else:
            detail = t(
                "api.county_full",
                lang,
                depth=exc.depth,
                limit=exc.county_limit,
                retry=exc.retry_after,
            )
        return problem_response(
            429,
            detail,
            type_=QUEUE_FULL if exc.county_limit is None else COUNTY_FULL,
            headers={"Retry-After": str(exc.retry_after)},
            lang=lang,
        )

    @app.exception_handler(IdempotencyConflict)
    async def conflict(request: Request, exc: IdempotencyConflict) -> JSONResponse:
        lang = request_lang(request.headers.get("accept-language"))
        return problem_response(
            409, t("api.idempotency_conflict", lang), type_=IDEMPOTENCY_CONFLICT, lang=lang
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=exc)
        lang = request_lang(request.headers.get("accept-language"))
        return problem_response(500, t("api.server_error", lang), lang=lang)


def create_app(settings: Settings | None = None) -> FastAPI:
    """A configured app; storage and workers start with its lifespan."""
    settings = settings or Settings.from_env()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        to_thread.current_default_thread_limiter().total_tokens = settings.threads
        app.state.batch_limiter = CapacityLimiter(settings.batch_threads)
        engine = make_engine(settings.database_url, settings.sqlite_synchronous)
        await run_in_threadpool(upgrade, engine)
        store = Store(engine)
        requeued, failed = await run_in_threadpool(store.recover)
        if requeued or failed:
            log.warning("after a restart: %d jobs re-queued, %d failed", requeued, failed)
        pool = WorkerPool(settings, store, metrics)
        app.state.store, app.state.pool = store, pool
        app.state.checks = CheckPool(settings.check_workers, settings.worker_nice)
        metrics.store, metrics.pool = store, pool
        pool.start()
        pool.wake()
        try:
            yield
        finally:
            await run_in_threadpool(pool.stop)
            await run_in_threadpool(app.state.checks.stop)
            engine.dispose()

    app = FastAPI(
        title="freshroute",
        version=_version(),
        description=(
            "Route and cold-chain planning for rural counties. Submit a batch, poll its job, "
            "fetch the plan and re-plan it as the day happens; or submit a collection-centre "
            "siting request (optimize, evaluate, compare) and fetch its result. Every route "
            "but /healthz, /readyz (and /metrics from loopback) needs a county's `X-API-Key`."
        ),
        lifespan=lifespan,
        docs_url=None,  # served from vendored assets by api.routes.docs
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.keys = KeyCache()
    for module in (ops, batches, siting, jobs, plans, replan, docs):
        app.include_router(module.router)
    docs.mount_assets(app)
    _handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(HTTPMetricsMiddleware, metrics=metrics)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
