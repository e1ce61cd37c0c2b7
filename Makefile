# chat-to-purchase — every job is one make target; each installs what it needs first.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install demo build serve ui test lint format bench clean

install: $(VENV)/.installed

# torch first, pinned: on these machines `torch==2.13.0` is a local CPU wheel; an unpinned torch
# pulled in by sentence-transformers would be a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "torch==2.13.0"
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	touch $@

demo: install  ## build the catalog + index, then run API and UI
	$(VENV)/bin/ctp demo

build: install
	$(VENV)/bin/ctp build

serve: install
	$(VENV)/bin/ctp serve

ui: install
	$(VENV)/bin/ctp ui

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install lint  ## lint, type-check and run the test suite against real Redis/PostgreSQL
	$(VENV)/bin/pytest -q

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
