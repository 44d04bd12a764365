# Samvirke: `make run` for the platform with a scenario, `make test` for the suite.
# Needs Python 3.11+, and either a Docker engine or Java 17+ with Maven.

PYTHON ?= python3
TOOLS := .cache/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
ARGS ?=

.PHONY: help install postgres chromium run test test-unit faults bench lint format kafka clean distclean

help:
	@echo "make run        broker + four services + every flow through the APIs (Ctrl-C stops);"
	@echo "                ARGS=\"--cohort 86\" then simulates a Billund-sized year"
	@echo "                and prints each agency's staff web app address (/app/) and accounts per role"
	@echo "make test       install everything, then run the whole suite against real Kafka and PostgreSQL"
	@echo "                (and the browser tests in Debian's chromium, which make chromium installs)"
	@echo "make test-unit  only the fast tests that need no broker"
	@echo "make faults     the fault-injection tests (also part of make test)"
	@echo "make bench      benchmarks against a real local broker; writes bench/results/latest.json"
	@echo "make lint       ruff, mypy and the import contracts"
	@echo "make kafka      a local broker in the foreground"
	@echo "make clean      remove the virtualenv, run data and caches (keeps the Kafka jars)"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet uv

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	UV_PYTHON_DOWNLOADS=never $(UV) sync --frozen --all-groups --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed

postgres:
	bash deploy/local/ensure-postgres.sh

chromium:
	bash deploy/local/ensure-chromium.sh

run: install
	$(PY) -m deploy.local.run $(ARGS)

kafka: install
	$(PY) -m deploy.local.kafka

test: install postgres chromium
	$(PY) -m pytest $(PYTEST_ARGS)

faults: install postgres
	$(PY) -m pytest -m faults $(PYTEST_ARGS)

bench: install postgres
	$(PY) -m bench

test-unit: install
	$(PY) -m pytest -m "not kafka and not postgres" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .run .pytest_cache .mypy_cache .ruff_cache $(TOOLS)
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf .cache
