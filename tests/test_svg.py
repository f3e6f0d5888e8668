"""The docs-ready SVG, the per-step views and the viewer page, checked by parsing them."""
import base64
import os
import re
import struct
import time
from collections import Counter

import pytest
from click.testing import CliRunner
from lxml import etree, html as lhtml

from diagramgen.cli import main
from diagramgen.draw import svg as svgmod
from diagramgen.draw.render import render_architecture
from diagramgen.model.validate import load_architecture

from conftest import ARCH_DIR

ARCHS = sorted(p.name for p in ARCH_DIR.glob("*.yaml"))
S = "{http://www.w3.org/2000/svg}"
XHREF = "{http://www.w3.org/1999/xlink}href"
MAX_BYTES = 150_000

pytestmark = pytest.mark.dot


def model(name):
    m, ds = load_architecture(ARCH_DIR / name, shown=f"architectures/{name}")
    assert m is not None, ds
    return m


_cache = {}


def rendered(name):
    if name not in _cache:
        m = model(name)
        _cache[name] = (m, render_architecture(m, ("svg", "html")))
    return _cache[name]


def hrefs(root):
    return [(el, el.get(XHREF) or el.get("href")) for el in root.iter() if el.get(XHREF) or el.get("href")]


def png_size(uri):
    data = base64.b64decode(uri.split(",", 1)[1])
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name", ARCHS)
def test_svg_is_self_contained(name):
    m, files = rendered(name)
    data = files[f"{m.id}.svg"]
    assert len(data) < MAX_BYTES, f"{m.id}.svg is {len(data)} bytes"
    assert b"/work/" not in data and b"site-packages" not in data and b"http://" not in data.replace(
        b'"http://www.w3.org/2000/svg"', b"").replace(b'"http://www.w3.org/1999/xlink"', b"")
    root = etree.fromstring(data)
    assert re.fullmatch(r"0 0 [0-9.]+ [0-9.]+", root.get("viewBox"))
    for _el, ref in hrefs(root):
        ok = ref.startswith("#") or ref.startswith("data:image/png;base64,") or re.fullmatch(
            rf"docs/{m.id}\.md#step-(\d+|[a-z0-9_]+-[a-z]+)", ref)
        assert ok, ref
    images = list(root.iter(f"{S}image"))
    assert images and all((im.get(XHREF) or "").startswith("data:image/png;base64,") for im in images)
    uris = Counter(im.get(XHREF) for im in images)
    assert max(uris.values()) == 1  # each distinct icon embedded once
    assert all(im.getparent().tag == f"{S}symbol" for im in images)
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    symbols = {s.get("id") for s in root.iter(f"{S}symbol")}
    uses = list(root.iter(f"{S}use"))
    assert {u.get(XHREF)[1:] for u in uses} == symbols
    # at most twice the displayed size in CSS pixels (the root is sized at 4/3 px per unit)
    for sym in root.iter(f"{S}symbol"):
        shown = max(float(u.get("width")) for u in uses if u.get(XHREF) == "#" + sym.get("id"))
        w, h = png_size(sym.find(f"{S}image").get(XHREF))
        assert max(w, h) <= 2 * shown * 96 / 72 + 1, sym.get("id")


@pytest.mark.parametrize("name", ARCHS)
def test_svg_components_and_edges_have_titles_ids_and_links(name):
    m, files = rendered(name)
    root = etree.fromstring(files[f"{m.id}.svg"])
    by_id = {el.get("id"): el for el in root.iter() if el.get("id")}
    for c in m.components:
        g = by_id[f"component-{c.id}"]
        title = g.find(f"{S}title").text
        assert title.splitlines()[:3] == [c.label, f"kind: {c.kind}", f"provenance: {c.provenance}"]
        if c.description:
            assert c.description in title
    edges = [g for g in root.iter(f"{S}g") if "edge" in (g.get("class") or "").split()]
    assert edges
    anchors = {s.anchor: s for s in m.steps}
    # a labelled flow's own edge also names its label
    labels = {f"{s.anchor}-{f.key}": f"\nLabel: {f.label}" for s in m.steps for f in s.flows if f.label}
    for g in edges:
        [key] = [c for c in g.get("class").split() if c in anchors]
        step = anchors[key]
        assert g.get("id").startswith(f"{key}-")
        assert g.find(f"{S}title").text == f"Step {step.badge}: {step.text}" + labels.get(g.get("id"), "")
        assert g.find(f"{S}a").get(XHREF) == f"docs/{m.id}.md#{key}"
    edge_ids = {g.get("id") for g in edges}
    for s in m.steps:
        for f in s.flows:
            assert f"{s.anchor}-{f.key}" in edge_ids
    assert root.find(f"{S}g/{S}title").text == m.title


