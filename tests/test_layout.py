"""Layout: declared columns hold against the flows, the alt text follows the drawing, and
the figures of diagramgen.draw.quality (edges through boxes, crossings, text size ...)."""
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.docs import pages as docs
from diagramgen.draw import columns, quality, scene
from diagramgen.draw.render import render_architecture
from diagramgen.model.validate import load_architecture

from conftest import assert_golden, portable

# Every flow runs from a column to the one on its left, against the declared order.
AGAINST = """\
id: against
title: Flows against the columns
scenario: I want the columns kept where the flows run the other way.
products: [Demo]
assumptions: {azure_foundation: false}
areas:
  - {id: first, label: First column}
  - {id: second, label: Second column}
  - {id: lower, label: Under the second}
  - {id: third, label: Third column}
  - {id: base, label: Platform, band: true}
layout:
  columns: [[first], [second, lower], [third]]
components:
  - {id: customer, kind: customer, area: first}
  - {id: acs, kind: communication_services, area: second}
  - {id: bot, kind: copilot_studio, area: lower}
  - {id: workspace, kind: agent_workspace, area: third}
  - {id: azure, kind: azure_cloud, area: base, standalone: true}
  - {id: entra, kind: entra_id, area: base, standalone: true}
dataflow:
  - step: 1
    text: The desk calls the customer back through the phone service.
    flows:
      - {from: workspace, to: acs}
      - {from: acs, to: customer}
  - step: 2
    text: The bot answers the desk.
    flows:
      - {from: workspace, to: bot}
"""


@pytest.fixture
def against(write):
    m, diags = load_architecture(write("against.yaml", AGAINST), shown="against.yaml")
    assert m is not None, diags
    return m


def test_flows_against_the_columns_are_written_the_other_way_round(against):
    dot = scene.build(against)
    assert_golden("against.dot", portable(dot))
    # the flow workspace -> circle -> acs runs right to left: written acs <- circle <- workspace
    assert re.search(r'^\t_step1_from_workspace -> workspace \[arrowhead=none [^\n]*dir=none', dot, re.M)
    assert re.search(r'^\tacs -> _step1_from_workspace \[[^\n]*dir=back[^\n]*id="step-1-workspace-acs"', dot, re.M)
    # every component of a column is held left of every one of the next
    assert re.search(r'^\tcustomer -> _column_gap_1 \[style=invis weight=0\]', dot, re.M)
    assert re.search(r'^\t_column_gap_1 -> bot \[style=invis weight=0\]', dot, re.M)
    assert re.search(r'^\tbot -> _column_gap_2 \[style=invis weight=0\]', dot, re.M)


@pytest.mark.dot
def test_declared_columns_are_drawn_left_to_right_and_the_alt_text_says_so(against):
    svg = render_architecture(against, ("svg",))["against.svg"]
    drawn = docs.drawn_areas(svg)
    assert drawn["first"][0] < drawn["second"][0] < drawn["third"][0]
    assert abs(drawn["second"][0] - drawn["lower"][0]) < 30  # one column
    alt = docs.description(against, drawn)
    upper, below = sorted(["Second column", "Under the second"],
                          key=lambda label: drawn["second" if label == "Second column" else "lower"][1])
    assert alt.startswith(
        "Architecture diagram: Flows against the columns. 4 areas in 3 columns, from left to right "
        f"(areas of one column from top to bottom): First column; {upper}, {below}; Third column. "
        "A band along the bottom: Platform.")
    page = docs.page(against, svg=svg)
    assert_golden("docs/against.md", page)


# Flows cross between the columns and run right to left: dot draws the second column
# the other way up, which render reports at the entry of the area drawn out of place.
CROSSED = Path(__file__).resolve().parent / "fixtures" / "columns" / "crossed.yaml"


@pytest.fixture
def crossed():
    m, diags = load_architecture(CROSSED, shown="crossed.yaml")
    assert m is not None and diags == []
    return m


