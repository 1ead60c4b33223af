"""Chinese throughout: every output a coordinator sees, rendered in zh-CN, has no English
words left outside ids (site, order, vehicle and product ids, JSON paths and field names,
units, file paths, brand names).

``english_words`` is the check: it masks what may stay (ids, paths, snake_case names,
``--options``) and returns the common English words that remain. The negative cases below
show it catches an English message among Chinese ones, so these tests can fail.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from api.testing.helpers import Api, small_batch
from optimizer.cli import app
from optimizer.i18n import CATALOGUES
from optimizer.io.spreadsheet import import_batch
from optimizer.model import Batch, Order, with_orders
from optimizer.run.sweep import DaySpread, spread_csv, spread_markdown
from optimizer.siting.scenario import comparison_csv, comparison_markdown
from scenarios.generate import generate_county, write_batch

pytest_plugins = ["api.testing.fixtures"]

FIXTURES = Path(__file__).parent / "fixtures" / "import"
runner = CliRunner()

# Common English words of messages, labels and reasons; none is an id or a unit.
ENGLISH = frozenset(
    re.findall(
        r"\S+",
        """
    a an the and or of to is are be was not no but for with from by on at in into as it its
    if than then this that these there so any all some each every only also more less most
    can cannot could would should must may need needs give use used using has have had
    order orders vehicle vehicles truck trucks route routes cost costs error errors
    served unserved serve serving time times window windows shelf life required optional
    field fields valid invalid value values stop stops site sites hub hubs centre centres
    center station stations delivery deliveries pickup pickups transfer transfers plan plans
    file files wrote written saving saves pairing empty separate fleet fleets load loaded
    unload unloaded arrival arrives departure leaves leave wait waits shift capacity
    weight weighs refrigerated chilled frozen ambient cool product products unknown
    duplicate missing number string list object greater less equal least most should
    input inputs permitted character characters item items before after start starts end
    ends open opens closes close ready total mean min max freshness map legend stops
    driver signature timeline summary reason reasons scenario scenarios base payback never
    violation violations warning not found cannot expressed yet key figures
    """,
    )
)

# Names that stay as they are in Chinese text: programs, standards, units, HTTP headers.
KEEP = re.findall(
    r"\S+",
    "freshroute Leaflet OpenStreetMap PyVRP OR-Tools JSON CSV HH:MM GCJ-02 WGS-84 GPS NaN "
    "Unicode Q10 Excel Amap km kg CNY Idempotency-Key X-API-Key Content-Type",
)
_PATH = re.compile(r"[A-Za-z_][\w-]*(?:\[[^\]]*\]|\.[A-Za-z_][\w-]*|_[A-Za-z0-9]+)+")
_OPTION = re.compile(r"--[a-z][\w-]*")
_FILE = re.compile(r"\S*[/\\]\S*")
_LINE_PATH = re.compile(r"(?m)^(\s*-\s*)[^\s:：]+[:：]")  # "  - sites: ..." (a field path)


def english_words(text: str, ids: set[str] = frozenset()) -> set[str]:
    """Common English words left in ``text`` once ids, paths and names are masked."""
    text = _LINE_PATH.sub(r"\1", text)
    text = _FILE.sub(" ", text)
    text = _OPTION.sub(" ", text)
    text = _PATH.sub(" ", text)
    for name in sorted({*ids, *KEEP}, key=len, reverse=True):
        if name:
            text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", " ", text)
    return {w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in ENGLISH}


def visible_text(page: str) -> str:
    """The text of an HTML page a reader sees (no scripts, styles or tags)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def map_page_data(page: str) -> dict:
    """The data the route map's script draws (legend, popups, notes)."""
    found = re.search(r'<script type="application/json" id="plan-data">(.*?)</script>', page, re.S)
    assert found, "no plan data in the page"
    return json.loads(found[1])


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        ("错误： some orders cannot be served by any vehicle", {"orders", "cannot", "served"}),
        ("orders[0].kg: Input should be greater than or equal to 0", {"Input", "should"}),
        ("V4 的订单 D-1：shelf life too short", {"shelf", "life"}),
        ("orders[0].kg：应不小于 0（订单 D-1，车辆 reefer-1，12 km）", set()),
    ],
)
def test_the_check_catches_english(text: str, caught: set[str]) -> None:
    assert english_words(text, {"D-1", "V4", "reefer-1"}) >= caught
    if not caught:
        assert english_words(text, {"D-1", "V4", "reefer-1"}) == set()