def test_svg_has_dark_mode_and_focus_styles():
    m, files = rendered("premium.yaml")
    style = etree.fromstring(files["premium.svg"]).find(f"{S}style").text
    assert "@media (prefers-color-scheme:dark)" in style
    assert '[fill="#1f2a37"]{fill:#e6edf3}' in style  # ink turns light on dark
    assert "svg.focus g.node:not(.highlight)" in style


def test_step_view_is_one_file_whose_fragment_emphasises_a_step():
    m = model("enterprise.yaml")
    files = render_architecture(m, ("svg", "png"), steps=("svg", "png"))
    names = sorted(k for k in files if k.startswith("steps/"))
    assert names == sorted(["steps/enterprise.svg"] + [f"steps/enterprise-step-{s.number}.png" for s in m.steps])
    root = etree.fromstring(files["steps/enterprise.svg"])
    graph = root.find(f"{S}g[@class='graph']")
    markers = [g for g in root if g.tag == f"{S}g" and g.get("class") == "view"]
    # one empty target per step, before the graph, so that #step-N:target ~ g matches
    assert [g.get("id") for g in markers] == [f"step-{s.number}" for s in m.steps]
    assert all(len(g) == 0 and root.index(g) < root.index(graph) for g in markers)
    style = root.find(f"{S}style").text
    assert f".view:target~g g.node,.view:target~g g.edge{{opacity:{svgmod.DIM_OPACITY}}}" in style
    assert "#step-3:target~g g.step-3," in style and "#step-3:target~g g.step-3.edge path," in style
    # the page itself is unchanged: no element dimmed or highlighted without a fragment
    page = etree.fromstring(files["enterprise.svg"])
    assert [g.get("id") for g in graph.iter(f"{S}g")] == [g.get("id") for g in page.find(f"{S}g").iter(f"{S}g")]
    assert not [g for g in graph.iter(f"{S}g") if g.get("opacity") or "highlight" in (g.get("class") or "")]
    links = {ref for _, ref in hrefs(root) if not ref.startswith(("#", "data:"))}
    assert links == {f"../docs/enterprise.md#step-{s.number}" for s in m.steps}
    assert files["steps/enterprise-step-3.png"][:8] == b"\x89PNG\r\n\x1a\n"


def test_step_png_sources_carry_the_emphasis_as_attributes():
    m = model("enterprise.yaml")
    page = render_architecture(m, ("svg",))["enterprise.svg"]
    root = etree.fromstring(svgmod.step_views(page, m, "docs/enterprise.md", "../docs/enterprise.md")["3"])
    assert "focus" in root.get("class")
    for g in root.iter(f"{S}g"):
        cls = (g.get("class") or "").split()
        if "edge" in cls or "node" in cls:
            if "step-3" in cls:
                assert "highlight" in cls and g.get("opacity") is None
            else:
                assert g.get("opacity") == svgmod.DIM_OPACITY, g.get("id")


def test_cli_render_steps_writes_every_step(tmp_path):
    result = CliRunner().invoke(main, ["render", str(ARCH_DIR / "enterprise.yaml"), "--out", str(tmp_path),
                                       "--format", "svg", "--steps"])
    assert result.exit_code == 0, result.output
    m = model("enterprise.yaml")
    assert sorted(p.name for p in (tmp_path / "steps").iterdir()) == ["enterprise.svg"]
    view = (tmp_path / "steps" / "enterprise.svg").read_bytes()
    assert all(f'<g id="step-{s.number}" class="view"/>'.encode() in view for s in m.steps)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enterprise.svg", "manifest.json", "steps"]


@pytest.mark.parametrize("name", ARCHS)
def test_viewer_is_self_contained(name):
    m, files = rendered(name)
    page = files[f"{m.id}.html"].decode("utf-8")
    doc = lhtml.fromstring(page)
    scripts = doc.findall(".//script")
    assert len(scripts) == 2 and all(s.get("src") is None for s in scripts)
    assert "svgPanZoom" in scripts[0].text
    assert not doc.xpath("//link[@href] | //*[@src and not(starts-with(@src, 'data:'))]")
    for a in doc.iter("a"):
        href = a.get("href") or a.get("xlink:href")
        assert not re.match(r"[a-z]+:", href) and not href.startswith("/"), href
    assert [li.get("data-step") for li in doc.xpath("//ol[@id='steps']/li[@data-step]")] == [s.key for s in m.steps]
    assert "Content-Security-Policy" in page


