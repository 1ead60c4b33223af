"""A coordinator's own words: sites named by name, the county's own products, did-you-mean.

Each test here failed before names were resolved and products sheets read (issue 13).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook
from pydantic import ValidationError

from optimizer.errors import input_errors
from optimizer.io.spreadsheet import SpreadsheetError, import_batch
from optimizer.model import Batch
from optimizer.routing.solve import plan_batch

FIX = Path(__file__).parent / "fixtures" / "import"
ROOT = Path(__file__).resolve().parents[1]

ORDER_HEAD = ["编号", "类型", "站点", "产品", "重量kg", "就绪时间", "备注", "联系电话"]


def _book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _sites_with(tmp_path: Path, extra: list[list[object]] = ()) -> Path:
    """The fixture county's sites (V1 仁湾村 … V6 李家村), plus ``extra`` rows."""
    rows = [line.split(",") for line in (FIX / "sites_en.csv").read_text("utf-8").splitlines()]
    return _book(tmp_path / "sites.xlsx", {"sites": [*rows, *extra]})


def _errors(orders: Path, sites: Path, lang: str = "en", **kw: object) -> list[str]:
    with pytest.raises(SpreadsheetError) as e:
        import_batch(orders, sites, lang=lang, **kw)
    return e.value.errors


def test_orders_name_sites_by_name_and_the_batch_holds_codes(tmp_path: Path) -> None:
    orders = _book(tmp_path / "orders.xlsx", {"订单": [
        ORDER_HEAD,
        ["D1", "配送", "仁湾村", "快递", 80, "06:30", "放村委会门口", "13900000001"],
        ["P1", "揽收", " 余畈村 ", "草莓", 200, "07:00", None, None],
        ["P2", "揽收", "V3", "食用菌", 100, "07:00", None, None],
    ]})
    batch = import_batch(orders, _sites_with(tmp_path))
    assert [o.site for o in batch.orders] == ["V1", "V2", "V3"]
    assert batch.orders_by_id["D1"].note == "放村委会门口"
    assert batch.orders_by_id["D1"].phone == "13900000001"
    again = Batch.model_validate(batch.model_dump(by_alias=True))  # codes, as stored
    assert [o.site for o in again.orders] == ["V1", "V2", "V3"]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "'明月村' is the name of 2 sites (V7, V8): use the site code"),
        ("zh-CN", "“明月村”是 2 个站点的名称（V7、V8），请改填站点编号"),
    ],
)
def test_an_ambiguous_name_lists_the_candidate_codes(
    tmp_path: Path, lang: str, expected: str
) -> None:
    twins = [["V7", "明月村", "station", 115.0, 30.43], ["V8", "明月村", "station", 115.0, 30.44]]
    orders = _book(tmp_path / "orders.xlsx", {"订单": [
        ORDER_HEAD, ["D1", "配送", "明月村", "快递", 80, "06:30"],
        ["D2", "配送", "V7", "快递", 80, "06:30"],  # the code still works
    ]})
    errors = _errors(orders, _sites_with(tmp_path, twins), lang)
    assert len(errors) == 1
    assert errors[0].endswith(expected)
    assert ("第 2 行" if lang == "zh-CN" else "row 2") in errors[0]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "unknown site '韦湾材' (did you mean '韦湾村' (V3)"),
        ("zh-CN", "未知站点“韦湾材”（您是不是要找：“韦湾村”（V3）"),
    ],
)
def test_an_unknown_site_gets_did_you_mean(tmp_path: Path, lang: str, expected: str) -> None:
    orders = _book(tmp_path / "orders.xlsx", {"订单": [
        ORDER_HEAD, ["D1", "配送", "韦湾材", "快递", 80, "06:30"],
    ]})
    (error,) = _errors(orders, _sites_with(tmp_path), lang)
    assert expected in error
    column = "“站点”列" if lang == "zh-CN" else "column '站点'"
    assert column in error


def test_closest_names_at_most_three_best_first() -> None:
    from optimizer.io.names import NameIndex, NameProblem, closest

    index = NameIndex([("V1", "仁湾村"), ("V2", "余畈村"), ("V3", "韦湾村"), ("V12", "")])
    with pytest.raises(NameProblem) as e:
        index.resolve("V13")
    assert {"V1", "V12"} <= {code for code, _ in e.value.candidates}
    assert len(e.value.candidates) <= 3
    assert not e.value.ambiguous
    # ties keep the given order
    assert closest("V0O3", ["V053", "V003", "V043"]) == ["V053", "V003", "V043"]
    assert closest("durian", ["strawberry", "potato"]) == []
    assert index.resolve("v12") == "V12"  # case and spaces do not matter when unique


