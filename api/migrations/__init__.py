"""Alembic migrations of the service database (``alembic upgrade head``)."""