EVIL = """\
id: evil
title: "Demo </title><script>alert(1)</script>"
scenario: I want a demo.
products: [Demo product]
assumptions: {azure_foundation: false}
areas:
  - {id: customers, label: "Customers <img src=x onerror=alert(2)>"}
  - {id: telephony, label: Telephony}
components:
  - {id: customer, kind: customer, label: "A & B \\"quoted\\" <b>"}
  - {id: acs, kind: communication_services, description: "</script><script>alert(3)</script>"}
dataflow:
  - step: 1
    text: "Customers call. </li></ol><script>alert(4)</script> ' \\" `${x}`"
    flows:
      - {from: customer, to: acs}
"""


def test_viewer_and_svg_escape_yaml_text(write):
    path = write("evil.yaml", EVIL)
    m, ds = load_architecture(path, shown="evil.yaml")
    assert m is not None, ds
    files = render_architecture(m, ("svg", "html"))
    page = files["evil.html"].decode("utf-8")
    doc = lhtml.fromstring(page)
    assert len(doc.findall(".//script")) == 2
    assert not doc.xpath("//img | //b | //*[@onerror]")
    assert doc.findtext(".//title") == m.title
    assert doc.xpath("//ol[@id='steps']/li//span[@class='text']")[0].text == m.steps[0].text
    root = etree.fromstring(files["evil.svg"])
    assert not list(root.iter(f"{S}script"))
    comp = next(g for g in root.iter(f"{S}g") if g.get("id") == "component-customer")
    assert comp.find(f"{S}title").text.startswith('A & B "quoted" <b>')


def test_encoded_icons_come_from_the_disk_cache_with_the_same_bytes(tmp_path, monkeypatch):
    from diagramgen.model.catalog import ICON_DIR

    icon = sorted(ICON_DIR.glob("*.png"))[0]
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    svgmod.forget_icons()
    uncached = svgmod.icon_data_uri(icon, 77)
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path))
    svgmod.forget_icons()
    assert svgmod.icon_data_uri(icon, 77) == uncached  # encoded, then stored
    stored = list((tmp_path / "icons").iterdir())
    assert len(stored) == 1 and base64.b64encode(stored[0].read_bytes()).decode() == uncached.split(",", 1)[1]
    stored[0].write_bytes(svgmod.PNG_SIGNATURE + b"cached")  # what the cache holds is what is used
    svgmod.forget_icons()
    assert svgmod.icon_data_uri(icon, 77) == "data:image/png;base64," + base64.b64encode(
        svgmod.PNG_SIGNATURE + b"cached").decode()
    stored[0].write_bytes(b"<svg/>")  # anything but a PNG is ignored and encoded again
    svgmod.forget_icons()
    assert svgmod.icon_data_uri(icon, 77) == uncached
    svgmod.forget_icons()


@pytest.mark.parametrize("name", ARCHS)
def test_every_colour_has_a_dark_counterpart(name):
    """Each fill and stroke of the SVG is re-coloured in dark mode (a fill left light would
    keep light text on it once the ink turns light)."""
    m, files = rendered(name)
    root = etree.fromstring(files[f"{m.id}.svg"])
    fills = {el.get("fill").lower() for el in root.iter() if el.get("fill") not in (None, "none", "transparent")}
    strokes = {el.get("stroke").lower() for el in root.iter()
               if el.get("stroke") not in (None, "none", "transparent")}
    assert fills and fills - set(svgmod.DARK_FILLS) == set()
    assert strokes and strokes - set(svgmod.DARK_STROKES) == set()
    style = root.find(f"{S}style").text
    for light in fills:
        assert f'[fill="{light}"]{{fill:{svgmod.DARK_FILLS[light]}}}' in style


def test_scene_band_tints_have_dark_counterparts():
    from diagramgen.draw.theme import BAND_TINT, PROVENANCE_STYLE

    used = {c.lower() for c in BAND_TINT.values()} | {fill.lower() for fill, _ in PROVENANCE_STYLE.values()}
    assert used - set(svgmod.DARK_FILLS) == set()