def _drawn_report(arch, drawn) -> str:
    """The columns and areas in the order drawn, the warnings and the description."""
    cols = sorted((sorted(col, key=lambda a: drawn[a][1]) for col in columns.laid_out_columns(arch)),
                  key=lambda col: min(drawn[a][0] for a in col))
    return "\n".join(["columns drawn, left to right (areas top to bottom):",
                      *("  " + ", ".join(col) for col in cols),
                      "warnings:", *("  " + str(w) for w in columns.column_warnings(arch, drawn)),
                      "description:", "  " + docs.description(arch, drawn), ""])


@pytest.mark.dot
def test_an_area_drawn_out_of_its_column_order_gets_a_warning_and_the_text_follows_the_drawing(crossed):
    assert_golden("crossed.dot", portable(scene.build(crossed)))
    svg = render_architecture(crossed, ("svg",))["crossed.svg"]
    drawn = columns.drawn_areas(svg)
    assert_golden("crossed-layout.txt", _drawn_report(crossed, drawn))
    assert drawn["phone"][0] < drawn["desk"][0] and drawn["chat"][0] < drawn["bots"][0]
    assert drawn["bots"][1] < drawn["desk"][1]  # drawn above the area declared before it
    assert [str(d) for d in columns.column_warnings(crossed, drawn)] == [
        "crossed.yaml:16:35: warning: area 'bots' (Bots) is drawn above 'desk' (Service desk), against the "
        "order of its layout column: Graphviz orders the areas of a column to cross fewer flows; list 'bots' "
        "before 'desk', or in a column of its own, to match the drawing [DG316]"]
    assert "Phone, Chat; Bots, Service desk." in docs.page(crossed, svg=svg)


@pytest.mark.dot
def test_render_prints_the_column_warnings_every_time_and_succeeds(crossed, tmp_path):
    out = tmp_path / "out"
    for _ in range(2):  # the second run renders nothing: the warning comes from the manifest's record
        result = CliRunner().invoke(main, ["render", str(CROSSED), "--out", str(out)])
        assert result.exit_code == 0, result.stderr
        lines = [x for x in result.stderr.splitlines() if ": warning: " in x]
        assert lines == [f"{CROSSED}:16:35: warning: area 'bots' (Bots) is drawn above 'desk' (Service desk), "
                         "against the order of its layout column: Graphviz orders the areas of a column to "
                         "cross fewer flows; list 'bots' before 'desk', or in a column of its own, to match "
                         "the drawing [DG316]"]
    assert "1 up to date" in result.stdout


def _warnings(result) -> list:
    return [x for x in result.stderr.splitlines() if ": warning: " in x]


@pytest.mark.dot
def test_an_up_to_date_render_and_the_docs_take_the_drawing_from_the_manifest(crossed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "architectures").mkdir()
    (tmp_path / "architectures" / "crossed.yaml").write_bytes(CROSSED.read_bytes())
    out = tmp_path / "output"
    render, docs_cmd = ["render"], ["docs"]
    assert CliRunner().invoke(main, render).exit_code == 0
    manifest_path = out / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    record = data["architectures"]["crossed"]["render"]
    svg = (out / "crossed.svg").read_bytes()
    assert record["drawn_areas"] == {a: list(xy) for a, xy in columns.drawn_areas(svg).items()}
    # the record says the second column was drawn left of the first, which the SVG does not:
    # what is printed and described now comes from the record, so the SVG was not read
    record["drawn_areas"] = {"phone": [500.0, 0.0], "chat": [500.0, 100.0], "desk": [0.0, 0.0], "bots": [0.0, 90.0]}
    manifest_path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(main, render)
    assert result.exit_code == 0 and "1 up to date" in result.stdout
    assert _warnings(result) == [
        "architectures/crossed.yaml:16:29: warning: the column of area 'desk' (Service desk) is drawn left of the column of "
        "'phone' (Phone), against the order of layout columns: flows from Copilot Studio to Voice (step 1), "
        "Agent workspace to Web chat (step 2) run right to left, and Graphviz put the column where they run left to "
        "right; reorder the columns to match the drawing [DG316]"]
    page = out / "docs" / "crossed.md"
    assert CliRunner().invoke(main, docs_cmd).exit_code == 0
    assert "Service desk, Bots; Phone, Chat." in page.read_text(encoding="utf-8")
    # an SVG that is not the one recorded is read again: the page follows the drawing
    (out / "crossed.svg").write_bytes(svg + b"<!-- not the SVG render wrote -->\n")
    assert CliRunner().invoke(main, docs_cmd).exit_code == 0
    assert "Phone, Chat; Bots, Service desk." in page.read_text(encoding="utf-8")