def batch_ids(batch: Batch) -> set[str]:
    """Every id and name the batch gives (they stay as the user wrote them)."""
    ids = {batch.name, *(s.id for s in batch.sites), *(s.name for s in batch.sites)}
    ids |= {o.id for o in batch.orders} | {p.id for p in batch.products}
    ids |= {o.product for o in batch.orders}
    ids |= {v.id for v in batch.fleet} | {v.name for v in batch.fleet}
    ids |= {f"{v.id}-{k + 1}" for v in batch.fleet for k in range(v.count)}
    return ids


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Batch]:
    """The fixture county with an order too heavy for any truck (left out, with its
    reason) and an optional one not worth serving."""
    batch = import_batch(FIXTURES / "orders_en.csv", FIXTURES / "sites_en.csv", lang="zh-CN")
    heavy = Order(id="D-heavy", kind="delivery", site="V2", product="parcels", kg=90000)
    cheap = Order(id="D-skip", kind="delivery", site="V4", product="parcels", kg=5, penalty=0.01)
    batch = with_orders(batch, [*batch.orders, heavy.model_copy(update={"penalty": 100.0}), cheap])
    path = tmp_path_factory.mktemp("zh") / "batch.json"
    path.write_text(batch.model_dump_json(by_alias=True), encoding="utf-8")
    return path, batch


@pytest.fixture(scope="module")
def solved(county: tuple[Path, Batch]) -> tuple[Path, str]:
    path, _ = county
    out = path.parent / "out"
    run = runner.invoke(
        app, ["solve", str(path), "--time-limit", "1", "--out", str(out), "--lang", "zh-CN"]
    )
    assert run.exit_code == 0, run.output
    return out, run.output


def test_solve_output_is_chinese(county, solved) -> None:
    _, batch = county
    _, output = solved
    assert "方案指标" in output and "未安排" in output and "最终方案" in output
    assert not english_words(output, batch_ids(batch)), output


@pytest.mark.parametrize("name", ["map.html", "runsheets.html"])
def test_report_pages_are_chinese(county, solved, name: str) -> None:
    _, batch = county
    out, _ = solved
    text = visible_text((out / name).read_text(encoding="utf-8"))
    assert re.search(r"[\u4e00-\u9fff]", text)
    assert not english_words(text, batch_ids(batch)), name


def test_run_sheet_tables_are_chinese(county, solved) -> None:
    _, batch = county
    out, _ = solved
    rows = list(csv.reader(io.StringIO((out / "runsheets.csv").read_text(encoding="utf-8-sig"))))
    cells = [c for row in rows for c in row]
    book = openpyxl.load_workbook(out / "runsheets.xlsx")
    cells += [ws.title for ws in book.worksheets]
    cells += [
        str(c.value)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str)
    ]
    assert not english_words("\n".join(cells), batch_ids(batch))


def test_unassigned_reasons_are_chinese(county, solved) -> None:
    _, batch = county
    out, output = solved
    plan = json.loads((out / "plan.json").read_text())
    left = {o["order"] for o in plan["orders"] if not o["served"]}
    assert {"D-heavy", "D-skip"} <= left
    lines = [line for line in output.splitlines() if "D-heavy" in line or "D-skip" in line]
    assert lines and not english_words("\n".join(lines), batch_ids(batch))


BAD_BATCH = {
    "sites": [
        {"id": "H", "kind": "hub", "lon": 104.0, "lat": 30.0},
        {"id": "S1", "kind": "station", "lon": 104.1, "lat": 30.0, "cutoff": 600},
        {
            "id": "S2",
            "kind": "station",
            "lon": 104.2,
            "lat": 30.1,
            "time_windows": [{"start": "10:00", "end": "09:00"}],
        },
    ],
    "products": [{"id": "kiwi", "category": "kiwi"}],
    "orders": [
        {"id": "D1", "kind": "delivery", "site": "S9", "product": "strawbery", "kg": -1},
        {"id": "D1", "kind": "pikup", "site": "H", "product": "apple", "kg": 1, "colour": 1},
        {"id": "P1", "kind": "pickup", "site": "H", "product": "apple", "kg": 1},
    ],
    "fleet": [
        {"id": "van", "count": 1, "capacity_kg": "lots", "capacity_m3": 1, "min_used": 3},
        {"id": "cold", "count": 1, "capacity_kg": 9, "capacity_m3": 1, "shift_start": "25:99"},
    ],
}
BAD_IDS = {"H", "S1", "S2", "S9", "kiwi", "strawbery", "apple", "D1", "P1", "pikup", "colour"}
BAD_IDS |= {"van", "cold", "lots", "delivery", "pickup", "transfer"}  # echoed choices


@pytest.mark.parametrize(
    "broken",
    [
        BAD_BATCH,
        {**BAD_BATCH, "fleet": [], "sites": [], "extra": 1},
        {**BAD_BATCH, "orders": BAD_BATCH["orders"][2:], "fleet": BAD_BATCH["fleet"][1:2]},
    ],
)
def test_batch_errors_are_chinese(tmp_path: Path, broken: dict) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(broken))
    run = runner.invoke(app, ["solve", str(path), "--lang", "zh-CN", "--quiet"])
    assert run.exit_code == 2
    assert "错误" in run.output
    assert not english_words(run.output, BAD_IDS), run.output
    english = runner.invoke(app, ["solve", str(path), "--lang", "en", "--quiet"])
    assert english_words(english.output, BAD_IDS)  # the same errors, in English