def test_rasterised_svg_icons_come_from_the_disk_cache_with_the_same_bytes(tmp_path, monkeypatch):
    """A run that meets an SVG icon rasterised before reads the PNG from the cache and
    does not draw it again; an SVG that cannot be drawn is never stored."""
    from diagramgen.model import iconfiles

    data = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 10">'
            b'<rect width="20" height="10" fill="#2f6db5"/></svg>')
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path))
    iconfiles._rasterise.cache_clear()
    png = iconfiles._rasterise(data)
    assert png[:8] == svgmod.PNG_SIGNATURE and struct.unpack(">II", png[16:24])[0] == iconfiles.RASTER_PX
    assert [p.read_bytes() for p in (tmp_path / "svg-icons").iterdir()] == [png]

    def no_drawing(_):
        raise AssertionError("drawn again")

    monkeypatch.setattr(iconfiles, "_draw", no_drawing)
    iconfiles._rasterise.cache_clear()
    assert iconfiles._rasterise(data) == png  # from the disk
    assert iconfiles.check_svg(b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="x"/></svg>') \
        == "cannot be drawn (drawn again)"
    assert len(list((tmp_path / "svg-icons").iterdir())) == 1
    iconfiles._rasterise.cache_clear()


def test_an_icon_file_that_stats_as_it_did_long_after_its_last_change_is_not_read_again(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    svgmod.forget_icons()
    icon = tmp_path / "robot.png"
    Image.new("RGB", (100, 100), "red").save(icon)
    encoded = []
    real = svgmod._data_uri
    monkeypatch.setattr(svgmod, "_data_uri", lambda data, px: encoded.append(px) or real(data, px))
    first = svgmod.icon_data_uri(icon, 77)
    assert svgmod.icon_data_uri(icon, 77) == first and encoded == [77, 77]  # just written: read each time
    old = time.time() - 60
    os.utime(icon, (old, old))  # its modification time a minute ago (its status change is now)
    svgmod.icon_data_uri(icon, 77)
    assert len(encoded) == 3  # the status change too recent to tell a later one
    monkeypatch.setattr(svgmod, "_SETTLED_NS", -120 * 10**9)  # as if both times were long past
    svgmod.icon_data_uri(icon, 77)
    assert svgmod.icon_data_uri(icon, 77) == first and svgmod.icon_data_uri(icon, 60) != first
    assert encoded == [77, 77, 77, 77, 60]  # read once more, then taken as it is; another size is its own
    Image.new("RGB", (100, 100), "blue").save(icon)
    assert svgmod.icon_data_uri(icon, 77) != first and encoded[-1] == 77 and len(encoded) == 6
    monkeypatch.undo()
    svgmod.forget_icons()


def test_an_icon_replaced_under_the_same_name_is_encoded_anew_in_the_same_process(tmp_path, monkeypatch):
    # `watch` draws again in the process that drew the old icon
    from PIL import Image

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    icon = tmp_path / "robot.png"
    Image.new("RGB", (32, 32), "red").save(icon)
    red = svgmod.icon_data_uri(icon, 77)
    Image.new("RGB", (32, 32), "blue").save(icon)  # the same size of file, another picture
    blue = svgmod.icon_data_uri(icon, 77)
    assert blue != red
    svgmod.forget_icons()
    assert svgmod.icon_data_uri(icon, 77) == blue


def _nested_realistic(tmp_path):
    """A seeded architecture shaped like the real ones (bench/realistic.py), with areas
    inside areas."""
    from conftest import realistic

    path = tmp_path / "nested.yaml"
    path.write_text(realistic(100, 2), encoding="utf-8")
    m, ds = load_architecture(path)
    assert m is not None, ds
    assert any(a.parent for a in m.areas)
    return m


@pytest.mark.parametrize("which", ["premium.yaml", "nested"])
def test_the_areas_order_does_not_follow_graphvizs(which, tmp_path):
    """Graphviz writes a graph's clusters in the order of their names' addresses in its
    memory: the docs-ready SVG lists the areas in the model's order (each after the area
    it is in) whatever the order dot wrote them in."""
    from diagramgen.draw.render import _source, run_dot

    m = model(which) if which.endswith(".yaml") else _nested_realistic(tmp_path)
    raw = run_dot(_source(m), ["svg"])["svg"]
    root = etree.fromstring(raw)
    graph = root.find(f"{S}g")
    clusters = [g for g in graph if g.tag == f"{S}g" and "cluster" in (g.get("class") or "")]
    assert len(clusters) >= 4
    slots = sorted(list(graph).index(g) for g in clusters)
    for g in clusters:
        graph.remove(g)
    for slot, g in zip(slots, reversed(clusters)):  # the other way round
        graph.insert(slot, g)
    shuffled = etree.tostring(root)
    assert shuffled != raw
    out = svgmod.self_contained(raw, m)
    assert svgmod.self_contained(shuffled, m) == out
    written = [g.get("id")[len("area-"):] for g in etree.fromstring(out).iter(f"{S}g")
               if "cluster" in (g.get("class") or "")]
    expected, stack = [], [a.id for a in reversed(m.areas) if a.parent is None]
    while stack:
        aid = stack.pop()
        expected.append(aid)
        stack += [c.id for c in reversed(m.children(aid))]
    assert written == [a for a in expected if a in written]
    assert len(written) == len(clusters)
