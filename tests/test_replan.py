"""Re-planning the day: each event alone and mixed, after every stop, a breakdown with
chilled produce on board, a late order that cannot be served, and the re-plan checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import optimizer.replan.solve as replan_solve
from optimizer.cli import app
from optimizer.io.spreadsheet import import_batch
from optimizer.model import Batch, format_clock
from optimizer.plan import Plan
from optimizer.replan.changes import changes_markdown
from optimizer.replan.check import validate_replan
from optimizer.replan.events import Events
from optimizer.replan.residual import ReplanInputError, down_site
from optimizer.replan.solve import Replanned, replan
from optimizer.replan.state import locked_count, on_board
from optimizer.routing.engines import EngineResult
from optimizer.routing.solve import plan_batch
from tests.conftest import IMPORT_FIXTURES

LIMIT = 0.5


@pytest.fixture(scope="module")
def day() -> tuple[Batch, Plan]:
    batch = import_batch(IMPORT_FIXTURES / "orders_en.csv", IMPORT_FIXTURES / "sites_en.csv")
    return batch, plan_batch(batch, time_limit_s=1, baseline=False)


def _run(batch: Batch, plan: Plan, **events: object) -> Replanned:
    return replan(batch, plan, Events.model_validate(events), time_limit_s=LIMIT)


def _mid(plan: Plan) -> tuple[str, float]:
    """The first route's truck and a time when it is out with stops done and to do."""
    route = max(plan.routes, key=lambda r: len(r.stops))
    return route.vehicle, route.stops[1].departure


def _loaded_later(plan: Plan, now: float) -> list[str]:
    """Orders loaded at stops not yet done at ``now``."""
    return [oid for r in plan.routes for s in r.stops[locked_count(r, now) :] for oid in s.load]


def _served(result: Replanned) -> dict[str, str | None]:
    return {o.order: o.vehicle for o in result.plan.orders if o.served}


def _prefix_kept(old: Plan, new: Plan, vehicle: str, n: int) -> bool:
    before = next(r for r in old.routes if r.vehicle == vehicle).stops[:n]
    after = next(r for r in new.routes if r.vehicle == vehicle).stops[:n]
    return [s.model_dump() for s in before] == [s.model_dump() for s in after]


def test_now_alone_keeps_the_plan(day: tuple[Batch, Plan]) -> None:
    batch, plan = day
    vehicle, now = _mid(plan)
    result = _run(batch, plan, now=now)
    assert result.changes.moved == 0
    # A route stays as it was unless changing it pays: reordering the stops still to
    # come is kept only when the day then costs less (the fixture's plan had 1 s).
    if result.changes.routes_unchanged < len(plan.routes):
        assert result.plan.kpis.total_cost < plan.kpis.total_cost - 0.01
    assert _served(result) == {o.order: o.vehicle for o in plan.orders if o.served}
    p = result.residual.positions[vehicle]
    assert _prefix_kept(plan, result.plan, vehicle, len(p.locked))


def test_cancel_an_order_not_yet_loaded(day: tuple[Batch, Plan]) -> None:
    batch, plan = day
    vehicle, now = _mid(plan)
    route = next(r for r in plan.routes if r.vehicle == vehicle)
    later = _loaded_later(plan, now)
    assert later, "the fixture plan loads something later"
    done = [oid for s in route.stops if s.departure < now for oid in s.unload]
    result = _run(batch, plan, now=now, cancel_orders=[later[0], *done[:1]])
    assert later[0] not in result.day.orders_by_id
    assert all(later[0] not in s.load for r in result.plan.routes for s in r.stops)
    if done:  # a delivered order cannot be cancelled: it is kept, and said so
        assert result.changes.refused_cancel == {done[0]: "done"}
        assert done[0] in _served(result)


def test_late_order_is_served(day: tuple[Batch, Plan]) -> None:
    batch, plan = day
    _, now = _mid(plan)
    late = {"id": "LATE", "kind": "pickup", "site": "V4", "product": batch.orders[7].product}
    result = _run(batch, plan, now=now, add_orders=[late | {"kg": 50, "ready": now + 30}])
    assert "LATE" in _served(result)
    assert result.changes.added == 1


