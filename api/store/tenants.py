"""Counties and their API keys (stored as SHA-256 hashes, ``api.security``)."""

from __future__ import annotations

from sqlalchemy import select

from api.models import ApiKey, County
from api.security import hash_key, new_key
from api.store.base import StoreBase


class Tenants(StoreBase):
    """Counties and API keys."""

    def create_api_key(self, county: str) -> str:
        """A new key for ``county`` (created if new); only its hash is stored."""
        name = county.strip()
        if not name or len(name) > 200 or "\x00" in name:
            raise ValueError("a county name has 1 to 200 characters (no NUL)")
        key = new_key()
        with self._write(durable=True) as s:
            county_id = s.scalar(select(County.id).where(County.name == name))
            if county_id is None:
                row = County(name=name)
                s.add(row)
                s.flush()
                county_id = row.id
            s.add(ApiKey(county_id=county_id, key_hash=hash_key(key), prefix=key[:8]))
        return key

    def county_for_key(self, key: str) -> tuple[int, str] | None:
        """(county id, name) of a valid, unrevoked key."""
        return self.county_for_hash(hash_key(key))

    def county_for_hash(self, key_hash: str) -> tuple[int, str] | None:
        with self.sessions() as s:
            row = s.execute(
                select(County.id, County.name)
                .join(ApiKey, ApiKey.county_id == County.id)
                .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
            ).first()
        return (row[0], row[1]) if row else None
