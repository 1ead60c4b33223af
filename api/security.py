"""API keys: random tokens stored as SHA-256 hashes, each bound to one county (tenant).

A key is ``fr_`` plus 32 random bytes (URL-safe base64). With that much entropy a fast
hash is enough: nothing can be guessed from the stored hash, and lookups stay cheap.
The request dependencies that check a key are in ``api.deps``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

KEY_PREFIX = "fr_"
HEADER = "X-API-Key"


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Tenant:
    """The county a request acts for."""

    county_id: int
    county: str


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