def test_late_order_that_cannot_be_served_is_listed(day: tuple[Batch, Plan]) -> None:
    batch, plan = day
    _, now = _mid(plan)
    product = batch.orders[7].product
    late = {"id": "LATE", "kind": "pickup", "site": "V4", "product": product, "kg": 50}
    result = _run(batch, plan, now=now, add_orders=[late | {"ready": "23:30"}])
    outcome = next(o for o in result.plan.orders if o.order == "LATE")
    assert not outcome.served and outcome.reason_code is not None and outcome.reason
    served = _served(result)
    assert all(o.order in served for o in plan.orders if o.served)  # the rest still planned
    assert "LATE" in result.changes.unserved


def test_delay_shifts_what_is_left(day: tuple[Batch, Plan]) -> None:
    batch, plan = day
    vehicle, now = _mid(plan)
    result = _run(batch, plan, now=now, delay=[{"vehicle": vehicle, "minutes": 20}])
    p = result.residual.positions[vehicle]
    route = next(r for r in result.plan.routes if r.vehicle == vehicle)
    assert _prefix_kept(plan, result.plan, vehicle, len(p.locked))
    if len(route.stops) > len(p.locked):
        nxt = route.stops[len(p.locked)]
        assert nxt.arrival >= p.locked[-1].departure + 20 - 1e-6
    mine = next(d for d in result.changes.drivers if d.vehicle == vehicle)
    later = {(r.order, r.action) for r in mine.retimed}
    kept = [o for o in plan.orders if o.served and o.vehicle == vehicle]
    if any(o.loaded_at and o.loaded_at > now for o in kept):  # a later stop it still makes
        assert later
        en = changes_markdown(result.changes, result.plan, "en")
        zh = changes_markdown(result.changes, result.plan, "zh-CN")
        assert "(was " in en and "（原为 " in zh


def test_closed_road_is_not_driven(day: tuple[Batch, Plan]) -> None:
    batch, plan = day
    vehicle, now = _mid(plan)
    route = next(r for r in plan.routes if r.vehicle == vehicle)
    n = len(_run(batch, plan, now=now).residual.positions[vehicle].locked)
    legs = [(a.site, b.site) for a, b in zip(route.stops[n:], route.stops[n + 1 :], strict=False)]
    a, b = next((a, b) for a, b in legs if a != b)
    result = _run(batch, plan, now=now, road_closed=[{"from": a, "to": b}])
    for r in result.plan.routes:
        done = (
            len(result.residual.positions[r.vehicle].locked)
            if r.vehicle in (result.residual.positions)
            else 1
        )
        for x, y in zip(r.stops[done - 1 :], r.stops[done:], strict=False):
            assert {x.site, y.site} != {a, b}


def test_vehicle_down_with_chilled_produce_on_board(day: tuple[Batch, Plan]) -> None:
    batch, plan = day
    chilled = {
        o.id for o in batch.orders if batch.products_by_id[o.product].temperature_class == "chilled"
    }
    route, stop = next(
        (r, s) for r in plan.routes for s in r.stops if set(s.load) & chilled and s.departure
    )
    now = stop.departure  # it has just loaded chilled produce
    result = _run(batch, plan, now=now, vehicle_down=[{"vehicle": route.vehicle}])
    res = result.residual
    p = res.positions[route.vehicle]
    on_board = set(p.on_board) & chilled
    assert on_board and p.down
    down_route = next(r for r in result.plan.routes if r.vehicle == route.vehicle)
    assert len(down_route.stops) == len(p.locked)  # it goes no further
    for oid in on_board:
        outcome = next(o for o in result.plan.orders if o.order == oid)
        if outcome.served:  # by a refrigerated truck, loaded where the goods wait
            other = next(r for r in result.plan.routes if r.vehicle == outcome.vehicle)
            assert other.vehicle != route.vehicle
            assert batch.fleet_by_id[other.vehicle_type].refrigerated
            assert any(oid in s.load and s.site == down_site(route.vehicle) for s in other.stops)
        else:
            assert outcome.reason
    assert res.day.sites_by_id[down_site(route.vehicle)].storage_temp_c is None  # no cold room


