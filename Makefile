# Everything runs from a local virtualenv that the first target to need it creates.
# The newest Python Trimline supports on this machine (3.13, 3.12, then 3.11). Each candidate
# is run, not just looked up: pyenv's shims exist for versions that are not selected.
PYTHON ?= $(shell for p in python3.13 python3.12 $$(ls -d $$HOME/.pyenv/versions/3.1[23].*/bin/python3 2>/dev/null | sort -rV) python3.11 python3; do $$p -c 'import sys; assert (3, 11) <= sys.version_info < (3, 14)' 2>/dev/null && { echo $$p; break; }; done)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

MODE     ?= reverse
UPSTREAM ?= https://api.anthropic.com

.PHONY: install run test lint audit bench bench-quick fixtures corpus clean

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

# Re-creates fixtures/corpus (the generalisation corpus) from pinned PyPI and npm packages;
# its tools and downloads live in .corpus-work/. Slow (tens of minutes); CI never runs it.
corpus: $(STAMP)
	$(BIN)/python -m benchmarks.corpus.build

# Everything the targets above and the benchmarks make; ~/.trimline and ~/.mitmproxy are the
# user's (see the README's "Uninstall and clean up").
clean:
	rm -rf $(VENV) .venv* .pytest_cache .ruff_cache .hypothesis .mypy_cache .coverage htmlcov
	rm -rf bench-report build dist artifacts *.egg-info .corpus-work
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