def test_a_manifest_record_of_the_drawing_of_the_wrong_shape_is_dropped():
    from diagramgen.publish import manifest as M

    def record(drawn):
        return {"format": M.FORMAT, "architectures": {"a": {"render": {"outputs": [], "drawn_areas": drawn}}}}

    good = {"x": [1.5, 2], "y": [0, -3.25]}
    assert M.recorded_drawn(M.loads(json.dumps(record(good))), "a") == {"x": (1.5, 2), "y": (0, -3.25)}
    for bad in ([1, 2], {"x": [1]}, {"x": ["1", 2]}, {"x": [True, 2]}, {"x": {"left": 1}}, "x"):
        loaded = M.loads(json.dumps(record(bad)))
        assert "drawn_areas" not in loaded["architectures"]["a"]["render"]
        assert M.recorded_drawn(loaded, "a") is None
    # the SVG named must be the one recorded
    rec = record(good)
    rec["architectures"]["a"]["render"]["output_hashes"] = {"a.svg": hashlib.sha256(b"<svg/>\n").hexdigest()}
    assert M.recorded_drawn(rec, "a", b"<svg/>\r\n") == {"x": (1.5, 2), "y": (0, -3.25)}
    assert M.recorded_drawn(rec, "a", b"<svg />\n") is None


def test_a_column_drawn_left_of_an_earlier_one_names_the_flows_that_run_right_to_left(against):
    drawn = {"first": (500, 0), "second": (0, 0), "lower": (0, 100), "third": (900, 0)}
    assert [d.message for d in columns.column_warnings(against, drawn)] == [
        "the column of area 'second' (Second column) is drawn left of the column of 'first' (First column), "
        "against the order of layout columns: flows from Azure Communication Services to Customers (step 1) "
        "run right to left, and Graphviz put the column where they run left to right; reorder the columns "
        "to match the drawing"]
    assert [str(d.pos) for d in columns.column_warnings(against, drawn)] == ["against.yaml:13:23"]


def test_areas_drawn_in_their_declared_order_give_no_warning(against):
    drawn = {"first": (0, 0), "second": (200, 0), "lower": (210, 100), "third": (400, 50)}
    assert columns.column_warnings(against, drawn) == []
    upside_down = {**drawn, "lower": (210, -100)}
    assert [d.message.split(",")[0] for d in columns.column_warnings(against, upside_down)] == [
        "area 'lower' (Under the second) is drawn above 'second' (Second column)"]


def test_alt_text_without_a_drawing_follows_the_declared_columns(against):
    assert ("4 areas in 3 columns, from left to right (areas of one column from top to bottom): "
            "First column; Second column, Under the second; Third column.") in docs.description(against)


def test_alt_text_orders_columns_and_areas_as_drawn(against):
    drawn = {"first": (500, 0), "second": (0, 50), "lower": (0, -80), "third": (900, 0)}
    assert ("from left to right (areas of one column from top to bottom): Under the second, "
            "Second column; First column; Third column.") in docs.description(against, drawn)