def test_mixed_events(day: tuple[Batch, Plan]) -> None:
    batch, plan = day
    vehicle, now = _mid(plan)
    others = [vid for vid in ("reefer-1", "reefer-2", "van-1") if vid != vehicle]
    product = batch.orders_by_id["D-V1"].product
    late = {"id": "LATE", "kind": "delivery", "site": "V5", "product": product, "kg": 20}
    loaded_later = _loaded_later(plan, now)
    events = {
        "now": now,
        "add_orders": [late],
        "cancel_orders": loaded_later[:1],
        "delay": [{"vehicle": others[0], "minutes": 15}],
        "vehicle_down": [{"vehicle": vehicle}],
        "road_closed": [{"from": "HUB", "to": "V5", "both_ways": False}],
    }
    result = _run(batch, plan, **events)
    assert "LATE" in result.day.orders_by_id and loaded_later[0] not in result.day.orders_by_id
    down = next(r for r in result.plan.routes if r.vehicle == vehicle)
    assert len(down.stops) == len(result.residual.positions[vehicle].locked)
    parsed = Events.model_validate(events)
    assert validate_replan(batch, plan, parsed, result.plan, result.day) == []
    # the same plan is not a re-plan of other events: the late order is not of that day
    others_day = validate_replan(
        batch, plan, Events.model_validate({"now": now}), result.plan, result.day
    )
    assert any(v.order == "LATE" for v in others_day)


def test_trucks_on_the_road_keep_their_working_day(day: tuple[Batch, Plan]) -> None:
    """A truck out since 06:20 with a 10 h maximum must be back by 16:20 (before its shift
    ends), however late its residual route leaves: the duration counts from the day's
    first start."""
    batch, plan = day
    fleet = [vt.model_copy(update={"max_duration_min": 600.0}) for vt in batch.fleet]
    batch = batch.model_copy(update={"fleet": fleet})
    batch.__dict__.pop("fleet_by_id", None)  # its cached lookup belongs to the old fleet
    vehicle, now = _mid(plan)
    res = _run(batch, plan, now=now).residual
    p = res.positions[vehicle]
    vt = batch.fleet_by_id[p.vehicle_type]
    rest = res.batch.fleet_by_id[f"@{vehicle}"]
    assert rest.shift_end <= p.started + vt.max_duration_min + 1e-9
    assert rest.shift_start == p.ready and rest.fixed_cost == 0 and rest.start == f"@{vehicle}"


def test_replan_after_every_stop(day: tuple[Batch, Plan]) -> None:
    batch, plan = day
    route = plan.routes[0]
    for stop in route.stops:
        result = _run(batch, plan, now=stop.departure)
        p = result.residual.positions.get(route.vehicle)
        assert p is not None
        assert _prefix_kept(plan, result.plan, route.vehicle, len(p.locked))
        assert {o.order for o in result.plan.orders if o.served} >= {
            o.order for o in plan.orders if o.served
        }


def test_validator_catches_an_edited_locked_prefix(day: tuple[Batch, Plan]) -> None:
    batch, plan = day
    route = max(plan.routes, key=lambda r: len(r.stops))
    vehicle = route.vehicle
    now, done = next((s.departure, s.unload[0]) for s in route.stops if s.unload)
    events = Events.model_validate({"now": now})
    result = _run(batch, plan, now=now)
    assert validate_replan(batch, plan, events, result.plan, result.day) == []
    edited = result.plan.model_copy(deep=True)
    edit = next(r for r in edited.routes if r.vehicle == vehicle)
    edit.stops[1].start += 3.0
    edit.stops[1].departure += 3.0
    kinds = {v.kind for v in validate_replan(batch, plan, events, edited, result.day)}
    assert "locked" in kinds
    # a done order served again, after the done stops, is caught too
    twice = result.plan.model_copy(deep=True)
    again = next(r for r in twice.routes if r.vehicle == vehicle)
    again.stops[-1].unload.append(done)
    assert any(
        v.kind == "locked" and v.order == done
        for v in validate_replan(batch, plan, events, twice, result.day)
    )


def test_bad_events_name_the_field(day: tuple[Batch, Plan]) -> None:
    batch, plan = day
    with pytest.raises(ReplanInputError, match=r"vehicle_down\[0\]\.vehicle: unknown vehicle"):
        _run(batch, plan, now="09:00", vehicle_down=[{"vehicle": "bus-9"}])
    with pytest.raises(ReplanInputError, match=r"add_orders\[0\]\.id: order 'P-V1'"):
        _run(batch, plan, now="09:00", add_orders=[{**batch.orders_by_id["P-V1"].model_dump()}])
    unknown = {"id": "X", "kind": "pickup", "site": "V4", "product": "nope", "kg": 1}
    with pytest.raises(ReplanInputError, match=r"add_orders\[0\]\.product: unknown product"):
        _run(batch, plan, now="09:00", add_orders=[unknown])


