# kc-pipeline: the two commands are `make demo` and `make test`; each builds .venv when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
INCOMING ?= data/incoming

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

ui: $(STAMP)
	mkdir -p .dagster_home
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -w workspace.yaml

bench: $(STAMP)
	$(BIN)/kc-pipeline bench

samples: $(STAMP)
	$(BIN)/kc-pipeline samples $(INCOMING)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache data/staging