def test_solve_many_and_replan_errors_are_chinese(tmp_path: Path, county, solved) -> None:
    """A bad batch among several (its summary table, files and error), and bad events."""
    path, out = county[0], solved[0]
    folder = tmp_path / "many"
    folder.mkdir()
    (folder / "bad.json").write_text(json.dumps(BAD_BATCH))
    (folder / "good.json").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    args = ["solve-many", str(folder), "--quiet", "--no-report", "--time-limit", "1"]
    run = runner.invoke(app, [*args, "--out", str(tmp_path / "zh"), "--lang", "zh-CN"])
    assert run.exit_code == 2
    ids = BAD_IDS | {"bad", "good", "batch", "summary"}  # file names; <batch>/summary.csv
    assert not english_words(run.output, ids), run.output
    summary = [(tmp_path / "zh" / f"summary.{x}").read_text("utf-8-sig") for x in ("csv", "md")]
    assert all("状态" in text and "输入有误" in text for text in summary), summary
    assert not english_words("\n".join(summary), ids), summary
    english = runner.invoke(app, [*args, "--out", str(tmp_path / "en"), "--lang", "en"])
    assert english_words(english.output, ids)
    csv_en = (tmp_path / "en" / "summary.csv").read_text(encoding="utf-8")
    assert csv_en.startswith("county,status,cost,km,empty_km,vehicles,unserved,wall_s,")
    events = tmp_path / "events.json"
    events.write_text(json.dumps({"now": "25:99", "cancel_orders": [7]}))
    replan = ["replan", str(path), str(out / "plan.json"), str(events), "--out", str(tmp_path)]
    run = runner.invoke(app, [*replan, "--lang", "zh-CN"])
    assert run.exit_code == 2
    assert not english_words(run.output), run.output
    assert english_words(runner.invoke(app, [*replan, "--lang", "en"]).output)


def test_validate_speaks_chinese(tmp_path: Path, county, solved) -> None:
    path, batch = county
    out, _ = solved
    ok = runner.invoke(app, ["validate", str(path), str(out / "plan.json"), "--lang", "zh-CN"])
    assert ok.exit_code == 0 and "方案有效" in ok.output
    assert not english_words(ok.output, batch_ids(batch))
    for text in ("{nope", json.dumps({"routes": 3})):
        bad = tmp_path / "plan.json"
        bad.write_text(text)
        run = runner.invoke(app, ["validate", str(path), str(bad), "--lang", "zh-CN"])
        assert run.exit_code == 2
        # A JSON parser's own message (after the file name) stays as Python wrote it.
        shown = re.sub(r"plan\.json: .*", "", run.output)
        assert not english_words(shown, batch_ids(batch)), run.output


def test_validate_violations_are_chinese(tmp_path: Path, county, solved) -> None:
    """A plan broken on several rules (capacity, time window, shelf life, unknown and
    missing orders): every violation line reads in Chinese; the same in English does not."""
    _, batch = county
    out, _ = solved
    fleet = [vt.model_copy(update={"capacity_kg": 1.0}) for vt in batch.fleet]
    fresh = [o.model_copy(update={"min_freshness": 0.99999}) for o in batch.orders]
    strict = with_orders(batch.model_copy(update={"fleet": fleet}), fresh)
    batch_file = tmp_path / "batch.json"
    batch_file.write_text(strict.model_dump_json(by_alias=True), encoding="utf-8")
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    stop = next(s for s in plan["routes"][0]["stops"] if s["load"] or s["unload"])
    stop["load"].append("GHOST")
    stop["start"] = stop["departure"] = 1439.0  # after every window and shift
    plan["orders"] = plan["orders"][1:]
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps(plan), encoding="utf-8")
    ids = batch_ids(batch) | {"GHOST"}
    runs = {
        lang: runner.invoke(app, ["validate", str(batch_file), str(plan_file), "--lang", lang])
        for lang in ("zh-CN", "en")
    }
    zh, en = runs["zh-CN"], runs["en"]
    assert zh.exit_code == en.exit_code == 1, zh.output
    for kind in ("载重容积", "时间窗", "新鲜度", "覆盖", "时刻"):
        assert f"[{kind}]" in zh.output, zh.output
    assert "未知订单 GHOST" in zh.output and "剩余保质期" in zh.output
    assert not english_words(zh.output, ids), zh.output
    assert "[capacity]" in en.output and "unknown order GHOST" in en.output
    assert english_words(en.output, ids) >= {"order", "capacity", "shelf", "life"}


