# diagramgen: `make` sets up .venv and renders everything; `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: all render validate test fuzz list clean docs check diff bench schema readme-cli

# Everything output/ is made from; `make` does nothing when none of it changed, and the
# render cache (output/manifest.json) re-renders only the architectures whose inputs did.
SOURCES := $(wildcard architectures/*.yaml architectures/*.yml architectures/fragments/*.yaml) \
           $(wildcard diagramgen/*.py diagramgen/*.yaml diagramgen/icons/*.png diagramgen/vendor/*)
MADE    := output/.made
RENDER_FLAGS ?=

all: $(MADE)

# The stamp gets the time the render *started*: a file saved while it runs is newer than
# the stamp, so the next make renders again instead of saying "Nothing to be done".
$(MADE): $(STAMP) $(SOURCES)
	@mkdir -p $(@D) && touch $@.started
	$(BIN)/diagramgen render --steps $(RENDER_FLAGS)
	$(BIN)/diagramgen docs
	@mv $@.started $@

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

render: $(STAMP)
	$(BIN)/diagramgen render --steps $(RENDER_FLAGS)

# Diagrams first, then the Markdown pages that show them (output/docs/).
docs: render
	$(BIN)/diagramgen docs

# Validate, check every mapped hand-written page, and check output/ is up to date.
check: $(STAMP)
	$(BIN)/diagramgen validate
	$(BIN)/diagramgen check-docs
	$(BIN)/diagramgen check-outputs

validate: $(STAMP)
	$(BIN)/diagramgen validate

list: $(STAMP)
	$(BIN)/diagramgen list

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Architecture diff against BASE (a git revision): Markdown, JSON and overlay images in output/diff/.
BASE ?= origin/main
diff: $(STAMP)
	BASE=$(BASE) DIAGRAMGEN=$(CURDIR)/$(BIN)/diagramgen scripts/pr-diff.sh

# Property-based tests with random examples, DIAGRAMGEN_FUZZ_SCALE times as many as
# `make test` runs (default 50, about 20 minutes).
fuzz: $(STAMP)
	DIAGRAMGEN_FUZZ_SCALE=$${DIAGRAMGEN_FUZZ_SCALE:-50} $(BIN)/python -m pytest -q tests/test_properties.py

# Removes the virtualenv and caches; output/ is committed and stays.
clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache tests/artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Speed figures against their targets; writes bench/results.md.
bench: $(STAMP) $(MADE)
	$(BIN)/python bench/run.py

# Rewrites the committed JSON Schemas from diagramgen/schema.py and the catalog.
schema: $(STAMP)
	$(BIN)/diagramgen schema > schema/architecture.schema.json
	$(BIN)/diagramgen schema --fragment > schema/fragment.schema.json

# Regenerates the README's CLI reference from the commands' help texts.
readme-cli: $(STAMP)
	$(BIN)/python -m diagramgen.clidoc README.md
