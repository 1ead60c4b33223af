"""Build a batch from the spreadsheets county staff keep: sites, orders, optionally fleet
and products.

Each table is an ``.xlsx``/``.xls`` sheet or a ``.csv`` file whose first non-empty row is
the header. Headers may be English or Chinese (``编号``, ``经度``, ``重量kg`` …; see
``SITE_COLUMNS``, ``ORDER_COLUMNS``, ``FLEET_COLUMNS``, ``PRODUCT_COLUMNS``); phone and
note columns (``联系电话``, ``备注``) are kept for the run sheets, other unknown columns are
ignored, and rows that are empty or whose first cell starts with ``#`` are skipped. In a
workbook the sheet is found by name (``orders``/``订单``, ``sites``/``站点``,
``fleet``/``车队``, ``products``/``产品``) or is the only sheet, so one workbook can hold
all the tables. ``.xls`` (Excel 97-2003) is read with python-calamine.

An order's site (and origin, hub, centre) is a site code or a site's unique name
(``明月村``); the importer turns it into the code (``optimizer.io.names``), so the batch
holds codes. A name shared by several sites, or one naming no site, is an error on the
order's row, with the candidate codes or the three closest names.

Values: clock times as ``HH:MM`` text, Excel time cells or minutes after midnight;
``min_freshness`` as a share (0.9) or a percentage (``90%``); kinds in English or Chinese
(``配送``/``揽收``, ``县级枢纽``/``集货中心``/``村级站点``). A site's ``open``/``close``
make one time window (``time_windows`` takes several: ``08:00-12:00;14:00-18:00``).

Without a fleet table the batch gets ``default_fleet``: per hub, reefers of 1500 kg /
13 m³ at 2 °C and vans of 1000 kg / 8 m³ (domain.md §2.1), with the demo county's costs
and a 05:00-19:00 shift. Counts are generous (enough for all the kg on one trip each);
vehicles left unused cost nothing. Fleets, default or read, keep the regulation's rest
rules (4 h driving, then 20 min) unless a fleet row says ``rest_rules``/``驾驶休息`` no.
A product cell names a row of the products sheet (by id or name) or a catalogue
category, in English or Chinese (``草莓``, ``strawberry``).
A products sheet row outside the catalogue (``猕猴桃``) gives its temperature class, shelf
life (hours, or days in a ``保鲜期（天）`` column), the °C that shelf life holds at and its
Q10; a row naming a catalogue category (``耙耙柑``, category ``柑橘``) takes the rest from it.
An unknown product lists the three closest names, not the whole catalogue.

Every problem is collected, not just the first, and each names the file, the sheet, the
row as Excel shows it (header = row 1) and the column as the user wrote it, e.g.
``orders.xlsx, sheet 'orders', row 7, column 'kg': 'abc' is not a number``. Errors found
by the batch model (``orders[5].site: unknown site 'V9'``) are mapped back to the row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from optimizer.errors import error_parts
from optimizer.i18n import CATEGORY_ZH, normalize_lang, t
from optimizer.io.names import NameIndex, NameProblem, closest, did_you_mean
from optimizer.model import (
    PRODUCT_CATALOGUE,
    Batch,
    Options,
    Order,
    Product,
    Site,
    VehicleType,
    custom_product_gaps,
    parse_clock,
)

__all__ = [
    "FLEET_COLUMNS",
    "ORDER_COLUMNS",
    "PRODUCT_COLUMNS",
    "SITE_COLUMNS",
    "SpreadsheetError",
    "default_fleet",
    "import_batch",
    "resolve_category",
]


class SpreadsheetError(ValueError):
    """The spreadsheets do not make a valid batch; ``errors`` has one line per problem."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


class CellError(ValueError):
    """A cell value that cannot be read; ``key`` is an ``imp.*`` message key."""

    def __init__(self, key: str, **kw: object) -> None:
        super().__init__(key)
        self.key = key
        self.kw = kw


# -- header aliases --------------------------------------------------------------------

_STRIP = re.compile(r"[\s_\-()\[\]{}（）【】/\\.:：°℃·、,，]+")


def norm(text: object) -> str:
    """A header or keyword reduced for matching: lower case, no spaces, brackets or marks."""
    value = str(text).strip().lower().replace("³", "3")
    return _STRIP.sub("", value)


# A unit at the end of a header ("服务时间（分钟）", "weight_kg") when the bare name is known.
_UNIT_SUFFIX = re.compile(
    r"(?<=.)(分钟|minutes|mins|min|公斤|千克|kg|立方米|立方|m3|c|元|cny|小时|h)$"
)


@dataclass(frozen=True)
class Column:
    """A batch field read from a column: its aliases, parser and whether it is required."""

    field: str
    parse: Callable[[object], object]
    required: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {norm(self.field), *(norm(a) for a in self.aliases)}


# -- cell parsers ----------------------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_UNITS = r"(?:kg|公斤|千克|m3|m³|立方米|立方|方|min|分钟|分|°c|℃|c|元|cny|yuan|h|小时)"
_NUMBER = re.compile(rf"^([+-]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d*)?|[+-]?\.\d+)\s*{_UNITS}?$")


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise CellError("imp.not_number", value=value)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError("imp.not_number", value=value)
        return float(value)
    match = _NUMBER.match(str(value).strip().lower())
    if not match:
        raise CellError("imp.not_number", value=value)
    return float(match[1].replace(",", ""))


