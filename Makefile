# Two commands: `make run` (install on first use, ingest knowledge/, serve) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: run test test-fast lint chromium bench clean

$(STAMP): pyproject.toml deploy/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c deploy/constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet -c deploy/constraints.txt -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	-$(BIN)/advisor ingest
	$(BIN)/advisor serve

chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install chromium"; exit 1; fi; }

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint chromium
	$(BIN)/python -m pytest -q

# For working: no browser, nothing marked slow, no lint.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not browser and not slow"

bench: $(STAMP)
	$(BIN)/python bench/answer_bench.py
	$(BIN)/python bench/startup_bench.py
	$(BIN)/python bench/reingest_bench.py
	$(BIN)/python bench/web_bench.py
	$(BIN)/python bench/hostile_upload_bench.py

clean:
	rm -rf $(VENV) var
