"""Message catalogues (zh-CN, en) for the CLI, the API and the reports.

County staff read Chinese, so every text a person sees goes through ``t(key, lang, **kw)``.
Keys are dotted (``kpi.empty_km``); values are ``str.format`` templates. A key missing in
zh-CN falls back to English, and an unknown key comes back as the key itself, so a missing
translation shows up visibly instead of raising in front of a user.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh-CN", "en"]
LANGS: tuple[Lang, ...] = ("zh-CN", "en")
DEFAULT_LANG: Lang = "zh-CN"

# KPI fields of ``optimizer.plan.KPIs`` in display order, with their number format.
# Labels are ``t("kpi." + field)``; shared by the CLI summary and the map's KPI panel.
KPI_ROWS: tuple[tuple[str, str], ...] = (
    ("total_cost", "{:,.0f}"),
    ("km", "{:,.1f}"),
    ("empty_km", "{:,.1f}"),
    ("empty_return_share", "{:.0%}"),
    ("vehicles_used", "{}"),
    ("vehicle_hours", "{:.1f}"),
    ("load_factor", "{:.0%}"),
    ("pickups_on_delivery_routes_share", "{:.0%}"),
    ("freshness_min", "{:.1%}"),
    ("freshness_mean", "{:.1%}"),
    ("orders_served", "{}"),
    ("orders_unassigned", "{}"),
)

# Chinese names of the catalogue categories (optimizer.model.PRODUCT_CATALOGUE); the report
# shows them in zh-CN and the spreadsheet import accepts them.
CATEGORY_ZH: dict[str, str] = {
    "strawberry": "草莓",
    "leafy_greens": "叶菜",
    "mushroom": "食用菌",
    "broccoli": "西兰花",
    "sweet_corn": "甜玉米",
    "lychee": "荔枝",
    "cherry": "樱桃",
    "peach": "桃",
    "tomato": "番茄",
    "citrus": "柑橘",
    "cabbage": "白菜",
    "eggs": "鸡蛋",
    "apple": "苹果",
    "potato": "土豆",
    "milk": "牛奶",
    "pork": "猪肉",
    "frozen_food": "冷冻食品",
    "parcels": "快递包裹",
}

_EN: dict[str, str] = {
    # CLI summary and error titles
    "cli.kpi_title": "Plan KPIs",
    "cli.kpi": "KPI",
    "cli.paired": "paired plan",
    "cli.separate": "separate fleets",
    "cli.saving": (
        "Pairing saves {cost:.1%} of cost and {empty_km:.1%} of empty km against separate fleets."
    ),
    "cli.unassigned": "unassigned",
    "cli.wrote": "wrote {files}",
    "cli.valid": "valid: {routes} routes, {served} orders served",
    "cli.violations": "{n} violation(s)",
    "error.prefix": "error:",
    "error.file_not_found": "{what} file not found",
    "error.not_json": "{what} is not valid JSON",
    "error.invalid_batch": "{path} is not a valid batch",
    "error.invalid_plan": "{path} is not a valid plan",
    "error.infeasible": "some orders cannot be served by any vehicle",
    "error.bad_option": "bad option",
    "error.spreadsheet": "the spreadsheets do not make a valid batch",
    "error.scenario_not_found": "scenario file not found",
    "error.invalid_scenario": "{path} (or its batch) is not valid",
    "error.unreadable": "{path} cannot be read",
    "error.siting_unsolvable": "the siting problem cannot be solved",
    "error.cannot_evaluate": "scenario '{name}' cannot be evaluated",
    "error.cannot_compare": "the scenarios cannot be compared",
    "error.siting_map": "the siting map cannot be drawn",
    "error.roads": "the road network cannot be used",
    "error.opening_cost_option": (
        "--opening-cost: renamed --daily-cost (CNY per day to run a centre); a one-off build "
        "cost goes in the scenario file as build_cost_cny"
    ),
    "cli.site_optimized": (
        "{model}: open {open}; objective {objective}, bound {bound}, gap {gap} ({status}, "
        "{seconds:.1f} s)"
    ),
    "siting.status.optimal": "proven optimal",
    "siting.status.feasible": "feasible, not proven optimal",
    "siting.status.infeasible": "infeasible",
    "siting.status.no_solution": "no solution within the time limit",
    "what.batch": "batch",
    "what.plan": "plan",
    "what.events": "events",
    "many.same_name": "{path}: another batch file is also named '{name}'",
    "many.solving": "solving ({executor})",
    "many.title": "{n} batches",
    "many.status.ok": "ok",
    "many.status.unserved": "unserved",
    "many.status.bad input": "bad input",
    "many.status.failed": "failed",
    "many.col.county": "county",
    "many.col.status": "status",
    "many.col.cost": "cost (CNY)",
    "many.col.km": "km",
    "many.col.empty_km": "empty km",
    "many.col.vehicles": "vehicles",
    "many.col.unserved": "unserved",
    "many.col.wall_s": "wall (s)",
    "many.col.attempts": "attempts",
    "many.col.error": "error",
    "error.invalid_events": "{path}: the events do not fit the batch and its plan",
    # KPIs
    "kpi.total_cost": "total cost (CNY)",
    "kpi.km": "km",
    "kpi.empty_km": "empty km",
    "kpi.empty_return_share": "empty return legs",
    "kpi.vehicles_used": "vehicles used",
    "kpi.vehicle_hours": "vehicle hours",
    "kpi.load_factor": "load factor",
    "kpi.pickups_on_delivery_routes_share": "pickups on delivery routes",
    "kpi.freshness_min": "freshness on arrival, min",
    "kpi.freshness_mean": "freshness on arrival, mean",
    "kpi.orders_served": "orders served",
    "kpi.orders_unassigned": "orders unassigned",
    "kpi.cost_saving": "cost saved by pairing",
    "kpi.empty_km_saving": "empty km saved by pairing",
    # domain words
    "site.hub": "county hub",
    "site.collection_centre": "collection centre",
    "site.station": "village station",
    "order.delivery": "delivery",
    "order.pickup": "pickup",
    "order.transfer": "transfer",
    "vehicle.reefer": "refrigerated truck",
    "vehicle.ambient": "ambient vehicle",
    "temp.class.frozen": "frozen",
    "temp.class.chilled": "chilled",
    "temp.class.cool": "cool",
    "temp.class.ambient": "ambient",
    "unit.kg": "kg",
    "unit.m3": "m³",
    "unit.km": "km",
    "unit.h": "h",
    "unit.cny": "CNY",
    # map
    "map.title": "Route map: {name}",
    "map.legend": "Legend",
    "map.routes": "Routes",
    "map.sites": "Sites",
    "map.kpis": "Key figures",
    "map.baseline": "separate fleets",
    "map.paired": "paired",
    "map.station_delivery": "station: delivery",
    "map.station_pickup": "station: pickup",
    "map.station_both": "station: delivery and pickup",
    "map.station_none": "station: no orders",
    "map.unserved": "has unserved orders",
    "map.direction": "arrows show the driving direction",
    "map.toggle_hint": "click a route to show or hide it",
    "map.no_tiles": "no base map: lines join the stops",
    "map.visit": "{vehicle}, stop {seq}",
    "map.stops": "{n} stops",
    "map.orders_here": "Orders here",
    "map.unserved_order": "not served: {reason}",
    "map.route_summary": "{start}-{end}, {km:.1f} km, {stops} stops, {cost:,.0f} CNY",
    "map.on_board": "on board when leaving: {kg:,.0f} kg, {m3:.1f} m³",
    "map.window": "open {windows}",
    "map.cold_room": "cold room {temp:g} °C",
    "map.cutoff": "cut-off {time}",
    "map.arrive_leave": "arrives {arrival}, leaves {departure}",
    "map.ready": "ready",
    "map.served_by": "vehicle",
    "map.hub_letter": "H",
    "map.centre_letter": "C",
    "map.attribution": "freshroute · Leaflet",
    "map.visits": "Visits",
    "map.unserved_count": "{n} orders not served",
    "map.datum.gcj02": (
        "coordinates: GCJ-02, as on Amap and Tencent maps (use GCJ-02 tiles such as Amap's; "
        "OpenStreetMap tiles would be about 500 m off)"
    ),
    "map.datum.wgs84": (
        "coordinates: WGS-84 (GPS), as on OpenStreetMap (tiles of Chinese web maps such as "
        "Amap use GCJ-02 and would be about 500 m off)"
    ),
    "map.roads": "grey: the road network the routes follow",
    # solve progress (optimizer/cli_progress.py) and its last line
    "progress.starting": "starting",
    "progress.clock": "{elapsed:.0f}/{limit:g} s",
    "progress.best": "best plan so far {cost:,.0f} CNY",
    "progress.no_plan_yet": "no plan of the whole batch yet",
    "progress.part": "part {i}/{n}: ",
    "progress.engine": " ({engine})",
    "progress.phase.solving": "searching",
    "progress.phase.deliveries_alone": "separate-fleets baseline: deliveries alone",
    "progress.phase.pickups_alone": "separate-fleets baseline: pickups alone",
    "progress.phase.pairing": "pairing deliveries and pickups",
    "progress.phase.polishing": "polishing under the exact cost",
    "progress.phase.parts_joined": "parts joined",
    "progress.phase.across_parts": "moving orders across parts",
    "progress.engine.pyvrp": "PyVRP",
    "progress.engine.ortools": "OR-Tools",
    "progress.engine.native": "own search",
    "progress.engine.ahead": "the engine ahead",
    "progress.engine.other": "the other engine",
    "cli.final": "Final plan: {cost:,.0f} CNY.",
    "cli.final_saving": (
        "Final plan: {cost:,.0f} CNY, against {baseline:,.0f} CNY with separate fleets: "
        "pairing saves {saving:.1%} of cost and {empty_km:.1%} of empty km."
    ),
    # siting map
    "siting.title": "Collection-centre siting: {name}",
    "siting.subtitle": "{n} scenarios: pick one below",
    "siting.kpis": "Scenarios compared",
    "siting.scenario": "scenario",
    "siting.col.open": "centres open",
    "siting.col.measure": "measure",
    "siting.col.build_cost_cny": "build cost (CNY, one-off)",
    "siting.col.daily_cost_cny": "centres' running cost (CNY/day)",
    "siting.col.vehicles": "vehicles/day",
    "siting.col.cost_per_day": "cost/day: routing + centres (CNY)",
    "siting.col.delta_vehicles": "vehicles/day vs base",
    "siting.col.delta_km": "km/day vs base",
    "siting.col.delta_cost": "cost/day vs base (CNY)",
    "siting.col.delta_coverage": "freshness coverage vs base",
    "siting.col.payback_days": "payback of the extra build cost (days)",
    "siting.is_base": "base",
    "siting.never": "never",
    "siting.col.produce_kg": "produce kg/day",
    "siting.col.mean_minutes_to_centre": "mean min to centre",
    "siting.col.max_minutes_to_centre": "max min to centre",
    "siting.col.fresh_coverage": "produce inside freshness radius",
    "siting.col.unservable_orders": "unservable pickups (all days)",
    "siting.col.routing_cost": "routing cost/day (CNY)",
    "siting.col.routing_km": "routing km/day",
    "siting.col.empty_return_share": "empty return legs",
    "siting.col.freshness_mean": "freshness on arrival, mean",
    "siting.col.freshness_min": "freshness on arrival, min",
    "siting.routing_note": "routing figures: mean over {days} simulated day(s)",
    "siting.no_tiles": "no base map: sites on a plain grid",
    "siting.routing_none": "routing not simulated (0 days)",
    "siting.open_centre": "open collection centre",
    "siting.new_centre": "new centre at {site}",
    "siting.closed": "candidate site, closed in this scenario",
    "siting.open_in": "open in: {names}",
    "siting.village_inside": "village: all produce inside the radius",
    "siting.village_partial": "village: some produce outside the radius",
    "siting.village_outside": "village: produce outside the radius",
    "siting.village_idle": "village: no produce",
    "siting.catchment_note": "lines join each village to its centre (straight, not the road)",
    "siting.radius_circle": (
        "ring: freshness radius of the most perishable produce a centre takes, as a circle: "
        "straight-line travel at {speed:g} km/h, circuity {circuity:g}, {access:g} min access"
    ),
    "siting.radius_hull": (
        "shaded: villages within the freshness radius of the most perishable produce a "
        "centre takes, by travel time (their convex hull; a circle would misstate road travel)"
    ),
    "siting.served": "produce: {kg:,.0f} kg/day from {n} villages",
    "siting.access": "travel to the centre: mean {mean:.0f} min, max {max:.0f} min",
    "siting.coverage": "inside the freshness radius: {share}",
    "siting.radius": "freshness radius: {min:,.0f} min ({product}, at least {fresh:.0%} fresh)",
    "siting.radius_none": "no freshness limit on its produce",
    "siting.no_catchment": "no village sends produce here",
    "siting.centre_of": "centre: {centre}",
    "siting.minutes": "travel to the centre: {min:.0f} min",
    "siting.radius_min": "radius (min)",
    "siting.fresh": "fresh on arrival",
    "siting.yes": "yes",
    "siting.no": "no",
    "siting.link": "{village} → {centre}: {min:.0f} min",
    "siting.sites": "Sites",
    "siting.notes": "How to read",
    # run sheets
    "rs.title": "Run sheets: {name}",
    "rs.sheet_title": "Run sheet: {vehicle}",
    "rs.summary": "Summary",
    "rs.vehicle": "vehicle",
    "rs.vehicle_type": "vehicle type",
    "rs.compartment": "compartment",
    "rs.compartment_value_reefer": "refrigerated, {temp:g} °C",
    "rs.compartment_value_ambient": "not refrigerated (ambient {temp:g} °C)",
    "rs.shift": "on duty",
    "rs.distance": "distance",
    "rs.cost": "cost",
    "rs.stop": "stop",
    "rs.site_id": "site id",
    "rs.site_name": "site",
    "rs.site_kind": "site type",
    "rs.arrival": "arrival",
    "rs.service_start": "service start",
    "rs.departure": "departure",
    "rs.wait_min": "wait (min)",
    "rs.wait_note": "waits {min:.0f} min",
    "rs.stops": "stops",
    "rs.action": "action",
    "rs.load": "load",
    "rs.unload": "unload",
    "rs.order": "order",
    "rs.order_kind": "order type",
    "rs.product": "product",
    "rs.temp_class": "temperature class",
    "rs.kg": "kg",
    "rs.m3": "m³",
    "rs.compartment_c": "compartment °C",
    "rs.deadline": "deliver by (freshness)",
    "rs.remaining": "shelf life left on arrival",
    "rs.remaining_h": "shelf life left (h)",
    "rs.kg_on_board": "kg on board",
    "rs.m3_on_board": "m³ on board",
    "rs.start_route": "start",
    "rs.end_route": "end",
    "rs.signature": "Driver signature",
    "rs.timeline": "Timeline",
    "rs.unserved": "Orders not served",
    "rs.reason": "reason",
    "rs.generated": "Plan {batch}, engine {engine}",
    "rs.no_routes": "No vehicle is used in this plan.",
    "rs.leave": "leave",
    "rs.leave_note": "done {done}; leave at {leave} to reach {site} at {start}, no waiting",
    "rs.phone": "phone",
    "rs.note": "notes",
    "rs.kg_unload": "kg unloaded",
    "rs.kg_load": "kg loaded",
    "rs.done": "done ✓",
    "rs.deliver_by": "deliver by {time}",
    "rs.left_on_arrival": "shelf life left {share}",
    "rs.print": "Print",
    # timeline
    "tl.title": "Vehicles over the day",
    "tl.driving": "driving",
    "tl.service": "service",
    "tl.waiting": "waiting",
    "tl.rest": "driver's rest",
    "tl.time": "time of day",
    # spreadsheet import
    "imp.where_sheet": "{file}, sheet '{sheet}'",
    "imp.where_file": "{file}",
    "imp.row": "row {row}",
    "imp.column": "column '{column}'",
    "imp.not_found": "file not found",
    "imp.default_fleet": "default fleet",
    "imp.bad_format": "is not an .xlsx, .xls or .csv file",
    "imp.unreadable": "cannot be read: {reason}",
    "imp.no_sheet": "no sheet named {wanted} (sheets: {sheets})",
    "imp.empty": "is empty: no header row",
    "imp.missing_column": "missing column '{column}' (also accepted: {aliases})",
    "imp.duplicate_column": "columns '{a}' and '{b}' both mean '{field}'",
    "imp.no_rows": "has no data rows",
    "imp.required": "a value is required",
    "imp.not_number": "'{value}' is not a number",
    "imp.not_integer": "'{value}' is not a whole number",
    "imp.not_clock": "'{value}' is not a clock time; use HH:MM or minutes after midnight",
    "imp.not_bool": "'{value}' is not yes/no",
    "imp.not_share": "'{value}' is not a share; use 0-1 or a percentage like 90%",
    "imp.bad_window": "'{value}' is not a time window list like 08:00-12:00;14:00-18:00",
    "imp.bad_kind": "'{value}' is not one of {choices}",
    "imp.unknown_product": (
        "product '{value}' is not in the catalogue or the products sheet{hint}"
    ),
    "imp.product_needs": (
        "'{value}' is not a catalogue category, so give {fields} (or name a catalogue "
        "category in column 'category'{hint})"
    ),
    "imp.field.temperature_class": "temperature class (frozen/chilled/cool/ambient)",
    "imp.field.shelf_life_h": "shelf life (hours or days)",
    "imp.field.ref_temp_c": "the °C that shelf life holds at",
    "imp.field.q10": "Q10",
    # site and product names (optimizer/io/names.py)
    "name.unknown_site": "unknown site '{value}'",
    "name.unknown_product": "unknown product '{value}'",
    "name.did_you_mean": " (did you mean {choices}?)",
    "name.ambiguous": "'{value}' is the name of {n} sites ({codes}): use the site code",
    # reasons an order is not served (optimizer/reasons.py)
    "reason.too_heavy": "weighs {kg:g} kg, more than a {vehicle} holds ({capacity:g} kg)",
    "reason.too_bulky": "is {m3:g} m³, more than a {vehicle} holds ({capacity:g} m³)",
    "reason.needs_refrigeration.chilled": (
        "product '{product}' is chilled and no vehicle in the fleet is refrigerated at a "
        "temperature it tolerates"
    ),
    "reason.needs_refrigeration.frozen": (
        "product '{product}' is frozen and no vehicle in the fleet is refrigerated at a "
        "temperature it tolerates"
    ),
    "reason.needs_refrigeration.cool": (
        "product '{product}' is cool and no vehicle in the fleet is refrigerated at a "
        "temperature it tolerates"
    ),
    "reason.needs_refrigeration.ambient": (
        "product '{product}' is ambient and no vehicle in the fleet carries it at a "
        "temperature it tolerates"
    ),
    "reason.window_unreachable.ready_after_close": "is ready at {ready}, after {site} closes",
    "reason.window_unreachable.no_open_time": "no time at {site} is open and before its cut-off",
    "reason.window_unreachable.origin": (
        "a {vehicle} leaving {start} at shift start ({shift_start}) reaches {site} at {time}, "
        "after its last window closes ({closes})"
    ),
    "reason.window_unreachable.destination": (
        "a {vehicle} cannot reach {site} before it closes or its cut-off (earliest arrival "
        "{time}, service must start by {closes})"
    ),
    "reason.no_time_in_fleet.shift": (
        "a {vehicle} would be back at {time}, after its shift ends ({shift_end})"
    ),
    "reason.no_time_in_fleet.duration": (
        "a direct trip takes {minutes:.0f} min, over the {vehicle} limit of {limit:g} min"
    ),
    "reason.window_unreachable.origin_rests": (
        "with its driver's rests ({rest:g} min after at most {drive:g} min of driving), a "
        "{vehicle} leaving {start} at shift start ({shift_start}) cannot reach {site} before "
        "its last window closes ({closes})"
    ),
    "reason.window_unreachable.destination_rests": (
        "with its driver's rests ({rest:g} min after at most {drive:g} min of driving), a "
        "{vehicle} cannot reach {site} before it closes or its cut-off (service must start "
        "by {closes})"
    ),
    "reason.no_time_in_fleet.shift_rests": (
        "with its driver's rests ({rest:g} min after at most {drive:g} min of driving), a "
        "{vehicle} would be back at {time}, after its shift ends ({shift_end})"
    ),
    "reason.no_time_in_fleet.duration_rests": (
        "with its driver's rests ({rest:g} min after at most {drive:g} min of driving), a "
        "direct trip takes {minutes:.0f} min, over the {vehicle} limit of {limit:g} min"
    ),
    "reason.shelf_life_unreachable.rests": (
        "with its driver's rests ({rest:g} min after at most {drive:g} min of driving), even "
        "a direct trip by {vehicle} arrives with {left:.0%} shelf life left, below "
        "min_freshness {min:.0%}"
    ),
    "reason.too_far": "a direct trip drives {km:.1f} km, over the {vehicle} limit of {limit:g} km",
    "reason.shelf_life_unreachable": (
        "even a direct trip by {vehicle} arrives with {left:.0%} shelf life left, below "
        "min_freshness {min:.0%}"
    ),
    "reason.penalty_cheaper": (
        "optional: serving it would cost more than its penalty ({penalty:g} CNY)"
    ),
    "reason.not_fitted": (
        "required, but no route found that fits it within the time limit (fleet capacity, "
        "windows or shifts are too tight together)"
    ),
    "reason.not_fitted.capacity": (
        "required, but no vehicle is free and adding it to any route that may carry it breaks "
        "a limit, most often the vehicle's capacity (kg or m³)"
    ),
    "reason.not_fitted.windows": (
        "required, but no vehicle is free and adding it to any route that may carry it breaks "
        "a limit, most often a site's time window or the centre's cut-off"
    ),
    "reason.not_fitted.shift": (
        "required, but no vehicle is free and adding it to any route that may carry it breaks "
        "a limit, most often the shift, max_duration_min or max_km"
    ),
    "reason.not_fitted.shelf_life": (
        "required, but no vehicle is free and adding it to any route that may carry it breaks "
        "a limit, most often min_freshness (produce would arrive too old)"
    ),
    "reason.no_vehicles": (
        "the fleet has no vehicles (every count is 0), so none of the orders ({n}) can be "
        "served; give at least one vehicle a count"
    ),
    "reason.min_used_unmet.type": (
        "{n} vehicles of type '{vehicle}' must run, but only {orders} orders (single-visit "
        "stops counted once) can ride on one, and each vehicle that runs serves at least one"
    ),
    "reason.min_used_unmet.total": (
        "min_used adds up to {n} vehicles that must run, but the batch has only {orders} "
        "orders (single-visit stops counted once), and each vehicle that runs serves at least "
        "one"
    ),
    "reason.single_visit_unsupported": (
        "a single visit for parcels and produce can be planned only when every truck is "
        "single-trip from one hub to one collection centre, without several time windows, "
        "deliveries-first or arrival deadlines on the produce (here: {why})"
    ),
    "cli.unserved_title": "{n} order(s) not served:",
    "cli.required_unserved": (
        "{n} required order(s) not served: the plan covers the rest (exit code 3)"
    ),
    "error.cannot_plan": "the batch cannot be planned as given",
    "replan.title": "Changes at {now}",
    "replan.summary": (
        "{moved} order(s) moved to another truck, {added} late order(s) placed, "
        "{unserved} order(s) not served"
    ),
    "replan.driver": "Driver of {vehicle}",
    "replan.unchanged": "no changes",
    "replan.added": "new order {order}",
    "replan.moved_in": "takes over {order} from {other}",
    "replan.moved_out": "hands {order} over to {other}",
    "replan.dropped": "no longer serves {order}: {why}",
    "replan.cancelled": "cancelled",
    "replan.retimed": "{site} at {new} (was {old}): {actions}",
    "replan.action.load": "load",
    "replan.action.unload": "unload",
    "replan.down": "broke down at {site}; goods on board wait there for another truck",
    "replan.unserved_title": "Not served",
    "replan.refused_cancel": "{order} cannot be cancelled: {why}",
    "replan.refused.done": "already delivered",
    "replan.refused.on_board": "already on board",
    "replan.mark.added": "new order",
    "replan.mark.moved_in": "from {other}",
    "replan.mark.retimed": "new time, was {old}",
    "replan.sheet_changes": "Changes at {now}",
    "replan.sheet_column": "changes",
    "replan.err.vehicle": "unknown vehicle '{id}'",
    "replan.err.order": "unknown order '{id}'",
    "replan.err.order_twice": "order '{id}' is already in the batch",
    "replan.err.site": "unknown site '{id}'",
    "replan.err.batch": "made for batch '{plan}', not '{batch}'",
    "replan.err.route": "'{id}' is not in the batch",
    "replan.err.not_roads": "closing a road needs road_network travel; close a pair of sites "
    "with 'from' and 'to'",
    # API problem details (api/main.py, api/routes/)
    "api.missing_key": "missing {header} header",
    "api.unknown_key": "unknown {header}",
    "api.job_not_found": "job not found",
    "api.plan_not_found": "plan not found",
    "api.changes_not_found": "no such re-plan: only a re-plan's plan has changes",
    "api.replan_batch_gone": "the plan's batch is no longer stored; submit the batch again",
    "api.siting_result_not_found": "siting result not found",
    "api.nothing_to_cancel": "job is {state}; there is nothing to cancel",
    "api.state.done": "done",
    "api.state.failed": "failed",
    "api.state.cancelled": "cancelled",
    "api.state.queued": "queued",
    "api.state.running": "running",
    "api.http.404": "Not Found",
    "api.http.405": "Method Not Allowed",
    "api.queue_full": "the queue is full ({depth} jobs waiting); retry in {retry} s",
    "api.county_full": (
        "this county has {depth} jobs queued or running, its limit "
        "(FRESHROUTE_MAX_JOBS_PER_COUNTY is {limit}); retry in {retry} s"
    ),
    "api.idempotency_conflict": "Idempotency-Key was already used with a different request",
    "api.server_error": "the server failed to answer this request",
    "api.media": "send the batch as application/json, not {media}",
    "api.no_media": "send the batch as application/json (no Content-Type was given)",
    "api.too_large": "request body is larger than {max_bytes} bytes",
    "api.empty_body": "the body is empty; send a batch as JSON",
    "api.too_deep_json": "not valid JSON: nested too deeply",
    "api.too_deep": (
        "nested deeper than the limit of {max_depth} levels (FRESHROUTE_MAX_BODY_DEPTH)"
    ),
    "api.not_json_number": "{name} is not a JSON number",
    "api.not_finite": "number is out of range (not finite)",
    "api.bad_key": "a key is not valid Unicode",
    "api.max_orders": (
        "{n} orders, more than the limit of {limit} per batch (FRESHROUTE_MAX_ORDERS)"
    ),
    "api.max_sites": "{n} sites, more than the limit of {limit} per batch (FRESHROUTE_MAX_SITES)",
    "api.max_cells": (
        "{n} sites make a travel matrix of {cells} cells, more than the limit of {limit} "
        "(FRESHROUTE_MAX_MATRIX_CELLS)"
    ),
    "api.max_vehicles": (
        "{n} vehicles in all, more than the limit of {limit} per batch (FRESHROUTE_MAX_VEHICLES)"
    ),
    "siting.err.opening_cost_split": (
        "this field was split in two, as it meant a one-off build cost here and a daily cost "
        "in 'site optimize'. Rename it build_cost_cny (one-off CNY to build a centre at a "
        "site) or daily_cost_cny (CNY per day to run it)"
    ),
    "siting.err.opening_cost_renamed": (
        "renamed daily_cost_cny (CNY per day to run a centre), so that it is not taken for "
        "the one-off build cost of a scenario's build_cost_cny"
    ),
    "siting.err.unknown_open": "open: unknown site ids {sites}",
    "siting.err.open_matrix": "open: '{site}' is not a centre and matrix travel has no new sites",
    "siting.err.two_bases": "base: only one scenario may be the base ({names} are marked)",
    "siting.err.no_produce": "no pickups, so there is no produce to site centres for",
    "siting.err.not_candidate": "'{site}' is a {kind}, not a centre or station",
    "siting.err.also_must_open": "'{site}' is also in must_open",
    "siting.err.p_too_large": (
        "p={p} is larger than the {allowed} candidate sites that may open "
        "({candidates} centres and stations, {forbidden} forbidden)"
    ),
    "siting.err.must_over_p": "{n} sites must open ({sites}), more than p={p}",
    "siting.err.capacity": (
        "{allowed} sites × {capacity:g} kg hold less than the {kg:g} kg of produce"
    ),
    "siting.err.budget": (
        "{budget:g} CNY opens {affordable} centres at {daily:g} CNY a day each; {needed} are "
        "needed ({must} must open, {need} to hold the produce)"
    ),
    "siting.err.listed_twice": "'{site}' is listed twice",
    "siting.err.matrix_new_site": "'{site}' is not a centre, and matrix travel has no new sites",
    "siting.err.clash": "a new centre at '{site}' would clash with '{new_id}'",
    "siting.err.same_name": "another scenario is also named '{name}'",
    "error.time_limit_option": "--time-limit: {value:g} s is not in (0, {max:g}] s",
    "error.engine_option": "--engine: '{value}' is not one of {choices}",
    "cli.issue_order": " (order '{order}')",
    "cli.warning": "warning:",
    # input errors: pydantic's types (optimizer/errors.py; English keeps pydantic's text)
    "pydantic.missing": "field required",
    "pydantic.extra_forbidden": "unknown field (not in the schema)",
    "pydantic.string_type": "must be a string",
    "pydantic.float_type": "must be a number",
    "pydantic.float_parsing": "must be a number",
    "pydantic.int_type": "must be a whole number",
    "pydantic.int_parsing": "must be a whole number",
    "pydantic.int_from_float": "must be a whole number",
    "pydantic.bool_type": "must be true or false",
    "pydantic.bool_parsing": "must be true or false",
    "pydantic.list_type": "must be a list",
    "pydantic.dict_type": "must be an object",
    "pydantic.model_type": "must be an object",
    "pydantic.model_attributes_type": "must be an object",
    "pydantic.greater_than": "must be greater than {gt}",
    "pydantic.greater_than_equal": "must be at least {ge}",
    "pydantic.less_than": "must be less than {lt}",
    "pydantic.less_than_equal": "must be at most {le}",
    "pydantic.finite_number": "must be a finite number",
    "pydantic.literal_error": "must be {expected}",
    "pydantic.enum": "must be {expected}",
    "pydantic.string_too_short": "must have at least {min_length} character(s)",
    "pydantic.string_too_long": "must have at most {max_length} characters",
    "pydantic.too_short": "must have at least {min_length} item(s), not {actual_length}",
    "pydantic.too_long": "must have at most {max_length} items, not {actual_length}",
    "pydantic.string_pattern_mismatch": "must match the pattern {pattern}",
    "pydantic.union_tag_invalid": "{discriminator} {tag} is not one of {expected_tags}",
    "pydantic.union_tag_not_found": "{discriminator} is missing",
    "pydantic.json_invalid": "not valid JSON: {error}",
    "pydantic.json_type": "must be JSON text",
    # input errors: the batch model's own checks (optimizer/model.py)
    "model.not_clock": "'{value}' is not a clock time; use minutes or 'HH:MM'",
    "model.clock_minutes": "'{value}' has {minutes} minutes; use 00-59",
    "model.window_order": "window ends ({end:g}) before it starts ({start:g})",
    "model.windows_overlap": "time windows overlap: {a_start:g}-{a_end:g} and {b_start:g}",
    "model.cutoff_not_centre": "cutoff is only for collection centres",
    "model.single_visit_not_station": "single_visit is only for stations",
    "model.product_needs": (
        "category '{category}' is not in the catalogue, so give {fields}{hint}"
    ),
    "model.product_needs.shelf_life_h": "shelf_life_h (or perishable: false)",
    "model.shift_order": "shift_end is before shift_start",
    "model.compartment_not_reefer": "compartment_temp_c is only for refrigerated vehicles",
    "model.min_used_over_count": "min_used {min_used} is more than count {count}",
    "model.fuel_both": "give both fuel_l_per_km_empty and fuel_l_per_km_full, or neither",
    "model.fuel_order": "fuel_l_per_km_full is below fuel_l_per_km_empty",
    "model.meal_window_short": "meal_window is shorter than meal_min ({minutes} min)",
    "model.meal_short": (
        "meal_min ({meal} min) is shorter than min_rest_min ({rest} min): a meal break is a "
        "rest too"
    ),
    "model.matrix_shape": "{name} must be {n}×{n}, one row and column per site id",
    "model.matrix_negative": "{name} has a negative or NaN entry",
    "model.matrix_diagonal": "{name}[{i}][{i}]: a site's {name} to itself must be 0, not {value:g}",
    "model.site_ids_duplicates": "site_ids has duplicates",
    "model.duplicate_id": "duplicate id '{id}'",
    "model.not_a_station": "'{site}' is a {kind}, not a station",
    "model.origin_not_transfer": "only transfers start at another station",
    "model.transfer_no_hub": "a transfer goes station to station, no hub or centre",
    "model.transfer_needs_origin": "a transfer needs the station it is loaded at",
    "model.origin_is_site": "the same station as site",
    "model.centre_not_pickup": "only pickups go to a collection centre",
    "model.name_hub": "{n} hubs in the batch; name one",
    "model.not_hub": "'{site}' is not a hub",
    "model.hub_not_delivery": "only deliveries are loaded at a hub",
    "model.name_centre": "{n} collection centres; name one",
    "model.not_centre": "'{site}' is not a collection centre",
    "model.single_visit_mix": (
        "its orders are served together, so either all or none of them may have a penalty"
    ),
    "model.end_is_station": "'{site}' is a station, not a hub or centre",
    "model.matrix_missing_sites": "no rows for sites {sites}",
    "model.lone_surrogate": "string is not valid Unicode (lone surrogate)",
    "site_kind.hub": "hub",
    "site_kind.collection_centre": "collection_centre",
    "site_kind.station": "station",
    # plan validator (optimizer.validate)
    "validate.kind.coverage": "coverage",
    "validate.kind.vehicle": "vehicle",
    "validate.kind.travel": "travel",
    "validate.kind.schedule": "schedule",
    "validate.kind.time_window": "time_window",
    "validate.kind.shift": "shift",
    "validate.kind.capacity": "capacity",
    "validate.kind.refrigeration": "refrigeration",
    "validate.kind.freshness": "freshness",
    "validate.kind.deliveries_first": "deliveries_first",
    "validate.kind.single_trip": "single_trip",
    "validate.kind.single_visit": "single_visit",
    "validate.kind.min_used": "min_used",
    "validate.kind.cost": "cost",
    "validate.kind.rest": "rest",
    "rest.kind.rest": "rest",
    "rs.rest": "{kind} {start}-{end} ({minutes} min), {place}",
    "map.rests": "Drivers' breaks",
    "rest.kind.meal": "meal break",
    "rest.place.waiting": "at the stop, before service",
    "rest.place.after_service": "at the stop, after service",
    "rest.place.road": "on the road to the next stop",
    "validate.line_route": "route {route}",
    "validate.line_order": "order {order}",
    "validate.at_stop": "route {v} stop {i} at {site}",
    "validate.appears": "appears",
    "validate.absent": "does not appear",
    "validate.required": "required",
    "validate.optional": "optional",
    "validate.ambient": "ambient",
    "validate.cost.fixed": "fixed",
    "validate.cost.distance": "distance",
    "validate.cost.time": "time",
    "validate.cost.fuel": "fuel",
    "validate.cost.total": "total",
    "validate.visit_count": (
        "order {order} is loaded {loads} times and unloaded {unloads} times, not once"
    ),
    "validate.split_route": "order {order} is loaded on {on}, unloaded on {off}",
    "validate.unload_first": (
        "order {order} is unloaded at stop {unload}, not after its load at stop {load}"
    ),
    "validate.load_site": "order {order} ({kind}) is loaded at {site}, not {want}",
    "validate.unload_site": "order {order} ({kind}) is unloaded at {site}, not {want}",
    "validate.outcome_kind": "order {order} is a {kind} but its outcome says {said}",
    "validate.served_flag": "order {order} is marked served={served} but {where} on routes",
    "validate.no_reason": "order {order} ({need}) is unserved with no reason",
    "validate.outcome_vehicle": (
        "order {order} outcome names vehicle {named}, the routes put it on {v}"
    ),
    "validate.loaded_at": "order {order} reports loaded_at {got}, its stop departs {want}",
    "validate.arrived_at": "order {order} reports arrived_at {got}, its stop starts {want}",
    "validate.unknown_order_stop": "unknown order {order} on {v} stop {stop}",
    "validate.unknown_order_plan": "unknown order {order} in plan.orders",
    "validate.unknown_order_route": "unknown order {order} on {v}",
    "validate.order_missing": "order {order} is missing from plan.orders",
    "validate.order_repeated": "order {order} is {n} times in plan.orders",
    "validate.min_used": "{n} {type} vehicles run; at least {min} must",
    "validate.no_vehicle": "route {v}: no such vehicle (known: {known})",
    "validate.wrong_type": "route {v}: vehicle {v} is a {real}, the route says {said}",
    "validate.unknown_type": "route {v}: unknown type {type}",
    "validate.vehicle_twice": "route {v}: vehicle {v} drives more than one route",
    "validate.few_stops": "route {v} has {n} stops; a route needs at least 2",
    "validate.start_depot": "route {v} starts at {site}; {type} vehicles start at {want}",
    "validate.end_depot": "route {v} ends at {site}; {type} end at {want}",
    "validate.unknown_site": "route {v} stop {i}: unknown site {site}",
    "validate.first_km": "route {v} stop 0 reports km_from_previous {km}, not 0",
    "validate.too_fast": (
        "route {v} stop {i} at {site} arrives {arrival}; leaving {prev} "
        "at {departure} and driving {minutes} min it arrives {earliest}"
    ),
    "validate.leg_km": "route {v} stop {i}: {a}→{b} reports {km} km, the matrix says {want} km",
    "validate.start_before_arrival": "{where} starts {start}, before it arrives {arrival}",
    "validate.short_service": (
        "{where} departs {departure}, before start {start} + {service} min service"
    ),
    "validate.route_km": "route {v} reports {km} km; its legs add up to {want} km",
    "validate.duration": "route {v} reports {got} min; last departure - first start is {want} min",
    "validate.outside_windows": "{where} starts {start}, outside its windows {windows}",
    "validate.before_ready": "{where} loads {order} at {start}, before it is ready at {ready}",
    "validate.after_cutoff": "{where} unloads {order} at {start}, after the cutoff {cutoff}",
    "validate.shift_start": "route {v} starts {start}, before the {type} shift start {want}",
    "validate.shift_end": "route {v} ends {end}, after the {type} shift end {want}",
    "validate.max_duration": "route {v} lasts {got} min, over the {type} maximum of {max} min",
    "validate.max_km": "route {v} drives {got} km, over the {type} maximum of {max} km",
    "validate.rest_stop": "route {v} rest {k} names stop {i}, which the route does not have",
    "validate.rest_outside": (
        "route {v} {kind} {start}-{end} at stop {i} ({site}) is not in the stop's idle time "
        "{lo}-{hi}"
    ),
    "validate.rest_leg": (
        "route {v} leg {i} ({a} to {b}) takes {got} min, less than its {minutes} min of "
        "driving plus {rest} min of rests on the road"
    ),
    "validate.driving": (
        "route {v} drives {got} min before stop {i} ({site}) without a rest of {rest} min, "
        "over the {type} limit of {max} min"
    ),
    "validate.no_meal": (
        "route {v} is out for the whole meal window {window} of {type} without a {meal} min "
        "break in it"
    ),
    "validate.over_capacity": (
        "{where} leaves with {amount} {unit} on board, over the capacity {cap}"
    ),
    "validate.negative_load": "{where} leaves with {amount} {unit}, negative",
    "validate.load_reported": "{where} reports {got} {unit} on board, the simulation {amount}",
    "validate.refrigeration": (
        "route {v} stop {i}: {order} ({product}, {temp}) cannot ride on {type} ({room})"
    ),
    "validate.deliveries_first": (
        "route {v}: delivery {order} is unloaded at stop "
        "{i}, after the first pickup load (stop {first})"
    ),
    "validate.cost": "route {v} reports {name} cost {got} CNY, recomputed {want} CNY",
    "validate.single_trip_load": (
        "route {v} is single-trip but loads at {site} (stop {i}) after its first station"
    ),
    "validate.single_trip_unload": (
        "route {v} is single-trip but unloads at {site} (stop {i}) before its last station"
    ),
    "validate.not_perishable": "order {order} is not perishable but reports remaining_share {got}",
    "validate.too_stale": (
        "order {order} arrives on {v} with {share} of its shelf life left, below its minimum {min}"
    ),
    "validate.share_reported": "order {order} reports remaining_share {got}, recomputed {want}",
    "validate.hours_reported": "order {order} reports remaining_h {got}, recomputed {want}",
    "validate.single_visit": "single-visit station {site}: {detail}; all its orders go in one stop",
    "validate.single_visit_missing": "orders {orders} not served",
    "validate.single_visit_stops": "served in {n} stops",
    # road networks (optimizer.network)
    "roads.file_not_found": "road network file not found: {path}",
    "roads.closed_far": "no road junction within the snapping distance of ({lon}, {lat}): the "
    "nearest is {km} km away",
    "roads.closed_no_road": "no road joins the junctions nearest {a} and {b} directly; name the "
    "two ends of one road",
    "roads.cannot_read": "cannot read road network {path}: {exc}",
    "roads.no_layer": "{path} has no layer '{layer}'; its layers are: {names}",
    "roads.many_layers": "{path} has {n} layers ({names}); set travel.layer",
    "roads.needs_pyrosm": (
        "reading {name} needs pyrosm, which is not importable here ({exc}); install it with 'pip "
        "install pyrosm' or convert the extract to GeoPackage (e.g. ogr2ogr roads.gpkg "
        "extract.osm.pbf lines)"
    ),
    "roads.cannot_read_osm": "cannot read OpenStreetMap extract {path}: {exc}",
    "roads.no_drivable": "{path} has no drivable roads (OSM highway=* ways)",
    "roads.too_large_area": "road network spans too large an area to index",
    "roads.no_crs": (
        "{name} has no coordinate reference system (CRS); a Shapefile needs its .prj file, a "
        "GeoPackage layer a defined SRS. Assign one, e.g. with 'ogr2ogr -a_srs EPSG:4326 "
        "out.gpkg in.shp'"
    ),
    "roads.no_class_field": (
        "{name} has no '{field}' attribute for the road class; set travel.class_field to one of: "
        "{fields}"
    ),
    "roads.no_oneway_field": (
        "{name} has no '{field}' attribute for one-way roads; set travel.oneway_field to one of: "
        "{fields} (or null: all roads two-way)"
    ),
    "roads.unreachable": (
        "{n} site pairs have no road path between them: {pairs}{more_pairs}. Sites involved: "
        "{sites}{more_sites}. Check one-way roads and gaps in the road layer."
    ),
    "roads.no_such_sites": "no such sites: {sites}",
    "roads.unknown_method": "unknown matrix method '{method}': use one of {methods}",
    "roads.no_sites": "no sites to build road matrices for",
    "roads.ids_unique": "site ids must be unique",
    "roads.too_large": "road network too large to pack ({n} nodes)",
    "roads.no_leg_path": "no road path for a requested leg",
    "roads.none": "none",
    "roads.no_attributes": "(no attributes)",
    "roads.no_class_value": "(none)",
    "roads.nothing": "nothing",
    "roads.n_empty": ", {n} empty",
    "roads.n_not_lines": ", {n} not lines",
    "roads.no_lines": (
        "{name} has no line geometries ({features} features: {found}{empty}); roads must be "
        "LineString or MultiLineString"
    ),
    "roads.no_usable_line": (
        "{name} has no usable road line: {features} features, {empty} empty, {invalid} invalid "
        "lines (fewer than 2 distinct points or non-finite coordinates){not_lines}"
    ),
    "roads.crs_degrees": (
        "{name} says its CRS is {crs} (degrees) but has coordinates up to ({x:.0f}, {y:.0f}); "
        "the CRS is wrong or missing"
    ),
    "roads.crs_to_utm": "{name}: cannot convert its CRS ({crs}) to UTM metres: {exc}",
    "roads.crs_not_finite": (
        "{name}: its CRS ({crs}) gives non-finite coordinates after reprojection"
    ),
    "roads.no_router": "these matrices keep no road network to route on",
    "roads.bad_speeds": "speeds must be > 0 km/h; check {classes}",
    # road-network warnings (LoadReport.messages, matrix.site_warnings)
    "roads.warn.dropped": "{path}: dropped {parts}",
    "roads.warn.empty": "{n} empty or missing geometries",
    "roads.warn.invalid": (
        "{n} invalid lines (fewer than 2 distinct points or non-finite coordinates)"
    ),
    "roads.warn.not_lines": "features that are not lines ({kinds})",
    "roads.warn.outside_scc": (
        "{path}: dropped {nodes} nodes and {lines} lines outside the largest strongly connected "
        "part (kept {kept_nodes} nodes, {kept_lines} lines)"
    ),
    "roads.warn.unknown_classes": (
        "{path}: road classes with no speed, driven at {speed:g} km/h (set travel.speeds_kmh): "
        "{classes}"
    ),
    "roads.warn.far_sites": (
        "{n} sites are more than {km:g} km from the nearest road, reached by a straight access "
        "leg at {speed:g} km/h: {sites}{more}"
    ),
    "roads.warn.more": " and {n} more",
    "join.semicolon": "; ",
    "join.comma": ", ",
    "roads.warn.class_count": "'{name}' ({n})",
    "error.plan_invalid": "plan failed validation:",
    # a job's errors (api/worker.py), in the language it was submitted in
    "job.interrupted": "interrupted by a restart",
    "job.infeasible": "infeasible: {issues}",
    "job.roads": "the road network cannot be used: {error}",
    "job.invalid_batch": "invalid batch: {errors}",
    "job.solver_error": "solver error: {error}",
    "job.siting": "siting: {error}",
    "job.invalid_request": "invalid request: {errors}",
    "job.invalid_events": "invalid events: {errors}",
    "job.siting_error": "siting error: {error}",
    "job.internal_error": "internal error while running the job",
    "job.killed": "killed: still solving {seconds:.0f} s after it started",
    "job.died": "worker process died (exit code {code})",
    "job.ray_failed": "Ray worker failed: {error}",
    "api.not_checked": "the batch could not be checked: {error}",
    "api.roads_not_checked": "the road network could not be checked: {error}",
    "api.check_died": "the check process died",
    "api.siting_not_object": "send a JSON object with the county batch as 'batch'",
    "error.no_batch_files": "no batch files found",
    "run.needs_ray": "executor 'ray' needs Ray: pip install 'freshroute[ray]'",
    "run.unknown_executor": "executor '{name}' is not one of {choices}",
    # command-line help (optimizer/cli_help.py): commands, options, Typer's own words
    "help.solve": (
        "Plan one day's batch; writes plan.json, plan.geojson, map.html, run sheets and "
        "timeline.png to --out. Orders no vehicle can serve are left out with their reasons; "
        "exit code 3 when a required order is unserved."
    ),
    "help.solve.batch_file": "Batch JSON (freshroute.batch/v1).",
    "help.opt.time_limit": "Seconds (default: the batch's).",
    "help.solve.seed": "Random seed (default: the batch's).",
    "help.solve.out_dir": "Where plan files go.",
    "help.opt.baseline": "Also plan separate fleets to compare.",
    "help.opt.quiet": "No progress display.",
    "help.solve.verbose": "Also list the routes, one line each.",
    "help.solve.engine": (
        "auto (PyVRP routes, exact OR-Tools finish), ortools, pyvrp or native (freshroute's own "
        "exact-cost search)."
    ),
    "help.opt.report": "Also write map, run sheets and timeline.",
    "help.solve.fmt": "Read a benchmark file instead of a batch: solomon, vrplib, lkh or lilim.",
    "help.solve.workers": "Cores to use: 2 runs PyVRP and OR-Tools side by side.",
    "help.solve.strict": "Refuse the batch (exit 2) when an order cannot be served at all.",
    "help.replan": (
        "Re-plan the day from now: done stops stay, trucks go on with what is on board, late "
        "orders, cancellations, breakdowns, delays and closed roads are taken in. Writes "
        "day.json, plan.json, plan.geojson, changes.json, changes.md and the reports (run "
        "sheets marking the changes) to --out; exit 3 when a required order is unserved."
    ),
    "help.replan.report": "Also write map, run sheets (the changes marked) and timeline.",
    "help.replan.batch_file": "The batch the plan was made for.",
    "help.replan.plan_file": "The plan.json the day started with.",
    "help.replan.events_file": "Events JSON (freshroute.events/v1).",
    "help.replan.out_dir": "Where the files go.",
    "help.opt.engine_as_solve": "As for solve.",
    "help.solve_many": (
        "Plan many batches, one task each (one CPU, its own time limit), on local processes or "
        "Ray; each plan goes to OUT/<batch name>/ and a summary per county to OUT/summary.csv "
        "and summary.md. A bad batch is reported and the others go on: exit 2 when any batch is "
        "bad input, 1 when a batch failed even on its retry, else 0."
    ),
    "help.solve_many.batches": "Batch JSON files, or folders of them (*.json).",
    "help.solve_many.executor": "local (processes on this machine) or ray.",
    "help.solve_many.workers": "Batches solved at once (default: the cores; ray: its CPUs).",
    "help.solve_many.ray_address": (
        "An existing Ray cluster (default: Ray embedded on this machine)."
    ),
    "help.solve_many.time_limit": "Seconds per batch (default: its own).",
    "help.solve_many.seed": "Random seed (default: each batch's).",
    "help.solve_many.out_dir": "Plans go to OUT/<batch name>/, the summary to OUT.",
    "help.validate": "Recheck a plan against its batch; exit 1 when it breaks any hard constraint.",
    "help.arg.batch_of_plan": "The batch the plan is for.",
    "help.arg.plan": "A plan.json.",
    "help.report": (
        "Write map.html, runsheets.xlsx/.html/.csv and timeline.png for a plan; road routes "
        "follow the roads, as solve draws them."
    ),
    "help.report.out_dir": "Where report files go.",
    "help.import": "Build a batch from spreadsheets with English or Chinese headers.",
    "help.import.orders": "Orders .xlsx, .xls or .csv.",
    "help.import.sites": "Sites .xlsx, .xls or .csv (may be the same workbook).",
    "help.import.fleet": "Fleet .xlsx/.xls/.csv (default: reefers and vans per hub).",
    "help.import.products": (
        "Products .xlsx/.xls/.csv (default: a products/产品 sheet in the orders or sites "
        "workbook, if any; else catalogue names only)."
    ),
    "help.import.output": "Batch JSON to write.",
    "help.import.name": "Batch name (default: the file name).",
    "help.generate": "Generate a synthetic county batch from domain defaults.",
    "help.generate.villages": "Number of villages.",
    "help.generate.seed": "Random seed.",
    "help.generate.centres": "Collection centres (default by size).",
    "help.generate.output": "Batch file to write.",
    "help.site_optimize": (
        "Choose centre sites among the batch's centres and villages, proven optimal or with its "
        "gap; writes a scenario file for `site evaluate` / `site compare`."
    ),
    "help.site_optimize.batch_file": "County batch: stations with produce.",
    "help.site_optimize.model": "pmedian, mclp or cflp.",
    "help.site_optimize.p": "Centres to open.",
    "help.site_optimize.radius": "mclp: minutes within which produce counts as covered.",
    "help.site_optimize.daily_cost": "cflp: CNY per day to run a centre (domain.md §4.5).",
    "help.site_optimize.old_opening_cost": "Renamed --daily-cost.",
    "help.site_optimize.capacity_kg": "cflp: kg per day a centre takes.",
    "help.site_optimize.budget": "cflp: at most this much daily cost in all, CNY a day.",
    "help.site_optimize.must_open": "Site ids that stay open.",
    "help.site_optimize.forbid": "Site ids that may not open.",
    "help.site_optimize.output": "Scenario file to write.",
    "help.site_evaluate": "Access, freshness coverage and a routing simulation of one scenario.",
    "help.site_evaluate.scenario_file": "A freshroute.siting/v1 scenario.",
    "help.site_evaluate.out_dir": "Also write the siting map DIR/scenario.html.",
    "help.site_compare": (
        "Scenarios side by side (same sampled days for all), as a decision table against the "
        "base (the first, or the one marked \"base\": true): comparison.md, .csv, .geojson, the "
        "siting map comparison.html, and the spread over days (days.md, days.csv), in the "
        "--lang language. Each scenario × day routing simulation is a task on the executor."
    ),
    "help.site_compare.base": "The base scenario.",
    "help.site_compare.others": "Scenarios to compare with it.",
    "help.site_compare.out_dir": "Where tables and GeoJSON go.",
    "help.site_compare.days": "Days to simulate per scenario (default: its own).",
    "help.site_compare.executor": "Where scenario × day simulations run: local or ray.",
    "help.site_compare.workers": "Simulations at once (default: the cores).",
    "help.site_compare.ray_address": "A Ray cluster.",
    "help.app": "freshroute: route and cold-chain planning for rural counties.",
    "help.opt.lang": "zh-CN or en: messages (default en) and reports (default zh-CN).",
    "help.opt.tiles": "Tile URL template for map.html (default: offline, no tiles).",
    "help.site": "Collection-centre siting: optimise, evaluate, compare.",
    "help.site_optimize.time_limit": "Seconds for the solver.",
    "help.ui.usage": "Usage: ",
    "help.ui.help_option": "Show this message and exit.",
    "help.ui.arguments": "Arguments",
    "help.ui.options": "Options",
    "help.ui.commands": "Commands",
    "help.ui.error": "Error",
    "help.ui.default": "[default: {}]",
    "help.ui.envvar": "[env var: {}]",
    "help.ui.required": "[required]",
    "help.ui.aborted": "Aborted.",
    "help.ui.try_help": "Try [blue]'{command_path} {help_option}'[/] for help.",
    "help.ui.deprecated": "(deprecated) ",
    "help.ui.options_metavar": "[OPTIONS]",
    "help.ui.subcommand_metavar": "COMMAND [ARGS]...",
    "help.serve": (
        "Run the HTTP API (uvicorn); the database is FRESHROUTE_DATABASE_URL or ./freshroute.db."
    ),
    "help.serve.host": "Address to listen on.",
    "help.serve.port": "TCP port.",
    "help.serve.workers": "Solver processes (default FRESHROUTE_WORKERS or the cores).",
    "help.serve.access_log": "Log each request.",
    "help.apikey": "Manage API keys (one county per key).",
    "help.apikey_create": (
        "Create an API key for a county; the key is printed once, as the last line."
    ),
    "help.apikey_create.county": "The county (tenant) the key is for.",
    # scenario × day sweeps (optimizer/run/sweep.py)
    "sweep.col.days": "days",
    "sweep.col.cost_mean": "routing cost/day, mean (CNY)",
    "sweep.col.cost_sd": "sd",
    "sweep.col.cost_min": "min",
    "sweep.col.cost_max": "max",
    "sweep.col.km_mean": "routing km/day, mean",
    "sweep.col.km_sd": "sd",
    "sweep.col.empty_return_mean": "empty return legs, mean",
    "sweep.col.empty_return_sd": "sd",
    "sweep.simulating": "simulating days",
    "sweep.scenario": "scenario '{name}': {error}",
    "sweep.day_failed": "scenario '{name}', day {day}: {error}",
    "error.format_option": "--format: '{value}' is not one of {choices}",
    "error.benchmark_not_found": "benchmark file not found",
    "error.benchmark_unsupported": "{path} cannot be expressed yet",
    "error.benchmark_invalid": "{path} is not a valid {format} file",
    "siting.err.no_sites_chosen": (
        "{model}: no sites chosen ({status} after {seconds:.1f} s of a {limit:g} s limit)"
    ),
    "events.down_after_now": "after now; report it when it happens",
    "events.vehicle_twice": "a vehicle is listed twice",
    "events.order_twice": "an order is listed twice",
    "events.road_kind": "give either 'from' and 'to' (two sites) or 'road' (two points)",
    "siting.err.catchment_mismatch": "scenario '{name}': its catchment does not match the batch",
    "cli.generated": "wrote {path}: {sites} sites, {orders} orders, {vehicles} vehicles",
    "help.ui.no_such_option": "No such option: {name}",
    "help.ui.possible": " (Possible options: {choices})",
    "help.ui.missing_argument": "Missing argument {name}.",
    "help.ui.missing_option": "Missing option {name}.",
    "help.ui.no_such_command": "No such command '{name}'.",
}

_ZH: dict[str, str] = {
    "cli.kpi_title": "方案指标",
    "cli.kpi": "指标",
    "cli.paired": "往返配对方案",
    "cli.separate": "配送、揽收分车",
    "cli.saving": (
        "与配送、揽收分车相比，配对方案节省成本 {cost:.1%}，减少空驶里程 {empty_km:.1%}。"
    ),
    "cli.unassigned": "未安排",
    "cli.wrote": "已写入 {files}",
    "cli.valid": "方案有效：{routes} 条线路，完成 {served} 个订单",
    "cli.violations": "{n} 处违反约束",
    "error.prefix": "错误：",
    "error.file_not_found": "找不到{what}文件",
    "error.not_json": "{what}不是有效的 JSON",
    "error.invalid_batch": "{path} 不是有效的批次文件",
    "error.invalid_plan": "{path} 不是有效的方案文件",
    "error.infeasible": "有订单任何车辆都无法完成",
    "error.bad_option": "参数有误",
    "error.spreadsheet": "表格内容有误，无法生成批次",
    "error.scenario_not_found": "找不到方案文件",
    "error.invalid_scenario": "{path}（或其批次文件）内容有误",
    "error.unreadable": "无法读取 {path}",
    "error.siting_unsolvable": "选址问题无解",
    "error.cannot_evaluate": "方案“{name}”无法评估",
    "error.cannot_compare": "方案无法对比",
    "error.siting_map": "无法绘制选址地图",
    "error.roads": "道路网无法使用",
    "error.opening_cost_option": (
        "--opening-cost 已改名为 --daily-cost（集货中心每天运营成本，元）；一次性建设成本请写在"
        "方案文件的 build_cost_cny 中"
    ),
    "cli.site_optimized": (
        "{model}：开设 {open}；目标值 {objective}，界 {bound}，差距 {gap}（{status}，"
        "{seconds:.1f} 秒）"
    ),
    "siting.status.optimal": "已证明最优",
    "siting.status.feasible": "可行解，未证明最优",
    "siting.status.infeasible": "无可行解",
    "siting.status.no_solution": "时限内未找到解",
    "what.batch": "批次",
    "what.plan": "方案",
    "what.events": "事件",
    "many.same_name": "{path}：另一个批次文件也名为“{name}”",
    "many.solving": "排线中（{executor}）",
    "many.title": "{n} 个批次",
    "many.status.ok": "完成",
    "many.status.unserved": "有未安排",
    "many.status.bad input": "输入有误",
    "many.status.failed": "失败",
    "many.col.county": "县",
    "many.col.status": "状态",
    "many.col.cost": "成本（元）",
    "many.col.km": "公里",
    "many.col.empty_km": "空驶公里",
    "many.col.vehicles": "车辆",
    "many.col.unserved": "未安排",
    "many.col.wall_s": "用时（秒）",
    "many.col.attempts": "尝试次数",
    "many.col.error": "错误",
    "error.invalid_events": "{path}：事件与批次及其方案不符",
    "kpi.total_cost": "总成本（元）",
    "kpi.km": "总里程（公里）",
    "kpi.empty_km": "空驶里程（公里）",
    "kpi.empty_return_share": "回程空载率",
    "kpi.vehicles_used": "出车数",
    "kpi.vehicle_hours": "车辆工时（小时）",
    "kpi.load_factor": "装载率",
    "kpi.pickups_on_delivery_routes_share": "揽收由配送车顺带比例",
    "kpi.freshness_min": "到达时剩余保鲜期（最低）",
    "kpi.freshness_mean": "到达时剩余保鲜期（平均）",
    "kpi.orders_served": "已完成订单",
    "kpi.orders_unassigned": "未安排订单",
    "kpi.cost_saving": "配对节省成本",
    "kpi.empty_km_saving": "配对减少空驶",
    "site.hub": "县级枢纽",
    "site.collection_centre": "集货中心（产地仓）",
    "site.station": "村级站点",
    "order.delivery": "配送",
    "order.pickup": "揽收",
    "order.transfer": "站间调运",
    "vehicle.reefer": "冷藏车",
    "vehicle.ambient": "常温车",
    "temp.class.frozen": "冷冻",
    "temp.class.chilled": "冷藏",
    "temp.class.cool": "阴凉",
    "temp.class.ambient": "常温",
    "unit.kg": "公斤",
    "unit.m3": "立方米",
    "unit.km": "公里",
    "unit.h": "小时",
    "unit.cny": "元",
    "map.title": "线路图：{name}",
    "map.legend": "图例",
    "map.routes": "线路",
    "map.sites": "站点",
    "map.kpis": "主要指标",
    "map.baseline": "分车方案",
    "map.paired": "配对方案",
    "map.station_delivery": "村级站点：配送",
    "map.station_pickup": "村级站点：揽收",
    "map.station_both": "村级站点：配送和揽收",
    "map.station_none": "村级站点：无订单",
    "map.unserved": "有未安排订单",
    "map.direction": "箭头表示行驶方向",
    "map.toggle_hint": "点击线路名称可显示或隐藏",
    "map.no_tiles": "无底图：按站点顺序连线",
    "map.visit": "{vehicle}，第 {seq} 站",
    "map.stops": "{n} 站",
    "map.orders_here": "本站订单",
    "map.unserved_order": "未安排：{reason}",
    "map.route_summary": "{start}-{end}，{km:.1f} 公里，{stops} 站，{cost:,.0f} 元",
    "map.on_board": "离站时车上：{kg:,.0f} 公斤，{m3:.1f} 立方米",
    "map.window": "作业时间 {windows}",
    "map.cold_room": "冷库 {temp:g} °C",
    "map.cutoff": "截单 {time}",
    "map.arrive_leave": "到达 {arrival}，离开 {departure}",
    "map.ready": "就绪",
    "map.served_by": "车辆",
    "map.hub_letter": "枢",
    "map.centre_letter": "仓",
    "map.attribution": "freshroute · Leaflet",
    "map.visits": "到站记录",
    "map.unserved_count": "{n} 个订单未安排",
    "map.datum.gcj02": (
        "坐标系：GCJ-02（火星坐标，与高德、腾讯地图一致；底图请用高德等 GCJ-02 瓦片，"
        "OpenStreetMap 瓦片会偏约 500 米）"
    ),
    "map.datum.wgs84": (
        "坐标系：WGS-84（GPS 坐标，与 OpenStreetMap 一致；"
        "高德等国内地图瓦片为 GCJ-02，会偏约 500 米）"
    ),
    "map.roads": "灰线：线路所走的道路网",
    "progress.starting": "准备中",
    "progress.clock": "{elapsed:.0f}/{limit:g} 秒",
    "progress.best": "目前最优方案 {cost:,.0f} 元",
    "progress.no_plan_yet": "尚无覆盖全部订单的方案",
    "progress.part": "第 {i}/{n} 片区：",
    "progress.engine": "（{engine}）",
    "progress.phase.solving": "搜索线路",
    "progress.phase.deliveries_alone": "分车基准方案：只排配送",
    "progress.phase.pickups_alone": "分车基准方案：只排揽收",
    "progress.phase.pairing": "配送与揽收配对排线",
    "progress.phase.polishing": "按实际成本精修",
    "progress.phase.parts_joined": "合并各片区方案",
    "progress.phase.across_parts": "跨片区调整订单",
    "progress.engine.pyvrp": "PyVRP",
    "progress.engine.ortools": "OR-Tools",
    "progress.engine.native": "自研搜索",
    "progress.engine.ahead": "领先的求解器",
    "progress.engine.other": "另一个求解器",
    "cli.final": "最终方案：{cost:,.0f} 元。",
    "cli.final_saving": (
        "最终方案：{cost:,.0f} 元，分车方案 {baseline:,.0f} 元：配对节省成本 {saving:.1%}，"
        "减少空驶里程 {empty_km:.1%}。"
    ),
    "siting.title": "集货中心选址：{name}",
    "siting.subtitle": "共 {n} 个方案，请在下方选择",
    "siting.kpis": "方案对比",
    "siting.scenario": "方案",
    "siting.col.open": "开设集货中心数",
    "siting.col.measure": "指标",
    "siting.col.build_cost_cny": "建设成本（元，一次性）",
    "siting.col.daily_cost_cny": "集货中心运营成本（元/天）",
    "siting.col.vehicles": "每天出车数",
    "siting.col.cost_per_day": "每天总成本：运输 + 集货中心（元）",
    "siting.col.delta_vehicles": "每天出车数（与基准相比）",
    "siting.col.delta_km": "每天里程（公里，与基准相比）",
    "siting.col.delta_cost": "每天总成本（元，与基准相比）",
    "siting.col.delta_coverage": "保鲜半径覆盖率（与基准相比）",
    "siting.col.payback_days": "新增建设成本回本天数",
    "siting.is_base": "基准",
    "siting.never": "无法回本",
    "siting.col.produce_kg": "农产品（公斤/天）",
    "siting.col.mean_minutes_to_centre": "到集货中心平均时间（分钟）",
    "siting.col.max_minutes_to_centre": "到集货中心最长时间（分钟）",
    "siting.col.fresh_coverage": "保鲜半径内农产品比例",
    "siting.col.unservable_orders": "无法保鲜送达的揽收（全部天数）",
    "siting.col.routing_cost": "每天运输成本（元）",
    "siting.col.routing_km": "每天行驶里程（公里）",
    "siting.col.empty_return_share": "回程空载率",
    "siting.col.freshness_mean": "到达时剩余保鲜期（平均）",
    "siting.col.freshness_min": "到达时剩余保鲜期（最低）",
    "siting.routing_note": "运输指标：{days} 个模拟日的平均值",
    "siting.no_tiles": "无底图：站点按经纬度画在网格上",
    "siting.routing_none": "未做运输模拟（0 天）",
    "siting.open_centre": "开设的集货中心",
    "siting.new_centre": "新建集货中心：{site}",
    "siting.closed": "候选站点，本方案不开设",
    "siting.open_in": "开设于方案：{names}",
    "siting.village_inside": "村：农产品都在保鲜半径内",
    "siting.village_partial": "村：部分农产品超出保鲜半径",
    "siting.village_outside": "村：农产品超出保鲜半径",
    "siting.village_idle": "村：无农产品",
    "siting.catchment_note": "连线：村到所属集货中心（直线示意，非道路）",
    "siting.radius_circle": (
        "圆圈：集货中心所收最易腐农产品的保鲜半径，按直线距离估算出行时间"
        "（{speed:g} 公里/小时，绕行系数 {circuity:g}，进出 {access:g} 分钟）"
    ),
    "siting.radius_hull": (
        "阴影：按出行时间在集货中心所收最易腐农产品保鲜半径内的村（凸包；按道路出行时画圆会失真）"
    ),
    "siting.served": "农产品：每天 {kg:,.0f} 公斤，来自 {n} 个村",
    "siting.access": "到集货中心：平均 {mean:.0f} 分钟，最长 {max:.0f} 分钟",
    "siting.coverage": "保鲜半径内：{share}",
    "siting.radius": "保鲜半径：{min:,.0f} 分钟（{product}，剩余保鲜期不低于 {fresh:.0%}）",
    "siting.radius_none": "所收农产品无保鲜期限制",
    "siting.no_catchment": "没有村向此处交售农产品",
    "siting.centre_of": "所属集货中心：{centre}",
    "siting.minutes": "到集货中心：{min:.0f} 分钟",
    "siting.radius_min": "保鲜半径（分钟）",
    "siting.fresh": "能否保鲜送达",
    "siting.yes": "能",
    "siting.no": "否",
    "siting.link": "{village} → {centre}：{min:.0f} 分钟",
    "siting.sites": "站点",
    "siting.notes": "说明",
    "rs.title": "司机路单：{name}",
    "rs.sheet_title": "路单：{vehicle}",
    "rs.summary": "总览",
    "rs.vehicle": "车辆",
    "rs.vehicle_type": "车型",
    "rs.compartment": "车厢温度",
    "rs.compartment_value_reefer": "冷藏，{temp:g} °C",
    "rs.compartment_value_ambient": "非冷藏（常温 {temp:g} °C）",
    "rs.shift": "出车时间",
    "rs.distance": "里程",
    "rs.cost": "成本",
    "rs.stop": "站序",
    "rs.site_id": "站点编号",
    "rs.site_name": "站点名称",
    "rs.site_kind": "站点类型",
    "rs.arrival": "到达",
    "rs.service_start": "开始作业",
    "rs.departure": "离开",
    "rs.wait_min": "等待（分钟）",
    "rs.wait_note": "等待 {min:.0f} 分钟",
    "rs.stops": "站数",
    "rs.action": "作业",
    "rs.load": "装货",
    "rs.unload": "卸货",
    "rs.order": "订单",
    "rs.order_kind": "订单类型",
    "rs.product": "产品",
    "rs.temp_class": "温层",
    "rs.kg": "重量（公斤）",
    "rs.m3": "体积（立方米）",
    "rs.compartment_c": "车厢温度 °C",
    "rs.deadline": "最晚送达（保鲜）",
    "rs.remaining": "到达时剩余保鲜期",
    "rs.remaining_h": "剩余保鲜期（小时）",
    "rs.kg_on_board": "车上重量（公斤）",
    "rs.m3_on_board": "车上体积（立方米）",
    "rs.start_route": "出发",
    "rs.end_route": "收车",
    "rs.signature": "司机签字",
    "rs.timeline": "时间轴",
    "rs.unserved": "未安排订单",
    "rs.reason": "原因",
    "rs.generated": "方案 {batch}，求解器 {engine}",
    "rs.no_routes": "本方案没有出车。",
    "rs.leave": "出发",
    "rs.leave_note": "{done} 作业完毕；{leave} 出发，{start} 到达{site}，不必提前等候",
    "rs.phone": "电话",
    "rs.note": "备注",
    "rs.kg_unload": "卸货（公斤）",
    "rs.kg_load": "装货（公斤）",
    "rs.done": "完成 ✓",
    "rs.deliver_by": "{time} 前送达",
    "rs.left_on_arrival": "到达时剩余保鲜期 {share}",
    "rs.print": "打印",
    "tl.title": "车辆全天时间轴",
    "tl.driving": "行驶",
    "tl.service": "装卸作业",
    "tl.waiting": "等待",
    "tl.rest": "司机休息",
    "tl.time": "时刻",
    "imp.where_sheet": "{file}，工作表“{sheet}”",
    "imp.where_file": "{file}",
    "imp.row": "第 {row} 行",
    "imp.column": "“{column}”列",
    "imp.not_found": "找不到文件",
    "imp.default_fleet": "默认车队",
    "imp.bad_format": "不是 .xlsx、.xls 或 .csv 文件",
    "imp.unreadable": "无法读取：{reason}",
    "imp.no_sheet": "没有名为 {wanted} 的工作表（现有：{sheets}）",
    "imp.empty": "是空表：没有表头行",
    "imp.missing_column": "缺少“{column}”列（也可写作：{aliases}）",
    "imp.duplicate_column": "“{a}”列和“{b}”列都表示“{field}”",
    "imp.no_rows": "没有数据行",
    "imp.required": "不能为空",
    "imp.not_number": "“{value}”不是数字",
    "imp.not_integer": "“{value}”不是整数",
    "imp.not_clock": "“{value}”不是时刻，请写成 HH:MM 或零点起的分钟数",
    "imp.not_bool": "“{value}”不是 是/否",
    "imp.not_share": "“{value}”不是比例，请写 0-1 之间的小数或 90% 这样的百分数",
    "imp.bad_window": "“{value}”不是时间窗，请写成 08:00-12:00;14:00-18:00",
    "imp.bad_kind": "“{value}”不是以下之一：{choices}",
    "imp.unknown_product": "产品“{value}”不在产品目录和产品表中{hint}",
    "imp.product_needs": (
        "“{value}”不是目录中的品类，请填写{fields}（或在“品类”列填写目录品类{hint}）"
    ),
    "imp.field.temperature_class": "温层（冷冻/冷藏/阴凉/常温）",
    "imp.field.shelf_life_h": "保鲜期（小时或天）",
    "imp.field.ref_temp_c": "保鲜期对应的温度（°C）",
    "imp.field.q10": "Q10",
    "name.unknown_site": "未知站点“{value}”",
    "name.unknown_product": "未知产品“{value}”",
    "name.did_you_mean": "（您是不是要找：{choices}？）",
    "name.ambiguous": "“{value}”是 {n} 个站点的名称（{codes}），请改填站点编号",
    "reason.too_heavy": "重 {kg:g} 公斤，超过 {vehicle} 的载重（{capacity:g} 公斤）",
    "reason.too_bulky": "体积 {m3:g} 立方米，超过 {vehicle} 的容积（{capacity:g} 立方米）",
    "reason.needs_refrigeration.chilled": "产品“{product}”需冷藏，车队中没有温度合适的冷藏车",
    "reason.needs_refrigeration.frozen": "产品“{product}”需冷冻，车队中没有温度合适的冷冻车",
    "reason.needs_refrigeration.cool": "产品“{product}”需阴凉运输，车队中没有温度合适的车辆",
    "reason.needs_refrigeration.ambient": "产品“{product}”需常温运输，车队中没有温度合适的车辆",
    "reason.window_unreachable.ready_after_close": "{ready} 才就绪，此时 {site} 已停止作业",
    "reason.window_unreachable.no_open_time": "{site} 在截单前没有可作业的时间",
    "reason.window_unreachable.origin": (
        "{vehicle} {shift_start} 从 {start} 出车，最早 {time} 到达 {site}，"
        "已过其最晚作业时间 {closes}"
    ),
    "reason.window_unreachable.destination": (
        "{vehicle} 无法在 {site} 停止作业或截单前到达（最早 {time} 到达，最晚须在 {closes} "
        "开始卸货）"
    ),
    "reason.no_time_in_fleet.shift": "{vehicle} 最早 {time} 才能收车，晚于下班时间 {shift_end}",
    "reason.no_time_in_fleet.duration": (
        "单独跑一趟也需 {minutes:.0f} 分钟，超过 {vehicle} 的最长出车时间 {limit:g} 分钟"
    ),
    "reason.window_unreachable.origin_rests": (
        "计入司机休息（连续驾驶最多 {drive:g} 分钟后休息 {rest:g} 分钟），{vehicle} "
        "{shift_start} 从 {start} 出车，无法在 {site} 最晚作业时间 {closes} 前到达"
    ),
    "reason.window_unreachable.destination_rests": (
        "计入司机休息（连续驾驶最多 {drive:g} 分钟后休息 {rest:g} 分钟），{vehicle} "
        "无法在 {site} 停止作业或截单前到达（最晚须在 {closes} 开始卸货）"
    ),
    "reason.no_time_in_fleet.shift_rests": (
        "计入司机休息（连续驾驶最多 {drive:g} 分钟后休息 {rest:g} 分钟），{vehicle} "
        "最早 {time} 才能收车，晚于下班时间 {shift_end}"
    ),
    "reason.no_time_in_fleet.duration_rests": (
        "计入司机休息（连续驾驶最多 {drive:g} 分钟后休息 {rest:g} 分钟），单独跑一趟也需 "
        "{minutes:.0f} 分钟，超过 {vehicle} 的最长出车时间 {limit:g} 分钟"
    ),
    "reason.shelf_life_unreachable.rests": (
        "计入司机休息（连续驾驶最多 {drive:g} 分钟后休息 {rest:g} 分钟），即使由 {vehicle} "
        "直达，到达时剩余保鲜期也只有 {left:.0%}，低于要求的 {min:.0%}"
    ),
    "reason.too_far": (
        "单独跑一趟也要行驶 {km:.1f} 公里，超过 {vehicle} 的里程上限 {limit:g} 公里"
    ),
    "reason.shelf_life_unreachable": (
        "即使由 {vehicle} 直达，到达时剩余保鲜期也只有 {left:.0%}，低于要求的 {min:.0%}"
    ),
    "reason.penalty_cheaper": "可选订单：完成它的成本高于其未完成罚金（{penalty:g} 元）",
    "reason.not_fitted": (
        "必送订单，但在求解时限内没有找到能容纳它的线路（车队容量、时间窗或班次整体过紧）"
    ),
    "reason.not_fitted.capacity": (
        "必送订单，但没有空闲车辆，加入任一可运送它的线路都会超出限制，最常见的是车辆载重或容积"
    ),
    "reason.not_fitted.windows": (
        "必送订单，但没有空闲车辆，加入任一可运送它的线路都会超出限制，最常见的是站点作业时间"
        "或集货中心截单时间"
    ),
    "reason.not_fitted.shift": (
        "必送订单，但没有空闲车辆，加入任一可运送它的线路都会超出限制，最常见的是班次、"
        "最长出车时间或里程上限"
    ),
    "reason.not_fitted.shelf_life": (
        "必送订单，但没有空闲车辆，加入任一可运送它的线路都会超出限制，最常见的是保鲜要求"
        "（到达时剩余保鲜期不足）"
    ),
    "reason.no_vehicles": (
        "车队没有车辆（数量都为 0），{n} 个订单都无法完成；请至少给一种车型设置数量"
    ),
    "reason.min_used_unmet.type": (
        "车型“{vehicle}”至少要出车 {n} 辆，但只有 {orders} 个订单（同站一次到访的按一个计）"
        "能由它运送，而每辆出车至少要完成一个订单"
    ),
    "reason.min_used_unmet.total": (
        "各车型至少出车数合计 {n} 辆，但批次只有 {orders} 个订单（同站一次到访的按一个计），"
        "而每辆出车至少要完成一个订单"
    ),
    "reason.single_visit_unsupported": (
        "只有当每辆车都从一个枢纽单趟开往一个集货中心、且没有多个时间窗、先送后收或农产品到达"
        "时限时，才能一次到访同时完成配送和揽收（此处：{why}）"
    ),
    "cli.unserved_title": "{n} 个订单未安排：",
    "cli.required_unserved": "{n} 个必送订单未安排：其余订单已排好线路（退出码 3）",
    "error.cannot_plan": "批次无法按现有条件排线",
    "replan.title": "{now} 的调整",
    "replan.summary": (
        "{moved} 个订单改由其他车辆承运，安排了 {added} 个临时订单，{unserved} 个订单未安排"
    ),
    "replan.driver": "{vehicle} 司机",
    "replan.unchanged": "无变化",
    "replan.added": "新订单 {order}",
    "replan.moved_in": "接手 {other} 的订单 {order}",
    "replan.moved_out": "订单 {order} 交给 {other}",
    "replan.dropped": "不再承运 {order}：{why}",
    "replan.cancelled": "已取消",
    "replan.retimed": "{site}：{new}（原为 {old}）{actions}",
    "replan.action.load": "装货",
    "replan.action.unload": "卸货",
    "replan.down": "在 {site} 抛锚；车上货物在原地等待其他车辆接运",
    "replan.unserved_title": "未安排",
    "replan.refused_cancel": "{order} 无法取消：{why}",
    "replan.refused.done": "已送达",
    "replan.refused.on_board": "已装车",
    "replan.mark.added": "新订单",
    "replan.mark.moved_in": "由 {other} 转来",
    "replan.mark.retimed": "时间调整，原为 {old}",
    "replan.sheet_changes": "{now} 的调整",
    "replan.sheet_column": "调整",
    "replan.err.vehicle": "未知车辆“{id}”",
    "replan.err.order": "未知订单“{id}”",
    "replan.err.order_twice": "订单“{id}”已在批次中",
    "replan.err.site": "未知站点“{id}”",
    "replan.err.batch": "方案对应批次“{plan}”，而非“{batch}”",
    "replan.err.route": "“{id}”不在批次中",
    "replan.err.not_roads": (
        "封闭道路需要 road_network 路网出行方式；站点之间的直达路段请给出起止站点"
    ),
    "api.missing_key": "缺少 {header} 请求头",
    "api.unknown_key": "{header} 无效（未知密钥）",
    "api.job_not_found": "找不到该任务",
    "api.plan_not_found": "找不到该方案",
    "api.changes_not_found": "找不到该重新规划：只有重新规划的方案才有调整记录",
    "api.replan_batch_gone": "该方案的批次已不再保存，请重新提交批次",
    "api.siting_result_not_found": "找不到该选址结果",
    "api.nothing_to_cancel": "任务已{state}，无可取消",
    "api.state.done": "完成",
    "api.state.failed": "失败",
    "api.state.cancelled": "取消",
    "api.state.queued": "排队中",
    "api.state.running": "运行中",
    "api.http.404": "找不到该地址",
    "api.http.405": "该地址不支持此请求方法",
    "api.queue_full": "任务队列已满（{depth} 个任务在等待）；请 {retry} 秒后重试",
    "api.county_full": (
        "本县已有 {depth} 个任务在排队或运行，达到上限（FRESHROUTE_MAX_JOBS_PER_COUNTY 为 "
        "{limit}）；请 {retry} 秒后重试"
    ),
    "api.idempotency_conflict": "该 Idempotency-Key 已用于另一个不同的请求",
    "api.server_error": "服务器未能处理此请求",
    "api.media": "请以 application/json 发送批次，而不是 {media}",
    "api.no_media": "请以 application/json 发送批次（未给出 Content-Type）",
    "api.too_large": "请求体超过 {max_bytes} 字节",
    "api.empty_body": "请求体为空，请以 JSON 发送批次",
    "api.too_deep_json": "不是有效的 JSON：嵌套过深",
    "api.too_deep": "嵌套超过 {max_depth} 层的上限（FRESHROUTE_MAX_BODY_DEPTH）",
    "api.not_json_number": "{name} 不是 JSON 数字",
    "api.not_finite": "数值超出范围（非有限数）",
    "api.bad_key": "有键名不是有效的 Unicode",
    "api.max_orders": "{n} 个订单，超过每批 {limit} 个的上限（FRESHROUTE_MAX_ORDERS）",
    "api.max_sites": "{n} 个站点，超过每批 {limit} 个的上限（FRESHROUTE_MAX_SITES）",
    "api.max_cells": (
        "{n} 个站点的距离矩阵有 {cells} 格，超过 {limit} 格的上限（FRESHROUTE_MAX_MATRIX_CELLS）"
    ),
    "api.max_vehicles": "车辆共 {n} 辆，超过每批 {limit} 辆的上限（FRESHROUTE_MAX_VEHICLES）",
    "siting.err.opening_cost_split": (
        "该字段已拆分为两个：它在方案文件中指一次性建设成本，在“site optimize”中指每天成本。"
        "请改为 build_cost_cny（在某站点建集货中心的一次性成本，元）或 daily_cost_cny"
        "（每天运营成本，元）"
    ),
    "siting.err.opening_cost_renamed": (
        "已改名为 daily_cost_cny（集货中心每天运营成本，元），以免与方案文件中的一次性建设成本 "
        "build_cost_cny 混淆"
    ),
    "siting.err.unknown_open": "open：未知站点编号 {sites}",
    "siting.err.open_matrix": "open：“{site}”不是集货中心，而按距离矩阵计算时不能新增站点",
    "siting.err.two_bases": "base：只能有一个基准方案（现标记了 {names}）",
    "siting.err.no_produce": "没有揽收订单，没有可据以选址的农产品",
    "siting.err.not_candidate": "“{site}”是{kind}，不是集货中心或村级站点",
    "siting.err.also_must_open": "“{site}”同时列在 must_open（必须开设）中",
    "siting.err.p_too_large": (
        "p={p} 大于可开设的候选站点数 {allowed}（集货中心和村级站点共 {candidates} 个，"
        "禁止开设 {forbidden} 个）"
    ),
    "siting.err.must_over_p": "必须开设的站点有 {n} 个（{sites}），多于 p={p}",
    "siting.err.capacity": "{allowed} 个站点 × {capacity:g} 公斤容纳不下 {kg:g} 公斤农产品",
    "siting.err.budget": (
        "预算 {budget:g} 元按每个集货中心每天 {daily:g} 元只能开设 {affordable} 个；需要 "
        "{needed} 个（必须开设 {must} 个，容纳农产品需 {need} 个）"
    ),
    "siting.err.listed_twice": "“{site}”列了两次",
    "siting.err.matrix_new_site": "“{site}”不是集货中心，而按距离矩阵计算时不能新增站点",
    "siting.err.clash": "在“{site}”新建集货中心会与“{new_id}”冲突",
    "siting.err.same_name": "另一个方案也叫“{name}”",
    "error.time_limit_option": "--time-limit：{value:g} 秒不在 (0, {max:g}] 秒范围内",
    "error.engine_option": "--engine：“{value}”不是以下之一：{choices}",
    "cli.issue_order": "（订单“{order}”）",
    "cli.warning": "警告：",
    "pydantic.missing": "缺少必填字段",
    "pydantic.extra_forbidden": "未知字段（不在数据格式中）",
    "pydantic.string_type": "应为文本",
    "pydantic.float_type": "应为数字",
    "pydantic.float_parsing": "应为数字",
    "pydantic.int_type": "应为整数",
    "pydantic.int_parsing": "应为整数",
    "pydantic.int_from_float": "应为整数",
    "pydantic.bool_type": "应为 true 或 false",
    "pydantic.bool_parsing": "应为 true 或 false",
    "pydantic.list_type": "应为列表",
    "pydantic.dict_type": "应为对象",
    "pydantic.model_type": "应为对象",
    "pydantic.model_attributes_type": "应为对象",
    "pydantic.greater_than": "应大于 {gt}",
    "pydantic.greater_than_equal": "应不小于 {ge}",
    "pydantic.less_than": "应小于 {lt}",
    "pydantic.less_than_equal": "应不大于 {le}",
    "pydantic.finite_number": "应为有限的数字",
    "pydantic.literal_error": "应为 {expected}",
    "pydantic.enum": "应为 {expected}",
    "pydantic.string_too_short": "至少 {min_length} 个字符",
    "pydantic.string_too_long": "最多 {max_length} 个字符",
    "pydantic.too_short": "至少 {min_length} 项，现有 {actual_length} 项",
    "pydantic.too_long": "最多 {max_length} 项，现有 {actual_length} 项",
    "pydantic.string_pattern_mismatch": "格式不符（应匹配 {pattern}）",
    "pydantic.union_tag_invalid": "{discriminator} 的值 {tag} 不是以下之一：{expected_tags}",
    "pydantic.union_tag_not_found": "缺少 {discriminator}",
    "pydantic.json_invalid": "不是有效的 JSON：{error}",
    "pydantic.json_type": "应为 JSON 文本",
    "model.not_clock": "“{value}”不是时刻，请写零点起的分钟数或 HH:MM",
    "model.clock_minutes": "“{value}”的分钟数为 {minutes}，应为 00-59",
    "model.window_order": "时间窗结束（{end:g}）早于开始（{start:g}）",
    "model.windows_overlap": "时间窗重叠：{a_start:g}-{a_end:g} 与 {b_start:g}",
    "model.cutoff_not_centre": "cutoff（截单时间）只适用于集货中心",
    "model.single_visit_not_station": "single_visit（一次到访）只适用于村级站点",
    "model.product_needs": "品类“{category}”不在产品目录中，请填写 {fields}{hint}",
    "model.product_needs.shelf_life_h": "shelf_life_h（或 perishable: false）",
    "model.shift_order": "shift_end（下班时间）早于 shift_start（上班时间）",
    "model.compartment_not_reefer": "compartment_temp_c（车厢温度）只适用于冷藏车",
    "model.min_used_over_count": "min_used（至少出车数）{min_used} 大于车辆数 count {count}",
    "model.fuel_both": "fuel_l_per_km_empty 和 fuel_l_per_km_full 须同时填写或都不填",
    "model.fuel_order": "fuel_l_per_km_full（满载油耗）低于 fuel_l_per_km_empty（空载油耗）",
    "model.meal_window_short": "meal_window（用餐时段）短于 meal_min（用餐时长 {minutes} 分钟）",
    "model.meal_short": (
        "meal_min（用餐时长 {meal} 分钟）短于 min_rest_min（最短休息 {rest} 分钟）：用餐也算休息"
    ),
    "model.matrix_shape": "{name} 应为 {n}×{n}，每个站点编号一行一列",
    "model.matrix_negative": "{name} 含负数或 NaN",
    "model.matrix_diagonal": "{name}[{i}][{i}]：站点到自身的 {name} 应为 0，现为 {value:g}",
    "model.site_ids_duplicates": "site_ids 有重复",
    "model.duplicate_id": "编号“{id}”重复",
    "model.not_a_station": "“{site}”是{kind}，不是村级站点",
    "model.origin_not_transfer": "只有站间调运订单才从另一站点装货",
    "model.transfer_no_hub": "站间调运订单从站点到站点，不经枢纽或集货中心",
    "model.transfer_needs_origin": "站间调运订单须填写装货站点 origin",
    "model.origin_is_site": "与 site 是同一站点",
    "model.centre_not_pickup": "只有揽收订单才送往集货中心",
    "model.name_hub": "批次中有 {n} 个枢纽，请指定一个",
    "model.not_hub": "“{site}”不是枢纽",
    "model.hub_not_delivery": "只有配送订单才在枢纽装货",
    "model.name_centre": "有 {n} 个集货中心，请指定一个",
    "model.not_centre": "“{site}”不是集货中心",
    "model.single_visit_mix": "该站订单须一起完成，所以要么都设罚金，要么都不设",
    "model.end_is_station": "“{site}”是村级站点，不是枢纽或集货中心",
    "model.matrix_missing_sites": "缺少以下站点的行：{sites}",
    "model.lone_surrogate": "文本不是有效的 Unicode（孤立代理项）",
    "site_kind.hub": "枢纽",
    "site_kind.collection_centre": "集货中心",
    "site_kind.station": "村级站点",
    # plan validator (optimizer.validate)
    "validate.kind.coverage": "覆盖",
    "validate.kind.vehicle": "车辆",
    "validate.kind.travel": "行驶",
    "validate.kind.schedule": "时刻",
    "validate.kind.time_window": "时间窗",
    "validate.kind.shift": "班次",
    "validate.kind.capacity": "载重容积",
    "validate.kind.refrigeration": "冷藏",
    "validate.kind.freshness": "新鲜度",
    "validate.kind.deliveries_first": "先送后取",
    "validate.kind.single_trip": "单趟出车",
    "validate.kind.single_visit": "一次到访",
    "validate.kind.min_used": "最少用车",
    "validate.kind.cost": "成本",
    "validate.kind.rest": "休息",
    "rest.kind.rest": "休息",
    "rs.rest": "{kind} {start}-{end}（{minutes} 分钟），{place}",
    "map.rests": "司机休息",
    "rest.kind.meal": "用餐",
    "rest.place.waiting": "在本站，作业前",
    "rest.place.after_service": "在本站，作业后",
    "rest.place.road": "在去下一站的路上",
    "validate.line_route": "路线 {route}",
    "validate.line_order": "订单 {order}",
    "validate.at_stop": "路线 {v} 第 {i} 站（{site}）",
    "validate.appears": "出现",
    "validate.absent": "未出现",
    "validate.required": "必送",
    "validate.optional": "可选",
    "validate.ambient": "常温",
    "validate.cost.fixed": "固定",
    "validate.cost.distance": "里程",
    "validate.cost.time": "时间",
    "validate.cost.fuel": "燃油",
    "validate.cost.total": "总",
    "validate.visit_count": "订单 {order} 装车 {loads} 次、卸车 {unloads} 次，应各一次",
    "validate.split_route": "订单 {order} 在 {on} 装车，却在 {off} 卸车",
    "validate.unload_first": "订单 {order} 在第 {unload} 站卸车，不在第 {load} 站装车之后",
    "validate.load_site": "订单 {order}（{kind}）在 {site} 装车，应在 {want}",
    "validate.unload_site": "订单 {order}（{kind}）在 {site} 卸车，应在 {want}",
    "validate.outcome_kind": "订单 {order} 是{kind}订单，结果中却写作 {said}",
    "validate.served_flag": "订单 {order} 的已配送标记为 {served}，但在路线上{where}",
    "validate.no_reason": "订单 {order}（{need}）未配送，且未给出原因",
    "validate.outcome_vehicle": "订单 {order} 的结果写车辆 {named}，路线却由 {v} 承运",
    "validate.loaded_at": "订单 {order} 报告 loaded_at 为 {got}，其装车站离开时刻为 {want}",
    "validate.arrived_at": "订单 {order} 报告 arrived_at 为 {got}，其卸车站作业开始时刻为 {want}",
    "validate.unknown_order_stop": "{v} 第 {stop} 站有未知订单 {order}",
    "validate.unknown_order_plan": "plan.orders 中有未知订单 {order}",
    "validate.unknown_order_route": "{v} 上有未知订单 {order}",
    "validate.order_missing": "订单 {order} 不在 plan.orders 中",
    "validate.order_repeated": "订单 {order} 在 plan.orders 中出现 {n} 次",
    "validate.min_used": "{type} 车型出车 {n} 辆，至少应出车 {min} 辆",
    "validate.no_vehicle": "路线 {v}：没有这辆车（已有：{known}）",
    "validate.wrong_type": "路线 {v}：车辆 {v} 属于车型 {real}，路线写的是 {said}",
    "validate.unknown_type": "路线 {v}：未知车型 {type}",
    "validate.vehicle_twice": "路线 {v}：车辆 {v} 跑了不止一条路线",
    "validate.few_stops": "路线 {v} 只有 {n} 站；每条路线至少需要 2 站",
    "validate.start_depot": "路线 {v} 从 {site} 出发；{type} 车型应从 {want} 出发",
    "validate.end_depot": "路线 {v} 在 {site} 收车；{type} 车型应在 {want} 收车",
    "validate.unknown_site": "路线 {v} 第 {i} 站：未知站点 {site}",
    "validate.first_km": "路线 {v} 第 0 站的 km_from_previous 为 {km}，应为 0",
    "validate.too_fast": (
        "路线 {v} 第 {i} 站（{site}）到达时刻 {arrival}；从 {prev} 于 "
        "{departure} 出发、行驶 {minutes} 分钟，最早 {earliest} 才能到达"
    ),
    "validate.leg_km": "路线 {v} 第 {i} 站：{a}→{b} 报告 {km} km，距离矩阵为 {want} km",
    "validate.start_before_arrival": "{where}作业开始于 {start}，早于到达时刻 {arrival}",
    "validate.short_service": (
        "{where}离开于 {departure}，早于开始时刻 {start} 加 {service} 分钟作业"
    ),
    "validate.route_km": "路线 {v} 报告 {km} km；各段相加为 {want} km",
    "validate.duration": "路线 {v} 报告 {got} 分钟；末站离开减首站开始为 {want} 分钟",
    "validate.outside_windows": "{where}作业开始于 {start}，不在其时间窗 {windows} 内",
    "validate.before_ready": "{where}于 {start} 装载 {order}，早于其备货时刻 {ready}",
    "validate.after_cutoff": "{where}于 {start} 卸下 {order}，晚于截止时刻 {cutoff}",
    "validate.shift_start": "路线 {v} 开始于 {start}，早于 {type} 车型的班次开始 {want}",
    "validate.shift_end": "路线 {v} 结束于 {end}，晚于 {type} 车型的班次结束 {want}",
    "validate.max_duration": "路线 {v} 历时 {got} 分钟，超过 {type} 车型上限 {max} 分钟",
    "validate.max_km": "路线 {v} 行驶 {got} km，超过 {type} 车型上限 {max} km",
    "validate.rest_stop": "路线 {v} 的第 {k} 次休息指向第 {i} 站，但该路线没有这一站",
    "validate.rest_outside": (
        "路线 {v} 的{kind} {start}-{end} 在第 {i} 站（{site}），不在该站的空闲时间 {lo}-{hi} 内"
    ),
    "validate.rest_leg": (
        "路线 {v} 第 {i} 段（{a} 至 {b}）用时 {got} 分钟，"
        "少于行驶 {minutes} 分钟加途中休息 {rest} 分钟"
    ),
    "validate.driving": (
        "路线 {v} 到第 {i} 站（{site}）前已连续驾驶 {got} 分钟，未休息 {rest} 分钟，"
        "超过 {type} 车型上限 {max} 分钟"
    ),
    "validate.no_meal": (
        "路线 {v} 整个用餐时段 {window} 都在外，却没有 {meal} 分钟的用餐休息（{type} 车型）"
    ),
    "validate.over_capacity": "{where}离开时车上有 {amount} {unit}，超过容量 {cap}",
    "validate.negative_load": "{where}离开时车上为 {amount} {unit}，为负数",
    "validate.load_reported": "{where}报告车上有 {got} {unit}，重新模拟为 {amount}",
    "validate.refrigeration": (
        "路线 {v} 第 {i} 站：{order}（{product}，{temp}）不能装在 {type}（{room}）上"
    ),
    "validate.deliveries_first": (
        "路线 {v}：配送订单 {order} 在第 {i} 站卸车，晚于首个收货装车（第 {first} 站）"
    ),
    "validate.cost": "路线 {v} 报告{name}成本 {got} CNY，重新计算为 {want} CNY",
    "validate.single_trip_load": (
        "路线 {v} 只能单趟出车，却在首个村级站点之后于 {site}（第 {i} 站）装车"
    ),
    "validate.single_trip_unload": (
        "路线 {v} 只能单趟出车，却在最后一个村级站点之前于 {site}（第 {i} 站）卸车"
    ),
    "validate.not_perishable": "订单 {order} 不是易腐品，却报告 remaining_share 为 {got}",
    "validate.too_stale": "订单 {order} 由 {v} 送达时剩余保质期 {share}，低于最低要求 {min}",
    "validate.share_reported": "订单 {order} 报告 remaining_share 为 {got}，重新计算为 {want}",
    "validate.hours_reported": "订单 {order} 报告 remaining_h 为 {got}，重新计算为 {want}",
    "validate.single_visit": "一次到访站点 {site}：{detail}；其所有订单须在同一站完成",
    "validate.single_visit_missing": "订单 {orders} 未配送",
    "validate.single_visit_stops": "分 {n} 站完成",
    # road networks (optimizer.network)
    "roads.file_not_found": "找不到路网文件：{path}",
    "roads.closed_far": "({lon}, {lat}) 附近吸附距离内没有道路交叉口：最近的在 {km} 公里外",
    "roads.closed_no_road": (
        "离 {a} 和 {b} 最近的两个交叉口之间没有直接相连的道路；请给出同一条道路的两端"
    ),
    "roads.cannot_read": "无法读取路网 {path}：{exc}",
    "roads.no_layer": "{path} 中没有图层“{layer}”；其图层为：{names}",
    "roads.many_layers": "{path} 有 {n} 个图层（{names}）；请设置 travel.layer",
    "roads.needs_pyrosm": (
        "读取 {name} 需要 pyrosm，此处无法导入（{exc}）；请执行“pip install pyrosm”安装，或把 "
        "OpenStreetMap 数据转成 GeoPackage（如 ogr2ogr roads.gpkg extract.osm.pbf lines）"
    ),
    "roads.cannot_read_osm": "无法读取 OpenStreetMap 数据 {path}：{exc}",
    "roads.no_drivable": "{path} 中没有可通车道路（OSM highway=* 道路）",
    "roads.too_large_area": "路网覆盖范围过大，无法建立索引",
    "roads.no_crs": (
        "{name} 没有坐标参考系（CRS）；Shapefile 需要附带 .prj 文件，GeoPackage 图层需要定义 "
        "SRS。请指定一个，如“ogr2ogr -a_srs EPSG:4326 out.gpkg in.shp”"
    ),
    "roads.no_class_field": (
        "{name} 没有表示道路等级的“{field}”属性；请把 travel.class_field 设为以下之一：{fields}"
    ),
    "roads.no_oneway_field": (
        "{name} 没有表示单行道的“{field}”属性；请把 travel.oneway_field "
        "设为以下之一：{fields}（或设为 null：所有道路双向通行）"
    ),
    "roads.unreachable": (
        "有 {n} "
        "对站点之间没有道路相通：{pairs}{more_pairs}。涉及站点：{sites}{more_sites}。请检查单行道"
        "和路网图层中的断口。"
    ),
    "roads.no_such_sites": "没有这些站点：{sites}",
    "roads.unknown_method": "未知的矩阵算法“{method}”：请使用 {methods} 之一",
    "roads.no_sites": "没有可建立路网矩阵的站点",
    "roads.ids_unique": "站点编号必须唯一",
    "roads.too_large": "路网过大，无法打包（{n} 个节点）",
    "roads.no_leg_path": "所需路段之间没有道路相通",
    "roads.none": "无",
    "roads.no_attributes": "（无属性）",
    "roads.no_class_value": "（无）",
    "roads.nothing": "无",
    "roads.n_empty": "，{n} 个空要素",
    "roads.n_not_lines": "，{n} 个非线要素",
    "roads.no_lines": (
        "{name} 中没有线要素（共 {features} 个要素：{found}{empty}）；道路须为 "
        "LineString 或 MultiLineString"
    ),
    "roads.no_usable_line": (
        "{name} 中没有可用的道路线：共 {features} 个要素，{empty} 个空要素，{invalid} 条无效线"
        "（不足 2 个不同的点或坐标非有限值）{not_lines}"
    ),
    "roads.crs_degrees": (
        "{name} 声明其坐标参考系为 {crs}（单位为度），但坐标最大到 ({x:.0f}, {y:.0f})；"
        "坐标参考系有误或缺失"
    ),
    "roads.crs_to_utm": "{name}：无法把其坐标参考系（{crs}）转换为 UTM 米制坐标：{exc}",
    "roads.crs_not_finite": "{name}：其坐标参考系（{crs}）重投影后坐标为非有限值",
    "roads.no_router": "这些矩阵未保留可用于寻路的路网",
    "roads.bad_speeds": "车速须大于 0 km/h；请检查 {classes}",
    "roads.warn.dropped": "{path}：已舍弃 {parts}",
    "roads.warn.empty": "{n} 个空要素或缺失几何",
    "roads.warn.invalid": "{n} 条无效线（不足 2 个不同的点或坐标非有限值）",
    "roads.warn.not_lines": "非线要素（{kinds}）",
    "roads.warn.outside_scc": (
        "{path}：已舍弃最大强连通部分以外的 {nodes} 个节点和 {lines} 条道路线"
        "（保留 {kept_nodes} 个节点、{kept_lines} 条道路线）"
    ),
    "roads.warn.unknown_classes": (
        "{path}：以下道路等级没有车速，按 {speed:g} km/h 计（可设置 travel.speeds_kmh）：{classes}"
    ),
    "roads.warn.far_sites": (
        "{n} 个站点距最近道路超过 {km:g} km，按 {speed:g} km/h 的直线接驳路段到达：{sites}{more}"
    ),
    "roads.warn.more": " 等，另有 {n} 个",
    "join.semicolon": "；",
    "join.comma": "，",
    "roads.warn.class_count": "“{name}”（{n}）",
    "error.plan_invalid": "方案未通过校验：",
    "job.interrupted": "服务重启，任务中断",
    "job.infeasible": "无法规划：{issues}",
    "job.roads": "道路网无法使用：{error}",
    "job.invalid_batch": "批次内容有误：{errors}",
    "job.solver_error": "求解出错：{error}",
    "job.siting": "选址无法完成：{error}",
    "job.invalid_request": "请求内容有误：{errors}",
    "job.invalid_events": "事件有误：{errors}",
    "job.siting_error": "选址出错：{error}",
    "job.internal_error": "运行任务时发生内部错误",
    "job.killed": "已终止：开始 {seconds:.0f} 秒后仍在求解",
    "job.died": "工作进程意外退出（退出码 {code}）",
    "job.ray_failed": "Ray 工作进程失败：{error}",
    "api.not_checked": "无法检查该批次：{error}",
    "api.roads_not_checked": "无法检查道路网：{error}",
    "api.check_died": "检查进程意外退出",
    "api.siting_not_object": "请发送一个 JSON 对象，县域批次放在“batch”中",
    "error.no_batch_files": "找不到批次文件",
    "run.needs_ray": "执行器“ray”需要 Ray：请执行 pip install 'freshroute[ray]'",
    "run.unknown_executor": "执行器“{name}”不是 {choices} 之一",
    # command-line help (optimizer/cli_help.py): commands, options, Typer's own words
    "help.solve": (
        "规划一天的批次；把 plan.json、plan.geojson、map.html、出车单和 timeline.png 写入 --out"
        "。任何车辆都无法完成的订单不纳入方案并说明原因；有必须完成的订单未安排时退出码为 3。"
    ),
    "help.solve.batch_file": "批次 JSON（freshroute.batch/v1）。",
    "help.opt.time_limit": "求解秒数（默认：批次中的设置）。",
    "help.solve.seed": "随机种子（默认：批次中的设置）。",
    "help.solve.out_dir": "方案文件的输出目录。",
    "help.opt.baseline": "同时规划配送、揽收分车方案，以作比较。",
    "help.opt.quiet": "不显示进度。",
    "help.solve.verbose": "同时逐行列出每条线路。",
    "help.solve.engine": (
        "auto（PyVRP 排线，OR-Tools 精确收尾）、ortools、pyvrp 或 native（freshroute 自带的精确"
        "成本搜索）。"
    ),
    "help.opt.report": "同时生成地图、出车单和时间线。",
    "help.solve.fmt": "读取基准测试文件而非批次：solomon、vrplib、lkh 或 lilim。",
    "help.solve.workers": "使用的 CPU 核数：2 表示 PyVRP 与 OR-Tools 并行求解。",
    "help.solve.strict": "有订单根本无法完成时拒绝该批次（退出码 2）。",
    "help.replan": (
        "从当前时刻重新规划当天：已完成的站点不变，车辆带着车上货物继续，纳入新增订单、取消、车"
        "辆故障、延误和道路封闭。把 day.json、plan.json、plan.geojson、changes.json、changes.md "
        "和报表（标出调整的出车单）写入 --out；有必须完成的订单未安排时退出码为 3。"
    ),
    "help.replan.report": "同时生成地图、出车单（标出调整）和时间线。",
    "help.replan.batch_file": "原方案所对应的批次。",
    "help.replan.plan_file": "当天开始时的 plan.json。",
    "help.replan.events_file": "事件 JSON（freshroute.events/v1）。",
    "help.replan.out_dir": "输出目录。",
    "help.opt.engine_as_solve": "同 solve。",
    "help.solve_many": (
        "批量规划多个批次，每个批次一个任务（一个 CPU、各自的时限），在本机进程或 Ray 上运行；每"
        "个方案写入 OUT/<批次名>/，各县汇总写入 OUT/summary.csv 和 summary.md。某个批次有误时报"
        "告后继续其余批次：有批次输入有误时退出码为 2，重试后仍失败时为 1，否则为 0。"
    ),
    "help.solve_many.batches": "批次 JSON 文件，或存放它们的文件夹（*.json）。",
    "help.solve_many.executor": "local（本机进程）或 ray。",
    "help.solve_many.workers": "同时求解的批次数（默认：CPU 核数；ray：其 CPU 数）。",
    "help.solve_many.ray_address": "已有的 Ray 集群（默认：在本机内嵌启动 Ray）。",
    "help.solve_many.time_limit": "每个批次的求解秒数（默认：各批次自己的设置）。",
    "help.solve_many.seed": "随机种子（默认：各批次自己的设置）。",
    "help.solve_many.out_dir": "方案写入 OUT/<批次名>/，汇总写入 OUT。",
    "help.validate": "按批次复核方案；违反任何硬约束时退出码为 1。",
    "help.arg.batch_of_plan": "方案所对应的批次。",
    "help.arg.plan": "一个 plan.json。",
    "help.report": (
        "为方案生成 map.html、runsheets.xlsx/.html/.csv 和 timeline.png；使用路网时线路沿道路绘"
        "制，与 solve 相同。"
    ),
    "help.report.out_dir": "报表的输出目录。",
    "help.import": "由中文或英文表头的表格生成批次。",
    "help.import.orders": "订单表：.xlsx、.xls 或 .csv。",
    "help.import.sites": "站点表：.xlsx、.xls 或 .csv（可与订单表同一工作簿）。",
    "help.import.fleet": "车队表：.xlsx/.xls/.csv（默认：每个枢纽配冷藏车和厢式车）。",
    "help.import.products": (
        "产品表：.xlsx/.xls/.csv（默认：订单或站点工作簿中的 products/产品 工作表，如有；否则只"
        "用目录中的品类名）。"
    ),
    "help.import.output": "要写入的批次 JSON。",
    "help.import.name": "批次名称（默认：文件名）。",
    "help.generate": "按领域默认参数生成一个模拟县域批次。",
    "help.generate.villages": "村庄数量。",
    "help.generate.seed": "随机种子。",
    "help.generate.centres": "集货中心数量（默认按规模确定）。",
    "help.generate.output": "要写入的批次文件。",
    "help.site_optimize": (
        "在批次的集货中心和村庄中选择集货中心站址，给出已证明最优的解或其最优性差距；写出供 "
        "site evaluate / site compare 使用的方案文件。"
    ),
    "help.site_optimize.batch_file": "县域批次：有农产品揽收的站点。",
    "help.site_optimize.model": "pmedian、mclp 或 cflp。",
    "help.site_optimize.p": "要开设的集货中心数量。",
    "help.site_optimize.radius": "mclp：农产品在多少分钟内到达即算覆盖。",
    "help.site_optimize.daily_cost": "cflp：每个集货中心每天的运营成本，元（domain.md §4.5）。",
    "help.site_optimize.old_opening_cost": "已改名为 --daily-cost。",
    "help.site_optimize.capacity_kg": "cflp：每个集货中心每天可接收的公斤数。",
    "help.site_optimize.budget": "cflp：每天运营成本总额上限，元/天。",
    "help.site_optimize.must_open": "必须开设的站点编号。",
    "help.site_optimize.forbid": "不得开设的站点编号。",
    "help.site_optimize.output": "要写入的方案文件。",
    "help.site_evaluate": "一个选址方案的可达性、保鲜覆盖率和线路模拟。",
    "help.site_evaluate.scenario_file": "一个 freshroute.siting/v1 选址方案。",
    "help.site_evaluate.out_dir": "同时写出选址地图 DIR/scenario.html。",
    "help.site_compare": (
        "并列比较多个选址方案（所有方案使用相同的抽样日），形成相对基准方案（第一个，或标注 "
        "\"base\": true 的那个）的决策表：comparison.md、.csv、.geojson，选址地图 comparison.htm"
        "l，以及逐日分布（days.md、days.csv），语言由 --lang 决定。每个方案 × 每天的线路模拟是执"
        "行器上的一个任务。"
    ),
    "help.site_compare.base": "基准方案。",
    "help.site_compare.others": "与之比较的方案。",
    "help.site_compare.out_dir": "表格和 GeoJSON 的输出目录。",
    "help.site_compare.days": "每个方案模拟的天数（默认：方案自己的设置）。",
    "help.site_compare.executor": "方案 × 天的模拟在哪里运行：local 或 ray。",
    "help.site_compare.workers": "同时运行的模拟数（默认：CPU 核数）。",
    "help.site_compare.ray_address": "一个 Ray 集群。",
    "help.app": "freshroute：县域农村物流的线路与冷链规划。",
    "help.opt.lang": "zh-CN 或 en：提示信息（默认 en）和报表（默认 zh-CN）的语言。",
    "help.opt.tiles": "map.html 的瓦片地址模板（默认：离线，无底图）。",
    "help.site": "集货中心选址：优化、评估、比较。",
    "help.site_optimize.time_limit": "求解器的秒数。",
    "help.ui.usage": "用法：",
    "help.ui.help_option": "显示本帮助并退出。",
    "help.ui.arguments": "参数",
    "help.ui.options": "选项",
    "help.ui.commands": "命令",
    "help.ui.error": "错误",
    "help.ui.default": "[默认：{}]",
    "help.ui.envvar": "[环境变量：{}]",
    "help.ui.required": "[必填]",
    "help.ui.aborted": "已中止。",
    "help.ui.try_help": "运行 [blue]'{command_path} {help_option}'[/] 查看帮助。",
    "help.ui.deprecated": "（已弃用）",
    "help.ui.options_metavar": "[选项]",
    "help.ui.subcommand_metavar": "命令 [参数]...",
    "help.serve": (
        "运行 HTTP 接口服务（uvicorn）；数据库为 FRESHROUTE_DATABASE_URL 或 ./freshroute.db。"
    ),
    "help.serve.host": "监听地址。",
    "help.serve.port": "TCP 端口。",
    "help.serve.workers": "求解进程数（默认 FRESHROUTE_WORKERS 或 CPU 核数）。",
    "help.serve.access_log": "记录每个请求。",
    "help.apikey": "管理 API 密钥（每个县一个密钥）。",
    "help.apikey_create": "为一个县创建 API 密钥；密钥只显示一次，在最后一行。",
    "help.apikey_create.county": "密钥所属的县（租户）。",
    "sweep.col.days": "天数",
    "sweep.col.cost_mean": "线路成本/天，均值（元）",
    "sweep.col.cost_sd": "标准差",
    "sweep.col.cost_min": "最小",
    "sweep.col.cost_max": "最大",
    "sweep.col.km_mean": "线路里程/天，均值（km）",
    "sweep.col.km_sd": "标准差",
    "sweep.col.empty_return_mean": "空驶返程比例，均值",
    "sweep.col.empty_return_sd": "标准差",
    "sweep.simulating": "正在模拟各天",
    "sweep.scenario": "方案“{name}”：{error}",
    "sweep.day_failed": "方案“{name}”第 {day} 天：{error}",
    "error.format_option": "--format：“{value}”不是 {choices} 之一",
    "error.benchmark_not_found": "找不到基准测试文件",
    "error.benchmark_unsupported": "{path} 暂时无法表示为批次",
    "error.benchmark_invalid": "{path} 不是有效的 {format} 文件",
    "siting.err.no_sites_chosen": (
        "{model}：未选出站址（{status}，已用 {seconds:.1f} 秒，时限 {limit:g} 秒）"
    ),
    "events.down_after_now": "晚于当前时刻；请在故障发生时再报告",
    "events.vehicle_twice": "同一车辆列出了两次",
    "events.order_twice": "同一订单列出了两次",
    "events.road_kind": "请给出起止两个站点，或给出道路的两个端点，二者选其一",
    "siting.err.catchment_mismatch": "方案“{name}”：其集货范围与批次不符",
    "cli.generated": "已写入 {path}：{sites} 个站点，{orders} 个订单，{vehicles} 辆车",
    "help.ui.no_such_option": "没有这个选项：{name}",
    "help.ui.possible": "（可用的选项：{choices}）",
    "help.ui.missing_argument": "缺少参数 {name}。",
    "help.ui.missing_option": "缺少选项 {name}。",
    "help.ui.no_such_command": "没有这个命令：“{name}”。",
}

CATALOGUES: dict[Lang, dict[str, str]] = {"en": _EN, "zh-CN": _ZH}


def normalize_lang(lang: str | None) -> Lang:
    """Map ``zh``, ``zh_CN``, ``zh-Hans``, ``ZH-cn`` … to ``zh-CN``; anything else to ``en``.

    ``None`` or an empty string gives the default, zh-CN (the users are county staff).
    """
    if not lang:
        return DEFAULT_LANG
    code = lang.strip().replace("_", "-").lower()
    if code.startswith("zh"):
        return "zh-CN"
    return "en"


def lang_from_accept_language(header: str | None) -> Lang:
    """Pick zh-CN or en from an HTTP ``Accept-Language`` header, by q-value; default zh-CN."""
    if not header:
        return DEFAULT_LANG
    best: tuple[float, int, Lang] | None = None
    for pos, part in enumerate(header.split(",")):
        pieces = part.strip().split(";")
        code = pieces[0].strip().lower()
        if not code:
            continue
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0 or not (code.startswith("zh") or code.startswith("en")):
            continue
        cand = (q, -pos, normalize_lang(code))
        if best is None or cand[:2] > best[:2]:
            best = cand
    return best[2] if best else DEFAULT_LANG


def t(key: str, lang: str | None = DEFAULT_LANG, /, **kw: object) -> str:
    """The text for ``key`` in ``lang``, formatted with ``kw``.

    Falls back to English, then to the key itself, so nothing raises in front of a user.
    """
    code = normalize_lang(lang)
    template = CATALOGUES[code].get(key) or _EN.get(key)
    if template is None:
        return key
    try:
        return template.format(**kw) if kw else template
    except (KeyError, IndexError, ValueError):
        return template


def format_share(value: float) -> str:
    """A share as a percentage with one decimal, without a ``-0.0%`` for tiny negatives."""
    return f"{0.0 if abs(value) < 5e-4 else value:.1%}"


def format_kpi(field: str, value: float | int | None) -> str:
    """A KPI value in its display format (``KPI_ROWS``); ``-`` when missing."""
    fmt = dict(KPI_ROWS).get(field, "{}")
    return "-" if value is None else fmt.format(value)
