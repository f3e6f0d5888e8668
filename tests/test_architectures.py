"""The architectures in architectures/ and what the repository publishes for them.

The first part states properties that hold for every architecture, whichever ones the
repository holds: each is valid, its steps are numbered 1..N, and the committed output/
has its diagrams, viewer, step views, docs page and a complete manifest entry, all
consistent with its steps. tests/test_adding_an_architecture.py runs this module against
a copy of the repository with one architecture added the way README.md describes.

The second part holds what the published pages fix for the four published
architectures (step counts, Azure foundation, provenance). It needs those four to be
present, not to be the only ones.
"""
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree, html as lhtml

from diagramgen.cli import main
from diagramgen.docs.checkdocs import check_page, parse_dataflow
from diagramgen.model.catalog import ICON_DIR, default_catalog
from diagramgen.model.iconfiles import icon_path
from diagramgen.model.project import load_all
from diagramgen.publish.manifest import DEFAULT_RENDER_OPTIONS

from conftest import ARCH_DIR, ROOT

OUTPUT = ROOT / "output"
S = "{http://www.w3.org/2000/svg}"
XHREF = "{http://www.w3.org/1999/xlink}href"

LOADED = load_all([], default_dir=str(ARCH_DIR))
MODELS = {m.id: m for m in LOADED.models}
IDS = sorted(MODELS)


def rel(path) -> str:
    """A path relative to the repository root, as the manifest records it."""
    return Path(os.path.relpath(Path(path).resolve(), ROOT.resolve())).as_posix()


def classes(el) -> list:
    return (el.get("class") or "").split()


# --- every architecture ---------------------------------------------------------------

def test_every_architecture_is_valid_without_warnings():
    assert [str(d) for d in LOADED.diagnostics] == []
    assert IDS, f"no architecture in {ARCH_DIR}"
    assert len(IDS) == len(LOADED.models)  # ids are unique: they name the outputs


@pytest.mark.parametrize("arch_id", IDS)
def test_steps_are_numbered_one_to_n_and_have_flows(arch_id):
    m = MODELS[arch_id]
    for q in m.sequences:  # each sequence numbered 1..N by position (A, B, ... when lettered)
        assert [s.number for s in q.steps] == list(range(1, len(q.steps) + 1))
    assert all(s.flows for s in m.steps)


