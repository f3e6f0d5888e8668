"""Stage 5: turn Graphviz's SVG into a self-contained, docs-ready SVG.

Graphviz links every icon by absolute file path, titles nodes with their internal
names, and (with a dpi other than 72) writes a viewBox that does not match its own
scale transform. This module parses dot's SVG with lxml and returns a new document:

- every distinct icon is embedded once, as a PNG data URI inside a ``<symbol>`` in
  ``<defs>``, downscaled to at most twice its displayed size; each use of it is a
  ``<use>``; no file path or network address remains;
- the root has a ``viewBox`` in CSS pixels and matching ``width``/``height``, so the
  file scales to its container (``max-width: 100%``) and keeps its aspect ratio;
- each component carries a ``<title>`` (label, kind, provenance, description) and the
  classes ``component step-N`` for every step it takes part in;
- each flow edge and step badge carries a ``<title>`` with the step text (and, on the
  edge that draws a flow's label, that label), a stable ``step-N-…`` id, the class
  ``step-N``, and a link to the step's anchor in the docs page (``docs/<id>.md#step-N``
  relative to the SVG by default);
- a ``<style>`` follows ``prefers-color-scheme: dark`` and defines the ``focus`` /
  ``highlight`` classes that the viewer and the per-step views use to emphasise a step.

Text stays text. The output is deterministic: the same input gives the same bytes.
"""
from __future__ import annotations

import base64
import collections
import copy
import functools
import hashlib
import io
import math
import os
import re
import struct
import time
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urlparse

from lxml import etree

from diagramgen.cache import PNG_SIGNATURE, SETTLED_NS as _SETTLED_NS, cache_dir, cached_png, pillow_version
from diagramgen.diagnostics import Failure
from diagramgen.draw.columns import remember_areas
from diagramgen.draw.theme import (
    DARK_FILLS,
    DARK_STROKES,
    DIM_OPACITY,
    HIGHLIGHT,
    HIGHLIGHT_DARK,
    component_tooltip,
)
from diagramgen.ids import AREA_PREFIX, COMPONENT_PREFIX, step_anchor
from diagramgen.model import Architecture

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XLINK_HREF = f"{{{XLINK_NS}}}href"
PX_PER_PT = 96 / 72  # CSS pixels per point: the width/height written on the root
ICON_OVERSAMPLE = 2  # embedded icon pixels per displayed CSS pixel, at most


class SvgError(Failure):
    pass


def q(tag: str) -> str:
    return f"{{{SVG_NS}}}{tag}"


def stylesheet() -> str:
    def rules(attr: str, table: dict) -> str:
        return "".join(f'[{attr}="{light}"]{{{attr}:{dark}}}' for light, dark in table.items())

    # the badge numbers are white text on a dark circle in both schemes
    dark = (rules("fill", DARK_FILLS) + rules("stroke", DARK_STROKES)
            + "g.step text{fill:white}"
            + f"g.edge.highlight path,g.edge.highlight polygon{{stroke:{HIGHLIGHT_DARK}}}"
            + f"g.edge.highlight polygon{{fill:{HIGHLIGHT_DARK}}}"
            + f"a:focus-visible :is(path,polygon,ellipse){{stroke:{HIGHLIGHT_DARK}}}")
    return (
        "svg{max-width:100%;height:auto}"
        "g.node,g.edge{transition:opacity .15s}"
        f"svg.focus g.node:not(.highlight),svg.focus g.edge:not(.highlight){{opacity:{DIM_OPACITY}}}"
        f"g.edge.highlight path{{stroke:{HIGHLIGHT};stroke-width:2.6}}"
        f"g.edge.highlight polygon{{stroke:{HIGHLIGHT};fill:{HIGHLIGHT}}}"
        f"g.step.highlight ellipse{{fill:{HIGHLIGHT};stroke:{HIGHLIGHT}}}"
        # a focused step link (Tab) is drawn thick in the highlight colour: the outline
        # around an edge only a few pixels high is hard to see
        f"a:focus-visible :is(path,polygon,ellipse){{stroke:{HIGHLIGHT};stroke-width:4}}"
        f"@media (prefers-color-scheme:dark){{{dark}}}"
    )


def _num(value: str) -> float:
    m = re.match(r"\s*([0-9.]+)", value or "")
    if not m:
        raise SvgError(f"unexpected SVG length '{value}'")
    return float(m.group(1))


