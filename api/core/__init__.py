"""Service-wide configuration (``api.core.config``)."""
