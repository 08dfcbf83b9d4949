# The two quick-start commands are `make demo` and `make test`; both set up first.
# `make setup` is idempotent: a second run only checks that everything is there.

UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
# The BigQuery emulator lives in its own virtualenv (it pins an older sqlglot than Backbeat).
EMULATOR_VENV := $(HOME)/.cache/backbeat/bqemulator-venv

.PHONY: setup test test-bigquery test-unit lint demo down clean

setup:  ## venv from uv.lock, the BigQuery emulator's venv, system programs, Kafka's jars
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv>=0.9"
	$(UV) sync --frozen
	$(UV) venv -q --allow-existing -p 3.11 $(EMULATOR_VENV)
	$(UV) pip sync -q -p $(EMULATOR_VENV)/bin/python deployments/bigquery/emulator-requirements.txt
	./deployments/local/install-prerequisites.sh
	$(RUN) backbeat prepare

test: setup  ## every test: unit and integration (starts real Kafka, Redis and Prefect)
	./deployments/local/install-test-prerequisites.sh
	$(RUN) pytest

test-bigquery: setup  ## the opt-in tests against real BigQuery (needs BACKBEAT_BIGQUERY_PROJECT + ADC)
	@test -n "$$BACKBEAT_BIGQUERY_PROJECT" || { echo "set BACKBEAT_BIGQUERY_PROJECT (and Application Default Credentials)"; exit 2; }
	$(RUN) pytest -m bigquery

test-unit: setup  ## the fast tests only (no services)
	./deployments/local/install-test-prerequisites.sh
	$(RUN) pytest -m "not integration"

lint: setup  ## ruff (lint + format check) and mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy backbeat dataflows flows offers bench

demo: setup  ## the platform end to end: stack, dataflows, API, dashboard, simulated users, build and quality scan through Prefect, summary (`make down` stops the stack)
	$(RUN) backbeat demo

down:
	$(RUN) backbeat down

clean: down  ## stop the stack and delete its state (.backbeat/)
	rm -rf .backbeat
