"""API keys: random tokens stored as SHA-256 hashes, each bound to one county (tenant).

A key is ``fr_`` plus 32 random bytes (URL-safe base64). With that much entropy a fast
hash is enough: nothing can be guessed from the stored hash, and lookups stay cheap.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader

KEY_PREFIX = "fr_"
HEADER = "X-API-Key"

api_key_header = APIKeyHeader(
    name=HEADER, auto_error=False, description="A county's API key (`freshroute apikey create`)."
)


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Tenant:
    """The county a request acts for."""

    county_id: int
    county: str


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": HEADER}
    )


class KeyCache:
    """Known key hashes → tenant for ``ttl`` seconds: saves a query (and a thread hop) per
    request. Unknown keys are never cached, so a new key works at once."""

    def __init__(self, ttl: float = 30.0, size: int = 10_000) -> None:
        self.ttl = ttl
        self.size = size
        self._entries: dict[str, tuple[Tenant, float]] = {}

    def get(self, key_hash: str) -> Tenant | None:
        entry = self._entries.get(key_hash)
        if entry is None or entry[1] < time.monotonic():
            return None
        return entry[0]

    def put(self, key_hash: str, tenant: Tenant) -> None:
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key_hash] = (tenant, time.monotonic() + self.ttl)


def _checked(key: str | None) -> str:
    if not key:
        raise _unauthorized(f"missing {HEADER} header")
    if len(key) > 200:
        raise _unauthorized(f"unknown {HEADER}")
    return hash_key(key)


def _remember(request: Request, key_hash: str, found: tuple[int, str] | None) -> Tenant:
    if found is None:
        raise _unauthorized(f"unknown {HEADER}")
    tenant = Tenant(*found)
    request.app.state.keys.put(key_hash, tenant)
    return tenant


async def require_tenant(
    request: Request, key: Annotated[str | None, Depends(api_key_header)]
) -> Tenant:
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
