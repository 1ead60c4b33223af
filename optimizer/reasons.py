"""Why an order is not served: one list of reason codes for the pre-solve check, the
plan, the API and the reports, with texts in English and Chinese (``optimizer.i18n``).

Order codes leave one order out and the rest is planned; batch codes refuse the batch
(nothing to plan around). A ``Reason`` carries its code, the variant of its text (a
code may arise at several checks) and the values the text names, clock times already
as ``HH:MM``. Its text is ``t("reason.<code>[.<variant>]", lang, **params)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from optimizer.i18n import normalize_lang, t

if TYPE_CHECKING:
    from optimizer.plan import OrderOutcome

ReasonCode = Literal[
    # one order left out, before solving (it fails even on a trip of its own)
    "too_heavy",
    "too_bulky",
    "needs_refrigeration",
    "window_unreachable",
    "no_time_in_fleet",
    "too_far",
    "shelf_life_unreachable",
    # one order left out by the search
    "penalty_cheaper",
    "not_fitted",
    # the batch as a whole cannot be planned
    "no_vehicles",
    "min_used_unmet",
    "single_visit_unsupported",
]

# The pre-solve checks in the order ``routing.alone.direct_trip`` makes them: a vehicle
# type that fails a later check came closer to serving the order.
PRESOLVE_CODES: tuple[ReasonCode, ...] = (
    "needs_refrigeration",
    "too_heavy",
    "too_bulky",
    "window_unreachable",
    "no_time_in_fleet",
    "too_far",
    "shelf_life_unreachable",
)
SEARCH_CODES: tuple[ReasonCode, ...] = ("penalty_cheaper", "not_fitted")
ORDER_CODES: tuple[ReasonCode, ...] = PRESOLVE_CODES + SEARCH_CODES
BATCH_CODES: tuple[ReasonCode, ...] = ("no_vehicles", "min_used_unmet", "single_visit_unsupported")


class Reason(BaseModel):
    """One reason with the values its text names (ids, kg, clock times as HH:MM)."""

    model_config = ConfigDict(extra="forbid")

    code: ReasonCode
    variant: str = Field(default="", description="Which check of the code, for its text.")
    params: dict[str, str | float] = Field(
        default_factory=dict, description="Values the text names; clock times as HH:MM."
    )

    def text(self, lang: str | None = "en") -> str:
        """The human reason in ``lang`` (zh-CN or en)."""
        key = f"reason.{self.code}" + (f".{self.variant}" if self.variant else "")
        return t(key, lang, **self.params)


def closest(reasons: Iterable[Reason]) -> Reason:
    """The reason of the vehicle type that came closest: the latest check it failed.
    A type that fails only once its drivers' rests are placed (a ``*_rests`` variant)
    passed every check without them, so it came closer than any other."""
    rank = {c: i for i, c in enumerate(PRESOLVE_CODES)}
    return max(reasons, key=lambda r: (r.variant.endswith("rests"), rank.get(r.code, -1)))


def join(reasons: Iterable[Reason], lang: str | None = "en") -> str:
    """Several reasons (one per vehicle type tried) as one text."""
    sep = "；" if normalize_lang(lang) == "zh-CN" else "; "
    return sep.join(r.text(lang) for r in reasons)


def outcome_text(outcome: OrderOutcome, lang: str | None = "en") -> str:
    """Why an unserved order is not served, in ``lang``; a plan without structured
    reasons (older files) gives its stored ``reason``."""
    if outcome.reasons:
        return join(outcome.reasons, lang)
    return outcome.reason or ""