ROAD_LAYERS = {
    "no class attribute": ({"name": "x"}, [[113.0, 23.0], [113.01, 23.0]]),
    "no lines": ({"highway": "primary"}, [113.0, 23.0]),
    "no usable line": ({"highway": "primary"}, [[113.0, 23.0], [113.0, 23.0]]),
    "degrees out of range": ({"highway": "primary"}, [[113.0, 23.0], [500000.0, 3e6]]),
}


@pytest.mark.parametrize("roads", ["missing", *ROAD_LAYERS])
def test_road_network_errors_are_chinese(tmp_path: Path, county, roads: str) -> None:
    """A road layer that is missing, has no road-class attribute, no lines, no usable
    line or coordinates its CRS cannot have is reported in Chinese; the same in English
    says it in English."""
    _, batch = county
    if roads in ROAD_LAYERS:
        properties, coordinates = ROAD_LAYERS[roads]
        kind = "Point" if not isinstance(coordinates[0], list) else "LineString"
        geometry = {"type": kind, "coordinates": coordinates}
        feature = {"type": "Feature", "properties": properties, "geometry": geometry}
        layer = {"type": "FeatureCollection", "features": [feature]}
        (tmp_path / "roads.geojson").write_text(json.dumps(layer), encoding="utf-8")
    travel = {"mode": "road_network", "path": "roads.geojson"}
    data = json.loads(batch.model_dump_json(by_alias=True)) | {"travel": travel}
    path = tmp_path / "batch.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    runs = {
        lang: runner.invoke(
            app, ["solve", str(path), "--time-limit", "1", "--out", str(tmp_path), "--lang", lang]
        )
        for lang in ("zh-CN", "en")
    }
    assert runs["zh-CN"].exit_code == runs["en"].exit_code == 2, runs["en"].output
    assert not english_words(runs["zh-CN"].output, batch_ids(batch)), runs["zh-CN"].output
    assert english_words(runs["en"].output, batch_ids(batch)), runs["en"].output


def test_import_errors_are_chinese() -> None:
    run = runner.invoke(
        app,
        [
            "import",
            str(FIXTURES / "orders_bad.xlsx"),
            str(FIXTURES / "sites_bad_zh.csv"),
            "--lang",
            "zh-CN",
            "--out",
            "/dev/null",
        ],
    )
    assert run.exit_code == 2 and "表格" in run.output
    quoted = set(re.findall(r"[“'‘]([^”'’]+)[”'’]", run.output))  # cells as the user wrote them
    codes = {"hub", "collection_centre", "station", "delivery", "pickup", "transfer"}  # accepted
    assert not english_words(run.output, quoted | codes), run.output


def test_siting_comparison_files_are_chinese() -> None:
    from tests.test_siting_decision import result

    results = [result("today", 900.0), result("east", 800.0, 150000.0, 40.0)]
    spreads = [DaySpread("today", 3, 900.0, 12.0, 880.0, 915.0, 80.0, 2.0, 0.3, 0.01)]
    texts = [comparison_markdown(results, "zh-CN"), comparison_csv(results, "zh-CN")]
    texts += [spread_markdown(spreads, "zh-CN"), spread_csv(spreads, "zh-CN")]  # days.md, .csv
    for text in texts:
        assert not english_words(text, {"today", "east"}), text
    assert english_words(comparison_markdown(results, "en"), {"today", "east"})
    assert english_words(spread_markdown(spreads, "en"), {"today"})


def test_every_catalogue_text_has_chinese() -> None:
    """Each English text has a Chinese one, and no Chinese text keeps English words
    (placeholders and the names in ``KEEP`` aside)."""
    en, zh_cn = CATALOGUES["en"], CATALOGUES["zh-CN"]
    assert sorted(set(en) - set(zh_cn)) == []
    leaks = {}
    for key, text in zh_cn.items():
        # Field names a message points at stay as in the batch file.
        words = english_words(re.sub(r"\{[^}]*\}", " ", text), {"site", "open", "base"})
        if words:
            leaks[key] = words
    assert leaks == {}


def test_api_problems_follow_accept_language(api: Api) -> None:
    bad = small_batch(seed=1)
    bad["orders"][3]["kg"] = -5
    bad["orders"][4]["kind"] = "pikup"
    bad["fleet"][0]["shift_end"] = 1
    ids = {"pikup", "delivery", "pickup", "transfer"}
    headers = api.headers()
    r = api.client.post("/v1/batches", json=bad, headers={**headers, "Accept-Language": "zh-CN"})
    body = r.json()
    assert r.status_code == 422 and body["title"] == "输入有误"
    assert body["errors"][0]["path"] == "orders[3].kg"
    texts = [body["title"], body["detail"], *(e["reason"] for e in body["errors"])]
    assert not english_words("\n".join(texts), ids), texts
    en = api.client.post("/v1/batches", json=bad, headers=headers).json()
    assert en["title"] == "Invalid input" and english_words(en["detail"], ids)
    assert [e["path"] for e in en["errors"]] == [e["path"] for e in body["errors"]]
    assert all("_zh" not in e for e in en["errors"] + body["errors"])


