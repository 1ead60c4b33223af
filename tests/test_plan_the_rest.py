"""Plan the rest (issue 13, item 1): an order no vehicle can serve is left out with a
reason code and a human reason, in English and Chinese, and the other orders are planned;
``--strict`` keeps the refusal."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.testing.helpers import ApiFactory, small_batch
from optimizer.cli import app
from optimizer.i18n import _EN, _ZH
from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.reasons import BATCH_CODES, ORDER_CODES, outcome_text
from optimizer.report.data import unserved
from optimizer.routing.feasibility import InfeasibleBatch, check_feasibility
from optimizer.routing.problem import compile_problem
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan

pytest_plugins = ["api.testing.fixtures"]

runner = CliRunner()
README = Path(__file__).resolve().parents[1] / "README.md"
HHMM = re.compile(r"\b\d{2}:\d{2}\b")


def readme_batch() -> dict[str, Any]:
    """The example batch of README's batch-format section."""
    blocks = re.findall(r"```json\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    data = json.loads(next(b for b in blocks if '"freshroute.batch/v1"' in b))
    data["options"]["time_limit_s"] = 1
    return data


def with_late_strawberries(data: dict[str, Any], penalty: float | None = 500) -> dict[str, Any]:
    """The issue's example: strawberries ready at 17:30, after the centre's 16:00 cut-off."""
    late = {"id": "P-late", "kind": "pickup", "site": "V1", "product": "strawberry", "kg": 100}
    late["ready"] = "17:30"
    if penalty is not None:
        late["penalty"] = penalty
    return {**data, "orders": [*data["orders"], late]}


def english_words(text: str, ids: set[str]) -> list[str]:
    """Latin words in ``text`` other than ids (sites, vehicles, orders, products)."""
    for i in sorted(ids, key=len, reverse=True):
        text = text.replace(i, " ")
    return re.findall(r"[A-Za-z]{2,}", text)


def solve_cli(tmp_path: Path, data: dict[str, Any], *args: str) -> tuple[Any, Path]:
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "out"
    argv = ["solve", str(path), "--time-limit", "1", "--out", str(out), "--quiet", *args]
    return runner.invoke(app, [*argv, "--no-baseline", "--no-report"]), out


def test_readme_example_plans_the_rest_and_leaves_the_late_optional_order_out(
    tmp_path: Path,
) -> None:
    data = with_late_strawberries(readme_batch())
    batch = Batch.model_validate(data)
    # Today's refusal is still there when asked for.
    with pytest.raises(InfeasibleBatch, match="P-late"):
        plan_batch(batch, time_limit_s=1, baseline=False, strict=True)
    plan = plan_batch(batch, time_limit_s=1, baseline=False)
    assert validate_plan(batch, plan) == []  # against the whole batch
    outcomes = {o.order: o for o in plan.orders}
    assert list(outcomes) == [o.id for o in batch.orders]
    late = outcomes["P-late"]
    assert (late.served, late.reason_code) == (False, "window_unreachable")
    assert "16:00" in (late.reason or "") and " min" not in (late.reason or "")
    assert all(o.served for oid, o in outcomes.items() if oid != "P-late")
    assert plan.kpis.orders_unassigned == 1 and plan.kpis.required_unassigned == 0
    assert plan.kpis.penalty_cost == pytest.approx(500)
    assert plan.kpis.total_cost == pytest.approx(sum(r.cost.total for r in plan.routes) + 500)

    done, out = solve_cli(tmp_path, data)
    assert done.exit_code == 0, done.output  # optional: nothing required is missing
    written = Plan.model_validate_json((out / "plan.json").read_text(encoding="utf-8"))
    assert validate_plan(batch, written) == []
    assert "P-late" in done.output and "window_unreachable" in done.output


def test_required_unservable_order_exits_3_with_the_plan_written(tmp_path: Path) -> None:
    data = with_late_strawberries(readme_batch(), penalty=None)
    done, out = solve_cli(tmp_path, data)
    assert done.exit_code == 3, done.output
    plan = Plan.model_validate_json((out / "plan.json").read_text(encoding="utf-8"))
    assert validate_plan(Batch.model_validate(data), plan) == []
    assert plan.kpis.required_unassigned == 1
    text = " ".join(done.output.split())
    assert "P-late [window_unreachable]: a reefer cannot reach CC1" in text
    assert "required order(s) not served" in text
    # The run sheets and the map list it with its reason in their language.
    [(order, why)] = unserved(Batch.model_validate(data), plan, "zh-CN")
    assert order.id == "P-late" and "最早 18:02 到达" in why
    # The reasons in Chinese with --lang zh-CN.
    zh, _ = solve_cli(tmp_path, data, "--lang", "zh-CN")
    assert zh.exit_code == 3
    assert "CC1 停止作业或截单前到达" in " ".join(zh.output.split())


def test_strict_keeps_the_refusal_with_exit_2(tmp_path: Path) -> None:
    done, out = solve_cli(tmp_path, with_late_strawberries(readme_batch()), "--strict")
    assert done.exit_code == 2, done.output
    assert "orders[3] (order 'P-late')" in done.output
    assert not (out / "plan.json").exists()


def test_zh_cn_reasons_use_clock_times_and_no_english() -> None:
    batch = Batch.model_validate(with_late_strawberries(readme_batch()))
    [issue] = check_feasibility(compile_problem(batch))
    zh = issue.text("zh-CN")
    assert HHMM.findall(zh) == ["18:02", "16:00"], zh  # earliest arrival, cut-off
    ids = {s.id for s in batch.sites} | {v.id for v in batch.fleet} | {"P-late"}
    assert english_words(zh, ids) == [], zh
    assert issue.reason.startswith("a reefer cannot reach CC1")  # English stays


def test_every_reason_text_is_translated() -> None:
    """Each code has texts in both languages, and the Chinese ones have no English words
    outside their placeholders."""
    keys = [k for k in _EN if k.startswith("reason.")]
    assert {k.split(".")[1] for k in keys} == set(ORDER_CODES) | set(BATCH_CODES)
    for key in keys:
        assert key in _ZH, key
        assert english_words(re.sub(r"\{[^}]*\}", " ", _ZH[key]), set()) == [], key


def test_search_reasons_have_codes() -> None:
    data = readme_batch()
    for o in data["orders"]:
        o["penalty"] = 0.01
    plan = plan_batch(Batch.model_validate(data), time_limit_s=1, baseline=False)
    assert {o.reason_code for o in plan.orders} == {"penalty_cheaper"}
    assert "0.01 元" in outcome_text(plan.orders[0], "zh-CN")


def test_api_accepts_the_batch_and_the_job_lists_the_order_left_out(
    make_api: ApiFactory,
) -> None:
    api = make_api(workers=1)
    h = api.headers()
    body = small_batch(seed=3)
    body["orders"][1]["kg"] = 50_000  # required, and no vehicle holds it
    report = api.client.post("/v1/batches/validate", json=body, headers=h).json()
    assert report["valid"] is True and report["errors"] == []
    [issue] = report["infeasible"]
    assert (issue["order"], issue["code"]) == (body["orders"][1]["id"], "too_heavy")
    r = api.client.post("/v1/batches", json=body, headers=h)
    assert r.status_code == 202, r.text
    job = api.wait(r.json()["job_id"], h)
    assert job["state"] == "done", job
    plan = api.client.get(job["links"]["plan"], headers=h).json()
    assert validate_plan(Batch.model_validate(body), Plan.model_validate(plan)) == []
    left = [o for o in plan["orders"] if not o["served"]]
    assert [(o["order"], o["reason_code"]) for o in left] == [
        (body["orders"][1]["id"], "too_heavy")
    ]
    assert "50000 kg" in left[0]["reason"]


def test_a_required_order_the_search_leaves_out_names_the_binding_limit() -> None:
    """One 1,500 kg reefer and two 1,000 kg deliveries for a station open 07:00-07:20:
    each fits alone, both do not (together too heavy, one after the other too late)."""
    data = readme_batch()
    data["fleet"] = [dict(data["fleet"][0], count=1)]
    data["sites"][2]["time_windows"] = [{"start": "07:00", "end": "07:20"}]
    data["orders"] = [
        {"id": f"D{i}", "kind": "delivery", "site": "V1", "product": "parcels", "kg": 1000}
        for i in (1, 2)
    ]
    batch = Batch.model_validate(data)
    assert check_feasibility(compile_problem(batch)) == []
    plan = plan_batch(batch, time_limit_s=1, baseline=False)
    assert validate_plan(batch, plan) == []
    [left] = [o for o in plan.orders if not o.served]
    assert left.reason_code == "not_fitted"
    assert "capacity" in (left.reason or "")  # not the one generic sentence
    assert "载重或容积" in outcome_text(left, "zh-CN")
