"""Flow labels: validation, where the diagram draws them, the SVG title, docs pages, diffs."""
import json
import re
import subprocess

import pytest
from click.testing import CliRunner
from lxml import etree

from diagramgen.cli import main
from diagramgen.diff import compare as D, overlay as O, report as R
from diagramgen.docs import pages as docs
from diagramgen.draw import scene
from diagramgen.draw.render import render_architecture
from diagramgen.model.validate import load_architecture

S = "{http://www.w3.org/2000/svg}"

# Step 1 is one flow (its circle after the source), step 2 a fan-out from acs and step 3
# a fan-in to copilot; one flow of each fan carries a label, the other none.
ARCH = """\
id: demo
title: Demo
scenario: I want a demo.
products: [Demo product]
assumptions: {azure_foundation: false}
areas:
  - {id: customers, label: Customers}
  - {id: telephony, label: Telephony}
  - {id: agent, label: Agent experience}
layout:
  columns: [[customers], [telephony], [agent]]
components:
  - {id: customer, kind: customer}
  - {id: acs, kind: communication_services}
  - {id: workspace, kind: agent_workspace}
  - {id: copilot, kind: copilot}
dataflow:
  - step: 1
    text: Customers call.
    flows:
      - {from: customer, to: acs, both: true, label: PSTN}
  - step: 2
    text: The call reaches the agent and Copilot listens.
    flows:
      - {from: acs, to: workspace}
      - {from: acs, to: copilot, label: Web API}
  - step: 3
    text: Copilot reads the call and the desktop.
    flows:
      - {from: acs, to: copilot}
      - {from: workspace, to: copilot, label: Connector}
"""


def unlabelled(text: str) -> str:
    return re.sub(r"(\{from: [^}]*?), label: [^}]*", r"\1", text)


def load(write, text=ARCH, name="demo.yaml"):
    m, diags = load_architecture(write(name, text), shown=name)
    assert m is not None, [str(d) for d in diags]
    return m


def errors(write, text):
    m, diags = load_architecture(write("demo.yaml", text), shown="demo.yaml")
    assert m is None
    return [str(d) for d in diags]


def edge_lines(dot: str) -> dict:
    """``{edge id: DOT line}`` of the flow edges."""
    return {m.group(1): line for line in dot.splitlines() if (m := re.search(r' id="(step-[^"]+)"', line))
            and " -> " in line}


# --- validation -----------------------------------------------------------------------
def test_label_is_read_into_the_model(write):
    m = load(write)
    assert [(f.src, f.dst, f.label) for f in m.flows] == [
        ("customer", "acs", "PSTN"), ("acs", "workspace", ""), ("acs", "copilot", "Web API"),
        ("acs", "copilot", ""), ("workspace", "copilot", "Connector")]


def test_a_label_of_40_characters_is_accepted_and_41_is_an_error(write):
    assert load(write, ARCH.replace("label: PSTN", "label: " + "x" * 40)).flows[0].label == "x" * 40
    assert errors(write, ARCH.replace("label: PSTN", "label: " + "x" * 41)) == [
        "demo.yaml:21:54: error: 'label' is 41 characters long, over the limit of 40; a flow label is a "
        "short tag drawn on the arrow (such as HTTPS); say more in the step's text [DG203]"]


@pytest.mark.parametrize("value, message", [
    ("42", "'label' must be a string, got a number (42) [DG201]"),
    ("true", "'label' must be a string, got true/false (true) [DG201]"),
    ("[HTTPS]", "'label' must be a string, got a list [DG201]"),
    ("''", "'label' must not be empty [DG202]"),
    ('"PSTN\\nSIP"', "'label' must be one line of text, without line breaks or tabs [DG204]"),
    ('"PSTN\\tSIP"', "'label' must be one line of text, without line breaks or tabs [DG204]"),
    ('"PSTN\\u202Eevil"', "'label' contains the bidirectional control character U+202E, which can make "
                          "text display differently from what it says [DG206]"),
])
def test_a_label_of_the_wrong_kind_is_an_error_at_its_value(write, value, message):
    assert errors(write, ARCH.replace("label: PSTN", f"label: {value}")) == [f"demo.yaml:21:54: error: {message}"]


def test_a_label_on_an_unknown_key_is_suggested(write):
    assert errors(write, ARCH.replace("label: PSTN", "lable: PSTN")) == [
        "demo.yaml:21:47: error: unknown key 'lable' in flow (did you mean 'label'?) [DG214]"]


# --- the diagram ------------------------------------------------------------------------
LABEL_ATTRS = 'fontcolor="#3D4F63" fontname="DejaVu Sans" fontsize=12'


