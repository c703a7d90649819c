# Two commands for a newcomer: `make demo` and `make test`. Everything else is optional.
SHELL := /bin/bash
PYTHON ?= python3
# uv manages the environment; it is installed with pip when the machine has none.
UV := $(or $(shell command -v uv 2>/dev/null),.tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
export KETREG_HOME ?= $(CURDIR)/var

.PHONY: demo test lint dagster docs bench soak clean

.tools/bin/uv:
	$(PYTHON) -m pip install --quiet --target .tools uv

# Bytecode compiled at install: where PYTHONDONTWRITEBYTECODE is set (CI, these machines),
# Python would otherwise recompile every imported module in every process (~9 s a run).
$(VENV)/.synced: pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --frozen --compile-bytecode
	touch $@

demo: $(VENV)/.synced
	$(BIN)/ketreg demo

# Known vulnerabilities in the locked dependencies (PyPI's advisory data): fails on any.
# The suite runs on a process per core, two at most: more would race the tests that time
# kill points and served dashboards. How the tests are grouped: tests/conftest.py.
test: $(VENV)/.synced
	$(BIN)/ruff check .
	$(UV) export --frozen --no-hashes --no-emit-project --all-groups --quiet \
		| $(BIN)/pip-audit -r /dev/stdin --vulnerability-service pypi --disable-pip --no-deps \
			--progress-spinner off
	$(BIN)/pytest -q -n auto --maxprocesses 2 --dist loadfile

lint: $(VENV)/.synced
	$(BIN)/ruff check .

# The dbt docs site (models, columns, tests, lineage, the dashboards as exposures), as one
# static page: var/dbt/docs/static_index.html. Built against the demo warehouse when there is one.
docs: $(VENV)/.synced
	mkdir -p $(KETREG_HOME)/dbt
	KETREG_WAREHOUSE=$${KETREG_WAREHOUSE:-$(KETREG_HOME)/warehouse.duckdb} $(BIN)/dbt docs generate \
		--project-dir dbt_project --profiles-dir dbt_project --target-path $(KETREG_HOME)/dbt/docs --static
	@echo "dbt docs: $(KETREG_HOME)/dbt/docs/static_index.html"

dagster: $(VENV)/.synced
	mkdir -p $(KETREG_HOME)/dagster
	DAGSTER_HOME=$(KETREG_HOME)/dagster $(BIN)/dagster dev -m orchestration.definitions

# The long reliability runs (docs/reliability.md): twenty kill points, the daemon, the
# served dashboards under runs, disk full at several sizes, a damaged WAL, more fuzzing.
soak: $(VENV)/.synced
	KETREG_SOAK=1 $(BIN)/pytest -q tests/reliability

bench: $(VENV)/.synced
	$(BIN)/python -m bench.run

clean:
	rm -rf var .tools