def test_json_batch_names_sites_and_gets_did_you_mean() -> None:
    data = json.loads((ROOT / "scenarios" / "demo-county.json").read_text("utf-8"))
    by_id = {s["id"]: s for s in data["sites"]}
    data["orders"][0]["site"] = by_id["V002"]["name"]
    batch = Batch.model_validate(data)
    assert batch.orders[0].site == "V002"
    data["orders"][0]["site"] = "V0O2"
    data["orders"][1]["product"] = "strawbery"
    with pytest.raises(ValidationError) as e:
        Batch.model_validate(data)
    lines = input_errors(e.value)
    assert any(line.startswith("orders[0].site: unknown site 'V0O2' (did you mean ")
               and "(V002)" in line for line in lines), lines
    assert "orders[1].product: unknown product 'strawbery' (did you mean 'strawberry'?)" in lines


PRODUCTS = [
    ["产品", "温层", "保鲜期（天）", "保鲜期温度", "Q10", "品类"],
    ["猕猴桃", "冷藏", 30, 0, 3, None],
    ["耙耙柑", None, None, None, None, "柑橘"],
]


def test_a_products_sheet_adds_the_countys_own_products(tmp_path: Path) -> None:
    orders = _book(tmp_path / "orders.xlsx", {
        "订单": [
            ORDER_HEAD,
            ["P1", "揽收", "V1", "猕猴桃", 300, "06:00"],
            ["P2", "揽收", "V2", "耙耙柑", 200, "06:30"],
            ["D1", "配送", "V1", "快递", 80, "06:30"],
        ],
        "产品": PRODUCTS,
    })
    batch = import_batch(orders, FIX / "sites_en.csv")
    kiwi, ppg = batch.products_by_id["猕猴桃"], batch.products_by_id["耙耙柑"]
    assert (kiwi.category, kiwi.temperature_class, kiwi.shelf_life_h, kiwi.q10) == (
        "猕猴桃", "chilled", 720, 3)
    assert (ppg.category, ppg.temperature_class, ppg.shelf_life_h) == ("citrus", "cool", 336)
    assert batch.products_by_id["快递"].category == "parcels"  # the catalogue still works
    plan = plan_batch(batch, time_limit_s=1, baseline=False)
    assert plan.kpis.required_unassigned == 0
    served = {o.order: o for o in plan.orders}
    assert served["P1"].served and served["P1"].remaining_share is not None


@pytest.mark.parametrize(
    ("lang", "missing", "unknown"),
    [
        ("en", "so give the °C that shelf life holds at, Q10",
         "product '猕猴挑' is not in the catalogue or the products sheet (did you mean '猕猴桃'"),
        ("zh-CN", "请填写保鲜期对应的温度（°C）、Q10",
         "产品“猕猴挑”不在产品目录和产品表中（您是不是要找：“猕猴桃”"),
    ],
)
def test_product_errors_name_the_gap_and_the_closest_names(
    tmp_path: Path, lang: str, missing: str, unknown: str
) -> None:
    products = [PRODUCTS[0], ["猕猴桃", "冷藏", 30, None, None], ["猕猴桃2", "冷藏", 30, 0, 3]]
    orders = _book(tmp_path / "orders.xlsx", {
        "订单": [ORDER_HEAD, ["P1", "揽收", "V1", "猕猴挑", 300, "06:00"],
                 ["P2", "揽收", "V1", "猕猴桃", 300, "06:00"]],  # its row is broken: no cascade
    })
    _book(tmp_path / "products.xlsx", {"products": products})
    errors = _errors(orders, FIX / "sites_en.csv", lang, products_path=tmp_path / "products.xlsx")
    assert len(errors) == 2, errors
    assert missing in errors[0] and "products.xlsx" in errors[0]
    assert unknown in errors[1]
    hint = errors[1].split("did you mean" if lang == "en" else "您是不是要找")[1]
    assert 1 <= hint.count("'" if lang == "en" else "“") // (2 if lang == "en" else 1) <= 3


def test_catalogue_errors_list_three_closest_not_the_catalogue() -> None:
    with pytest.raises(ValidationError) as e:
        Batch.model_validate({
            "sites": [{"id": "H", "kind": "hub", "lon": 115, "lat": 30}],
            "products": [{"id": "x", "category": "straberry"}],
            "fleet": [{"id": "v", "count": 1, "capacity_kg": 100, "capacity_m3": 1}],
        })
    (line,) = input_errors(e.value)
    assert "(did you mean 'strawberry'" in line
    assert "potato" not in line and "known:" not in line


def test_cli_import_with_a_products_file_and_a_chinese_did_you_mean(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from optimizer.cli import app

    orders = _book(tmp_path / "orders.xlsx", {"订单": [
        ORDER_HEAD, ["P1", "揽收", "仁湾村", "猕猴桃", 300, "06:00"],
    ]})
    products = _book(tmp_path / "products.xlsx", {"products": PRODUCTS})
    out = tmp_path / "batch.json"
    args = ["import", str(orders), str(FIX / "sites_en.csv"), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--products", str(products)])
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text("utf-8"))
    assert saved["orders"][0]["site"] == "V1"
    assert {p["id"] for p in saved["products"]} >= {"猕猴桃", "耙耙柑"}
    result = CliRunner().invoke(app, [*args, "--lang", "zh-CN"])  # no products file
    assert result.exit_code == 2
    assert "产品“猕猴桃”不在产品目录和产品表中" in result.output
