# diagramgen: `make` sets up .venv and renders everything; `make test` runs the tests.
# No implicit rules: every target below has its own, and without this make looks for a
# rule that could remake each of the hundred-odd source files (17 ms of every `make`).
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# The diagramgen executable the targets below run: by default the one `make` installs
# into .venv. DIAGRAMGEN=PATH runs an already installed one instead, and no .venv is made
# (e.g. `make check DIAGRAMGEN=$(command -v diagramgen)`).
ifdef DIAGRAMGEN
DG    := $(DIAGRAMGEN)
SETUP :=
LINT  :=
else
DG    := $(BIN)/diagramgen
SETUP := $(STAMP)
LINT  := lint
endif

# (the stamp handling of the $(MADE) rule below is makeall's --stamp, or touch and mv)
ifdef DIAGRAMGEN
MAKEALL = mkdir -p $(@D) && touch $@.started && $(DG) render --steps $(RENDER_FLAGS) && $(DG) docs \
	&& $(DG) kinds --page output/docs/kinds.md && mv $@.started $@
else
MAKEALL = $(BIN)/python -m diagramgen.makeall --stamp $@ $(RENDER_FLAGS)
endif

.PHONY: all render validate test lint fuzz list clean docs check diff bench schema readme-cli

# Everything output/ is made from; `make` does nothing when none of it changed, and the
# render cache (output/manifest.json) re-renders only the architectures whose inputs did.
# The folders are listed too: a file removed, renamed or moved in (which keeps its old
# time) changes its folder's time, not its own.
SOURCES := $(wildcard architectures/*.yaml architectures/*.yml architectures/fragments/*.yaml) \
           $(wildcard diagramgen.yaml icons/*.png icons/*.svg architectures/icons/*.png architectures/icons/*.svg) \
           $(wildcard diagramgen/*.py diagramgen/*/*.py diagramgen/*/*.yaml diagramgen/icons/*.png diagramgen/vendor/*) \
           $(wildcard architectures architectures/fragments icons architectures/icons) \
           $(filter-out %/__pycache__,$(wildcard diagramgen $(patsubst %/,%,$(wildcard diagramgen/*/))))
MADE    := output/.made
RENDER_FLAGS ?=

all: $(MADE)

# The stamp gets the time the render *started*: a file saved while it runs is newer than
# the stamp, so the next make renders again instead of saying "Nothing to be done".
# render --steps, docs and kinds --page run in one process (one start-up and one parse of
# the files; see diagramgen/makeall.py), which also makes the stamp ($@.started before it
# reads anything, renamed to $@ when all went well: a failed run leaves no new stamp), so
# make starts one process; with DIAGRAMGEN=PATH, three commands between touch and mv.
$(MADE): $(SETUP) $(SOURCES)
	$(MAKEALL)

$(STAMP): pyproject.toml setup.py diagramgen/draw/_routesearch.c diagramgen/draw/_pngrows.c diagramgen/draw/_gvserver.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

render: $(SETUP)
	$(DG) render --steps $(RENDER_FLAGS)

# Diagrams first, then the Markdown pages that show them (output/docs/).
docs: render
	$(DG) docs
	$(DG) kinds --page output/docs/kinds.md

# Lint the code, validate, check every mapped hand-written page, and check output/ is up
# to date. With DIAGRAMGEN=PATH there is no .venv and no code to lint: the data checks only.
check: $(SETUP) $(LINT)
	$(DG) validate
	$(DG) check-docs
	$(DG) check-outputs

validate: $(SETUP)
	$(DG) validate

list: $(SETUP)
	$(DG) list

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

# Static checks of the code (settings in pyproject.toml): ruff on everything, mypy on the
# package. `$(BIN)/ruff check --fix` repairs import order and unused imports.
lint: $(STAMP)
	$(BIN)/ruff check --quiet
	$(BIN)/mypy

# Architecture diff against BASE (a git revision): Markdown, JSON and overlay images in output/diff/.
BASE ?= origin/main
diff: $(SETUP)
	BASE=$(BASE) DIAGRAMGEN=$(if $(DIAGRAMGEN),'$(DIAGRAMGEN)',$(CURDIR)/$(BIN)/diagramgen) scripts/pr-diff.sh

# Property-based tests with random examples, DIAGRAMGEN_FUZZ_SCALE times as many as
# `make test` runs (default 50, about 20 minutes).
fuzz: $(STAMP)
	DIAGRAMGEN_FUZZ_SCALE=$${DIAGRAMGEN_FUZZ_SCALE:-50} $(BIN)/python -m pytest -q tests/test_properties.py

# Removes the virtualenv and caches; output/ is committed and stays.
clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache tests/artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# Speed figures against their targets; writes bench/results.md.
bench: $(STAMP) $(MADE)
	$(BIN)/python bench/run.py
	$(BIN)/python bench/layout.py

# Rewrites the committed JSON Schemas from diagramgen/schema.py, the catalog and the
# kinds of diagramgen.yaml.
schema: $(SETUP)
	$(DG) schema --write

# Regenerates the README's CLI reference from the commands' help texts.
readme-cli: $(STAMP)
	$(BIN)/python -m diagramgen.clidoc README.md