def test_replan_of_a_replan(day: tuple[Batch, Plan]) -> None:
    """Without breakdowns, a re-plan's day and plan are the next re-plan's input."""
    batch, plan = day
    vehicle, now = _mid(plan)
    first = _run(batch, plan, now=now, delay=[{"vehicle": vehicle, "minutes": 10}])
    second = _run(first.day, first.plan, now=now + 30)
    assert set(_served(second)) == set(_served(first))


def _replan_cli(tmp_path: Path, name: str, batch: Path, plan: Path, events: dict) -> Path:
    """``freshroute replan`` into ``tmp_path/name``; the output folder."""
    (tmp_path / f"{name}.json").write_text(json.dumps(events))
    out = tmp_path / name
    args = ["replan", str(batch), str(plan), str(tmp_path / f"{name}.json")]
    run = CliRunner().invoke(app, [*args, "--time-limit", "0.5", "--out", str(out)])
    assert run.exit_code in (0, 3), run.output
    return out


def _loaded_most(plan: Plan) -> tuple[str, float]:
    """The truck with the most goods on board at one of its stops, and a time it is there."""
    best = max(
        ((r, i) for r in plan.routes for i in range(1, len(r.stops) - 1)),
        key=lambda x: len(on_board(x[0].stops[: x[1] + 1])),
    )
    route, i = best
    return route.vehicle, route.stops[i].arrival + 1.0


def test_replan_of_a_replan_after_a_breakdown(day: tuple[Batch, Plan], tmp_path: Path) -> None:
    """A re-plan made after a breakdown is re-planned later in the day through the CLI:
    the downed truck stays down, done stops stay as they were (the validator checks it),
    goods handed over are not served twice, and a second breakdown hands them on again."""
    batch, plan = day
    (tmp_path / "batch.json").write_text(batch.model_dump_json(by_alias=True))
    (tmp_path / "plan.json").write_text(plan.model_dump_json(by_alias=True))
    vehicle, now = _loaded_most(plan)
    events1 = {"now": now, "vehicle_down": [{"vehicle": vehicle}]}
    o1 = _replan_cli(tmp_path, "first", tmp_path / "batch.json", tmp_path / "plan.json", events1)
    day1 = Batch.model_validate_json((o1 / "day.json").read_text())
    plan1 = Plan.model_validate_json((o1 / "plan.json").read_text())
    assert plan1.down == {vehicle: now}
    handed = [
        (s.departure, r.vehicle)
        for r in plan1.routes
        for s in r.stops
        if s.site == down_site(vehicle) and s.load
    ]
    assert handed, "another truck picks up the downed truck's goods"
    other = handed[0][1]
    down_route = next(r for r in plan1.routes if r.vehicle == vehicle)
    goods = {
        oid for r in plan1.routes for s in r.stops if s.site == down_site(vehicle) for oid in s.load
    }
    delivered, done = min(  # the first handed-over order delivered
        (s.departure, oid)
        for r in plan1.routes
        if r.vehicle == other
        for s in r.stops
        for oid in s.unload
        if oid in goods
    )
    late = {"id": "LATE", "kind": "delivery", "site": "V5", "product": "parcels", "kg": 5}
    for k, now2 in enumerate([*sorted(t for t, _ in handed)[::2], delivered + 1]):
        events2 = {"now": now2, "add_orders": [late]} if k == 0 else {"now": now2}
        o2 = _replan_cli(tmp_path, f"second{k}", o1 / "day.json", o1 / "plan.json", events2)
        day2 = Batch.model_validate_json((o2 / "day.json").read_text())
        plan2 = Plan.model_validate_json((o2 / "plan.json").read_text())
        parsed = Events.model_validate(events2)
        assert validate_replan(day1, plan1, parsed, plan2, day2) == []
        assert plan2.down == {vehicle: now}  # still down, its route as it was
        assert next(r for r in plan2.routes if r.vehicle == vehicle) == down_route
        unloads = [oid for r in plan2.routes for s in r.stops for oid in s.unload]
        assert len(unloads) == len(set(unloads))  # nothing served twice
        assert not (set(unloads) - set(day2.orders_by_id))
    # The validator catches the downed truck going on, and a handed-over order served again.
    moved = plan2.model_copy(deep=True)
    mine = next(r for r in moved.routes if r.vehicle == vehicle)
    mine.stops.append(mine.stops[-1].model_copy())
    kinds = {v.kind for v in validate_replan(day1, plan1, parsed, moved, day2)}
    assert "locked" in kinds
    twice = plan2.model_copy(deep=True)
    next(r for r in twice.routes if r.vehicle == other).stops[-1].unload.append(done)
    found = validate_replan(day1, plan1, parsed, twice, day2)
    assert any(v.kind == "locked" and v.order == done for v in found)
    # A second breakdown, of the truck carrying the first one's goods, hands them on again.
    third = _run(day1, plan1, now=handed[-1][0] + 1, vehicle_down=[{"vehicle": other}])
    assert set(third.plan.down) == {vehicle, other}
    events3 = Events.model_validate(
        {"now": handed[-1][0] + 1, "vehicle_down": [{"vehicle": other}]}
    )
    assert validate_replan(day1, plan1, events3, third.plan, third.day) == []


