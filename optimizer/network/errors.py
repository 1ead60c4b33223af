"""The one error type of the road-network travel mode."""

from __future__ import annotations


class RoadNetworkError(ValueError):
    """A road layer or a site set that cannot give travel matrices; the message says why."""