def _integer(value: object) -> int:
    number = _number(value)
    if not number.is_integer():
        raise CellError("imp.not_integer", value=value)
    return int(number)


def _clock(value: object) -> float:
    """Minutes after midnight from a time cell, ``HH:MM[:SS]`` text or a number of minutes.

    A number strictly between 0 and 1 is read as Excel's fraction of a day.
    """
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, dt.time):
        return value.hour * 60 + value.minute + value.second / 60
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 60
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value) * 1440 if 0 < value < 1 else float(value)
    text = str(value).strip().replace("：", ":")
    text = re.sub(r"^(\d{1,2}:\d{2}):\d{2}$", r"\1", text)
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    try:
        return float(parse_clock(text))  # type: ignore[arg-type]
    except ValueError:
        raise CellError("imp.not_clock", value=value) from None


_TRUE = {"true", "yes", "y", "1", "是", "有", "对", "冷藏", "冷藏车", "√", "✓", "x"}
_FALSE = {"false", "no", "n", "0", "否", "无", "没有", "常温", "常温车", "×", "-"}


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    key = norm(value) if not isinstance(value, int | float) else str(int(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise CellError("imp.not_bool", value=value)


def _rest_rules(value: object) -> dict[str, Any] | None:
    """Yes: the regulation's rest rules (``model.RestRules`` defaults); no: none."""
    return {} if _bool(value) else None


def _share(value: object) -> float:
    text = str(value).strip()
    if text.endswith(("%", "％")):
        try:
            return float(text[:-1]) / 100
        except ValueError:
            raise CellError("imp.not_share", value=value) from None
    try:
        number = _number(value)
    except CellError:
        raise CellError("imp.not_share", value=value) from None
    if 1 < number <= 100:
        return number / 100
    if number < 0 or number > 100:
        raise CellError("imp.not_share", value=value)
    return number


_RANGE = re.compile(r"^(.+?)\s*(?:-|–|—|~|～|至|到)\s*(.+)$")


def _windows(value: object) -> list[dict[str, float]]:
    out = []
    for part in re.split(r"[;；,，、\n]+", str(value).strip()):
        if not part.strip():
            continue
        match = _RANGE.match(part.strip())
        if not match:
            raise CellError("imp.bad_window", value=value)
        try:
            out.append({"start": _clock(match[1]), "end": _clock(match[2])})
        except CellError:
            raise CellError("imp.bad_window", value=value) from None
    return out


def _choice(table: dict[str, str], label: str) -> Callable[[object], str]:
    """A parser for a kind column; ``label`` is the catalogue prefix naming the choices."""
    normalized = {norm(k): v for k, v in table.items()}
    choices = tuple(dict.fromkeys(table.values()))

    def parse(value: object) -> str:
        found = normalized.get(norm(value))
        if found is None:
            raise CellError("imp.bad_kind", value=value, choices=choices, label=label)
        return found

    return parse


def _cell_message(error: CellError, lang: str) -> str:
    kw = dict(error.kw)
    if "choices" in kw:
        label = kw.pop("label")
        choices: tuple[str, ...] = kw["choices"]  # type: ignore[assignment]
        kw["choices"] = ", ".join(
            f"{t(f'{label}{c}', lang)} ({c})" if lang == "zh-CN" else c for c in choices
        )
    return t(error.key, lang, **kw)


SITE_KINDS: dict[str, str] = {
    **dict.fromkeys(["hub", "county hub", "depot", "枢纽", "县级枢纽", "县仓", "县级仓",
                     "仓库", "配送中心", "县级物流中心"], "hub"),
    **dict.fromkeys(["collection_centre", "collection center", "centre", "center", "cc",
                     "集货中心", "产地仓", "集配中心", "预冷中心"], "collection_centre"),
    **dict.fromkeys(["station", "village", "village station", "farm", "stop", "站点",
                     "村级站点", "村站", "村", "村级服务站", "服务站", "农户", "合作社",
                     "基地"], "station"),
}
ORDER_KINDS: dict[str, str] = {
    **dict.fromkeys(["delivery", "d", "down", "deliver", "配送", "下行", "送货", "派送"],
                    "delivery"),
    **dict.fromkeys(["pickup", "p", "up", "collect", "collection", "揽收", "上行", "收货",
                     "收购", "揽件"], "pickup"),
    **dict.fromkeys(["transfer", "t", "across", "调运", "站间调运", "调拨"], "transfer"),
}

# Extra Chinese product words mapped to catalogue categories (besides ``CATEGORY_ZH``).
PRODUCT_ALIASES: dict[str, str] = {
    "西红柿": "tomato", "橘子": "citrus", "橙子": "citrus", "柑": "citrus", "桔子": "citrus",
    "快递": "parcels", "包裹": "parcels", "日用品": "parcels", "工业品": "parcels",
    "蔬菜": "leafy_greens", "青菜": "leafy_greens", "菠菜": "leafy_greens",
    "蘑菇": "mushroom", "香菇": "mushroom", "马铃薯": "potato", "桃子": "peach",
    "冻品": "frozen_food", "速冻食品": "frozen_food", "玉米": "sweet_corn",
    "卷心菜": "cabbage", "包菜": "cabbage", "大白菜": "cabbage", "蛋": "eggs",
    "西蓝花": "broccoli", "奶": "milk", "鲜奶": "milk", "肉": "pork", "鲜肉": "pork",
}


def resolve_category(text: str) -> str | None:
    """The catalogue category a product cell names (English id, Chinese name or alias)."""
    key = norm(text)
    for category in PRODUCT_CATALOGUE:
        if key in (norm(category), norm(category.replace("_", " "))):
            return category
    for category, zh in CATEGORY_ZH.items():
        if key == norm(zh):
            return category
    return PRODUCT_ALIASES.get(str(text).strip())


_CONTACT_COLUMNS: tuple[Column, ...] = (
    Column("phone", _text, False, ("tel", "telephone", "mobile", "contact phone", "phone number",
                                   "电话", "联系电话", "手机", "手机号", "手机号码", "联系方式")),
    Column("note", _text, False, ("notes", "remark", "remarks", "comment", "comments", "备注",
                                  "说明", "注意事项", "备注说明")),
)

SITE_COLUMNS: tuple[Column, ...] = (
    Column("id", _text, True, ("site id", "code", "编号", "站点编号", "编码", "代码", "站点代码")),
    Column("name", _text, False, ("site name", "名称", "站点名称", "名字", "站名")),
    Column("kind", _choice(SITE_KINDS, "site."), True,
           ("type", "site type", "类型", "站点类型", "种类")),
    Column("lon", _number, True, ("lng", "long", "longitude", "x", "经度")),
    Column("lat", _number, True, ("latitude", "y", "纬度")),
    Column("service_min", _number, False, ("service", "service time", "service minutes",
                                           "服务时间", "服务分钟", "服务时长", "作业时间",
                                           "作业时长", "装卸时间", "装卸时间分钟")),
    Column("open", _clock, False, ("opens", "window start", "start", "开始时间", "开门时间",
                                   "营业开始", "最早时间", "开始", "最早到达")),
    Column("close", _clock, False, ("closes", "window end", "end", "结束时间", "关门时间",
                                    "营业结束", "最晚时间", "结束", "最晚到达")),
    Column("time_windows", _windows, False, ("windows", "time window", "时间窗", "作业时间窗")),
    Column("storage_temp_c", _number, False, ("storage temp", "storage temperature",
                                              "cold room", "cold room c", "冷库温度",
                                              "储存温度", "存储温度", "冷库")),
    Column("cutoff", _clock, False, ("cut off", "截单时间", "截止时间", "截单", "截止")),
    Column("single_visit", _bool, False, ("single visit", "one visit", "一次服务", "单次到访")),
    *_CONTACT_COLUMNS,
)

ORDER_COLUMNS: tuple[Column, ...] = (
    Column("id", _text, True, ("order id", "order", "编号", "订单号", "订单编号", "单号")),
    Column("kind", _choice(ORDER_KINDS, "order."), True, ("type", "order type", "类型", "订单类型",
                                                "方向", "业务类型")),
    Column("site", _text, True, ("station", "site id", "站点", "站点编号", "村级站点", "地点")),
    Column("product", _text, True, ("产品", "品类", "货品", "商品", "货物")),
    Column("kg", _number, True, ("weight", "weight kg", "重量", "重量kg", "公斤", "重量公斤")),
    Column("m3", _number, False, ("volume", "volume m3", "体积", "体积m3", "体积立方米", "方数")),
    Column("ready", _clock, False, ("ready time", "harvest", "harvest time", "就绪时间",
                                    "就绪", "采摘时间", "备货时间", "可装货时间")),
    Column("min_freshness", _share, False, ("freshness", "min freshness", "最低保鲜",
                                            "最低新鲜度", "最低剩余保鲜期", "保鲜要求")),
    Column("penalty", _number, False, ("罚金", "惩罚", "未送罚金", "违约金", "未完成罚金")),
    Column("origin", _text, False, ("from", "from station", "origin station", "起点",
                                    "起运站点", "发货站点", "调出站点")),
    Column("hub", _text, False, ("枢纽", "县级枢纽", "发货枢纽")),
    Column("centre", _text, False, ("center", "collection centre", "collection center",
                                    "集货中心", "产地仓")),
    *_CONTACT_COLUMNS,
)

TEMPERATURE_CLASSES: dict[str, str] = {
    **dict.fromkeys(["frozen", "冷冻", "冻品", "冷冻品"], "frozen"),
    **dict.fromkeys(["chilled", "冷藏", "冷藏品", "冷鲜"], "chilled"),
    **dict.fromkeys(["cool", "阴凉", "冷凉", "凉爽"], "cool"),
    **dict.fromkeys(["ambient", "常温", "室温", "干货"], "ambient"),
}

PRODUCT_COLUMNS: tuple[Column, ...] = (
    Column("id", _text, True, ("product", "product id", "code", "产品", "品名", "产品编号", "编号",
                               "货品")),
    Column("name", _text, False, ("product name", "名称", "产品名称", "中文名")),
    Column("category", _text, False, ("catalogue category", "品类", "类别", "目录品类",
                                      "参照品类")),
    Column("temperature_class", _choice(TEMPERATURE_CLASSES, "temp.class."), False,
           ("temperature class", "class", "温层", "温区", "温度类别", "储运温层")),
    Column("shelf_life_h", _number, False, ("shelf life", "shelf life hours", "保鲜期",
                                            "保鲜期小时", "保质期", "保质期小时")),
    Column("shelf_life_days", _number, False, ("shelf life days", "shelf life d", "保鲜期天",
                                               "保鲜天数", "保质期天", "保鲜期天数")),
    Column("ref_temp_c", _number, False, ("ref temp", "reference temperature", "shelf life temp",
                                          "保鲜温度", "参考温度", "保鲜期温度", "储藏温度")),
    Column("q10", _number, False, ("温度系数",)),
    Column("perishable", _bool, False, ("易腐", "是否易腐", "生鲜")),
)

FLEET_COLUMNS: tuple[Column, ...] = (
    Column("id", _text, True, ("type", "vehicle type", "编号", "车型编号", "车型")),
    Column("name", _text, False, ("名称", "车型名称")),
    Column("count", _integer, True, ("number", "vehicles", "数量", "车辆数", "台数")),
    Column("capacity_kg", _number, True, ("kg", "capacity", "载重", "载重kg", "额定载重")),
    Column("capacity_m3", _number, True, ("m3", "volume", "容积", "容积m3", "车厢容积")),
    Column("refrigerated", _bool, False, ("reefer", "冷藏", "是否冷藏")),
    Column("compartment_temp_c", _number, False, ("compartment temp", "车厢温度")),
    Column("cost_per_km", _number, False, ("per km", "每公里成本", "公里成本")),
    Column("cost_per_hour", _number, False, ("per hour", "每小时成本", "小时成本")),
    Column("fixed_cost", _number, False, ("fixed", "固定成本", "日固定成本")),
    Column("shift_start", _clock, False, ("shift from", "出车时间", "班次开始", "上班时间")),
    Column("shift_end", _clock, False, ("shift to", "收车时间", "班次结束", "下班时间")),
    Column("max_duration_min", _number, False, ("max duration", "最长工时", "最长工时分钟")),
    Column("rest_rules", _rest_rules, False, ("rest rules", "rests", "驾驶休息", "休息规定",
                                              "疲劳驾驶限制")),
    Column("start", _text, False, ("start site", "起点", "出发地")),
    Column("end", _text, False, ("end site", "终点", "收车地")),
)

SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "sites": ("sites", "site", "站点", "站点表", "网点", "地点"),
    "orders": ("orders", "order", "订单", "订单表", "订单明细"),
    "fleet": ("fleet", "vehicles", "vehicle", "车队", "车辆", "车型"),
    "products": ("products", "product", "产品", "产品表", "品类", "货品"),
}


# -- reading tables --------------------------------------------------------------------


@dataclass
class Table:
    """A sheet or CSV file: header texts and data rows with their Excel row numbers."""

    file: str
    sheet: str | None
    header: list[str]
    rows: list[tuple[int, list[object]]]


@dataclass
class Reader:
    """Reads tables and collects located messages in one language, sorted by place."""

    lang: str
    _errors: list[tuple[tuple[int, str, int, int], str]] = field(default_factory=list)
    _files: dict[str, int] = field(default_factory=dict)
    _books: dict[Path, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        """Messages by file (in the order first seen), sheet and row."""
        return [text for _, text in sorted(self._errors, key=lambda e: e[0])]

    def where(self, file: str, sheet: str | None, row: int | None = None,
              column: str | None = None) -> str:
        parts = [t("imp.where_sheet", self.lang, file=file, sheet=sheet) if sheet
                 else t("imp.where_file", self.lang, file=file)]
        if row is not None:
            parts.append(t("imp.row", self.lang, row=row))
        if column is not None:
            parts.append(t("imp.column", self.lang, column=column))
        return ("，" if self.lang == "zh-CN" else ", ").join(parts)

    def add(self, message: str, file: str | None = None, sheet: str | None = None,
            row: int | None = None, column: str | None = None) -> None:
        """Record ``message`` at a place (or unplaced, listed last, when ``file`` is None)."""
        if file is None:
            key = (len(self._files) + 1, "", 0, len(self._errors))
            self._errors.append((key, message))
            return
        order = self._files.setdefault(file, len(self._files))
        key = (order, sheet or "", row or 0, len(self._errors))
        sep = "：" if self.lang == "zh-CN" else ": "
        self._errors.append((key, f"{self.where(file, sheet, row, column)}{sep}{message}"))

    def read(self, path: Path, what: str, *, optional: bool = False) -> Table | None:
        """The ``what`` table of a file; ``optional``: a workbook's sheet named ``what``
        if it has one, else None without a message (a CSV file is never looked into)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if optional and (suffix not in (".xlsx", ".xlsm", ".xls") or not path.is_file()):
            return None
        if not path.is_file():
            self.add(f"{t('imp.not_found', self.lang)} ({path})", path.name)
            return None
        try:
            if suffix == ".csv":
                return self._csv(path)
            if suffix in (".xlsx", ".xlsm"):
                return self._xlsx(path, what, optional)
            if suffix == ".xls":
                return self._xls(path, what, optional)
        except Exception as e:  # the readers raise many kinds for a damaged file
            if optional:  # the same file's required table reports it
                return None
            msg = t("imp.unreadable", self.lang, reason=f"{type(e).__name__}: {e}")
            self.add(msg, path.name)
            return None
        self.add(t("imp.bad_format", self.lang), path.name)
        return None

    def _csv(self, path: Path) -> Table:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")  # what Excel on Chinese Windows writes
        first = next((line for line in text.splitlines() if line.strip()), "")
        delimiter = max((",", ";", "\t"), key=first.count)
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        return _table(path.name, None, list(enumerate(records, start=1)))

    def _sheet(self, path: Path, names: list[str], what: str, optional: bool) -> str | None:
        """The sheet holding ``what``: by name, else the only sheet (unless ``optional``)."""
        wanted = {norm(n) for n in SHEET_NAMES[what]}
        chosen = next((n for n in names if norm(n) in wanted), None)
        if optional:
            return chosen
        if chosen is None and len(names) == 1:
            chosen = names[0]
        if chosen is None:
            wanted_text = " / ".join(f"'{n}'" for n in SHEET_NAMES[what])
            sheets = ", ".join(f"'{n}'" for n in names)
            self.add(t("imp.no_sheet", self.lang, wanted=wanted_text, sheets=sheets), path.name)
        return chosen

    def _xlsx(self, path: Path, what: str, optional: bool) -> Table | None:
        from openpyxl import load_workbook

        book = self._books.get(path)
        if book is None:
            book = self._books[path] = load_workbook(path, read_only=True, data_only=True)
        chosen = self._sheet(path, book.sheetnames, what, optional)
        if chosen is None:
            return None
        sheet = book[chosen]
        sheet.reset_dimensions()  # some writers store wrong dimensions; read every row
        rows = sheet.iter_rows(min_row=1, values_only=True)
        return _table(path.name, chosen, [(i, list(r)) for i, r in enumerate(rows, start=1)])

    def _xls(self, path: Path, what: str, optional: bool) -> Table | None:
        """An Excel 97-2003 workbook, read with python-calamine (time cells come back as
        ``datetime.time``, empty cells as "")."""
        from python_calamine import CalamineWorkbook

        book = self._books.get(path)
        if book is None:
            book = self._books[path] = CalamineWorkbook.from_path(str(path))
        chosen = self._sheet(path, list(book.sheet_names), what, optional)
        if chosen is None:
            return None
        rows = book.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
        return _table(path.name, chosen, [(i, list(r)) for i, r in enumerate(rows, start=1)])

    def close(self) -> None:
        for book in self._books.values():
            book.close()


def _table(file: str, sheet: str | None, numbered: list[tuple[int, list[object]]]) -> Table:
    content = [(n, r) for n, r in numbered if any(not _blank(c) for c in r)]
    if not content:
        return Table(file, sheet, [], [])
    (_, header), body = content[0], content[1:]
    rows = [(n, r) for n, r in body if not str(r[0] if r else "").strip().startswith("#")]
    return Table(file, sheet, ["" if h is None else str(h).strip() for h in header], rows)


# -- parsing rows ----------------------------------------------------------------------


@dataclass
class Origin:
    """Where a batch list item came from, to point errors at the sheet."""

    table: Table
    row: int
    headers: dict[str, str]  # field -> header as written


@dataclass
class Parsed:
    items: list[dict[str, Any]] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    broken_ids: set[str] = field(default_factory=set)
    broken_names: set[str] = field(default_factory=set)
    broken: int = 0

    def drop(self, keep: list[bool]) -> None:
        """Keep the items whose flag is set, counting the others as broken."""
        for item, ok in zip(self.items, keep, strict=True):
            if not ok:
                self.broken += 1
                self.broken_ids.add(str(item.get("id")))
                if item.get("name"):
                    self.broken_names.add(str(item["name"]))
        self.items = [i for i, ok in zip(self.items, keep, strict=True) if ok]
        self.origins = [o for o, ok in zip(self.origins, keep, strict=True) if ok]


def _columns(reader: Reader, table: Table, spec: tuple[Column, ...]) -> dict[str, int] | None:
    """Field -> column index, reporting missing required and duplicate columns."""
    where = (table.file, table.sheet)
    if not table.header:
        reader.add(t("imp.empty", reader.lang), *where)
        return None
    by_name = {name: col for col in spec for name in col.names()}
    index: dict[str, int] = {}
    ok = True
    for i, header in enumerate(table.header):
        key = norm(header)
        col = by_name.get(key) or by_name.get(_UNIT_SUFFIX.sub("", key)) if key else None
        if col is None:
            continue
        if col.field in index:
            ok = False
            first = table.header[index[col.field]]
            reader.add(t("imp.duplicate_column", reader.lang, a=first, b=header,
                         field=col.field), *where)
            continue
        index[col.field] = i
    for col in spec:
        if col.required and col.field not in index:
            ok = False
            aliases = ", ".join(a for a in col.aliases[:6])
            reader.add(t("imp.missing_column", reader.lang, column=col.field, aliases=aliases),
                       *where)
    if ok and not table.rows:
        reader.add(t("imp.no_rows", reader.lang), *where)
    return index if ok else None


def _parse_rows(reader: Reader, table: Table, spec: tuple[Column, ...]) -> Parsed:
    out = Parsed()
    index = _columns(reader, table, spec)
    if index is None:
        out.broken = 1
        return out
    headers = {f: table.header[i] for f, i in index.items()}
    for number, cells in table.rows:
        item: dict[str, Any] = {}
        bad = False
        for col in spec:
            if col.field not in index:
                continue
            i = index[col.field]
            value = cells[i] if i < len(cells) else None
            if _blank(value):
                if col.required:
                    bad = True
                    reader.add(t("imp.required", reader.lang), table.file, table.sheet, number,
                               headers[col.field])
                continue
            try:
                item[col.field] = col.parse(value)
            except CellError as e:
                bad = True
                reader.add(_cell_message(e, reader.lang), table.file, table.sheet, number,
                           headers[col.field])
        if bad:
            out.broken += 1
            if isinstance(item.get("id"), str):
                out.broken_ids.add(item["id"])
            if isinstance(item.get("name"), str):
                out.broken_names.add(item["name"])
            continue
        out.items.append(item)
        out.origins.append(Origin(table, number, headers))
    return out


def _site_dicts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sites = []
    for item in items:
        site = {k: v for k, v in item.items() if k not in ("open", "close", "time_windows")}
        if "time_windows" in item:
            site["time_windows"] = item["time_windows"]
        elif "open" in item or "close" in item:
            site["time_windows"] = [{"start": item.get("open", 0.0),
                                     "end": item.get("close", 1440.0)}]
        sites.append(site)
    return sites


# -- default fleet ---------------------------------------------------------------------


def default_fleet(
    hubs: Sequence[str], total_kg: float, lang: str = "en"
) -> list[dict[str, Any]]:
    """Reefers (1500 kg, 13 m³, 2 °C) and vans (1000 kg, 8 m³) at each hub (domain.md §2.1).

    Costs follow the demo county (reefer 3 CNY/km, 50 CNY/h with the cooling unit, 250 CNY
    a day; van 2 CNY/km, 35 CNY/h, 200 CNY a day; domain.md §0, §2.4); shifts 05:00-19:00,
    12 h at most, the regulation's rest rules. Each hub gets ``max(2, ⌈total kg /
    capacity⌉)`` of each type: enough to carry everything on one trip, and unused
    vehicles cost nothing. Names are in ``lang``.
    """
    zh = normalize_lang(lang) == "zh-CN"
    reefers = max(2, math.ceil(total_kg / 1500))
    vans = max(2, math.ceil(total_kg / 1000))
    fleet = []
    for hub in hubs or [None]:  # no hub: the batch model reports it
        suffix = "" if len(hubs) <= 1 else f"@{hub}"
        common: dict[str, Any] = {"shift_start": 300.0, "shift_end": 1140.0,
                                  "max_duration_min": 720.0, "rest_rules": {}}
        if hub is not None:
            common |= {"start": hub, "end": hub}
        reefer_name = "4.2米轻型冷藏车" if zh else "4.2 m light refrigerated truck"
        van_name = "常温厢式轻卡" if zh else "Ambient light truck / van"
        fleet.append({"id": f"reefer{suffix}", "name": reefer_name,
                      "count": reefers, "capacity_kg": 1500.0, "capacity_m3": 13.0,
                      "refrigerated": True, "compartment_temp_c": 2.0, "cost_per_km": 3.0,
                      "cost_per_hour": 50.0, "fixed_cost": 250.0, **common})
        fleet.append({"id": f"van{suffix}", "name": van_name, "count": vans,
                      "capacity_kg": 1000.0, "capacity_m3": 8.0, "refrigerated": False,
                      "cost_per_km": 2.0, "cost_per_hour": 35.0, "fixed_cost": 200.0, **common})
    return fleet


# -- products --------------------------------------------------------------------------


def _catalogue_words() -> list[str]:
    """Every word a product cell may use for a catalogue category, to suggest from."""
    return [*PRODUCT_CATALOGUE, *CATEGORY_ZH.values(), *PRODUCT_ALIASES]


def _own_products(reader: Reader, parsed: Parsed) -> None:
    """Products sheet rows as batch products, in place; a row outside the catalogue that
    lacks a field the model needs is an error on its row (and the row is dropped)."""
    keep = []
    for item, origin in zip(parsed.items, parsed.origins, strict=True):
        days = item.pop("shelf_life_days", None)
        if days is not None and "shelf_life_h" not in item:
            item["shelf_life_h"] = days * 24
        given = item.get("category")
        found = (
            resolve_category(given) if given is not None
            else resolve_category(item["id"]) or resolve_category(item.get("name", ""))
        )
        item["category"] = found or given or item["id"]
        gaps = [] if found else custom_product_gaps(item)
        if gaps:
            sep = "、" if reader.lang == "zh-CN" else ", "
            hint = did_you_mean(closest(item["category"], _catalogue_words()), reader.lang)
            reader.add(
                t("imp.product_needs", reader.lang, value=item["category"],
                  fields=sep.join(t(f"imp.field.{g}", reader.lang) for g in gaps), hint=hint),
                origin.table.file, origin.table.sheet, origin.row,
                origin.headers.get("category", origin.headers["id"]),
            )
        keep.append(not gaps)
    parsed.drop(keep)


def _order_products(
    reader: Reader, orders: Parsed, own: Parsed
) -> tuple[list[dict[str, Any]], list[Origin | None]]:
    """The batch's products: the products sheet's rows, then one catalogue product per
    distinct product cell naming a category. Each order's cell becomes a product id.

    A cell naming a products-sheet row (by id or name) uses it; else a catalogue category
    (English id, Chinese name or alias); else it is an error on its row listing the three
    closest names, and the row is dropped.
    """
    products: list[dict[str, Any]] = list(own.items)
    origins: list[Origin | None] = list(own.origins)
    ids = {p["id"]: p["id"] for p in own.items}
    ids |= {p["name"]: p["id"] for p in own.items if p.get("name") and p["name"] not in ids}
    dropped = own.broken_ids | own.broken_names
    keep = []
    for item, origin in zip(orders.items, orders.origins, strict=True):
        text = item["product"]
        if text in ids or text in dropped:
            item["product"] = ids.get(text, text)  # a dropped row: reported once, there
            keep.append(True)
            continue
        category = resolve_category(text)
        if category is None:
            words = [*ids, *sorted(dropped), *_catalogue_words()]
            hint = did_you_mean(closest(text, words), reader.lang)
            reader.add(t("imp.unknown_product", reader.lang, value=text, hint=hint),
                       origin.table.file, origin.table.sheet, origin.row,
                       origin.headers["product"])
            keep.append(False)
            continue
        name = text if text != category else category.replace("_", " ").capitalize()
        products.append({"id": text, "name": name, "category": category})
        origins.append(origin)
        ids[text] = text
        keep.append(True)
    orders.drop(keep)
    return products, origins


def _order_sites(reader: Reader, orders: Parsed, sites: Parsed) -> None:
    """Site names in order rows become codes; a name naming no site or several is an
    error on its row and column (and the row is dropped)."""
    index = NameIndex((s["id"], s.get("name", "")) for s in sites.items)
    dropped = sites.broken_ids | sites.broken_names  # reported once, on the site's row
    keep = []
    for item, origin in zip(orders.items, orders.origins, strict=True):
        ok = True
        for fld in ("site", "origin", "hub", "centre"):
            value = item.get(fld)
            if value is None or value in index or value in dropped:
                continue
            try:
                item[fld] = index.resolve(value)
            except NameProblem as e:
                ok = False
                reader.add(e.message(reader.lang), origin.table.file, origin.table.sheet,
                           origin.row, origin.headers[fld])
        keep.append(ok)
    orders.drop(keep)


# -- model errors back to rows --------------------------------------------------------

_MODELS: dict[str, type[BaseModel]] = {
    "sites": Site,
    "products": Product,
    "orders": Order,
    "fleet": VehicleType,
}
_COLUMN_OF = {"time_windows": ("time_windows", "open", "close"), "product": ("product",)}
_PATH_MSG = re.compile(r"^(\w+)\[(\d+)\](?:\.(\w+))?: (.*)$")


def _report(
    reader: Reader,
    section: str,
    index: int,
    origin: Origin | None,
    fld: str | None,
    message: str,
    english: str | None = None,
) -> None:
    """Record a model error on the row (and column) a batch list item came from;
    ``english``: the message in English, where it differs (it names the field)."""
    if origin is None:  # built by the importer (the default fleet) or passed as an argument
        label = t("imp.default_fleet", reader.lang) if section == "fleet" else section
        sep = "：" if reader.lang == "zh-CN" else ": "
        reader.add(f"{label} [{index}]{'.' + fld if fld else ''}{sep}{message}")
        return
    if section == "products":
        fld = "product"
    if fld is None:  # a model-level rule; it usually starts with the field it is about
        first = re.split(r"[\s:]", english or message, maxsplit=1)[0]
        fld = first if first in origin.headers else None
    column = None
    if fld is not None:
        column = next(
            (origin.headers[c] for c in _COLUMN_OF.get(fld, (fld,)) if c in origin.headers), None
        )
        if column is None:
            message = f"{fld}: {message}"
    reader.add(message, origin.table.file, origin.table.sheet, origin.row, column)


def _pydantic_message(err: Any, lang: str = "en") -> str:
    """One pydantic error's reason in ``lang``, with the value that was given."""
    parts = error_parts(err, lang)
    msg = ("；" if lang == "zh-CN" else "; ").join(f"{p}: {r}" if p else r for p, r in parts)
    value = err.get("input")
    if err["loc"] and isinstance(value, int | float | str) and not isinstance(value, bool):
        msg += f"（输入值 {value!r}）" if lang == "zh-CN" else f" (got {value!r})"
    return msg


def _validate_items(
    reader: Reader, section: str, items: list[dict[str, Any]], origins: list[Origin | None]
) -> tuple[list[dict[str, Any]], list[Origin | None], set[str]]:
    """Check each item on its own, so field errors in one row do not hide the others'."""
    model = _MODELS[section]
    kept: list[tuple[dict[str, Any], Origin | None]] = []
    dropped: set[str] = set()
    for i, (item, origin) in enumerate(zip(items, origins, strict=True)):
        try:
            model.model_validate(item)
        except ValidationError as e:
            for err in e.errors():
                fld = str(err["loc"][0]) if err["loc"] else None
                message = _pydantic_message(err, reader.lang)
                _report(reader, section, i, origin, fld, message, _pydantic_message(err))
            dropped.add(str(item.get("id")))
            continue
        kept.append((item, origin))
    return [i for i, _ in kept], [o for _, o in kept], dropped


def _is_cascade(text: str, dropped: dict[str, set[str]], any_dropped: bool) -> bool:
    """A reference error caused by a row already reported (and left out)."""
    if any(f"unknown site '{s}'" in text for s in dropped["sites"]):
        return True
    if any(f"unknown product '{p}'" in text for p in dropped["products"]):
        return True
    return any_dropped and any(
        k in text for k in ("hubs in the batch", "collection centres;", "is not a hub",
                            "is not a collection centre", "List should have at least")
    )


# -- the entry point -------------------------------------------------------------------


def import_batch(
    orders_path: str | Path,
    sites_path: str | Path,
    *,
    fleet_path: str | Path | None = None,
    products_path: str | Path | None = None,
    products: Sequence[Product | dict[str, Any]] | None = None,
    options: Options | dict[str, Any] | None = None,
    name: str | None = None,
    lang: str = "en",
) -> Batch:
    """Read sites, orders and optionally the fleet and products from .xlsx/.xls/.csv files
    into a valid batch.

    The products table is ``products_path``, else a ``products``/``产品`` sheet in the
    orders or the sites workbook, if there is one. ``products`` replaces both the table
    and the catalogue lookup (order rows then name product ids);
    ``options`` are the batch options; ``name`` defaults to the orders file's stem.
    Raises ``SpreadsheetError`` listing every problem found, located by row and column,
    in ``lang`` (zh-CN or en; reasons from the batch model stay in English).
    """
    reader = Reader(normalize_lang(lang))
    try:
        site_table = reader.read(Path(sites_path), "sites")
        order_table = reader.read(Path(orders_path), "orders")
        fleet_table = reader.read(Path(fleet_path), "fleet") if fleet_path is not None else None
        product_table = None
        if products_path is not None:
            product_table = reader.read(Path(products_path), "products")
        elif products is None:
            for book in dict.fromkeys((Path(orders_path), Path(sites_path))):
                product_table = product_table or reader.read(book, "products", optional=True)
    finally:
        reader.close()
    parsed = {
        "sites": _parse_rows(reader, site_table, SITE_COLUMNS) if site_table else Parsed(broken=1),
        "orders": (
            _parse_rows(reader, order_table, ORDER_COLUMNS) if order_table else Parsed(broken=1)
        ),
    }
    _order_sites(reader, parsed["orders"], parsed["sites"])
    items: dict[str, list[dict[str, Any]]] = {
        "sites": _site_dicts(parsed["sites"].items),
        "orders": parsed["orders"].items,
    }
    origins: dict[str, list[Origin | None]] = {
        "sites": list(parsed["sites"].origins),
        "orders": list(parsed["orders"].origins),
    }
    if fleet_table is not None:
        parsed["fleet"] = _parse_rows(reader, fleet_table, FLEET_COLUMNS)
        items["fleet"], origins["fleet"] = parsed["fleet"].items, list(parsed["fleet"].origins)
        for vehicle in items["fleet"]:  # county fleets keep the regulation unless told not to
            vehicle.setdefault("rest_rules", {})
    elif fleet_path is not None:
        parsed["fleet"], items["fleet"], origins["fleet"] = Parsed(broken=1), [], []
    else:
        hubs = [s["id"] for s in items["sites"] if s.get("kind") == "hub"]
        total_kg = sum(o.get("kg", 0.0) for o in items["orders"])
        items["fleet"] = default_fleet(hubs, total_kg, reader.lang)
        origins["fleet"] = [None] * len(items["fleet"])
    if products is None:
        own = Parsed()
        if product_table is not None:
            own = parsed["products"] = _parse_rows(reader, product_table, PRODUCT_COLUMNS)
            _own_products(reader, own)
        elif products_path is not None:
            parsed["products"] = Parsed(broken=1)
        items["products"], origins["products"] = _order_products(reader, parsed["orders"], own)
        items["orders"], origins["orders"] = parsed["orders"].items, list(parsed["orders"].origins)
    else:
        items["products"] = [
            p.model_dump() if isinstance(p, Product) else dict(p) for p in products
        ]
        origins["products"] = [None] * len(items["products"])

    dropped: dict[str, set[str]] = {k: set(p.broken_ids) for k, p in parsed.items()}
    dropped.setdefault("products", set())
    for section in ("sites", "products", "orders", "fleet"):
        items[section], origins[section], more = _validate_items(
            reader, section, items[section], origins[section]
        )
        dropped.setdefault(section, set()).update(more)
    any_dropped = any(p.broken for p in parsed.values()) or any(dropped.values())

    if isinstance(options, Options):
        options = options.model_dump()
    data = {
        "name": name if name is not None else Path(orders_path).stem,
        **items,
        "options": options or {},
    }
    try:
        batch = Batch.model_validate(data)
    except ValidationError as e:
        batch = None
        for err in e.errors():
            loc = tuple(p for p in err["loc"] if p not in ("haversine", "matrix"))
            if loc:
                pairs = [(_pydantic_message(err), _pydantic_message(err, reader.lang))]
            else:  # the batch's reference checks: "path: reason" each, in both languages
                en, shown = error_parts(err, "en"), error_parts(err, reader.lang)
                pairs = [
                    (f"{p}: {r}" if p else r, f"{p}: {z}" if p else z)
                    for (p, r), (_, z) in zip(en, shown, strict=True)
                ]
            for part, text in pairs:
                match = _PATH_MSG.match(part) if not loc else None
                if _is_cascade(part, dropped, any_dropped):
                    continue
                if match and match[1] in origins and int(match[2]) < len(origins[match[1]]):
                    i = int(match[2])
                    reason = text.split(": ", 1)[1] if ": " in text else text
                    _report(reader, match[1], i, origins[match[1]][i], match[3], reason, match[4])
                elif loc and loc[0] in origins and len(loc) > 1 and isinstance(loc[1], int):
                    i = loc[1]
                    fld = str(loc[2]) if len(loc) > 2 else None
                    _report(reader, str(loc[0]), i, origins[str(loc[0])][i], fld, text, part)
                else:
                    where = ".".join(str(p) for p in loc)
                    reader.add(f"{where}: {text}" if where else text)
    if reader.errors:
        raise SpreadsheetError(reader.errors)
    assert batch is not None
    return batch
