"""The four published architectures: valid, faithful step counts, stable DOT."""
import json

from click.testing import CliRunner

from diagramgen.catalog import ICON_DIR, default_catalog
from diagramgen.cli import main
from diagramgen.project import load_all
from diagramgen.scene import icon_path

from conftest import ARCH_DIR

EXPECTED_STEPS = {"premium": 10, "enterprise": 7, "contact_center": 10, "copilot_service": 7}


def models():
    loaded = load_all([], default_dir=str(ARCH_DIR))
    assert loaded.ok, [str(d) for d in loaded.diagnostics]
    return {m.id: m for m in loaded.models}


def test_four_architectures_valid_without_warnings():
    loaded = load_all([], default_dir=str(ARCH_DIR))
    assert [str(d) for d in loaded.diagnostics] == []
    # the four published architectures are there (a team may add more)
    assert set(EXPECTED_STEPS) <= {m.id for m in loaded.models}


def test_step_counts_match_the_published_pages():
    assert {k: len(m.steps) for k, m in models().items() if k in EXPECTED_STEPS} == EXPECTED_STEPS


def test_steps_are_numbered_one_to_n_and_have_flows():
    for m in models().values():
        for q in m.sequences:  # each sequence numbered 1..N by position (A, B, ... when lettered)
            assert [s.number for s in q.steps] == list(range(1, len(q.steps) + 1))
        assert all(s.flows for s in m.steps)


def test_azure_foundation_only_where_the_page_assumes_it():
    ms = models()
    assert {k for k, m in ms.items() if m.azure_foundation} == {"contact_center"}
    foundation = {c.kind for c in ms["contact_center"].components if c.area == "azure"}
    assert foundation == {"functions", "storage", "entra_id", "key_vault", "monitor", "policy"}
    assert {c.kind for c in ms["premium"].components if c.area == "azure"} == {"azure_cloud"}


def test_provenance_follows_the_legends():
    ms = models()
    assert ms["enterprise"].component("voice").provenance == "existing"
    assert ms["enterprise"].component("routing").provenance == "product"
    assert ms["copilot_service"].component("copilot_studio").provenance == "product"
    assert ms["copilot_service"].component("routing").provenance == "existing"
    assert ms["premium"].component("dataverse").provenance == "platform"


def test_every_catalog_icon_exists_and_is_png():
    for kind in default_catalog().kinds.values():
        path = icon_path(kind.icon)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", kind.name
    assert len(list(ICON_DIR.glob("*.png"))) >= 20


def test_list_json_reports_step_counts(monkeypatch):
    monkeypatch.chdir(ARCH_DIR.parent)
    result = CliRunner().invoke(main, ["list", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert {r["id"]: r["steps"] for r in rows if r["id"] in EXPECTED_STEPS} == EXPECTED_STEPS
    assert set(rows[0]) == {"id", "file", "title", "areas", "components", "steps", "flows", "sequences"}
