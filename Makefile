# diagramgen: `make` sets up .venv and renders everything; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: all render validate test list clean schema readme-cli

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

# Removes the virtualenv and caches; output/ is committed and stays.
clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache tests/artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Rewrites the committed JSON Schemas from diagramgen/schema.py and the catalog.
schema: $(STAMP)
	$(BIN)/diagramgen schema > schema/architecture.schema.json
	$(BIN)/diagramgen schema --fragment > schema/fragment.schema.json

# Regenerates the README's CLI reference from the commands' help texts.
readme-cli: $(STAMP)
	$(BIN)/python -m diagramgen.clidoc README.md