@pytest.mark.parametrize("arch_id", IDS)
def test_diagram_and_viewer_are_in_output_and_show_every_step(arch_id):
    m = MODELS[arch_id]
    assert (OUTPUT / f"{m.id}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    root = etree.parse(str(OUTPUT / f"{m.id}.svg")).getroot()
    assert root.find(f"{S}g/{S}title").text == m.title
    ids = {el.get("id") for el in root.iter() if el.get("id")}
    assert {f"component-{c.id}" for c in m.components} <= ids
    assert {f"{s.anchor}-{f.key}" for s in m.steps for f in s.flows} <= ids
    anchors = {s.anchor for s in m.steps}
    edge_steps = {c for g in root.iter(f"{S}g") if "edge" in classes(g) for c in classes(g) if c in anchors}
    assert edge_steps == anchors
    viewer = lhtml.parse(str(OUTPUT / f"{m.id}.html")).getroot()
    assert [li.get("data-step") for li in viewer.xpath("//ol[@id='steps']/li[@data-step]")] == \
        [s.key for s in m.steps]


@pytest.mark.parametrize("arch_id", IDS)
def test_one_step_view_whose_fragments_emphasise_each_step(arch_id):
    """steps/<id>.svg is the one step view of an architecture: each step's anchor is a
    fragment target in it, with rules that emphasise exactly that step's elements; no
    per-step copy is left beside it."""
    m = MODELS[arch_id]
    views = sorted(p.name for p in (OUTPUT / "steps").iterdir()
                   if p.suffix == ".svg" and (p.stem == m.id or p.stem.startswith(f"{m.id}-step-")))
    assert views == [f"{m.id}.svg"]
    root = etree.parse(str(OUTPUT / "steps" / f"{m.id}.svg")).getroot()
    targets = [g.get("id") for g in root if g.tag == f"{S}g" and "view" in classes(g)]
    assert targets == [s.anchor for s in m.steps]
    style = root.find(f"{S}style").text
    graph_ids = {g.get("id") for g in root.iter(f"{S}g")}
    for s in m.steps:
        # the target precedes the drawing, so "#anchor:target ~ g" reaches it
        assert f"#{s.anchor}:target~g g.{s.anchor}.edge path" in style
        assert {f"{s.anchor}-{f.key}" for f in s.flows} <= graph_ids
    drawn = {c for g in root.iter(f"{S}g") for c in classes(g) if c.startswith("step-")}
    assert drawn == {s.anchor for s in m.steps}
    links = {ref for el in root.iter() for ref in [el.get(XHREF) or el.get("href")]
             if ref and not ref.startswith(("#", "data:"))}
    assert links == {f"../docs/{m.id}.md#{t.anchor}" for t in m.steps}


@pytest.mark.parametrize("arch_id", IDS)
def test_docs_page_lists_exactly_its_steps(arch_id):
    m = MODELS[arch_id]
    page = OUTPUT / "docs" / f"{m.id}.md"
    text = page.read_text(encoding="utf-8")
    section = parse_dataflow(text)
    assert section is not None
    assert [len(lst.items) for lst in section.lists] == [len(q.steps) for q in m.sequences]
    assert [str(d) for d in check_page(text, m, str(page))] == []
    anchors = re.findall(r'<a id="(step-[a-z0-9_-]+)"></a>', text)
    assert anchors == [s.anchor for s in m.steps]
    assert f"](diagrams/{m.id}.svg)" in text and f"](diagrams/{m.id}.png)" in text


def test_docs_index_links_every_architecture_once():
    text = (OUTPUT / "docs" / "index.md").read_text(encoding="utf-8")
    # the groups' overview pages (overview/...) are linked too, after the table
    links = [x for x in re.findall(r"\]\(([^)#]+\.md)\)", text) if not x.startswith("overview/")]
    assert sorted(links) == sorted(f"{i}.md" for i in IDS)


@pytest.mark.parametrize("arch_id", IDS)
def test_manifest_entry_is_complete(arch_id):
    m = MODELS[arch_id]
    entry = json.loads((OUTPUT / "manifest.json").read_text(encoding="utf-8"))["architectures"][m.id]
    assert entry["file"] == rel(m.path)
    sources = {rel(s) for s in m.sources}
    assert rel(m.path) in sources
    render, docs = entry["render"], entry["docs"]
    assert sources <= set(render["inputs"]) and sources <= set(docs["inputs"])
    assert "diagramgen/model/catalog.yaml" in render["inputs"]
    assert render["options"] == DEFAULT_RENDER_OPTIONS
    outputs = set(render["outputs"])
    assert {f"{m.id}.{ext}" for ext in DEFAULT_RENDER_OPTIONS["formats"]} <= outputs
    steps = DEFAULT_RENDER_OPTIONS["steps"]
    assert {o for o in outputs if o.startswith("steps/")} == (
        ({f"steps/{m.id}.svg"} if steps else set())
        | {f"steps/{m.id}-{s.anchor}.png" for s in m.steps if "png" in steps})
    # the page, and the copies of the diagram and viewer it shows (docs/diagrams/)
    assert f"docs/{m.id}.md" in docs["outputs"]
    assert {f"docs/diagrams/{m.id}.svg", f"docs/diagrams/{m.id}.html"} <= set(docs["outputs"])
    missing = [o for o in sorted(outputs) + docs["outputs"] if not (OUTPUT / o).is_file()]
    assert missing == []


def test_manifest_lists_exactly_the_architectures():
    manifest = json.loads((OUTPUT / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["architectures"]) == IDS


def test_list_json_reports_every_architecture(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(main, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {r["id"]: r["steps"] for r in rows} == {i: len(MODELS[i].steps) for i in IDS}
    assert {r["id"]: r["file"] for r in rows} == {i: rel(MODELS[i].path) for i in IDS}
    assert all(set(r) == {"id", "file", "title", "areas", "components", "steps", "flows", "sequences"} for r in rows)


def test_every_catalog_icon_exists_and_is_png():
    for kind in default_catalog().kinds.values():
        path = icon_path(kind.icon)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", kind.name
    assert len(list(ICON_DIR.glob("*.png"))) >= 20


# --- the four published architectures -------------------------------------------------

EXPECTED_STEPS = {"premium": 10, "enterprise": 7, "contact_center": 10, "copilot_service": 7}
# Only contact_center's page includes the snippet that assumes the core Azure capabilities.
AZURE_FOUNDATION = {"premium": False, "enterprise": False, "contact_center": True, "copilot_service": False}


@pytest.fixture
def published():
    missing = sorted(set(EXPECTED_STEPS) - set(MODELS))
    assert missing == [], f"published architectures missing from {ARCH_DIR}"
    return MODELS


def test_step_counts_match_the_published_pages(published):
    assert {k: len(published[k].steps) for k in EXPECTED_STEPS} == EXPECTED_STEPS


def test_azure_foundation_only_where_the_page_assumes_it(published):
    assert {k: published[k].azure_foundation for k in AZURE_FOUNDATION} == AZURE_FOUNDATION
    foundation = {c.kind for c in published["contact_center"].components if c.area == "azure"}
    assert foundation == {"functions", "storage", "entra_id", "key_vault", "monitor", "policy"}
    assert {c.kind for c in published["premium"].components if c.area == "azure"} == {"azure_cloud"}


def test_provenance_follows_the_legends(published):
    assert published["enterprise"].component("voice").provenance == "existing"
    assert published["enterprise"].component("routing").provenance == "product"
    assert published["copilot_service"].component("copilot_studio").provenance == "product"
    assert published["copilot_service"].component("routing").provenance == "existing"
    assert published["premium"].component("dataverse").provenance == "platform"


def test_list_json_reports_step_counts(monkeypatch):
    monkeypatch.chdir(ARCH_DIR.parent)
    result = CliRunner().invoke(main, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {r["id"]: r["steps"] for r in rows if r["id"] in EXPECTED_STEPS} == EXPECTED_STEPS
    assert set(rows[0]) == {"id", "file", "title", "areas", "components", "steps", "flows", "sequences"}
