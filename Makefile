# Two commands: `make run` (install on first use, ingest knowledge/, serve) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test test-long test-fast lint system-packages bench clean

RUNTIME := $(VENV)/.runtime

# `make run` needs only what answering needs; `make test` (and lint, bench) add the development extras on top.
$(RUNTIME): pyproject.toml deploy/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c deploy/constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet -c deploy/constraints.txt -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -c deploy/constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(RUNTIME)
	-$(BIN)/advisor ingest
	$(BIN)/advisor serve

# Debian packages the tests run: chromium (the widget in a real browser), nginx and openssl (the reverse proxy).
SYSTEM_PACKAGES := chromium nginx openssl
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do PATH="$$PATH:/usr/sbin" command -v $$p >/dev/null || echo $$p; done | xargs); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; \
	  else echo "The tests need Debian's $$missing: sudo apt-get install $$missing"; exit 1; fi; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# Two xdist workers, split by file (PYTEST_WORKERS=0: one process); knowledge/ is ingested once for both (docs/testing.md).
PYTEST_WORKERS ?= 2
test: lint system-packages
	$(BIN)/python -m pytest -q -m "not long" -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The soak checks: every check question asked again, re-ingestion under load, crash loops. CI runs them after `make test`.
test-long: $(STAMP) system-packages
	$(BIN)/python -m pytest -q -m long -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

# For working: no browser, nothing marked slow, no lint.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser and not slow and not long"

bench: $(STAMP)
	$(BIN)/python bench/answer_bench.py
	$(BIN)/python bench/startup_bench.py
	$(BIN)/python bench/reingest_bench.py
	$(BIN)/python bench/embed_bench.py
	$(BIN)/python bench/web_bench.py
	$(BIN)/python bench/hostile_upload_bench.py

clean:
	rm -rf $(VENV) var
