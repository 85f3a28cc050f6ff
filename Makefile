# kc-pipeline: the two commands are `make demo` and `make test`; each builds .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INCOMING ?= data/incoming
KC_BENCH_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: demo test lint ui bench samples clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@if [ -z "$$(find $(INCOMING) -name '*.xlsx' -print -quit 2>/dev/null)" ]; then \
		echo "data/incoming is empty: writing the sample district spreadsheets"; \
		$(BIN)/kc-pipeline samples $(INCOMING); \
	fi
	$(BIN)/kc-pipeline run --incoming $(INCOMING)

test: $(STAMP)
	$(BIN)/ruff check kc_pipeline kc_pipeline_tests
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check kc_pipeline kc_pipeline_tests
	$(BIN)/ruff format --check kc_pipeline kc_pipeline_tests || true

DAGSTER_HOME ?= $(CURDIR)/.dagster_home

ui: $(STAMP)
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -w workspace.yaml

bench: $(STAMP)
	KC_BENCH_POSTGRES_URL=$(KC_BENCH_POSTGRES_URL) $(BIN)/kc-pipeline bench

samples: $(STAMP)
	$(BIN)/kc-pipeline samples $(INCOMING)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache data/staging
