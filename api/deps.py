"""Request dependencies: the county of the request's API key, and the app's settings,
store, worker pool and check processes (set on ``app.state`` by ``api.main``).

The getters are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in the
thread pool, a thread hop per request for reading an attribute.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader

from api.checks import CheckPool
from api.core.config import Settings
from api.security import HEADER, Tenant, hash_key
from api.store import Store
from api.worker import WorkerPool
from optimizer.errors import Said

api_key_header = APIKeyHeader(
    name=HEADER, auto_error=False, description="A county's API key (`freshroute apikey create`)."
)
ApiKeyDep = Annotated[str | None, Depends(api_key_header)]


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_store(request: Request) -> Store:
    return request.app.state.store


async def get_pool(request: Request) -> WorkerPool:
    return request.app.state.pool


async def get_checks(request: Request) -> CheckPool:
    return request.app.state.checks


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[Store, Depends(get_store)]
PoolDep = Annotated[WorkerPool, Depends(get_pool)]
ChecksDep = Annotated[CheckPool, Depends(get_checks)]


def _unauthorized(message: Said) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": HEADER}
    )


def _checked(key: str | None) -> str:
    if not key:
        raise _unauthorized(Said("api.missing_key", header=HEADER))
    if len(key) > 200:
        raise _unauthorized(Said("api.unknown_key", header=HEADER))
    return hash_key(key)


def _remember(request: Request, key_hash: str, found: tuple[int, str] | None) -> Tenant:
    if found is None:
        raise _unauthorized(Said("api.unknown_key", header=HEADER))
    tenant = Tenant(*found)
    request.app.state.keys.put(key_hash, tenant)
    return tenant


async def require_tenant(request: Request, key: ApiKeyDep) -> Tenant:
    """The county of the request's ``X-API-Key``; 401 when missing or unknown."""
    key_hash = _checked(key)
    cached = request.app.state.keys.get(key_hash)
    if cached is not None:
        return cached
    found = await run_in_threadpool(request.app.state.store.county_for_hash, key_hash)
    return _remember(request, key_hash, found)


def tenant_for(request: Request, key: str | None) -> Tenant:
    """``require_tenant`` for code already running in a worker thread."""
    key_hash = _checked(key)
    cached = request.app.state.keys.get(key_hash)
    if cached is not None:
        return cached
    return _remember(request, key_hash, request.app.state.store.county_for_hash(key_hash))


def is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


TenantDep = Annotated[Tenant, Depends(require_tenant)]
