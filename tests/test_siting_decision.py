"""The siting decision table: differences from the base, payback, one meaning of each cost,
scenario files that move with their batch, and the comparison in Chinese."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.siting import SitingError
from optimizer.siting.county import CountyOptimize
from optimizer.siting.scenario import (
    Scenario,
    ScenarioResult,
    comparison_markdown,
    decision_rows,
    versus_base,
)
from scenarios.generate import generate_county, write_batch

runner = CliRunner()


@pytest.fixture(scope="module")
def county() -> object:
    return generate_county(14, 21)


def result(
    name: str, routing: float, build: float = 0.0, daily: float = 0.0, **kw
) -> ScenarioResult:
    """A scenario's figures as ``evaluate_scenario`` reports them (routing over 1 day)."""
    fields = {
        "open": ["CC1"],
        "produce_kg": 1000.0,
        "mean_minutes_to_centre": 20.0,
        "max_minutes_to_centre": 40.0,
        "fresh_coverage": 0.8,
        "days": 1,
        "unservable_orders": 0,
        "vehicles": 3.0,
        "routing_km": 200.0,
    }
    return ScenarioResult(
        name=name,
        routing_cost=routing,
        build_cost_cny=build,
        daily_cost_cny=daily,
        **(fields | kw),
    )


def test_payback_is_the_extra_build_cost_over_the_daily_saving() -> None:
    base = result("today", routing=1500.0)
    east = result(
        "east",
        routing=900.0,
        build=150_000.0,
        daily=39.0,
        vehicles=2.0,
        routing_km=150.0,
        fresh_coverage=0.95,
    )
    # Saves 1500 - (900 + 39) = 561 CNY a day: 150,000 / 561 = 267.4 days.
    diff = versus_base(east, base)
    assert diff["delta_cost"] == pytest.approx(-561.0)
    assert diff["payback_days"] == pytest.approx(150_000 / 561)
    assert diff["delta_vehicles"] == pytest.approx(-1.0)
    assert diff["delta_km"] == pytest.approx(-50.0)
    assert diff["delta_coverage"] == pytest.approx(0.15)
    dearer = result("west", routing=1600.0, build=80_000.0)
    assert versus_base(dearer, base)["payback_days"] == float("inf")
    assert versus_base(result("free", routing=1400.0), base)["payback_days"] is None
    table = comparison_markdown([base, east, dearer])
    assert "| today (base) | east | west |" in table
    payback = next(line for line in table.splitlines() if line.startswith("| payback"))
    assert payback.split("|")[2:5] == [" base ", " 267 ", " never "]


def test_the_marked_base_is_the_reference() -> None:
    first = result("a", routing=1000.0)
    marked = result("b", routing=800.0, base=True)
    rows = {row[0]: row[1:] for row in decision_rows([first, marked])}
    assert rows["cost/day vs base (CNY)"] == ["+200", "base"]
    twice = [first.model_copy(update={"base": True}), marked]
    with pytest.raises(SitingError, match="only one scenario may be the base"):
        comparison_markdown(twice)


def test_the_old_opening_cost_is_refused_with_its_replacement(tmp_path: Path, county) -> None:
    with pytest.raises(ValidationError, match=r"build_cost_cny .* daily_cost_cny"):
        Scenario.model_validate({"name": "x", "batch": "b", "open": ["CC1"], "opening_cost": {}})
    with pytest.raises(ValidationError, match="renamed daily_cost_cny"):
        CountyOptimize.model_validate({"model": "cflp", "opening_cost": 500})
    write_batch(county, tmp_path / "county.json")
    old = tmp_path / "old.json"
    old.write_text(
        json.dumps(
            {
                "schema": "freshroute.siting/v1",
                "name": "old",
                "batch": "county.json",
                "open": ["CC1"],
                "opening_cost": {"CC1": 150000},
            }
        )
    )
    run = runner.invoke(app, ["site", "evaluate", str(old)])
    assert run.exit_code == 2
    assert "opening_cost: this field was split in two" in run.output
    run = runner.invoke(
        app,
        [
            "site",
            "optimize",
            str(tmp_path / "county.json"),
            "--model",
            "cflp",
            "--opening-cost",
            "500",
        ],
    )
    assert run.exit_code == 2 and "renamed --daily-cost" in run.output


def test_cflp_centres_carry_their_daily_cost_and_files_move(tmp_path: Path, county) -> None:
    batch = write_batch(county, tmp_path / "county.json")
    made = tmp_path / "plans" / "cflp.json"
    made.parent.mkdir()
    run = runner.invoke(
        app,
        [
            "site",
            "optimize",
            str(batch),
            "--model",
            "cflp",
            "--daily-cost",
            "420",
            "--time-limit",
            "20",
            "--out",
            str(made),
        ],
    )
    assert run.exit_code == 0, run.output
    written = json.loads(made.read_text())
    assert written["batch"] == "../county.json"  # relative to the scenario file
    assert written["daily_cost_cny"] == dict.fromkeys(written["open"], 420.0)
    # The folder moves as a whole: the scenario still finds its batch.
    moved = tmp_path / "elsewhere"
    shutil.copytree(tmp_path, moved, ignore=shutil.ignore_patterns("elsewhere"))
    shutil.rmtree(tmp_path / "plans")
    data = json.loads((moved / "plans" / "cflp.json").read_text())
    scenario = Scenario.model_validate(data | {"days": 0})
    (moved / "plans" / "cflp.json").write_text(json.dumps(data | {"days": 0}))
    run = runner.invoke(app, ["site", "evaluate", str(moved / "plans" / "cflp.json")])
    assert run.exit_code == 0, run.output
    cost = 420 * len(scenario.open)
    assert re.search(rf"\| centres' running cost \(CNY/day\) \| {cost:,} \|", run.output)


