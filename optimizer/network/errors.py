"""The one error type of the road-network travel mode."""

from __future__ import annotations

from optimizer.errors import in_lang


class RoadNetworkError(ValueError):
    """A road layer or a site set that cannot give travel matrices; the message says why.

    The message is English; when raised with a ``Said`` it can also say itself in Chinese."""

    def text(self, lang: str) -> str:
        """The message in ``lang`` (English when it has no translation)."""
        return in_lang(self.args[0], lang) if self.args else ""