def test_api_siting_problems_follow_accept_language(api: Api) -> None:
    batch = small_batch(seed=1)
    request = {"batch": batch, "model": "pmedian", "p": 999, "must_open": ["nowhere"]}
    r = api.client.post(
        "/v1/siting/optimize", json=request, headers={**api.headers(), "Accept-Language": "zh"}
    )
    body = r.json()
    assert r.status_code == 422, body
    texts = [body["detail"], *(e["reason"] for e in body["errors"])]
    assert not english_words("\n".join(texts), {"nowhere"}), texts


def test_api_http_errors_follow_accept_language(api: Api) -> None:
    zh_cn = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
    texts = []
    for path, headers in (
        ("/v1/jobs/nope", api.headers()),
        ("/v1/plans/nope", api.headers()),
        ("/v1/siting/results/nope", api.headers()),
        ("/v1/jobs/nope", {}),
        ("/v1/no-such-path", {}),
    ):
        r = api.client.get(path, headers={**headers, **zh_cn})
        assert r.status_code in (401, 404), r.text
        assert r.headers["content-language"] == "zh-CN"
        texts.append(r.json()["detail"])
    assert not english_words("\n".join(texts), {"X-API-Key"}), texts
    en = api.client.get("/v1/jobs/nope", headers=api.headers()).json()["detail"]
    assert en == "job not found"


def test_api_body_errors_follow_accept_language(api: Api) -> None:
    """Refusals before the schema (empty body, bad JSON, limits) in Chinese too."""
    zh_cn = {**api.headers(), "Accept-Language": "zh", "Content-Type": "application/json"}
    texts = []
    for body in (b"", b"{nope", b'{"orders": [1e999]}', b'{"zz": NaN}'):
        r = api.client.post("/v1/batches", content=body, headers=zh_cn)
        assert r.status_code == 422, r.text
        texts += [r.json()["detail"], *(e["reason"] for e in r.json()["errors"])]
    r = api.client.post("/v1/batches", content=b"x", headers={**zh_cn, "Content-Type": "text/csv"})
    assert r.status_code == 415
    texts.append(r.json()["detail"])
    # What Python's JSON parser says about where the text breaks stays as it wrote it.
    shown = "\n".join(re.sub(r"JSON：.*", "JSON：", x) for x in texts)
    assert not english_words(shown, {"NaN", "text", "csv", "application", "json"}), texts


def test_site_optimize_errors_are_chinese(tmp_path: Path) -> None:
    batch = write_batch(generate_county(8, 3), tmp_path / "county.json")
    run = runner.invoke(
        app,
        ["site", "optimize", str(batch), "--p", "999", "--must-open", "nowhere", "--lang", "zh"],
    )
    assert run.exit_code == 2 and "p=999" in run.output, run.output
    assert not english_words(run.output, {"nowhere", "p"}), run.output
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"name": "old", "batch": "county.json", "opening_cost": {}}))
    run = runner.invoke(app, ["site", "evaluate", str(old), "--lang", "zh-CN"])
    assert run.exit_code == 2 and "build_cost_cny" in run.output, run.output
    assert not english_words(run.output, {"old", "site optimize"}), run.output  # a command


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        (None, "en"),
        ("fr", "en"),
        ("*", "en"),
        ("zh", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("zh-CN,zh;q=0.9,en;q=0.5", "zh-CN"),
        ("en-US,en;q=0.9,zh;q=0.8", "en"),
        ("zh;q=0, fr", "en"),
    ],
)
def test_problem_language_defaults_to_english(header: str | None, lang: str) -> None:
    from api.problems import request_lang

    assert request_lang(header) == lang


@pytest.fixture(scope="module")
def road_county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Batch]:
    """A county on roads that warn: a point and a detached lane of an unknown class in the
    road file, and a village moved 3 km away from any road."""
    folder = tmp_path_factory.mktemp("zh-roads")
    roads = folder / "county.roads.geojson"
    county = generate_county(8, 1, roads=roads)
    county.options.time_limit_s = 1
    county.options.baseline = False
    far = next(s for s in county.sites if s.kind == "station")
    sites = [s.model_copy(update={"lat": s.lat + 0.03}) if s is far else s for s in county.sites]
    county = county.model_copy(update={"sites": sites})
    layer = json.loads(roads.read_text(encoding="utf-8"))
    lane = {"type": "LineString", "coordinates": [[100.0, 20.0], [100.01, 20.0]]}
    point = {"type": "Point", "coordinates": [100.0, 20.0]}
    layer["features"] += [
        {"type": "Feature", "properties": {"highway": "mystery_lane"}, "geometry": lane},
        {"type": "Feature", "properties": {"highway": "village"}, "geometry": point},
    ]
    roads.write_text(json.dumps(layer), encoding="utf-8")
    path = write_batch(county, folder / "county.json")
    return path, county


