"""Road files through the API: read only inside FRESHROUTE_ROADS_DIR, with no oracle for
files elsewhere (a client must not make the server open, or probe, any path it likes)."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from api.core.config import Settings
from api.inputs import ROADS_OFF, ROADS_OUTSIDE
from api.problems import input_problem
from api.testing.helpers import Api, ApiFactory
from scenarios.generate import generate_county

pytest_plugins = ["api.testing.fixtures"]


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``base/roads/`` holds a county's roads; ``base/secret.geojson``, outside it, is a
    valid road file too, so only the confinement can refuse it."""
    base = tmp_path_factory.mktemp("place")
    roads = base / "roads"
    roads.mkdir()
    county = generate_county(8, 1, roads=roads / "county.roads.geojson")
    county.options.time_limit_s = 1
    county.options.baseline = False
    shutil.copy(roads / "county.roads.geojson", base / "secret.geojson")
    (roads / "out").symlink_to(base)  # a symlink leading out of the folder
    (roads / "same.geojson").symlink_to(roads / "county.roads.geojson")  # one staying in
    batch = county.model_dump(mode="json", by_alias=True)
    assert batch["travel"]["mode"] == "road_network"
    assert batch["travel"]["path"] == "county.roads.geojson"  # relative, as in scenarios/
    return {"base": base, "roads": roads, "batch": batch}


def with_path(batch: dict[str, Any], path: str) -> dict[str, Any]:
    data = copy.deepcopy(batch)
    data["travel"]["path"] = path
    return data


def stored_bodies(api: Api) -> list[Any]:
    from sqlalchemy import select

    from api.models import BatchRow

    with api.store.sessions() as s:
        return list(s.scalars(select(BatchRow.body)).all())


def test_roads_dir_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FRESHROUTE_ROADS_DIR", raising=False)
    assert Settings.from_env().roads_dir is None
    (tmp_path / "roads").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FRESHROUTE_ROADS_DIR", "roads")
    assert Settings.from_env().roads_dir == (tmp_path / "roads").resolve()  # pinned at start
    monkeypatch.setenv("FRESHROUTE_ROADS_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="FRESHROUTE_ROADS_DIR"):
        Settings.from_env()


def test_without_roads_dir_no_road_file_is_read(
    make_api: ApiFactory, place: dict[str, Any]
) -> None:
    api = make_api()
    h = api.headers()
    # An existing, valid road file, named absolutely: refused all the same.
    batch = with_path(place["batch"], str(place["roads"] / "county.roads.geojson"))
    expected = [{"path": "travel.path", "reason": ROADS_OFF}]
    assert "FRESHROUTE_ROADS_DIR" in ROADS_OFF and "matrix" in ROADS_OFF
    r = api.client.post("/v1/batches", json=batch, headers=h)
    assert r.status_code == 422 and r.json()["errors"] == expected
    r = api.client.post("/v1/batches/validate", json=batch, headers=h)
    assert r.json() == {"valid": False, "errors": expected, "infeasible": [], "warnings": []}
    siting = {"batch": batch, "model": "pmedian", "p": 1}
    r = api.client.post("/v1/siting/optimize", json=siting, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"] == [{"path": "batch.travel.path", "reason": ROADS_OFF}]
    evaluate = {"batch": batch, "scenario": {"name": "x", "open": [], "days": 0}}
    r = api.client.post("/v1/siting/evaluate", json=evaluate, headers=h)
    assert {"path": "batch.travel.path", "reason": ROADS_OFF} in r.json()["errors"]
    assert api.store.counts_by_state()["queued"] == 0


def test_a_relative_path_is_read_from_the_roads_dir(
    make_api: ApiFactory, place: dict[str, Any]
) -> None:
    roads = place["roads"]
    api = make_api(roads_dir=roads)
    h = api.headers()
    for path in ("county.roads.geojson", "./same.geojson", str(roads / "county.roads.geojson")):
        r = api.client.post("/v1/batches/validate", json=with_path(place["batch"], path), headers=h)
        assert r.json()["valid"] is True, (path, r.json())
    r = api.client.post("/v1/batches", json=place["batch"], headers=h)
    assert r.status_code == 202, r.text
    siting = {"batch": place["batch"], "model": "pmedian", "p": 1}
    assert api.client.post("/v1/siting/optimize", json=siting, headers=h).status_code == 202
    # The stored bodies name the file that was checked, for workers in any folder.
    file = str((roads / "county.roads.geojson").resolve())
    paths = [b.get("batch", b)["travel"]["path"] for b in stored_bodies(api)]
    assert paths == [file, file]
    # A file missing inside the folder is named as the client named it, not where it is.
    r = api.client.post("/v1/batches", json=with_path(place["batch"], "nope.geojson"), headers=h)
    assert r.status_code == 422
    [found] = r.json()["errors"]
    assert found["path"] == "travel" and "nope.geojson" in found["reason"]
    assert str(roads.resolve()) not in r.text
    siting = {"batch": with_path(place["batch"], "nope.geojson"), "p": 1}
    r = api.client.post("/v1/siting/optimize", json=siting, headers=h)
    assert r.status_code == 422
    [found] = r.json()["errors"]
    assert found["path"] == "batch.travel" and "nope.geojson" in found["reason"]
    assert str(roads.resolve()) not in r.text


@pytest.mark.parametrize(
    ("there", "missing"),
    [
        ("../secret.geojson", "../missing.geojson"),
        ("out/secret.geojson", "out/missing.geojson"),  # through a symlink
        ("out/roads/../secret.geojson", "out/roads/../missing.geojson"),
        ("{base}/secret.geojson", "{base}/missing.geojson"),
        ("{roads}/../secret.geojson", "{roads}/../missing.geojson"),
        ("/etc/passwd", "/etc/no-such-file"),
    ],
)
def test_a_path_outside_the_roads_dir_is_422_whether_or_not_it_exists(
    make_api: ApiFactory, place: dict[str, Any], there: str, missing: str
) -> None:
    api = make_api(roads_dir=place["roads"])
    h = api.headers()
    names = {"base": place["base"], "roads": place["roads"]}
    answers = []
    for path in (there.format(**names), missing.format(**names)):
        batch = with_path(place["batch"], path)
        r = api.client.post("/v1/batches", json=batch, headers=h)
        v = api.client.post("/v1/batches/validate", json=batch, headers=h)
        s = api.client.post("/v1/siting/optimize", json={"batch": batch, "p": 1}, headers=h)
        answers.append([(x.status_code, x.json()) for x in (r, v, s)])

    assert (place["base"] / "secret.geojson").exists() and Path("/etc/passwd").exists()
    expected = [{"path": "travel.path", "reason": ROADS_OUTSIDE}]
    at_batch = [{"path": "batch.travel.path", "reason": ROADS_OUTSIDE}]
    refused = [
        (422, json.loads(input_problem(422, expected).body)),
        (200, {"valid": False, "errors": expected, "infeasible": [], "warnings": []}),
        (422, json.loads(input_problem(422, at_batch).body)),
    ]
    assert answers[0] == refused and answers[1] == refused  # exists or not: the same
    assert api.store.counts_by_state()["queued"] == 0


def test_a_worker_solves_with_the_roads_dir_file(
    make_api: ApiFactory, place: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # nothing here: the worker must read the stored absolute path
    api = make_api(roads_dir=place["roads"], workers=1)
    h = api.headers()
    r = api.client.post("/v1/batches", json=place["batch"], headers=h)
    assert r.status_code == 202, r.text
    job = api.wait(r.json()["job_id"], h, timeout=180)
    assert job["state"] == "done", job