def test_label_is_an_external_label_of_the_flows_own_edge(write):
    edges = edge_lines(scene.build(load(write)))
    # one flow: its circle follows the source, so its own edge runs from the circle on
    assert edges["step-1-customer-acs"] == (
        f'\t_step1_from_customer -> acs [class="flow step-1" dir=forward {LABEL_ATTRS} id="step-1-customer-acs" '
        'xlabel=<<TABLE BORDER="0" CELLBORDER="0" CELLPADDING="3" CELLSPACING="0"><TR><TD><B>PSTN</B></TD></TR>'
        '</TABLE>>]')
    # fan-out: on the edge from the circle to the labelled flow's target
    assert "xlabel=<<TABLE" in edges["step-2-acs-copilot"] and "Web API" in edges["step-2-acs-copilot"]
    # fan-in: on the edge from the labelled flow's source to the circle
    assert edges["step-3-workspace-copilot"] == (
        f'\tworkspace -> _step3_to_copilot [class="flow step-3" dir=none {LABEL_ATTRS} '
        'id="step-3-workspace-copilot" xlabel=<<TABLE BORDER="0" CELLBORDER="0" CELLPADDING="3" CELLSPACING="0">'
        '<TR><TD><B>Connector</B></TD></TR></TABLE>>]')
    labelled = {"step-1-customer-acs", "step-2-acs-copilot", "step-3-workspace-copilot"}
    # the shared edges, the unlabelled flows and the circles carry no label
    assert [k for k, line in edges.items() if "xlabel" in line] == sorted(labelled, key=list(edges).index)
    assert all("fontname=\"Sans-Serif\"" in line for k, line in edges.items() if k not in labelled)


def test_label_text_is_escaped_in_the_dot_source(write):
    dot = scene.build(load(write, ARCH.replace("label: PSTN", "label: '<script> & \"x\" \\N'")))
    assert "<B>&lt;script&gt; &amp; &quot;x&quot; \\\\N</B>" in dot
    assert "<script>" not in dot


def _positions(dot_source: str) -> dict:
    out = subprocess.run(["dot", "-Tjson"], input=dot_source.encode(), capture_output=True, check=True).stdout
    objs = [o for o in json.loads(out)["objects"] if "pos" in o]
    x0, y0 = map(float, objs[0]["pos"].split(","))
    return {o["name"]: tuple(round(float(v) - w, 2) for v, w in zip(o["pos"].split(","), (x0, y0))) for o in objs}


@pytest.mark.dot
def test_labels_move_no_node(write):
    """External labels are placed after the layout: nodes and circles sit where they sit
    without labels (relative to each other)."""
    plain = _positions(scene.build(load(write, unlabelled(ARCH), "plain.yaml")))
    assert plain and _positions(scene.build(load(write))) == plain


@pytest.mark.dot
def test_svg_draws_the_label_as_text_of_its_edge_and_names_it_in_the_title(write):
    m = load(write, ARCH.replace("label: Connector", "label: '<script>alert(1)</script> & \"x\"'"))
    root = etree.fromstring(render_architecture(m, ("svg",))["demo.svg"])
    edges = {g.get("id"): g for g in root.iter(f"{S}g") if "edge" in (g.get("class") or "").split()}
    texts = {k: ["".join(t.itertext()) for t in g.iter(f"{S}text")] for k, g in edges.items()}
    assert {k: v for k, v in texts.items() if v} == {
        "step-1-customer-acs": ["PSTN"], "step-2-acs-copilot": ["Web API"],
        "step-3-workspace-copilot": ['<script>alert(1)</script> & "x"']}
    text = next(edges["step-1-customer-acs"].iter(f"{S}text"))
    assert (text.get("font-family"), text.get("font-size"), text.get("font-weight"), text.get("fill")) == (
        "DejaVu Sans", "12.00", "bold", "#3d4f63")
    titles = {k: g.find(f"{S}title").text for k, g in edges.items()}
    assert titles["step-1-customer-acs"] == "Step 1: Customers call.\nLabel: PSTN"
    assert titles["step-3-workspace-copilot"] == ('Step 3: Copilot reads the call and the desktop.\n'
                                                  'Label: <script>alert(1)</script> & "x"')
    assert titles["step-2-acs-workspace"] == "Step 2: The call reaches the agent and Copilot listens."
    assert not list(root.iter(f"{S}script"))


# --- docs pages -----------------------------------------------------------------------------
def test_docs_page_shows_labels_after_their_targets(write):
    page = docs.page(load(write, ARCH.replace("label: Connector", "label: '<b>[x](y)</b> | *z*'")))
    flows = [line.strip().removesuffix("<br>") for line in page.splitlines() if "*Flows:*" in line]
    assert flows == [
        "*Flows:* Customers ↔ Azure Communication Services (PSTN)",
        "*Flows:* Azure Communication Services → Agent workspace, Copilot (Web API)",
        "*Flows:* Azure Communication Services → Copilot; "
        "Agent workspace → Copilot (&lt;b&gt;&#91;x&#93;(y)&lt;/b&gt; &#124; &#42;z&#42;)"]