def test_road_warnings_are_chinese(road_county, tmp_path: Path, monkeypatch) -> None:
    """The road network's warnings (dropped features, a road class with no speed, sites
    far from a road) in Chinese, on the terminal and in the map, also when the matrices
    come from the disk cache; the same run in English warns in English."""
    path, county = road_county
    monkeypatch.setenv("FRESHROUTE_CACHE_DIR", str(tmp_path / "cache"))
    ids = batch_ids(county) | {"mystery_lane", "Point"}
    args = ["solve", str(path), "--time-limit", "1", "--quiet"]
    for run_no in (1, 2):  # the second run reads the matrices from the cache
        out = tmp_path / f"zh{run_no}"
        run = runner.invoke(app, [*args, "--out", str(out), "--lang", "zh-CN"])
        assert run.exit_code == 0, run.output
        warnings = [line for line in run.output.splitlines() if line.startswith("警告")]
        assert len(warnings) == 4, run.output  # dropped, outside the largest part, class, far
        assert any("mystery_lane" in w for w in warnings), warnings
        assert not english_words("\n".join(warnings), ids), warnings
        drawn = map_page_data((out / "map.html").read_text(encoding="utf-8"))
        notes = [html.unescape(w) for w in drawn["road_warnings"]]
        assert len(notes) == 4 and not english_words("\n".join(notes), ids), notes
    assert list((tmp_path / "cache").glob("*.npz"))  # the second run had a cache to read
    en = runner.invoke(app, [*args, "--out", str(tmp_path / "en"), "--lang", "en"])
    lines = [line for line in en.output.splitlines() if line.startswith("warning:")]
    assert len(lines) == 4 and english_words("\n".join(lines), ids), en.output
    plan = tmp_path / "zh1" / "plan.json"
    report = runner.invoke(
        app, ["report", str(path), str(plan), "--out", str(tmp_path / "r"), "--lang", "zh-CN"]
    )
    assert report.exit_code == 0 and "mystery_lane" in report.output, report.output
    many = ["solve-many", str(path), "--workers", "1", "--quiet", "--no-report"]
    many += ["--time-limit", "1", "--out", str(tmp_path / "many"), "--lang", "zh-CN"]
    run = runner.invoke(app, many)
    assert run.exit_code == 0, run.output
    warnings = [line for line in run.output.splitlines() if line.startswith("警告")]
    assert len(warnings) == 4 and all(path.stem in w for w in warnings), run.output
    assert not english_words("\n".join(warnings), ids | {path.stem}), warnings


def test_api_road_problems_and_warnings_follow_accept_language(
    make_api, road_county, tmp_path: Path, monkeypatch
) -> None:
    """An unusable road file (422) and a usable one's warnings (``/batches/validate``) in
    the request's language: Chinese for zh, English otherwise."""
    monkeypatch.setenv("FRESHROUTE_CACHE_DIR", str(tmp_path / "cache"))
    path, county = road_county
    api = make_api(roads_dir=path.parent)
    headers = api.headers()
    zh_cn = {**headers, "Accept-Language": "zh-CN"}
    body = json.loads(path.read_text(encoding="utf-8"))
    ids = batch_ids(county) | {"mystery_lane", "Point"}
    reports = {
        lang: api.client.post("/v1/batches/validate", json=body, headers=h).json()
        for lang, h in (("zh-CN", zh_cn), ("en", headers))
    }
    assert reports["zh-CN"]["valid"] and len(reports["zh-CN"]["warnings"]) == 4, reports
    texts = [w["reason"] for w in reports["zh-CN"]["warnings"]]
    assert not english_words("\n".join(texts), ids), texts
    assert english_words("\n".join(w["reason"] for w in reports["en"]["warnings"]), ids)
    line = {"type": "LineString", "coordinates": [[113.0, 23.0], [113.0, 23.0]]}
    feature = {"type": "Feature", "properties": {"highway": "primary"}, "geometry": line}
    layer = {"type": "FeatureCollection", "features": [feature]}
    (path.parent / "broken.geojson").write_text(json.dumps(layer), encoding="utf-8")
    broken = body | {"travel": body["travel"] | {"path": "broken.geojson"}}
    for url in ("/v1/batches", "/v1/batches/validate"):
        zh = api.client.post(url, json=broken, headers=zh_cn).json()
        en = api.client.post(url, json=broken, headers=headers).json()
        reasons = [e["reason"] for e in zh["errors"]]
        assert reasons and not english_words("\n".join(reasons), {"broken"}), zh
        assert english_words(en["errors"][0]["reason"], {"broken"}), en


