# Guichet: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test unit demo lint typecheck schemas clean install bench reliability

install: $(STAMP)

# Re-install only when the declared dependencies or the lock change.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

run: $(STAMP) ## start the six services on the embedded default (Ctrl-C stops them)
	$(BIN)/guichet run

demo: $(STAMP) ## against the platform `make run` started: every path, its outcome and timeline
	$(BIN)/guichet demo

test: $(STAMP) lint typecheck ## the whole suite, on SQLite/embedded AND PostgreSQL/Kafka
	$(BIN)/python -m pytest

# The fast layer: pure rules, in seconds, with no server. pyproject's addopts (and with it
# the harness plugin: PostgreSQL, the broker, the stacks) are left out and tests/ is not
# collected, so a test that needs a server cannot pass here: it errors, "fixture not found".
# Only the two plugins these tests use are loaded (autoloading the others costs seconds).
UNIT_TESTS := contracts/tests services/*/tests/test_*_rules.py \
	services/intake/tests/test_intake_documents.py \
	services/consultation/tests/test_policy.py services/consultation/tests/test_search.py \
	services/onss-feed/tests/test_onss_records.py services/onss-feed/tests/test_onss_signals.py \
	services/retention/tests/test_retention_appeals.py \
	services/retention/tests/test_retention_privacy.py \
	services/retention/tests/test_retention_rights.py \
	services/retention/tests/test_retention_schedule.py \
	core/tests/test_http_limits.py core/tests/test_problems.py \
	core/tests/test_vault_unseal_as.py core/tests/test_migration_locations.py \
	services/consultation/tests/test_refusals_entries.py core/tests/test_cli_imports.py

unit: $(STAMP) ## the domain rules without any server, in seconds
	PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 $(BIN)/python -m pytest -q \
		-o addopts="-ra --strict-markers -p pytest_asyncio.plugin -p pytest_timeout" $(UNIT_TESTS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy core/src contracts/src services/*/src

schemas: $(STAMP) ## regenerate contracts/schemas from the event models
	$(BIN)/guichet contracts export

bench: ## throughput and latency on PostgreSQL + Kafka and embedded -> bench/results/latest.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev,bench]'
	$(BIN)/python -m bench.run

reliability: ## faults, soak, bad input, attacks, leak scan on PostgreSQL + Kafka -> reliability/results/latest.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	$(BIN)/python -m reliability.run

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