def test_diagram_description_lists_the_labelled_arrows(write):
    assert docs.description(load(write)).endswith(
        " Labelled arrows: Customers ↔ Azure Communication Services (PSTN, step 1); Azure Communication "
        "Services → Copilot (Web API, step 2); Agent workspace → Copilot (Connector, step 3).")
    assert "Labelled" not in docs.description(load(write, unlabelled(ARCH), "plain.yaml"))


# --- diffs ------------------------------------------------------------------------------------
def relabel(text: str) -> str:
    """Step 1's label changed, step 2's removed, one added in step 3."""
    return (text.replace("label: PSTN", "label: PSTN and SIP")
            .replace("      - {from: acs, to: copilot}\n", "      - {from: acs, to: copilot, label: Events}\n")
            .replace(", label: Web API", ""))


def test_diff_reports_label_changes_as_flow_changes(write):
    old, new = write("old/demo.yaml", ARCH), write("new/demo.yaml", relabel(ARCH))
    run = lambda fmt: CliRunner().invoke(main, ["diff", str(old), str(new), "--format", fmt])  # noqa: E731
    text = run("text")
    assert text.exit_code == 0, text.output
    assert text.output.splitlines()[1:] == [
        '  flow label changed: customer <-> acs: "PSTN" -> "PSTN and SIP" (step 1)',
        '  flow label changed: acs -> copilot: "Web API" -> none (step 2)',
        '  flow label changed: acs -> copilot: none -> "Events" (step 3)']
    assert text.output.splitlines()[0].endswith("(demo): 3 flows relabelled")
    md = run("markdown").output
    assert ("| flow | change | steps |\n|---|---|---|\n"
            '| `customer <-> acs` | label changed: "PSTN" -&gt; "PSTN and SIP" | 1 |\n'
            '| `acs -> copilot` | label changed: "Web API" -&gt; none | 2 |\n'
            '| `acs -> copilot` | label changed: none -&gt; "Events" | 3 |\n') in md
    flows = json.loads(run("json").output)["architectures"][0]["flows"]
    assert flows[0] == {"change": "label_changed", "from": "customer", "to": "acs", "both": True,
                        "label": "PSTN and SIP", "steps": [1],
                        "old": {"from": "customer", "to": "acs", "both": True, "label": "PSTN"}}
    assert [(f["label"], f["old"]["label"]) for f in flows[1:]] == [(None, "Web API"), ("Events", None)]


def test_diff_names_the_labels_of_added_removed_and_reversed_flows(write):
    new_text = (ARCH.replace("{from: customer, to: acs, both: true, label: PSTN}", "{from: customer, to: acs, label: SIP}")
                .replace("      - {from: acs, to: workspace}\n", "")
                .replace("      - {from: acs, to: copilot}\n", "      - {from: copilot, to: workspace, label: API}\n"))
    d = D.diff_architectures(load(write, ARCH, "old.yaml"), load(write, new_text, "new.yaml"))
    lines = [t for _, t in R._detail_lines(d) if t.startswith("flow ")]
    assert lines == [
        "flow removed: acs -> workspace (old step 2)",
        "flow added: copilot -> workspace [API] (step 3)",
        "flow direction changed: customer <-> acs [PSTN] is now customer -> acs [SIP] (step 1)"]
    md = R.render_markdown(D.DiffResult("a", "b", (d,)))
    assert "| `customer -> acs` &#91;SIP&#93; | direction changed (was `customer <-> acs` &#91;PSTN&#93;) | 1 |" in md


def test_overlay_marks_a_relabelled_flow_changed_and_shows_the_old_label(write):
    old, new = load(write, ARCH, "old.yaml"), load(write, relabel(ARCH), "new.yaml")
    union, marks = O.union_model(old, new)
    assert {k: v for k, v in marks.flows.items() if v != "unchanged"} == {
        ("1", "customer", "acs"): "changed", ("2", "acs", "copilot"): "changed", ("3", "acs", "copilot"): "changed"}
    # the union keeps the new labels; the overlay's style shows the old ones beside them
    assert [f.label for f in union.flows] == ["PSTN and SIP", "", "", "Events", "Connector"]
    assert O.overlay_style(union, marks).flow_labels == {
        ("1", "customer", "acs"): "PSTN and SIP (was PSTN)", ("2", "acs", "copilot"): "was Web API",
        ("3", "acs", "copilot"): "Events"}
    edges = edge_lines(O.overlay_source(old, new))
    assert '<B>PSTN and SIP (was PSTN)</B></TD></TR></TABLE>>' in edges["step-1-customer-acs"]
    assert 'color="#E37400"' in edges["step-1-customer-acs"] and 'fontcolor="#E37400"' in edges["step-1-customer-acs"]
    assert 'penwidth=2.2' in edges["step-1-customer-acs"]
    assert 'color="#B3BBC4"' in edges["step-3-workspace-copilot"] and 'penwidth=1.2' in edges["step-3-workspace-copilot"]
    assert 'fontcolor="#B3BBC4"' in edges["step-3-workspace-copilot"]
