# Guichet: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test demo lint typecheck schemas clean install bench reliability

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

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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
