# freshroute: every target creates .venv when missing and installs into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export FRESHROUTE_DATA ?= $(abspath ../shared/data)

.PHONY: demo test test-postgres serve bench lint schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,pdf]'
	# Compile the numba kernels (search, road hierarchy) once, cached on disk, not in the first solve.
	$(BIN)/python -c "from optimizer.routing.search.segments import warm_up; warm_up()"
	$(BIN)/python -c "from optimizer.network.ch import warm_up; warm_up()"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/freshroute solve scenarios/demo-county.json --time-limit 10 --out out/demo

test: $(STAMP)
	$(BIN)/python -m pytest

test-postgres: $(STAMP)
	api/testing/postgres.sh $(BIN)/python -m pytest tests/test_api_store.py \
		tests/test_api_fair_share.py -k postgres
	api/testing/postgres.sh $(BIN)/python -m pytest tests/test_api_fuzz.py

# Road files named by batches are read from scenarios/ (FRESHROUTE_ROADS_DIR, unless set).
serve: export FRESHROUTE_ROADS_DIR ?= $(abspath scenarios)
serve: $(STAMP)
	$(BIN)/freshroute serve

bench: $(STAMP)
	$(BIN)/python benchmarks/batch_kpis.py

lint: $(STAMP)
	$(BIN)/ruff check .

schema: $(STAMP)
	$(BIN)/python -m optimizer.schema_export

clean:
	rm -rf out .pytest_cache
