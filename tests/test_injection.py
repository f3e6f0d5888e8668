"""Hostile text in every text field comes out as text in every output, never as markup,
DOT syntax, Graphviz escapes, scripts or links.

To cover a new output (generated Markdown, the HTML viewer, diff Markdown), add one
``check_*`` helper that renders it from the model and asserts what it must, and list it
in ``OUTPUTS``; every hostile string then runs through it.
"""
import json
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml

from diagramgen.draw import scene
from diagramgen.draw.render import render_architecture
from diagramgen.model.validate import load_architecture

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
    # a blank line ends an HTML block (the page's diagram description) in CommonMark
    "para one\n\n# heading ![x](https://example.org/t.png) *em* <script>alert(1)</script>",
]


def flow_label(s: str) -> str:
    """``s`` as a flow label: one line of at most 40 characters (longer ones are errors)."""
    return f"L {' '.join(s.split())}"[:40]


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
        "dataflow": [{"step": 1, "text": f"W1 {s}", "flows": [{"from": "customer", "to": "acs",
                                                                "label": flow_label(s)}]},
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
    return out + flow_labels(m)


def flow_labels(m):
    return [f.label for f in m.flows if f.label]


def tooltip_texts(m):
    return [c.description for c in m.components] + [s.text for s in m.steps] + flow_labels(m)


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


def check_svg_tree(root, docs_prefix="docs/demo.md#step-"):
    """The rules every SVG we publish keeps: no active content, and the only links are
    local fragments, data URIs of embedded icons and the docs page's step anchors."""
    from diagramgen.draw.svg import stylesheet

    shown, tips = [], []
    for el in root.iter():
        local = el.tag.split("}")[-1] if isinstance(el.tag, str) else ""
        if local == "style":  # our own stylesheet, never user text
            assert el.text == stylesheet()
        else:
            assert local not in ACTIVE_TAGS, local
        for name, value in el.attrib.items():
            attr = name.split("}")[-1].lower()
            assert not attr.startswith("on"), (name, value)
            if attr == "href":
                v = value.strip()
                assert (v.startswith("#") or v.startswith(docs_prefix)
                        or (local == "image" and v.startswith("data:image/png;base64,"))), value
        if local == "text":
            shown.append("".join(el.itertext()))
        if local == "title":
            tips.append("".join(el.itertext()))
    return "\n".join(shown), "\n".join(tips)


def check_svg(m, benign):
    """SVG: well-formed XML, no active element, attribute or link, and every text verbatim."""
    svg = render_architecture(m, ("svg",))["demo.svg"]
    text, tip = check_svg_tree(ET.fromstring(svg))  # raises on anything that broke out of XML
    flat = "".join(text.split())  # long labels wrap onto several lines
    for s in visible_texts(m):
        assert "".join(s.split()) in flat, s
    for s in tooltip_texts(m):
        assert s in tip, s
    assert len(svg) < 5 * len(render_architecture(benign, ("svg",))["demo.svg"])


def _html_rules(doc, allowed_scripts: int):
    """No element or attribute from input: only our own scripts, no on* handlers, no
    javascript:/data: links."""
    scripts = doc.findall(".//script")
    assert len(scripts) == allowed_scripts, [x.text[:60] for x in scripts]
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag.lower() not in {"iframe", "object", "embed", "img"} or el.tag.lower() == "img" and \
            (el.get("src") or "").startswith(("data:image/png", "diagrams/", "demo")), el.tag
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (el.tag, name, value)
            if name.lower() in ("href", "src", "action", "formaction"):
                v = value.strip().lower()
                assert not v.startswith(("javascript:", "vbscript:", "data:text")), value


def check_viewer(m, benign):
    """HTML viewer: our two scripts only (svg-pan-zoom and the viewer's own), with no user
    text inside them; no handlers or script links; every text shown verbatim."""
    from lxml import html as lhtml

    page = render_architecture(m, ("svg", "html"))["demo.html"].decode("utf-8")
    clean = render_architecture(benign, ("svg", "html"))["demo.html"].decode("utf-8")
    doc = lhtml.fromstring(page)
    _html_rules(doc, allowed_scripts=len(lhtml.fromstring(clean).findall(".//script")))
    for mine, theirs in zip(doc.findall(".//script"), lhtml.fromstring(clean).findall(".//script")):
        assert mine.text == theirs.text  # scripts do not depend on the input text
    body_text = doc.text_content()
    for s in [m.title] + [st.text for st in m.steps]:
        for line in s.split("\n"):
            assert line in body_text, line


def check_docs_page(m, benign):
    """Generated Markdown, rendered as CommonMark: no raw HTML from input, no script
    links, and every text present as text."""
    from lxml import html as lhtml
    from markdown_it import MarkdownIt

    from diagramgen.docs import pages as docgen

    html = MarkdownIt("commonmark").enable("table").render(docgen.page(m))
    doc = lhtml.fromstring(f"<div>{html}</div>")
    _html_rules(doc, allowed_scripts=0)
    allowed_ids = {f"step-{s.number}" for s in m.steps}
    for a in doc.iter("a"):
        href = a.get("href")
        assert href is None or href.startswith(("#step-", "diagrams/", "index.md", "http")), href
        assert a.get("id") in (None, *allowed_ids)
    text = doc.text_content()
    for s in [m.title, m.scenario, *m.summary, *[st.text for st in m.steps], *[c.label for c in m.components],
              *flow_labels(m)]:
        for line in s.split("\n"):
            assert " ".join(line.split()) in " ".join(text.split()), line


def check_diff_markdown(m, benign):
    """The diff's Markdown for a PR comment: hostile labels and step texts of both sides
    stay text."""
    from lxml import html as lhtml
    from markdown_it import MarkdownIt

    from diagramgen.diff.compare import diff_sets
    from diagramgen.diff.report import render_markdown

    md = render_markdown(diff_sets({"demo.yaml": benign}, {"demo.yaml": m}, "base", "head"))
    html = MarkdownIt("commonmark").enable("table").render(md)
    doc = lhtml.fromstring(f"<div>{html}</div>")
    _html_rules(doc, allowed_scripts=0)
    for a in doc.iter("a"):
        assert (a.get("href") or "").startswith(("#", "http", "output/", "./", "../")) or a.get("href") is None
    text = " ".join(doc.text_content().split())
    for s in [m.title, *[st.text for st in m.steps]]:
        for line in s.split("\n"):
            assert " ".join(line.split()) in text, line
    for label in flow_labels(m) + flow_labels(benign):  # quoted as JSON strings, like changed values
        assert " ".join(json.dumps(label, ensure_ascii=False).split()) in text, label


OUTPUTS = {"dot": check_dot, "svg": check_svg, "viewer": check_viewer, "docs": check_docs_page,
           "diff": check_diff_markdown}


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
    # a description is never drawn, so it is not in the DOT (TOOLTIP_STAND_IN); a plain
    # string attribute (an id) has its quotes escaped and \ x4
    assert "D1" not in dot and 'tooltip="-"' in dot
    assert scene._quote(scene.plain('D1 <script>"]; a -> b [label="\\N')) == '"D1 <script>\\"]; a -> b [label=\\"\\\\\\\\N"'
    # \ doubled in labels (a long label wraps: a line break for a space)
    assert "C1 &lt;script&gt;&quot;]; a -&gt; b [label=&quot;\\\\N" in dot.replace("<BR/>", " ")


@pytest.mark.parametrize("s", HOSTILE + ["", "node", "Strict", "-4.2", ".42", "4.", "a:b", "a b:c d:ne", "<<B>x</B>>",
                               '\\"', '\\\\"', "x\\"], ids=lambda s: repr(s)[:20])
def test_dot_quoting_writes_what_the_graphviz_library_writes(s):
    """build() quotes names and attributes with its own copy of the library's quoting (each
    string's quoted form is remembered); the DOT text must be the library's, also for a
    nohtml() string after the equal plain one was quoted."""
    import warnings

    from graphviz import nohtml, quoting

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the library warns of a final odd backslash
        for value in (s, s, nohtml(s), nohtml(s)):
            assert scene._quote(value) == quoting.quote(value)
        assert scene._quote_edge(s) == quoting.quote_edge(s)
        attrs = {"z": s, "label": nohtml(s), "a": None, s or "e": "x"}
        for label in (None, s, nohtml(s)):
            assert (scene._attr_list(label, kwargs=attrs, attributes=[("k", s), ("n", None)])
                    == quoting.attr_list(label, kwargs=attrs, attributes=[("k", s), ("n", None)]))
        assert scene._attr_list(None, kwargs={}) == quoting.attr_list(None, kwargs={}) == ""


def test_links_with_active_schemes_are_rejected(write):
    p = write("a.yaml", architecture_yaml("x").replace("id: demo\n", "id: demo\ndocs_page: ' JavaScript:alert(1)'\n"))
    model, diags = load_architecture(p, shown="a.yaml")
    assert model is None
    assert [str(d) for d in diags] == [
        "a.yaml:2:12: error: 'docs_page' must be a relative path or an http(s) URL, not a 'javascript:' link [DG216]"]