def test_cli_replan(day: tuple[Batch, Plan], tmp_path: Path) -> None:
    batch, plan = day
    vehicle, now = _mid(plan)
    (tmp_path / "batch.json").write_text(batch.model_dump_json(by_alias=True))
    (tmp_path / "plan.json").write_text(plan.model_dump_json(by_alias=True))
    events = {"now": now, "vehicle_down": [{"vehicle": vehicle}]}
    (tmp_path / "events.json").write_text(json.dumps(events))
    args = ["replan", *(str(tmp_path / f) for f in ("batch.json", "plan.json", "events.json"))]
    run = CliRunner().invoke(app, [*args, "--time-limit", "0.5", "--out", str(tmp_path / "o")])
    assert run.exit_code in (0, 3), run.output
    changes = json.loads((tmp_path / "o" / "changes.json").read_text())
    assert any(d["vehicle"] == vehicle and d["down_at"] for d in changes["drivers"])
    assert "抛锚" in (tmp_path / "o" / "changes.md").read_text(encoding="utf-8")
    sheets = (tmp_path / "o" / "runsheets.html").read_text(encoding="utf-8")
    assert "抛锚" in sheets  # the run sheets mark the changes (zh-CN by default)
    assert (tmp_path / "o" / "runsheets.xlsx").exists() and (tmp_path / "o" / "map.html").exists()
    (tmp_path / "bad.json").write_text(json.dumps({"now": "25:99"}))
    bad = CliRunner().invoke(app, [*args[:3], str(tmp_path / "bad.json")])
    assert bad.exit_code == 2 and "now" in bad.output


def test_goods_that_spoil_on_board_stay_and_take_room(day: tuple[Batch, Plan]) -> None:
    """A long delay spoils chilled produce on board: it is listed unserved with its reason,
    rides to the end of the route, and the truck plans around the room it takes."""
    from optimizer.replan.solve import _compile

    batch, plan = day
    chilled = {
        o.id for o in batch.orders if batch.products_by_id[o.product].temperature_class == "chilled"
    }
    route, stop = next((r, s) for r in plan.routes for s in r.stops if set(s.load) & chilled)
    now = stop.departure
    result = _run(batch, plan, now=now, delay=[{"vehicle": route.vehicle, "minutes": 600}])
    res = result.residual
    spoiled = [o for o in result.plan.orders if o.order in res.bound and not o.served and o.reason]
    assert spoiled, "a ten-hour delay spoils the chilled produce on board"
    last = next(r for r in result.plan.routes if r.vehicle == route.vehicle).stops[-1]
    assert last.kg_on_board >= sum(batch.orders_by_id[o.order].kg for o in spoiled) - 1e-9
    problem = _compile(res, {o.order for o in spoiled})
    truck = next(v for v in problem.vehicles if v.id == f"@{route.vehicle}-1")
    full = batch.fleet_by_id[route.vehicle_type].capacity_kg
    assert truck.type.capacity_kg < full