def test_several_bands_along_the_bottom_are_called_stacked(write):
    text = AGAINST.replace("  - {id: entra, kind: entra_id, area: base, standalone: true}\n",
                           "  - {id: entra, kind: entra_id, area: more, standalone: true}\n").replace(
        "  - {id: base, label: Platform, band: true}\n",
        "  - {id: base, label: Platform, band: true}\n  - {id: more, label: Identity, band: true}\n")
    m, diags = load_architecture(write("bands.yaml", text), shown="bands.yaml")
    assert m is not None, diags
    assert "2 bands stacked along the bottom, from top to bottom: Platform and Identity." in docs.description(m)
    assert "row along the bottom" not in docs.description(m)


# --- quality figures on hand-written SVGs ---------------------------------------------
def _svg(body: str, width: int = 400) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 200">'
            f'<g id="graph0" class="graph">{body}</g></svg>')


def _node(ident, x0, y0, x1, y1, text="", size=10):
    t = f'<text font-size="{size}">{text}</text>' if text else ""
    return (f'<g id="{ident}" class="node"><polygon points="{x0},{y0} {x1},{y0} {x1},{y1} {x0},{y1}"/>'
            f'{t}</g>')


def _edge(ident, d):
    return f'<g id="{ident}" class="edge"><path fill="none" d="{d}"/></g>'


def test_quality_counts_an_edge_through_a_box_that_is_not_its_end():
    body = (_node("a", 0, 90, 20, 110) + _node("b", 100, 90, 120, 110) + _node("c", 200, 90, 220, 110)
            + _edge("a-c", "M20,100 L200,100"))
    q = quality.measure(_svg(body))
    assert q.node_overlaps == 1 and q.problems == ("edge a-c runs through b",)
    clear = quality.measure(_svg(body.replace("M20,100 L200,100", "M20,100 L100,50 L200,100")))
    assert clear.node_overlaps == 0


def test_quality_counts_crossings_and_edges_on_top_of_each_other():
    nodes = (_node("a", 0, 0, 10, 10) + _node("b", 190, 190, 200, 200) + _node("c", 0, 190, 10, 200)
             + _node("d", 190, 0, 200, 10))
    crossing = quality.measure(_svg(nodes + _edge("ab", "M10,10 L190,190") + _edge("cd", "M10,190 L190,10")))
    assert (crossing.crossings, crossing.edge_overlaps) == (1, 0)
    on_top = quality.measure(_svg(nodes + _edge("ab", "M10,10 L100,100 L190,190")
                                  + _edge("cd", "M10,190 L60,60 L140,140 L190,10")))
    assert on_top.edge_overlaps == 1


def test_quality_counts_an_edge_through_an_area_that_holds_none_of_its_ends():
    area = ('<g id="area-x" class="cluster"><polygon fill="#f7f9fb" stroke="#9aa5b1" '
            'points="80,50 140,50 140,150 80,150"/></g>')
    body = area + _node("a", 0, 90, 20, 110) + _node("c", 200, 90, 220, 110) + _edge("a-c", "M20,100 L200,100")
    assert quality.measure(_svg(body)).area_intrusions == 1
    inside = body + _node("b", 100, 60, 120, 70) + _edge("a-b", "M20,95 L100,65")
    assert quality.measure(_svg(inside)).area_intrusions == 1  # a-b ends inside x; a-c still crosses it


def test_quality_smallest_text_is_measured_at_docs_width():
    body = _node("a", 0, 0, 10, 10, "cap", 10) + _node("b", 50, 0, 60, 10, "Title", 22)
    assert quality.measure(_svg(body, width=1250)).smallest_text_px == pytest.approx(8.0)
    assert quality.measure(_svg(body, width=2000)).smallest_text_px == pytest.approx(5.0)


def test_quality_longest_edge_is_relative_to_the_drawing_diagonal():
    body = _node("a", 0, 0, 30, 40, "x") + _node("b", 270, 360, 300, 400, "y") + _edge("ab", "M30,40 L270,360")
    q = quality.measure(_svg(body))
    assert q.longest_edge == pytest.approx(400 / 500)
    assert quality.check(q, {"longest_edge": 0.45}) == [("longest_edge", q.longest_edge, 0.45)]


