"""Test helpers for the API: small batches, app harness, server processes, PostgreSQL.

Used by ``tests/test_api_*.py`` (``pytest_plugins = ["api.testing.fixtures"]``) and by
``benchmarks/api_load.py``. ``postgres.sh`` starts a throwaway PostgreSQL server.
"""
