"""HTTP routes, one ``APIRouter`` a module: ``batches``, ``siting``, ``jobs``, ``plans``,
``ops`` (health, readiness, metrics) and ``docs`` (Swagger UI and ReDoc, served offline).

Handlers stay thin: parsing and limits are in ``api.inputs`` (and ``api.siting`` for
siting requests), storage in ``api.store``, solving in ``api.worker``, dependencies in
``api.deps``. Anything that touches the database or runs pydantic on a whole batch runs in
the threadpool, so the event loop never waits on it.
"""