@pytest.mark.dot
def test_shipped_style_diagram_meets_the_text_target(against):
    svg = render_architecture(against, ("svg",))["against.svg"]
    q = quality.measure(svg)
    assert q.smallest_text_px >= 8.0
    assert (q.node_overlaps, q.area_intrusions, q.edge_overlaps) == (0, 0, 0)


@pytest.mark.dot
def test_where_areas_were_drawn_is_remembered_from_making_the_svg_as_reading_it_finds(against):
    svg = render_architecture(against, ("svg",))["against.svg"]
    remembered = columns.drawn_areas(svg)
    assert svg in columns._MADE
    read = columns.areas_in(ET.fromstring(svg))  # what reading the SVG finds
    assert read == remembered and set(read) == {"first", "second", "lower", "third", "base"}
    assert columns.drawn_areas(svg.decode("utf-8")) == remembered  # text is read, not looked up


def test_a_band_row_wider_than_the_areas_widens_the_band_instead_of_covering_its_title(write):
    """Six components without flows in a band under two small areas: the band grows to
    hold its title and the row, every icon right of the title and inside the band."""
    vaults = "".join(f"  - {{id: vault{i}, kind: key_vault, area: base, label: Vault number {i}, standalone: true}}\n"
                     for i in range(6))
    m, diags = load_architecture(write("wide.yaml", f"""\
id: wide
title: W
scenario: I want a wide band.
products: [Demo]
areas:
  - {{id: first, label: First}}
  - {{id: base, label: A platform band with a long title, band: true}}
components:
  - {{id: app, kind: power_apps, area: first}}
  - {{id: store, kind: storage, area: first}}
{vaults}dataflow:
  - step: 1
    text: The app keeps a record.
    flows:
      - {{from: app, to: store}}
"""), shown="wide.yaml")
    assert m is not None, diags
    root = ET.fromstring(render_architecture(m, formats=("svg",))["wide.svg"])
    ns = {"s": "http://www.w3.org/2000/svg"}
    band = root.find(".//s:g[@id='area-base']", ns)
    xs = [float(p.split(",")[0]) for p in band.find("s:polygon", ns).get("points").split()]
    title = band.find("s:text", ns)
    # the title's right end, estimated (bold 13 pt: DejaVu Sans averages over 0.55 em a character)
    title_end = float(title.get("x")) + 0.55 * 13 * len(title.text)
    for i in range(6):
        node = root.find(f".//s:g[@id='component-vault{i}']", ns)
        use = node.find("s:use", ns)
        label = node.find("s:text", ns)
        assert float(use.get("x")) > title_end, (i, use.get("x"), title_end)
        assert float(label.get("x")) > title_end, (i, label.get("x"), title_end)
        assert float(use.get("x")) + float(use.get("width")) < max(xs), (i, use.get("x"), max(xs))


def test_a_flow_to_a_component_marked_standalone_in_a_band_is_drawn(write, tmp_path):
    """``standalone`` only silences the unused-component warning: a band component with
    the mark and a flow is drawn as one with flows (its band is no row of icons)."""
    path = write("marked.yaml", """\
id: marked
title: Marked
scenario: I want a marked component with a flow.
products: [Demo]
areas:
  - {id: first, label: First}
  - {id: base, label: Platform, band: true}
components:
  - {id: app, kind: power_apps, area: first}
  - {id: vault, kind: key_vault, area: base, standalone: true}
  - {id: monitor, kind: monitor, area: base, standalone: true}
dataflow:
  - step: 1
    text: The app reads a secret.
    flows:
      - {from: app, to: vault}
""")
    result = CliRunner().invoke(main, ["render", str(path), "--out", str(tmp_path / "out"), "--format", "svg",
                                       "--no-steps", "-q"])
    assert (result.exit_code, result.output) == (0, "")
    root = ET.parse(tmp_path / "out" / "marked.svg").getroot()
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert root.find(".//s:g[@id='step-1-app-vault']", ns) is not None
    assert root.find(".//s:g[@id='band-base']", ns) is None  # no flat row of icons
