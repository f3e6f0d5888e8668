"""Hostile text in every text field comes out as text in every output, never as markup,
DOT syntax, Graphviz escapes, scripts or links.

To cover a new output (generated Markdown, the HTML viewer, diff Markdown), add one
``check_*`` helper that renders it from the model and asserts what it must, and list it
in ``OUTPUTS``; every hostile string then runs through it.
"""
import json
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml

from diagramgen import scene
from diagramgen.render import render_architecture
from diagramgen.validate import load_architecture

# One table of hostile strings; each one goes into every text field at once.
HOSTILE = [
    "<script>alert(1)</script>",
    "\" onmouseover=\"alert(1)",
    "' onload='alert(1)",
    "Tom & Jerry &amp; &#x3C;b&#x3E;",
    "]]> <![CDATA[ x ]]>",
    "</title><script>alert(1)</script>",
    '"]; a -> b [label="pwned',
    "} digraph x { a -> b",
    "<b>bold</b> <TABLE><TR><TD>cell</TD></TR></TABLE>",
    r"\N \G \E \T \H \L \l \r \n and a trailing \\",
    r"ends with one backslash \\"[:-1],
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1)) <a href=\"javascript:alert(1)\">x</a>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "<svg onload=alert(1)> <foreignObject>",
    "line one\nline two",
]


def architecture_yaml(s: str) -> str:
    """A small valid architecture with ``s`` (and a field marker) in every text field."""
    doc = {
        "id": "demo", "title": f"T {s}", "scenario": f"S {s}", "products": [f"P {s}"],
        "summary": [f"U {s}"], "assumptions": {"azure_foundation": False, "notes": [f"N {s}"]},
        "legend": {"product": f"LP {s}", "platform": f"LX {s}"},
        "areas": [{"id": "customers", "label": f"A1 {s}"}, {"id": "telephony", "label": f"A2 {s}"},
                  {"id": "band", "label": f"A3 {s}", "band": True}],
        "components": [
            {"id": "customer", "kind": "customer", "label": f"C1 {s}", "description": f"D1 {s}",
             "capabilities": [f"K1 {s}", f"K2 {s}"], "aliases": [f"Z1 {s}"]},
            {"id": "acs", "kind": "communication_services", "label": f"C2 {s}", "description": f"D2 {s}"},
            {"id": "dv", "kind": "dataverse", "area": "band", "standalone": True, "label": f"C3 {s}",
             "description": f"D3 {s}"},
        ],
        "dataflow": [{"step": 1, "text": f"W1 {s}", "flows": [{"from": "customer", "to": "acs"}]},
                     {"step": 2, "text": f"W2 {s}", "flows": [{"from": "acs", "to": "customer", "both": True}]}],
    }
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def build(tmp_path, s):
    path = tmp_path / "demo.yaml"
    path.write_text(architecture_yaml(s), encoding="utf-8")
    model, diags = load_architecture(path, shown="demo.yaml")
    assert model is not None, [str(d) for d in diags]
    return model


# Text that must reach the diagram, by where it shows: visible text, or a tooltip.
def visible_texts(m):
    out = [m.title, *dict(m.legend).values()]
    out += [a.label for a in m.areas]
    for c in m.components:
        out += [c.label, *c.capabilities]
    return out


def tooltip_texts(m):
    return [c.description for c in m.components] + [s.text for s in m.steps]


def graph_shape(dot_source: str) -> tuple:
    """Nodes, clusters and edges as Graphviz itself reads the DOT (names and counts)."""
    proc = subprocess.run(["dot", "-Tjson"], input=dot_source.encode(), capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    g = json.loads(proc.stdout)
    objects = sorted(o["name"] for o in g.get("objects", []))
    edges = sorted((g["objects"][e["tail"]]["name"], g["objects"][e["head"]]["name"]) for e in g.get("edges", []))
    return objects, edges


def check_dot(m, benign):
    """DOT: Graphviz reads the same nodes, clusters and edges as for harmless text."""
    assert graph_shape(scene.build(m)) == graph_shape(scene.build(benign))


ACTIVE_TAGS = {"script", "foreignObject", "iframe", "object", "embed", "style", "handler", "animate", "set"}
SVG_NS = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


def check_svg(m, benign):
    """SVG: well-formed XML, no active element, attribute or link, and every text verbatim."""
    svg = render_architecture(m, ("svg",))["demo.svg"]
    root = ET.fromstring(svg)  # raises on anything that broke out of its XML context
    shown, tips = [], []
    for el in root.iter():
        local = el.tag.split("}")[-1]
        assert local not in ACTIVE_TAGS, local
        for name, value in el.attrib.items():
            attr = name.split("}")[-1].lower()
            assert not attr.startswith("on"), (name, value)
            if attr == "href":
                v = value.strip().lower()
                assert v.startswith("#") or (v.startswith("/") and v.endswith(".png")), value
            if attr == "title":
                tips.append(value)
        if local == "text":
            shown.append("".join(el.itertext()))
    text = "\n".join(shown)
    for s in visible_texts(m):
        for line in s.split("\n"):
            assert line in text, line
    tip = "\n".join(tips)
    for s in tooltip_texts(m):
        assert s in tip, s
    assert len(svg) < 5 * len(render_architecture(benign, ("svg",))["demo.svg"])


OUTPUTS = {"dot": check_dot, "svg": check_svg}


@pytest.mark.dot
@pytest.mark.parametrize("kind", sorted(OUTPUTS))
@pytest.mark.parametrize("s", HOSTILE, ids=[f"h{i}" for i in range(len(HOSTILE))])
def test_hostile_text_stays_text(kind, s, tmp_path):
    m = build(tmp_path, s)
    benign = build(tmp_path, "harmless")
    OUTPUTS[kind](m, benign)


def test_dot_escapes_text_for_its_context(tmp_path):
    m = build(tmp_path, '<script>"]; a -> b [label="\\N')
    dot = scene.build(m)
    assert "<B>C1 &lt;script&gt;" in dot and "<B>C1 <script>" not in dot  # HTML-like labels: entities
    assert '| D1 <script>\\"]; a -> b [label=\\"\\\\\\\\N' in dot  # quotes escaped, \ x4
    assert "C1 &lt;script&gt;&quot;]; a -&gt; b [label=&quot;\\\\N" in dot  # \ doubled in labels


def test_links_with_active_schemes_are_rejected(write):
    p = write("a.yaml", architecture_yaml("x").replace("id: demo\n", "id: demo\ndocs_page: ' JavaScript:alert(1)'\n"))
    model, diags = load_architecture(p, shown="a.yaml")
    assert model is None
    assert [str(d) for d in diags] == [
        "a.yaml:2:12: error: 'docs_page' must be a relative path or an http(s) URL, not a 'javascript:' link"]