def test_api_validate_follows_accept_language(api: Api) -> None:
    """``/batches/validate``: orders left out and refusals in the request's language."""
    heavy = small_batch(seed=1)
    heavy["orders"][0]["kg"] = 90000
    zh = api.client.post(
        "/v1/batches/validate", json=heavy, headers={**api.headers(), "Accept-Language": "zh"}
    ).json()
    assert zh["infeasible"] and zh["infeasible"][0]["code"] == "too_heavy", zh
    ids = {o["id"] for o in heavy["orders"]} | {v["id"] for v in heavy["fleet"]}
    texts = [x["reason"] for x in zh["infeasible"] + zh["errors"]]
    assert not english_words("\n".join(texts), ids), texts
    en = api.client.post("/v1/batches/validate", json=heavy, headers=api.headers()).json()
    assert english_words(en["infeasible"][0]["reason"], ids)


def test_job_errors_are_in_the_language_it_was_submitted_in(make_api) -> None:
    """A solve killed at the hard time limit fails with its error in Chinese when it was
    submitted with ``Accept-Language: zh-CN``, in English otherwise."""
    api = make_api(workers=1, hard_timeout_factor=0.0, kill_grace_s=1.0)
    headers = api.headers()
    jobs = {
        lang: api.client.post(
            "/v1/batches", json=small_batch(5, 30), headers={**headers, "Accept-Language": lang}
        ).json()["job_id"]
        for lang in ("zh-CN", "en")
    }
    zh, en = (api.wait(jobs[lang], headers, timeout=60) for lang in ("zh-CN", "en"))
    assert zh["state"] == en["state"] == "failed", (zh, en)
    assert zh["error"].startswith("已终止") and not english_words(zh["error"]), zh
    assert en["error"].startswith("killed"), en


def test_worker_errors_say_themselves_in_both_languages() -> None:
    """What the worker process sends back when a batch fails is said in each language
    (the store writes the job's); as the worker sends it, pickled, it stays so."""
    import pickle

    from api.worker import _solve

    bad = small_batch(seed=1)
    bad["orders"][0]["kg"] = -1
    message = pickle.loads(pickle.dumps(_solve("j", bad, 1.0, lambda m: None, 1.0)))
    assert message[0] == "failed"
    reason = message[2]
    assert reason.startswith("invalid batch: orders[0].kg")  # English as before
    assert not english_words(reason.in_lang("zh-CN")), reason.in_lang("zh-CN")


HELP_PAGES = [
    [],
    ["solve"],
    ["replan"],
    ["solve-many"],
    ["validate"],
    ["report"],
    ["import"],
    ["generate"],
    ["site"],
    ["site", "optimize"],
    ["site", "evaluate"],
    ["site", "compare"],
    ["serve"],
    ["apikey"],
    ["apikey", "create"],
]
_RUN_CLI = """
import json, sys
from typer.testing import CliRunner
from api.cli import app
runs = [CliRunner().invoke(app, args, prog_name="freshroute") for args in %r]
json.dump([[r.exit_code, r.output] for r in runs], sys.stdout)
"""


