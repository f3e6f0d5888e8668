"""The names that link the outputs together, spelled in one place.

A step's anchor (``step-3``, ``step-integration-a``) is at once the fragment of its
Dataflow item in the docs page, its entry in the viewer, the class of everything the
diagram draws for it and the start of its edges' ids; a component is
``component-<id>`` and an area ``area-<id>`` in the SVG; the names the scene makes up
start with ``_`` (``_step1_from_customer``, ``_body``), which no user id can.

Docs links: a page is ``<id>.md``; the diagrams ``diagramgen render`` writes into its
output folder link to ``docs/<id>.md`` beside them (:func:`docs_link`), which is where
``diagramgen docs`` puts the pages by default (``output/docs``). ``docs --out
ELSEWHERE`` does not change those links: render runs first and does not know where
the pages will go, and docs does not rewrite render's files. The pages link to their
own copies of the diagrams and viewers instead (``OUT/diagrams/``), which docs relinks
to the pages as ``--links`` says (publish/site.py). Imports nothing of the package.
"""
from __future__ import annotations

STEP_PREFIX = "step-"
COMPONENT_PREFIX = "component-"
AREA_PREFIX = "area-"
DOCS_FOLDER = "docs"  # beside render's outputs: where their docs links point


def step_anchor(key: str) -> str:
    """``step-KEY`` (Step.key: "3", "integration-a")."""
    return f"{STEP_PREFIX}{key}"


def component_id(component_id: str) -> str:
    return f"{COMPONENT_PREFIX}{component_id}"


def area_id(area_id: str) -> str:
    return f"{AREA_PREFIX}{area_id}"


def diagram_id(arch_id: str) -> str:
    return f"diagram-{arch_id}"


def generated_id(name: str) -> str:
    """The one scheme for the names the scene makes up (numbered circles, the "_body"
    wrapper cluster): a leading '_', which no user id can have (ids match
    ^[a-z][a-z0-9_]*$). A component id such as step1_from_customer therefore cannot take
    a circle's place in the DOT source, and the edge ids built from them stay distinct."""
    return f"_{name}"


def page_name(arch_id: str) -> str:
    """The file name of an architecture's docs page."""
    return f"{arch_id}.md"


def docs_link(arch_id: str, up: str = "") -> str:
    """The link from render's output folder (``up``: from a folder below it, "../") to
    an architecture's docs page, without the anchor."""
    return f"{up}{DOCS_FOLDER}/{page_name(arch_id)}"
