# diagramgen: `make` sets up .venv and renders everything; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: all render validate test fuzz list clean

all: render

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

render: $(STAMP)
	$(BIN)/diagramgen render

validate: $(STAMP)
	$(BIN)/diagramgen validate

list: $(STAMP)
	$(BIN)/diagramgen list

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Property-based tests with random examples, DIAGRAMGEN_FUZZ_SCALE times as many as
# `make test` runs (default 50, about 20 minutes).
fuzz: $(STAMP)
	DIAGRAMGEN_FUZZ_SCALE=$${DIAGRAMGEN_FUZZ_SCALE:-50} $(BIN)/python -m pytest -q tests/test_properties.py

# Removes the virtualenv and caches; output/ is committed and stays.
clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache tests/artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