def cli_runs(commands: list[list[str]], env: dict[str, str]) -> list[tuple[int, str]]:
    """(exit code, output) of ``freshroute`` with each of ``commands``, in a fresh process
    with ``env`` (the help language is chosen as the commands are declared)."""
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if k not in {"FRESHROUTE_LANG", "LC_ALL"}}
    clean |= {"LC_MESSAGES": "", "LANG": "C.UTF-8", "TERMINAL_WIDTH": "200", "COLUMNS": "200"}
    clean |= {"PYTHONPATH": str(Path(__file__).parents[1])} | env
    run = subprocess.run(
        [sys.executable, "-c", _RUN_CLI % (commands,)],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return [(code, text) for code, text in json.loads(run.stdout)]


def help_pages(env: dict[str, str]) -> list[str]:
    """``freshroute … --help`` of every command with ``env``."""
    runs = cli_runs([[*args, "--help"] for args in HELP_PAGES], env)
    assert all(code == 0 for code, _ in runs), runs
    return [text for _, text in runs]


# Metavars (types), argument names and values that help pages show as they are.
HELP_IDS = {"path", "float", "int", "range", "bool", "str", "list", "Path", "OUT", "DIR"}
HELP_IDS |= {"base", "others", "orders", "sites", "freshroute", "local", "ray", "auto", "true"}
HELP_IDS |= {"report", "products"}  # a default (--report) and a sheet name
HELP_IDS |= {name for args in HELP_PAGES for name in args}  # command names


@pytest.mark.parametrize(
    "env", [{"FRESHROUTE_LANG": "zh-CN"}, {"LANG": "zh_CN.UTF-8"}], ids=["FRESHROUTE_LANG", "LANG"]
)
def test_cli_help_is_chinese(env: dict[str, str]) -> None:
    """Every command's ``--help`` in Chinese when FRESHROUTE_LANG or the locale says so:
    its texts, Typer's panel titles and the usage line; in English otherwise."""
    pages = help_pages(env)
    for args, page in zip(HELP_PAGES, pages, strict=True):
        assert "用法" in page and "显示本帮助并退出" in page, page
        assert not english_words(page, HELP_IDS), (args, page)
    english = help_pages({"FRESHROUTE_LANG": "en", "LANG": "zh_CN.UTF-8"})
    assert all("Show this message and exit." in page for page in english)
    assert all(english_words(page, HELP_IDS) for page in english)


def test_a_mistyped_command_line_is_said_in_chinese() -> None:
    """A missing argument or option, an unknown option or command, in the help language."""
    mistakes = [["solve"], ["solve", "x.json", "--nope"], ["nonsense"], ["apikey", "create"]]
    ids = HELP_IDS | {"batch_file", "nope", "nonsense", "county", "x"}
    for lang, runs in (
        ("zh-CN", cli_runs(mistakes, {"FRESHROUTE_LANG": "zh-CN"})),
        ("en", cli_runs(mistakes, {})),
    ):
        assert all(code == 2 for code, _ in runs), runs
        words = [english_words(text, ids) for _, text in runs]
        assert all(words) if lang == "en" else not any(words), (lang, runs)


def test_an_invalid_engine_plan_is_reported_in_chinese(county, solved, monkeypatch) -> None:
    """Should an engine's plan ever fail validation (a bug), solve says so with the
    violations, in the chosen language and without a traceback (exit 1)."""
    from optimizer import cli
    from optimizer.plan import Plan
    from optimizer.routing.solve import InvalidPlan
    from optimizer.validate import validate_plan

    path, batch = county
    out, _ = solved
    plan = Plan.model_validate_json((out / "plan.json").read_text(encoding="utf-8"))
    small = [vt.model_copy(update={"capacity_kg": 1.0}) for vt in batch.fleet]
    violations = validate_plan(batch.model_copy(update={"fleet": small}), plan)
    assert violations

    def broken(*args: object, **kwargs: object) -> Plan:
        raise InvalidPlan(violations)

    monkeypatch.setattr(cli, "plan_batch", broken)
    runs = {
        lang: runner.invoke(app, ["solve", str(path), "--quiet", "--lang", lang])
        for lang in ("zh-CN", "en")
    }
    zh, en = runs["zh-CN"], runs["en"]
    assert zh.exit_code == en.exit_code == 1, (zh.output, en.output)
    assert not isinstance(zh.exception, InvalidPlan)  # said, not raised
    assert "方案未通过校验" in zh.output and "[载重容积]" in zh.output, zh.output
    assert not english_words(zh.output, batch_ids(batch)), zh.output
    assert "plan failed validation:" in en.output and "[capacity]" in en.output, en.output


def test_generate_speaks_chinese(tmp_path: Path) -> None:
    out = tmp_path / "county.json"
    args = ["generate", "--villages", "8", "--out", str(out)]
    zh = runner.invoke(app, [*args, "--lang", "zh-CN"])
    assert zh.exit_code == 0 and "个订单" in zh.output, zh.output
    assert not english_words(zh.output), zh.output
    assert "sites" in runner.invoke(app, args).output  # English without --lang


def test_road_warnings_keep_their_languages_in_the_cache_and_across_processes() -> None:
    """A warning stored in the matrix cache (its key and parameters) or pickled to another
    process says itself in Chinese as before; its English is unchanged."""
    import pickle

    from optimizer.network.cache import warnings_array, warnings_from
    from optimizer.network.roads import LoadReport

    report = LoadReport(path="r.geojson", empty=1, invalid=2, not_lines={"Point": 1})
    report.scc_nodes_dropped, report.nodes, report.lines = 3, 5, 4
    report.unknown_classes = {"(none)": 1, "mystery_lane": 2}
    warnings = report.messages()
    assert len(warnings) == 3
    stored = warnings_from(warnings_array(warnings))
    moved = pickle.loads(pickle.dumps(warnings))
    for again in (stored, moved):
        assert again == warnings  # the English text
        assert [w.in_lang("zh-CN") for w in again] == [w.in_lang("zh-CN") for w in warnings]
    chinese = "\n".join(w.in_lang("zh-CN") for w in stored)
    assert "（无）" in chinese and not english_words(chinese, {"mystery_lane", "Point"}), chinese
