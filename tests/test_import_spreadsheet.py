"""Spreadsheet import: good files make a batch that solves; bad files point at row and column."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from optimizer.io.spreadsheet import (
    SpreadsheetError,
    default_fleet,
    import_batch,
    norm,
    resolve_category,
)
from optimizer.model import Batch, Product
from optimizer.routing.solve import plan_batch

FIX = Path(__file__).parent / "fixtures" / "import"

GOOD = {
    "csv-en": ("orders_en.csv", "sites_en.csv", None),
    "xlsx-en-fleet": ("county_en.xlsx", "county_en.xlsx", "county_en.xlsx"),
    "csv-zh-gbk": ("orders_zh_gbk.csv", "sites_zh_gbk.csv", None),
    "xlsx-zh": ("county_zh.xlsx", "county_zh.xlsx", None),
    "xls-zh": ("county_zh.xls", "county_zh.xls", None),  # Excel 97-2003, read by calamine
}


def _import(case: str, **kw: object) -> Batch:
    orders, sites, fleet = GOOD[case]
    return import_batch(FIX / orders, FIX / sites, fleet_path=fleet and FIX / fleet, **kw)


def _shape(batch: Batch) -> list[tuple]:
    """What must not depend on the file format or language (product ids may be Chinese)."""
    products = batch.products_by_id
    return [
        (o.id, o.kind, o.site, products[o.product].category, o.kg, o.m3, o.ready,
         o.min_freshness, o.penalty, o.hub, o.centre, o.note)
        for o in batch.orders
    ] + [
        (s.id, s.kind, s.lon, s.lat, s.service_min,
         tuple((w.start, w.end) for w in s.time_windows), s.storage_temp_c, s.cutoff, s.phone)
        for s in batch.sites
    ]


@pytest.mark.parametrize("case", sorted(GOOD))
def test_good_files_make_a_batch_that_solves(case: str) -> None:
    batch = _import(case)
    assert len(batch.sites) == 8 and len(batch.orders) == 10
    assert batch.sites_by_id["CC1"].cutoff == 960
    assert batch.sites_by_id["V3"].storage_temp_c == 4
    assert batch.sites_by_id["V4"].time_windows == []
    assert batch.orders_by_id["P-V2"].min_freshness == pytest.approx(0.85)
    assert batch.orders_by_id["D-V4"].penalty == 200
    assert batch.orders_by_id["P-V1"].centre == "CC1"
    assert batch.orders_by_id["D-V4"].note == "可不送"  # the note and phone columns are kept
    assert batch.sites_by_id["V1"].phone == "139"
    plan = plan_batch(batch, time_limit_s=1, baseline=False)
    assert plan.kpis.required_unassigned == 0
    assert plan.routes


def test_all_formats_and_languages_agree() -> None:
    shapes = {case: _shape(_import(case)) for case in GOOD}
    first = shapes.pop("csv-en")
    for case, shape in shapes.items():
        assert shape == first, case


def test_chinese_products_keep_their_names_and_map_to_the_catalogue() -> None:
    batch = _import("xlsx-zh")
    assert batch.products_by_id["草莓"].category == "strawberry"
    assert batch.products_by_id["西红柿"].category == "tomato"
    assert batch.products_by_id["草莓"].shelf_life_h == 120
    assert batch.name == "county_zh"


def test_fleet_sheet_or_documented_default() -> None:
    with_sheet = _import("xlsx-en-fleet")
    assert [(v.id, v.count, v.refrigerated) for v in with_sheet.fleet] == [
        ("reefer", 2, True), ("van", 2, False)
    ]
    default = _import("csv-en")
    reefer, van = default.fleet
    assert (reefer.capacity_kg, reefer.capacity_m3, reefer.compartment_temp_c) == (1500, 13, 2)
    assert (van.capacity_kg, van.capacity_m3, van.refrigerated) == (1000, 8, False)
    assert reefer.start == van.start == "HUB"
    two_hubs = default_fleet(["H1", "H2"], 5000)
    assert [v["id"] for v in two_hubs] == ["reefer@H1", "van@H1", "reefer@H2", "van@H2"]
    assert two_hubs[0]["count"] == 4 and two_hubs[1]["count"] == 5


def test_products_and_options_arguments() -> None:
    products = [Product(id=p, category=p) for p in
                ("parcels", "eggs", "strawberry", "leafy_greens", "mushroom", "peach", "tomato")]
    batch = import_batch(FIX / "orders_en.csv", FIX / "sites_en.csv", products=products,
                         options={"time_limit_s": 3, "backhaul": "deliveries_first"}, name="x")
    assert batch.options.time_limit_s == 3 and batch.options.backhaul == "deliveries_first"
    assert batch.name == "x"
    with pytest.raises(SpreadsheetError) as e:
        import_batch(FIX / "orders_en.csv", FIX / "sites_en.csv", products=products[:1])
    assert any("row 4, column 'product': unknown product 'eggs'" in m for m in e.value.errors)


EXPECTED_BAD_ORDERS = [
    (3, "kg", "'abc' is not a number"),
    (4, "site", "unknown site 'V99'"),
    (5, "kind", "'return' is not one of delivery, pickup"),
    (6, "ready", "'25:99' is not a clock time"),
    (7, "product", "product 'durian' is not in the catalogue"),
    (8, "kg", "greater than or equal to 0"),
    (9, "id", "duplicate id 'D-V1'"),
    (11, "min_freshness", "less than 1"),
    (12, "site", "a value is required"),
]


def test_bad_orders_each_error_names_file_sheet_row_and_column() -> None:
    with pytest.raises(SpreadsheetError) as e:
        import_batch(FIX / "orders_bad.xlsx", FIX / "sites_en.csv")
    errors = e.value.errors
    assert isinstance(e.value, ValueError)
    assert len(errors) == len(EXPECTED_BAD_ORDERS), errors
    for (row, column, text), line in zip(EXPECTED_BAD_ORDERS, errors, strict=True):
        prefix = f"orders_bad.xlsx, sheet 'orders', row {row}, column '{column}': "
        assert line.startswith(prefix), line
        assert text in line
    assert errors[0] == "orders_bad.xlsx, sheet 'orders', row 3, column 'kg': 'abc' is not a number"


def test_bad_sites_in_chinese_and_no_cascading_errors() -> None:
    with pytest.raises(SpreadsheetError) as e:
        import_batch(FIX / "orders_en.csv", FIX / "sites_bad_zh.csv", lang="zh-CN")
    errors = e.value.errors
    assert errors == [
        "sites_bad_zh.csv，第 4 行，“经度”列：“abc”不是数字",
        "sites_bad_zh.csv，第 5 行，“类型”列：“工厂”不是以下之一：县级枢纽 (hub), "
        "集货中心（产地仓） (collection_centre), 村级站点 (station)",
        "sites_bad_zh.csv，第 6 行，“截单时间”列：cutoff（截单时间）只适用于集货中心",
    ]


def _csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_file_level_problems_are_all_reported(tmp_path: Path) -> None:
    empty = _csv(tmp_path / "empty.csv", [])
    no_kg = _csv(tmp_path / "orders.csv", [["id", "kind", "site", "product"], ["A", "配送", "V1",
                                                                            "parcels"]])
    wb = Workbook()
    wb.active.title = "notes"
    wb.create_sheet("other")
    wb.save(tmp_path / "book.xlsx")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")  # a damaged .xls
    (tmp_path / "sites.ods").write_bytes(b"PK")
    with pytest.raises(SpreadsheetError) as e:
        import_batch(no_kg, empty, fleet_path=tmp_path / "book.xlsx")
    text = "\n".join(e.value.errors)
    assert "empty.csv: is empty: no header row" in text
    assert "orders.csv: missing column 'kg' (also accepted: weight, weight kg, 重量" in text
    assert "book.xlsx: no sheet named 'fleet' / 'vehicles'" in text and "'notes', 'other'" in text
    with pytest.raises(SpreadsheetError) as e:
        import_batch(tmp_path / "missing.csv", tmp_path / "sites.ods")
    assert e.value.errors[0].startswith("sites.ods: is not an .xlsx, .xls or .csv file")
    assert e.value.errors[1].startswith("missing.csv: file not found")
    with pytest.raises(SpreadsheetError) as e:
        import_batch(no_kg, tmp_path / "old.xls")
    assert e.value.errors[0].startswith("old.xls: cannot be read: ")


def test_header_aliases_units_blank_and_comment_rows(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "站点"
    ws.append([])  # a blank first row: the header is on row 2
    ws.append(["站点编号", "站点名称", "站点类型", "经度", "纬度", "时间窗", "联系人"])
    ws.append(["HUB", "枢纽", "县级枢纽", 115.01, 30.45, None, "张三"])
    ws.append(["CC", "产地仓", "产地仓", 114.97, 30.36, "5:00-20:00", None])
    ws.append(["# 注释行", None, None, None, None, None, None])
    ws.append(["V1", "一村", "村", 114.96, 30.48, "06:00-11:00；14:00～18:00", None])
    orders = wb.create_sheet("订单明细")
    orders.append(["订单号", "方向", "村级站点", "品类", "重量（kg）", "体积(m³)", "采摘时间",
                   "保鲜要求"])
    orders.append(["P1", "上行", "V1", "草莓", "300 公斤", "1.2", dt.time(6, 0), "90%"])
    orders.append(["D1", "下行", "V1", "快递", 1200.0, None, dt.datetime(2024, 5, 1, 6, 30), None])
    orders.append(["D2", "d", "V1", "parcels", "1,000", 0, 0.25, 0])
    wb.save(tmp_path / "day.xlsx")
    batch = import_batch(tmp_path / "day.xlsx", tmp_path / "day.xlsx")
    v1 = batch.sites_by_id["V1"]
    assert [(w.start, w.end) for w in v1.time_windows] == [(360, 660), (840, 1080)]
    assert batch.sites_by_id["CC"].kind == "collection_centre"
    p1, d1, d2 = batch.orders
    assert (p1.kind, p1.kg, p1.m3, p1.ready, p1.min_freshness) == ("pickup", 300, 1.2, 360, 0.9)
    assert (d1.kind, d1.kg, d1.ready) == ("delivery", 1200, 390)
    assert (d2.kg, d2.ready) == (1000, 360)  # 0.25 of a day is 06:00
    # Row numbers count the blank first row, as Excel does.
    ws.append(["V2", "二村", "村", "东经", 30.5, None, None])
    wb.save(tmp_path / "day.xlsx")
    with pytest.raises(SpreadsheetError) as e:
        import_batch(tmp_path / "day.xlsx", tmp_path / "day.xlsx")
    assert e.value.errors == [
        "day.xlsx, sheet '站点', row 7, column '经度': '东经' is not a number"
    ]


def test_cell_parsers() -> None:
    assert norm(" 重量（kg） ") == norm("重量kg") == "重量kg"
    assert norm("Volume (m³)") == "volumem3"
    assert resolve_category("Leafy greens") == "leafy_greens"
    assert resolve_category("西红柿") == "tomato"
    assert resolve_category("durian") is None


def test_transfers_and_single_visit_stations(tmp_path: Path) -> None:
    sites = (FIX / "sites_en.csv").read_text(encoding="utf-8").splitlines()
    header = sites[0] + ",single_visit"
    rows = [r + ("," if i else "") for i, r in enumerate(sites[1:])]
    rows = [r + ("yes" if r.startswith("V1,") else "") for r in rows]
    (tmp_path / "sites.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    (tmp_path / "orders.csv").write_text(
        "id,type,from,site,product,kg\n"
        "T1,调运,V2,V3,parcels,40\n"
        "T2,transfer,V9,V3,parcels,40\n",
        encoding="utf-8",
    )
    with pytest.raises(SpreadsheetError) as e:
        import_batch(tmp_path / "orders.csv", tmp_path / "sites.csv")
    assert any("row 3" in line and "'from'" in line and "V9" in line for line in e.value.errors)
    (tmp_path / "orders.csv").write_text(
        "id,type,from,site,product,kg\nT1,调运,V2,V3,parcels,40\n", encoding="utf-8"
    )
    batch = import_batch(tmp_path / "orders.csv", tmp_path / "sites.csv")
    order = batch.orders_by_id["T1"]
    assert (order.kind, order.origin, order.site) == ("transfer", "V2", "V3")
    assert batch.sites_by_id["V1"].single_visit and not batch.sites_by_id["V2"].single_visit
