"""The pre-solve check ("one order alone on one vehicle") times the direct trip with the
driver's rests: an order reachable only by driving past the rules is left out before
solving, with a reason naming the rules in English and Chinese; an order the rests do
not stop is still planned.

Hub H and villages 250 min away: more than the regulation's 240 min of continuous
driving, so a direct trip needs a 20 min rest on the road.
"""

from __future__ import annotations

from optimizer.model import Batch
from optimizer.reasons import Reason, closest
from optimizer.routing.feasibility import check_feasibility
from optimizer.routing.problem import compile_problem
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan

FAR_MIN = 250.0  # minutes (and km) from the hub to each village


def batch(closes: dict[str, float], *, rules: dict | None, max_duration: float = 1100) -> Batch:
    """One delivery from H to each village of ``closes`` (its window's end); the van
    starts at 05:00 and loads for 10 min, so it reaches a village at 09:20 without a
    rest and at 09:40 with one."""
    ids = ["H", *closes]
    minutes = [[0.0 if a == b else FAR_MIN for b in ids] for a in ids]
    sites = [{"id": "H", "kind": "hub", "lon": 0, "lat": 0, "service_min": 10}]
    sites += [
        {
            "id": s,
            "kind": "station",
            "lon": 0,
            "lat": 0,
            "service_min": 5,
            "time_windows": [{"start": 0, "end": end}],
        }
        for s, end in closes.items()
    ]
    van = {
        "id": "van",
        "count": len(closes),
        "capacity_kg": 1000,
        "capacity_m3": 10,
        "shift_start": 300,
        "shift_end": 1400,
        "max_duration_min": max_duration,
        "rest_rules": rules,
    }
    return Batch.model_validate(
        {
            "name": "alone-rests",
            "sites": sites,
            "products": [{"id": "parcel", "category": "parcels"}],
            "orders": [
                {"id": f"d-{s}", "kind": "delivery", "site": s, "product": "parcel", "kg": 10}
                for s in closes
            ],
            "fleet": [van],
            "travel": {"mode": "matrix", "site_ids": ids, "km": minutes, "minutes": minutes},
        }
    )


def test_a_window_missed_only_with_the_rest_is_left_out_before_solving() -> None:
    closes = {"FAR": 570.0, "OK": 600.0}  # 09:30: reached 09:20 unrested, 09:40 rested
    assert check_feasibility(compile_problem(batch(closes, rules=None))) == []
    rested = batch(closes, rules={})
    [issue] = check_feasibility(compile_problem(rested))
    assert issue.order == "d-FAR"
    (reason,) = issue.reasons
    assert (reason.code, reason.variant) == ("window_unreachable", "destination_rests")
    en, zh = reason.text("en"), reason.text("zh-CN")
    assert "driver's rests (20 min after at most 240 min of driving)" in en, en
    assert "FAR" in en and "09:30" in en, en
    assert "司机休息" in zh and "240" in zh and "09:30" in zh, zh

    plan = plan_batch(rested, time_limit_s=1, baseline=False)
    outcome = {o.order: o for o in plan.orders}
    assert not outcome["d-FAR"].served
    assert outcome["d-FAR"].reason_code == "window_unreachable"
    assert "driver's rests" in (outcome["d-FAR"].reason or "")
    assert outcome["d-OK"].served  # 09:40 is in time
    (route,) = plan.routes
    assert [r.place for r in route.rests][:1] == ["road"]  # the rest it was checked with
    assert validate_plan(rested, plan) == []


def test_a_working_day_too_long_only_with_the_rests() -> None:
    """Out and back: 515 min without rests; with them 575 min: a rest on the road out,
    one at V (the drive back would pass 240 min) and one on the road back."""
    closes = {"V": 1400.0}
    assert check_feasibility(compile_problem(batch(closes, rules=None, max_duration=560))) == []
    [issue] = check_feasibility(compile_problem(batch(closes, rules={}, max_duration=560)))
    (reason,) = issue.reasons
    assert (reason.code, reason.variant) == ("no_time_in_fleet", "duration_rests")
    assert reason.params["minutes"] == 575.0
    assert "over the van limit of 560 min" in reason.text("en")
    assert "司机休息" in reason.text("zh-CN")
    fine = batch(closes, rules={}, max_duration=580)
    assert check_feasibility(compile_problem(fine)) == []
    plan = plan_batch(fine, time_limit_s=1, baseline=False)
    assert all(o.served for o in plan.orders)
    assert validate_plan(fine, plan) == []


def test_a_type_failing_only_with_rests_is_the_closest_reason() -> None:
    """A type that passes every check but for its drivers' rests came closer than one
    whose trip is too long even without them, whatever the codes' order."""
    far = Reason(code="too_far", params={"vehicle": "van"})
    rested = Reason(code="window_unreachable", variant="origin_rests", params={"vehicle": "reefer"})
    assert closest([far, rested]) is rested
    assert closest([rested, far]) is rested
    shelf = Reason(code="shelf_life_unreachable", params={"vehicle": "van"})
    assert closest([far, shelf]) is shelf  # without rests, the later check