def test_compare_writes_a_chinese_decision_table(tmp_path: Path, county) -> None:
    write_batch(county, tmp_path / "county.json")
    centres = [s.id for s in county.sites if s.kind == "collection_centre"]
    village = next(s.id for s in county.sites if s.kind == "station")
    files = []
    for name, open_ids, extra in (
        ("today", centres, {}),
        (
            "east",
            [*centres, village],
            {"build_cost_cny": {village: 150000}, "daily_cost_cny": {village: 40}},
        ),
    ):
        path = tmp_path / f"{name}.json"
        path.write_text(
            json.dumps(
                {
                    "schema": "freshroute.siting/v1",
                    "name": name,
                    "batch": "county.json",
                    "open": open_ids,
                    "days": 1,
                    "time_limit_s": 1,
                    **extra,
                },
                ensure_ascii=False,
            )
        )
        files.append(str(path))
    out = tmp_path / "cmp"
    run = runner.invoke(app, ["site", "compare", *files, "--out", str(out), "--lang", "zh-CN"])
    assert run.exit_code == 0, run.output
    table = (out / "comparison.md").read_text(encoding="utf-8")
    assert "| 指标 | today（基准） | east |" in table or "| 指标 | today (基准) | east |" in table
    for label in ("每天出车数", "每天总成本", "新增建设成本回本天数", "保鲜半径内农产品比例"):
        assert label in table
    words = set(re.findall(r"[A-Za-z]{3,}", table)) - {"today", "east"}
    assert not words, words  # no English outside the scenario names
    rows = list(csv.reader(io.StringIO((out / "comparison.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][:2] == ["方案", "基准"] and rows[1][:2] == ["today", "基准"]
    assert not re.search(r"[A-Za-z]{3,}", ",".join(rows[0]))
    # The CSV holds the table's numbers: the base's build cost 0, the new centre's.
    head = rows[0]
    east = dict(zip(head, rows[2], strict=True))
    assert float(east["建设成本（元，一次性）"]) == 150000
    assert float(east["集货中心运营成本（元/天）"]) == 40
    vehicles = next(line for line in table.splitlines() if line.startswith("| 每天出车数 |"))
    shown = [cell.strip() for cell in vehicles.split("|")[2:4]]
    assert shown == [f"{float(r[head.index('每天出车数')]):.1f}" for r in rows[1:]]
    payback = east["新增建设成本回本天数"]
    assert payback == "无法回本" or float(payback) > 0


def test_site_commands_speak_chinese(tmp_path: Path, county) -> None:
    batch = write_batch(county, tmp_path / "county.json")
    out = tmp_path / "p1.json"
    run = runner.invoke(app, ["site", "optimize", str(batch), "--out", str(out), "--lang", "zh-CN"])
    assert run.exit_code == 0, run.output
    text = " ".join(run.output.split())
    assert "pmedian：开设" in text and "已证明最优" in text and "已写入" in text
    shown = re.sub(r"\S*/\S*", "", text)  # file paths aside
    words = set(re.findall(r"[A-Za-z_]{3,}", shown)) - {"pmedian"} - {s.id for s in county.sites}
    assert not words, words
    missing = runner.invoke(app, ["site", "evaluate", str(tmp_path / "no.json"), "--lang", "zh"])
    assert missing.exit_code == 2 and "找不到方案文件" in missing.output


def test_the_api_cflp_result_shows_its_daily_cost(county) -> None:
    """`cflp` centres carry the daily cost the model counted, in the API's result and in
    its scenario (it showed 0 before); the old field is a 422 at its path."""
    from api.inputs import InputError, Limits
    from api.siting import OPTIMIZE, check_request, run_siting

    body = {
        "batch": county.model_dump(mode="json", by_alias=True),
        "model": "cflp",
        "daily_cost_cny": 300,
        "time_limit_s": 20,
    }
    result = run_siting(OPTIMIZE, body, 20, lambda phase: None)
    chosen = result["optimize"]["open"]
    assert result["scenario"]["daily_cost_cny"] == dict.fromkeys(chosen, 300.0)
    assert result["results"][0]["daily_cost_cny"] == 300.0 * len(chosen)
    old = {k: v for k, v in body.items() if k != "daily_cost_cny"} | {"opening_cost": 300}
    with pytest.raises(InputError) as caught:
        check_request(OPTIMIZE, old, Limits(max_orders=10_000, max_vehicles=1_000), 60)
    assert [p["path"] for p in caught.value.detail] == ["opening_cost"]
    assert "daily_cost_cny" in caught.value.detail[0]["reason"]