def test_run_sheets_mark_the_changes(day: tuple[Batch, Plan], tmp_path: Path) -> None:
    """After a breakdown and a late order, or a delay, each driver's run sheet (HTML,
    XLSX) marks the orders taken over, the late one and the new times (with the old),
    and lists what the driver no longer does; in English and Chinese, from ``changes``."""
    from openpyxl import load_workbook

    from optimizer.report.runsheets import render_runsheets_html, write_runsheets_xlsx

    batch, plan = day
    vehicle, now = _loaded_most(plan)
    late = {"id": "LATE", "kind": "delivery", "site": "V5", "product": "parcels", "kg": 5}
    broke = _run(batch, plan, now=now, vehicle_down=[{"vehicle": vehicle}], add_orders=[late])
    taker = next(d for d in broke.changes.drivers if d.moved_in)
    adder = next(d for d in broke.changes.drivers if d.added)
    late_truck, then = _mid(plan)
    delayed = _run(batch, plan, now=then, delay=[{"vehicle": late_truck, "minutes": 20}])
    retimed = next(d for d in delayed.changes.drivers if d.retimed)

    def sheet(result: Replanned, lang: str, v: str) -> str:
        page = render_runsheets_html(
            result.day, result.plan, lang, timeline=False, changes=result.changes
        )
        return page.split(f'data-vehicle="{v}"')[1].split("</section>")[0]

    for lang, (frm, added, was, down) in (
        ("en", ("from {other}", "new order", "was {old}", "broke down at")),
        ("zh-CN", ("由 {other} 转来", "新订单", "原为 {old}", "抛锚")),
    ):
        got = sheet(broke, lang, taker.vehicle)
        assert frm.format(other=taker.moved_in[0].other) in got and 'class="changed"' in got
        assert added in sheet(broke, lang, adder.vehicle)
        assert down in sheet(broke, lang, vehicle)  # the downed driver's sheet says so
        old = format_clock(retimed.retimed[0].old)
        assert was.format(old=old) in sheet(delayed, lang, retimed.vehicle)
    # Goods picked up at the breakdown site: the deadline counts their time on the broken
    # truck and the wait, and each served one arrives by it.
    from optimizer.report.data import build_runsheets

    arrived = {o.order: o.arrived_at for o in broke.plan.orders if o.served}
    deadlines = {
        a.order.id: a.deadline
        for sheet in build_runsheets(broke.day, broke.plan)
        for row in sheet.stops
        if row.site.id == down_site(vehicle)
        for a in row.actions
        if a.deadline is not None and a.order.id in arrived
    }
    assert deadlines, "perishable goods are picked up where the truck broke down"
    assert all(arrived[oid] <= deadline + 1e-6 for oid, deadline in deadlines.items())
    plain = render_runsheets_html(broke.day, broke.plan, "en", timeline=False)
    body = plain.split("</style>")[1]
    assert 'class="chg"' not in body and 'class="changed"' not in body  # no changes, no marks
    path = write_runsheets_xlsx(broke.day, broke.plan, tmp_path / "rs.xlsx", "en", broke.changes)
    book = load_workbook(path)

    def cells(v: str) -> list[str]:
        return [str(c.value) for row in book[v].iter_rows() for c in row if c.value is not None]

    assert "changes" in cells(taker.vehicle)
    assert any(f"from {taker.moved_in[0].other}" in c for c in cells(taker.vehicle))
    assert any("broke down at" in c for c in cells(vehicle))
    # The CSV too: a changes column, the marks on the taker's rows, the downed driver's note.
    import csv

    from optimizer.report.runsheets import write_runsheets_csv

    csv_path = write_runsheets_csv(broke.day, broke.plan, tmp_path / "rs.csv", "en", broke.changes)
    with csv_path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][-1] == "changes"
    assert any(
        r[0] == taker.vehicle and f"from {taker.moved_in[0].other}" in r[-1] for r in rows[1:]
    )
    assert any(r[0] == vehicle and "broke down at" in r[-1] for r in rows[1:])
    plain_csv = write_runsheets_csv(broke.day, broke.plan, tmp_path / "plain.csv", "en")
    with plain_csv.open(encoding="utf-8-sig") as fh:
        assert next(csv.reader(fh))[-1] != "changes"  # no changes, no column


def test_a_forced_engine_still_has_the_old_routes_repaired(
    day: tuple[Batch, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``--engine pyvrp|ortools`` the old routes with what they miss put in stay a
    candidate: an engine that finds nothing useful still leaves a late order served."""
    monkeypatch.setattr(
        replan_solve,
        "run_engine",
        lambda *a, **k: EngineResult([], float("nan"), "not_solved", 0.0),
    )
    batch, plan = day
    _, now = _mid(plan)
    late = {"id": "LATE", "kind": "pickup", "site": "V4", "product": batch.orders[7].product}
    events = Events.model_validate(
        {"now": now, "add_orders": [late | {"kg": 50, "ready": now + 30}]}
    )
    result = replan(batch, plan, events, time_limit_s=LIMIT, engine="pyvrp")
    assert "LATE" in _served(result)
    assert result.chosen == "repaired"
