# Everything runs from a local virtualenv that the first target to need it creates.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

MODE     ?= reverse
UPSTREAM ?= https://api.anthropic.com

.PHONY: install run test lint audit bench bench-quick fixtures clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

# The proxy on embedded defaults: SQLite under ~/.trimline, stats on 127.0.0.1:8081.
run: $(STAMP)
	$(BIN)/trimline serve --mode $(MODE) $(if $(filter reverse,$(MODE)),--upstream $(UPSTREAM))

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Known vulnerabilities in the installed dependencies (needs PyPI's JSON API or OSV).
audit: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check pip-audit
	$(BIN)/pip-audit --skip-editable --progress-spinner off

# Savings with peers side by side, session replay with a prompt-cache cost model, latency:
# writes bench-report/ (report.md, report.json, charts). Peers install on demand.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks.run --quick --skip-peers

# Re-creates fixtures/ by running real tools on real code (see fixtures/scripts/).
fixtures: $(STAMP)
	for s in fixtures/scripts/*.py; do $(BIN)/python $$s || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