def _fmt(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _own_icons(arch: Architecture) -> dict:
    """``{path as text: path}`` of the icon files the components of ``arch`` are drawn
    with: the files scene.icon_sizes lists (icon_path of each spec that names one), each
    spec resolved once."""
    from diagramgen.model.iconfiles import IconError, icon_path

    known = {}
    for spec in dict.fromkeys(c.icon for c in arch.components):
        try:
            path = icon_path(spec)
        except IconError:
            continue
        known[str(path)] = path
    return known


def _icon_file(href: str, known: dict) -> Path:
    """The icon file an ``<image>`` of Graphviz's SVG shows. Only the architecture's own
    icons (``known``: _own_icons) are ever read: the href is matched against their
    paths, never opened as it stands."""
    if href in known:
        return known[href]
    parsed = urlparse(href)
    if parsed.scheme == "file" and unquote(parsed.path) in known:
        return known[unquote(parsed.path)]
    raise SvgError(f"icon '{href}' is not one of the architecture's icons")


def icon_max_px(drawn: float) -> int:
    """Pixels to embed for an icon drawn ``drawn`` points wide: twice its CSS pixels."""
    return math.ceil(drawn * PX_PER_PT * ICON_OVERSAMPLE)


def prepare_icons(sizes) -> None:
    """Encode icons ahead of use (``(path, drawn size in points)`` pairs, see
    scene.icon_sizes); the results are cached, so self_contained() finds them ready."""
    for path, drawn in sorted(sizes, key=lambda x: (str(x[0]), x[1])):
        try:
            icon_data_uri(Path(path), icon_max_px(drawn))
        except (OSError, ValueError):
            pass  # self_contained() reports a bad icon where it meets it


ICON_ENCODING = "lanczos-fastoctree256-optimize-1"  # changes when the encoding below does

def icon_data_uri(path: Path, max_px: int) -> str:
    """The icon as an optimised PNG data URI, no larger than ``max_px`` on its long side.

    Encoded icons are kept in a content-addressed disk cache (cache_dir(); the key is the
    icon's bytes, ``max_px``, the encoding and Pillow's version), so a run that meets an
    icon encoded before reads the result instead of resizing and compressing again.
    The bytes are the same either way. In one process (`watch`, `make`'s), an icon
    replaced under the same name is encoded anew: the file is read again unless it
    stats as it did when it was read last and its last change was, then, longer ago than
    file times can tell apart (_SETTLED_NS), as git's index and the file hashes of
    publish/filehashes.py take a file to be unchanged."""
    where = os.fspath(path)
    st = os.stat(where)
    seen = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    hit = _uris.get((where, max_px))
    if hit is not None and hit[0] == seen:
        return hit[1]
    taken = time.time_ns()
    with open(where, "rb") as fh:
        st = os.fstat(fh.fileno())
        data = fh.read()
    uri = _data_uri(data, max_px)
    if max(st.st_mtime_ns, st.st_ctime_ns) + _SETTLED_NS < taken:
        if len(_uris) >= 512:
            _uris.clear()
        _uris[(where, max_px)] = ((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev), uri)
    return uri


_uris: dict = {}  # {(path, max_px): (the file's stat as read, its data URI)}: icon_data_uri's memory


def forget_icons() -> None:
    """Forget the icons encoded in this process (icon_data_uri): the next use reads the
    files, and the disk cache, again."""
    _uris.clear()
    _data_uri.cache_clear()


@functools.lru_cache(maxsize=256)
def _data_uri(data: bytes, max_px: int) -> str:
    """icon_data_uri of an icon file's bytes, once per process."""
    key = hashlib.sha256(b"\0".join([data, str(max_px).encode(), ICON_ENCODING.encode(),
                                      pillow_version().encode()])).hexdigest()
    where = cache_dir()
    png = cached_png(where / "icons" / f"{key}.png" if where else None, lambda: _encode_icon(data, max_px))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _encode_icon(data: bytes, max_px: int) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.load()
        im = im.convert("RGBA")
    if max(im.size) > max_px:
        scale = max_px / max(im.size)
        size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
        im = im.resize(size, Image.Resampling.LANCZOS)
    # A 256-colour palette (with alpha) keeps flat icons visually unchanged at about
    # half the bytes; FASTOCTREE is deterministic.
    im = im.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


@functools.lru_cache(maxsize=256)
def _image_size(path: Path) -> tuple:
    with open(path, "rb") as fh:
        head = fh.read(24)
    if head.startswith(PNG_SIGNATURE) and head[12:16] == b"IHDR":  # width, height: the PNG header
        return struct.unpack(">II", head[16:24])
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def _unwrap(el) -> None:
    """Replace an element by its children (keeping their order and tails)."""
    parent = el.getparent()
    idx = parent.index(el)
    for i, child in enumerate(list(el)):
        parent.insert(idx + i, child)
    parent.remove(el)


def _set_title(g, text: str) -> None:
    title = g.find(q("title"))
    if title is None:
        title = etree.Element(q("title"))
        g.insert(0, title)
    for child in list(title):
        title.remove(child)
    title.text = text


def _classes(el) -> list:
    return (el.get("class") or "").split()


def _add_class(el, *names: str) -> None:
    have = _classes(el)
    el.set("class", " ".join(have + [n for n in names if n not in have]))


def component_title(c) -> str:
    return "\n".join(component_tooltip(c))


def step_title(step, style=None) -> str:
    from diagramgen.draw.scene import step_tooltip

    return step_tooltip(step, style)


def flow_labels(arch: Architecture, style=None) -> dict:
    """``{edge id: label}`` for the edges that draw a labelled flow's label (scene.flow_label
    puts it on the edge named after the flow, ``step-N-<from>-<to>``), as ``style`` (an
    overlay's scene.Style) shows it."""
    shown = style.flow_labels if style is not None else {}
    out = {}
    for s in arch.steps:
        for f in s.flows:
            label = shown.get((s.key, f.src, f.dst), f.label)
            if label:
                out[f"{s.anchor}-{f.key}"] = label
    return out


def self_contained(svg: bytes, arch: Architecture, docs_href: Optional[str] = None, style=None) -> bytes:
    """Return the docs-ready SVG for ``arch`` from dot's SVG output.

    ``docs_href`` is the link (relative to where the SVG is published) of the docs
    page; step links append ``#step-N`` (None: the steps link nowhere). ``style`` is the
    scene.Style the DOT was built with, if any (the overlay of a diff: its titles say
    how steps moved). The per-step views are made from this result by step_views().
    """
    root = _parse(svg)
    graph = root.find(q("g"))
    if graph is None or "graph" not in _classes(graph):
        raise SvgError("Graphviz SVG has no graph group")
    _areas_in_model_order(graph, arch)
    _fit_to_container(root, graph, arch)
    _set_title(graph, arch.title)
    graph.find(q("title")).set("id", f"{arch.id}-title")
    _title_areas(graph, arch)
    _plain_band_components(graph, arch)
    _unwrap_tooltips(graph)
    _mark_parts(graph, arch, docs_href, style)
    defs = _embed_icons(root, arch)
    style_el = etree.Element(q("style"))
    style_el.text = stylesheet()
    root.insert(0, style_el)
    root.insert(1, defs)
    out = _finish(root, docs_href)
    remember_areas(out, root)
    return out


def _areas_in_model_order(graph, arch: Architecture) -> None:
    """The areas' groups in the order of the model's areas, each after the area it is in.
    Graphviz writes the clusters of a graph in the order of the addresses of their names
    in its memory, which follows what the process allocated before it read the graph
    (a Graphviz process of its own and a copy made by graphvizserver.py differ there);
    what is drawn does not depend on it, as areas side by side do not overlap."""
    rank: dict = {}
    stack = [a.id for a in reversed(arch.areas) if a.parent is None]
    while stack:  # depth first, in the model's order
        aid = stack.pop()
        rank[AREA_PREFIX + aid] = len(rank)
        stack += [c.id for c in reversed(arch.children(aid))]
    placed = [(i, el) for i, el in enumerate(graph)
              if el.tag == q("g") and el.get("id") in rank and "cluster" in _classes(el)]
    if len(placed) < 2:
        return
    slots, areas = [i for i, _ in placed], [el for _, el in placed]
    tails = [el.tail for el in areas]  # the text after each place stays with the place
    for el in areas:
        graph.remove(el)
    for slot, tail, el in zip(slots, tails, sorted(areas, key=lambda el: rank[el.get("id")])):
        el.tail = tail
        graph.insert(slot, el)


def _parse(svg: bytes):
    parser = etree.XMLParser(remove_comments=True, resolve_entities=False, no_network=True,
                             load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(svg, parser)
    except etree.XMLSyntaxError as exc:
        raise SvgError(f"Graphviz wrote SVG that does not parse: {exc}") from None


def _fit_to_container(root, graph, arch: Architecture) -> None:
    """dot scales its drawing by dpi/72 but leaves the viewBox in points. Drop the scale,
    keep the viewBox in points and size the root in CSS pixels."""
    try:
        vb = [float(v) for v in (root.get("viewBox") or "").split()]
    except ValueError:
        vb = []
    if len(vb) != 4 or not all(math.isfinite(v) and v >= 0 for v in vb):
        raise SvgError(f"Graphviz wrote SVG without a usable viewBox ({root.get('viewBox')!r})")
    transform = graph.get("transform", "")
    graph.set("transform", re.sub(r"scale\([^)]*\)\s*", "", transform).strip())
    width, height = vb[2], vb[3]
    root.set("viewBox", f"0 0 {_fmt(width)} {_fmt(height)}")
    root.set("width", _fmt(width * PX_PER_PT))
    root.set("height", _fmt(height * PX_PER_PT))
    root.set("preserveAspectRatio", "xMidYMid meet")
    root.set("role", "img")
    root.set("aria-labelledby", f"{arch.id}-title")


def _title_areas(graph, arch: Architecture) -> None:
    """Areas: a title with the display label (other clusters: the diagram's title)."""
    area_ids = {a.id for a in arch.areas}
    for g in graph.iter(q("g")):
        gid = g.get("id") or ""
        if "cluster" in _classes(g):
            if gid.startswith(AREA_PREFIX) and gid[len(AREA_PREFIX):] in area_ids:
                _set_title(g, arch.area(gid[len(AREA_PREFIX):]).label)
            else:
                _set_title(g, arch.title)


def _plain_band_components(graph, arch: Architecture) -> None:
    """Band components (cells of an HTML table): dot wraps them in <g id="a_component-x">
    with a self link only so that the tooltip is kept; make them real component groups."""
    comps = {c.id for c in arch.components}
    existing = {el.get("id") for el in graph.iter(q("g"))}
    for g in list(graph.iter(q("g"))):
        gid = g.get("id") or ""
        if gid.startswith("a_component-") and gid[len("a_component-"):] in comps and gid[2:] not in existing:
            g.set("id", gid[2:])
            g.set("class", "node")
            a = g.find(q("a"))
            if a is not None:
                _unwrap(a)


def _unwrap_tooltips(graph) -> None:
    """Tooltip-only <a> wrappers become plain content (the <title> carries the text)."""
    for a in list(graph.iter(q("a"))):
        if a.get(XLINK_HREF) is None:
            wrapper = a.getparent()
            _unwrap(a)
            if wrapper.tag == q("g") and (wrapper.get("id") or "").startswith("a_") and set(wrapper.attrib.keys()) == {"id"}:
                _unwrap(wrapper)


def _mark_parts(graph, arch: Architecture, docs_href: Optional[str], style) -> None:
    """Components, circles and flow edges: titles, classes, and links to the steps."""
    steps = {s.anchor: s for s in arch.steps}
    labels = flow_labels(arch, style)
    comps = {c.id: c for c in arch.components}
    steps_of: dict = {c: [] for c in comps}
    for s in arch.steps:
        for cid in dict.fromkeys([x for f in s.flows for x in (f.src, f.dst)] + list(s.subject)):
            steps_of[cid].append(s.anchor)
    for g in list(graph.iter(q("g"))):
        gid = g.get("id") or ""
        cls = _classes(g)
        if gid.startswith(COMPONENT_PREFIX) and gid[len(COMPONENT_PREFIX):] in comps:
            c = comps[gid[len(COMPONENT_PREFIX):]]
            _set_title(g, component_title(c))
            _add_class(g, "component", *steps_of[c.id])
        elif ("edge" in cls and "flow" in cls) or ("node" in cls and "step" in cls):
            keys = [x for x in cls if x in steps]
            if len(keys) != 1:
                raise SvgError(f"element '{gid}' has no step class")
            step = steps[keys[0]]
            if "edge" in cls and not gid.startswith(f"{step.anchor}-"):
                raise SvgError(f"flow edge '{gid}' has no stable step id")
            _set_title(g, step_title(step, style) + (f"\nLabel: {labels[gid]}" if gid in labels else ""))
            if docs_href is not None:
                link = etree.Element(q("a"))
                link.set(XLINK_HREF, f"{docs_href}#{step.anchor}")
                title = g.find(q("title"))
                for child in list(g):
                    if child is not title:
                        link.append(child)
                g.append(link)


def _embed_icons(root, arch: Architecture):
    """Icons: one <symbol> per distinct file (in the returned <defs>), a <use> per
    occurrence; only the architecture's own icons are read."""
    images = list(root.iter(q("image")))
    known = _own_icons(arch)
    files = [_icon_file(im.get(XLINK_HREF) or im.get("href") or "", known) for im in images]
    shown: dict = {}  # path -> largest displayed size (viewBox units = points)
    for im, path in zip(images, files):
        shown[path] = max(shown.get(path, 0.0), _num(im.get("width")), _num(im.get("height")))
    symbol_ids: dict = {}
    defs = etree.Element(q("defs"))
    for path in sorted(shown, key=lambda p: (p.stem, str(p))):
        base = "icon-" + re.sub(r"[^a-z0-9-]+", "-", path.stem.lower()).strip("-")
        sid, n = base, 2
        while sid in symbol_ids.values():
            sid, n = f"{base}-{n}", n + 1
        symbol_ids[path] = sid
        w, h = _image_size(path)
        sym = etree.SubElement(defs, q("symbol"), id=sid, viewBox=f"0 0 {w} {h}")
        sym.set("preserveAspectRatio", "xMidYMid meet")
        img = etree.SubElement(sym, q("image"), width=str(w), height=str(h))
        img.set(XLINK_HREF, icon_data_uri(path, icon_max_px(shown[path])))
    for im, path in zip(images, files):
        use = etree.Element(q("use"))
        use.set(XLINK_HREF, f"#{symbol_ids[path]}")
        for attr in ("x", "y"):
            use.set(attr, im.get(attr, "0"))
        use.set("width", _fmt(_num(im.get("width"))))
        use.set("height", _fmt(_num(im.get("height"))))
        use.tail = im.tail
        im.getparent().replace(im, use)
    return defs


def _step_rules(anchors, colour: str, circles: bool = True) -> str:
    """CSS that emphasises a step while the document's fragment is its anchor
    (``#step-3``, ``#step-integration-a``): its flows in ``colour``, and with ``circles``
    its numbered circles too (the dark scheme keeps them in the light scheme's darker
    colour, under their white numbers, as the stylesheet does)."""
    def sel(tail: str) -> str:
        return ",".join(f"#{a}:target~g g.{a}{tail}" for a in anchors)

    return (f"{sel('')}{{opacity:1}}"
            f"{sel('.edge path')}{{stroke:{colour};stroke-width:2.6}}"
            f"{sel('.edge polygon')}{{stroke:{colour};fill:{colour}}}"
            + (f"{sel('.step ellipse')}{{fill:{colour};stroke:{colour}}}" if circles else ""))


def steps_view(page_svg: bytes, arch: Architecture, page_href: str, docs_href: str) -> bytes:
    """One SVG for every step: ``steps/<id>.svg#<anchor>`` (Step.anchor: ``#step-3``,
    ``#step-integration-a``) shows the diagram with that step emphasised and the rest
    dimmed (CSS ``:target``), the plain diagram without a fragment. Made from the
    processed page SVG (whose docs links start with ``page_href``; this view links to
    ``docs_href`` instead), so its size is the page's plus a few rules per step, however
    many steps there are."""
    root = _relinked(page_svg, page_href, docs_href, huge_tree=True)
    anchors = [s.anchor for s in arch.steps]
    graph = root.find(q("g"))
    at = root.index(graph)
    for i, a in enumerate(anchors):  # empty targets, before the graph for the ~ combinator
        marker = etree.Element(q("g"), id=a)
        marker.set("class", "view")
        root.insert(at + i, marker)
    style = root.find(q("style"))
    style.text = (style.text or "") + (
        f".view:target~g g.node,.view:target~g g.edge{{opacity:{DIM_OPACITY}}}"
        + _step_rules(anchors, HIGHLIGHT)
        + f"@media (prefers-color-scheme:dark){{{_step_rules(anchors, HIGHLIGHT_DARK, circles=False)}}}")
    return _finish(root, docs_href)


def step_views(page_svg: bytes, arch: Architecture, page_href: str, docs_href: str) -> dict:
    """``{step key: SVG bytes}`` (Step.key: "3", "integration-a"): one view per step, that
    step emphasised and the rest dimmed, made from the already processed page SVG (whose
    docs links start with ``page_href``; the views link to ``docs_href`` instead). Each
    view is a full copy, with the emphasis also written as attributes for renderers
    without CSS: this is what the step PNGs are rasterised from (steps_view() is the
    one-file SVG view)."""
    base = _relinked(page_svg, page_href, docs_href)
    return {s.key: _finish(_focus(copy.deepcopy(base), arch, s.key), docs_href) for s in arch.steps}


def _relinked(page_svg: bytes, page_href: str, docs_href: str, huge_tree: bool = False):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=huge_tree)
    root = etree.fromstring(page_svg, parser)
    for el in root.iter(q("a")):
        ref = el.get(XLINK_HREF)
        if ref and ref.startswith(page_href + "#"):
            el.set(XLINK_HREF, docs_href + ref[len(page_href):])
    return root


def relink(page_svg: bytes, page_href: str, docs_href: str) -> bytes:
    """The processed SVG with its step links (``page_href#step-N``) pointing at
    ``docs_href#step-N`` instead: the copy a docs site publishes beside its pages."""
    try:
        return _finish(_relinked(page_svg, page_href, docs_href), docs_href)
    except etree.XMLSyntaxError as exc:
        raise SvgError(f"the SVG does not parse: {exc}") from None


def _focus(root, arch: Architecture, focus_step):
    """Emphasise one step (its Step.key, or the number of a main step) in a processed SVG
    tree (in place) and return the tree."""
    focus_step = str(focus_step)
    if focus_step not in {s.key for s in arch.steps}:
        raise SvgError(f"no step {focus_step}")
    graph = root.find(q("g"))
    _add_class(root, "focus")
    root.set("data-step", focus_step)
    for g in graph.iter(q("g")):
        cls = _classes(g)
        if "node" not in cls and "edge" not in cls:
            continue
        if step_anchor(focus_step) not in cls:
            g.set("opacity", DIM_OPACITY)  # also for renderers without CSS
            continue
        _add_class(g, "highlight")
        # the same look as attributes, for renderers without CSS (PNG)
        for el in g.iter(q("path"), q("polygon"), q("ellipse")):
            if "edge" in cls or el.tag == q("ellipse") and "step" in cls:
                if el.get("stroke") not in (None, "none", "transparent"):
                    el.set("stroke", HIGHLIGHT)
                if el.tag != q("path") and el.get("fill") not in (None, "none"):
                    el.set("fill", HIGHLIGHT)
                if el.tag == q("path") and "edge" in cls:
                    el.set("stroke-width", "2.6")
    return root


# the ids of an element and its descendants, and their references (xlink:href or href)
# that point neither into the SVG nor at data, each found by libxml2 in one call
_IDS = etree.XPath("descendant-or-self::*/@id", smart_strings=False)
_OUTWARD_REFS = etree.XPath(
    "|".join(f"descendant-or-self::*/@{attr}[not(starts-with(., '#') or starts-with(., 'data:'))]"
             for attr in ("xlink:href", "href")), namespaces={"xlink": XLINK_NS}, smart_strings=False)


def _finish(root, docs_href: Optional[str]) -> bytes:
    """Check ids and references (to the SVG itself, data, or ``docs_href``), then serialise."""
    found = _IDS(root)
    if len(set(found)) < len(found):  # some id twice (or empty ones, which are not checked)
        counts = collections.Counter(i for i in found if i)
        dupes = sorted(i for i, n in counts.items() if n > 1)
        if dupes:
            raise SvgError(f"duplicate ids in SVG: {', '.join(dupes)}")
    if any(ref and not (docs_href is not None and ref.startswith(docs_href))
           for ref in _OUTWARD_REFS(root)):
        for el in root.iter():  # the first such reference, in the order of the document
            for attr in (XLINK_HREF, "href"):
                ref = el.get(attr)
                if ref and not (ref.startswith("#") or ref.startswith("data:")
                                or docs_href is not None and ref.startswith(docs_href)):
                    raise SvgError(f"SVG still refers to '{ref}'")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def to_png(svg: bytes) -> bytes:
    """Rasterise a docs-ready SVG (light scheme) with CairoSVG; its stylesheet is left
    out, since CairoSVG mis-sizes the root under it and has no media queries."""
    import cairosvg

    root = etree.fromstring(svg, etree.XMLParser(resolve_entities=False, no_network=True))
    for style in root.findall(q("style")):
        root.remove(style)
    return cairosvg.svg2png(bytestring=etree.tostring(root), unsafe=False)
