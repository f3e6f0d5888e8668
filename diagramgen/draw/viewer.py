"""The offline viewer: one self-contained HTML page per architecture.

The page inlines the docs-ready SVG (see svg.py), the vendored svg-pan-zoom library
(diagramgen/vendor/, BSD-2-Clause) and its own CSS and script: it works from
``file://`` with no network. Pan and zoom with the wheel, by dragging, with the
buttons or the keyboard (+ - 0 f and the arrow keys), or pinch with two fingers; "1:1"
(and 0) shows the SVG at its natural size. The Dataflow list beside the diagram
highlights a step's edges, badges and components on hover, focus or click (click keeps
it; Escape clears); ``#step-N`` in the address selects step N. A "skip to the steps"
link comes first in the tab order, before the diagram's links. All YAML text is HTML-escaped; the script reads
only step numbers from ``data-step`` attributes, never user text.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from lxml import etree

from diagramgen.draw.theme import FONT, VIEWER_DARK, VIEWER_LIGHT
from diagramgen.markdown import escape
from diagramgen.model import Architecture

VENDOR = Path(__file__).resolve().parent.parent / "vendor"
SVG_NS = "http://www.w3.org/2000/svg"


def _palette(colours: dict, first_line: int) -> str:
    """CSS custom properties, ``first_line`` of them on the first line."""
    items = [f"--{name}:{value}" for name, value in colours.items()]
    return ";".join(items[:first_line]) + ";\n" + ";".join(items[first_line:])


# the palette and font come from theme.py; the rest of the page's style is below
CSS = (f"\n:root{{color-scheme:light dark;{_palette(VIEWER_LIGHT, 5)}}}\n"
       f"@media (prefers-color-scheme:dark){{:root{{{_palette(VIEWER_DARK, 4)}}}}}\n"
       "*{box-sizing:border-box}\n"
       "html,body{margin:0;height:100%;background:var(--bg);color:var(--fg);\n"
       f'font:15px/1.45 "{FONT}",system-ui,sans-serif}}\n') + """\
body{display:flex;flex-direction:column}
header{padding:10px 16px;border-bottom:1px solid var(--line);display:flex;gap:16px;align-items:baseline;
flex-wrap:wrap}
header h1{font-size:18px;margin:0;font-weight:600}
header nav a{color:inherit;margin-right:12px}
main{flex:1;display:flex;min-height:0}
#stage{flex:1;position:relative;min-width:0}
#diagram{position:absolute;inset:0;touch-action:none}
.skip{position:absolute;left:-10000px;top:8px;z-index:3;padding:6px 10px;border-radius:6px;
background:var(--panel);color:var(--fg);border:2px solid var(--accent)}
.skip:focus{left:8px}
#steps:focus{outline:none}
#diagram svg{width:100%;height:100%;max-width:none;display:block}
#controls{position:absolute;top:10px;left:10px;display:flex;gap:4px;z-index:1}
#controls button{font:inherit;min-width:34px;padding:4px 8px;border:1px solid var(--line);border-radius:6px;
background:var(--panel);color:var(--fg);cursor:pointer}
@media (pointer:coarse){#controls button{min-width:44px;min-height:44px}}
#controls button:focus-visible,#steps li:focus-visible{outline:2px solid var(--accent);outline-offset:1px}
aside{width:min(420px,36vw);overflow:auto;border-left:1px solid var(--line);background:var(--panel);padding:8px 12px}
aside h2{font-size:16px;margin:6px 0 8px}
#steps{list-style:none;margin:0;padding:0}
#steps li{display:flex;gap:10px;padding:8px;border-radius:8px;cursor:pointer;border:1px solid transparent}
#steps li:hover,#steps li.highlight{border-color:var(--accent)}
#steps li.selected{background:color-mix(in srgb,var(--accent) 14%,transparent)}
#steps .num{flex:none;width:24px;height:24px;border-radius:50%;background:var(--badge);color:#fff;
display:flex;align-items:center;justify-content:center;font-size:12px;font-weight:700}
#steps li.highlight .num{background:var(--accent);color:var(--on-accent)}
#steps a{color:inherit;font-size:12px}
.hint{color:var(--muted);font-size:12px;margin:10px 0 0}
@media (max-width:760px){main{flex-direction:column}aside{width:auto;max-height:40vh;border-left:0;
border-top:1px solid var(--line)}}
"""

SCRIPT = """
(function () {
  "use strict";
  var svg = document.querySelector("#diagram svg");
  var natural = parseFloat(svg.getAttribute("data-width")) || 0;
  var pz = svgPanZoom(svg, {zoomEnabled: true, panEnabled: true, controlIconsEnabled: false,
    dblClickZoomEnabled: true, mouseWheelZoomEnabled: true, fit: true, center: true,
    minZoom: 0.2, maxZoom: 20, zoomScaleSensitivity: 0.3});
  window.diagramPanZoom = pz;
  // the zoom (relative to the fitted view) at which one SVG pixel is one CSS pixel
  function naturalZoom() {
    var sizes = pz.getSizes();
    return natural ? pz.getZoom() * (natural / sizes.viewBox.width) / sizes.realZoom : 1;
  }
  pz.setMaxZoom(Math.max(20, 4 * naturalZoom()));
  var actions = {
    "zoom-in": function () { pz.zoomIn(); },
    "zoom-out": function () { pz.zoomOut(); },
    "fit": function () { pz.resize(); pz.fit(); pz.center(); },
    "reset": function () { pz.zoom(naturalZoom()); }
  };
  // two fingers: zoom about their midpoint by the change of their distance, and pan
  // with the midpoint; svg-pan-zoom (one finger pans) does not see these touches
  var stage = document.getElementById("diagram"), pinch = null;
  function fingers(t) {
    var r = svg.getBoundingClientRect();
    return {d: Math.max(1, Math.hypot(t[0].clientX - t[1].clientX, t[0].clientY - t[1].clientY)),
      x: (t[0].clientX + t[1].clientX) / 2 - r.left, y: (t[0].clientY + t[1].clientY) / 2 - r.top};
  }
  stage.addEventListener("touchstart", function (e) {
    if (e.touches.length !== 2) { return; }
    e.preventDefault(); e.stopPropagation();
    pinch = fingers(e.touches);
  }, {capture: true, passive: false});
  stage.addEventListener("touchmove", function (e) {
    if (!pinch || e.touches.length !== 2) { return; }
    e.preventDefault(); e.stopPropagation();
    var now = fingers(e.touches);
    pz.panBy({x: now.x - pinch.x, y: now.y - pinch.y});
    pz.zoomAtPointBy(now.d / pinch.d, {x: now.x, y: now.y});
    pinch = now;
  }, {capture: true, passive: false});
  ["touchend", "touchcancel"].forEach(function (type) {
    stage.addEventListener(type, function (e) { if (e.touches.length < 2) { pinch = null; } }, true);
  });
  document.querySelectorAll("#controls button").forEach(function (b) {
    b.addEventListener("click", function () { actions[b.dataset.action](); });
  });
  window.addEventListener("resize", function () { pz.resize(); pz.fit(); pz.center(); });
  document.addEventListener("keydown", function (e) {
    if (e.target && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName)) { return; }
    var k = e.key, step = 60;
    if (k === "+" || k === "=") { pz.zoomIn(); }
    else if (k === "-" || k === "_") { pz.zoomOut(); }
    else if (k === "0") { actions.reset(); }
    else if (k === "f" || k === "F") { actions.fit(); }
    else if (k === "ArrowLeft") { pz.panBy({x: step, y: 0}); }
    else if (k === "ArrowRight") { pz.panBy({x: -step, y: 0}); }
    else if (k === "ArrowUp") { pz.panBy({x: 0, y: step}); }
    else if (k === "ArrowDown") { pz.panBy({x: 0, y: -step}); }
    else if (k === "Escape") { selected = null; show(null); }
    else { return; }
    e.preventDefault();
  });

  var selected = null;
  var items = Array.prototype.slice.call(document.querySelectorAll("#steps li[data-step]"));
  function show(n) {
    svg.querySelectorAll(".highlight").forEach(function (el) { el.classList.remove("highlight"); });
    items.forEach(function (li) {
      li.classList.toggle("highlight", li.dataset.step === n);
      li.classList.toggle("selected", li.dataset.step === selected);
    });
    if (n === null) { svg.classList.remove("focus"); return; }
    svg.classList.add("focus");
    svg.querySelectorAll(".step-" + n).forEach(function (el) { el.classList.add("highlight"); });
  }
  items.forEach(function (li) {
    var n = li.dataset.step;
    li.addEventListener("mouseenter", function () { show(n); });
    li.addEventListener("mouseleave", function () { show(selected); });
    li.addEventListener("focus", function () { show(n); });
    li.addEventListener("blur", function () { show(selected); });
    li.addEventListener("click", function (e) {
      if (e.target.tagName === "A") { return; }
      selected = selected === n ? null : n;
      show(selected);
    });
    li.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); li.click(); }
    });
  });
  // hovering a badge or flow edge in the diagram highlights its step as well
  svg.querySelectorAll("g.edge.flow, g.node.step").forEach(function (g) {
    var m = /(?:^|\\s)step-([a-z0-9_-]+)(?:\\s|$)/.exec(g.getAttribute("class") || "");
    if (!m) { return; }
    g.addEventListener("mouseenter", function () { show(m[1]); });
    g.addEventListener("mouseleave", function () { show(selected); });
  });
  // #step-N in the address (the docs pages link each step so) selects that step
  // (a lettered step too: #step-integration-a); the key is compared, never a selector
  function fromHash() {
    var m = /^#step-([a-z0-9_-]+)$/.exec(window.location.hash);
    var li = m && items.filter(function (x) { return x.dataset.step === m[1]; })[0];
    if (!li) { return; }
    selected = m[1];
    show(selected);
    li.scrollIntoView({block: "nearest"});
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
"""


def _inline_svg(svg: bytes) -> str:
    """The SVG as an element for an HTML page (no XML declaration, fills its box)."""
    root = etree.fromstring(svg, etree.XMLParser(resolve_entities=False, no_network=True))
    natural = root.get("width")  # CSS pixels: what 1:1 shows
    for attr in ("width", "height"):
        root.attrib.pop(attr, None)
    if natural:
        root.set("data-width", natural)
    root.set("width", "100%")
    root.set("height", "100%")
    return etree.tostring(root, encoding="unicode")


def build(arch: Architecture, svg: bytes, png_name: Optional[str], svg_name: Optional[str], docs_href: str) -> str:
    """Return the viewer page for ``arch`` (``svg`` is the docs-ready SVG)."""
    e = escape
    library = (VENDOR / "svg-pan-zoom.min.js").read_text(encoding="utf-8")
    if "</script" in library.lower():
        raise ValueError("vendored script contains '</script'")
    steps = ""
    for i, seq in enumerate(arch.sequences):
        if len(arch.sequences) > 1 and (seq.title or i):
            # a title line between the sequences; it is no step (no data-step)
            steps += f'<li class="sequence" role="presentation"><strong>{e(seq.title)}</strong></li>'
        steps += "".join(
            f'<li id="{s.anchor}" data-step="{s.key}" tabindex="0">'
            f'<span class="num" aria-hidden="true">{e(s.badge)}</span>'
            f'<span><span class="text">{e(s.text)}</span> '
            f'<a href="{e(docs_href)}#{s.anchor}">docs</a></span></li>'
            for s in seq.steps)
    csp = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
           "script-src 'unsafe-inline'")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(arch.title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        '<a class="skip" href="#steps">Skip to the steps</a>\n'
        f"<header><h1>{e(arch.title)}</h1><nav>"
        + (f'<a href="{e(png_name)}">PNG</a>' if png_name else "")
        + (f'<a href="{e(svg_name)}">SVG</a>' if svg_name else "")
        + f'<a href="{e(docs_href)}">Docs page</a></nav></header>\n'
        '<main>\n<section id="stage" aria-label="Diagram">\n'
        '<div id="controls" role="toolbar" aria-label="Zoom">'
        '<button type="button" data-action="zoom-in" title="Zoom in (+)" aria-label="Zoom in">+</button>'
        '<button type="button" data-action="zoom-out" title="Zoom out (-)" aria-label="Zoom out">&#8722;</button>'
        '<button type="button" data-action="fit" title="Fit to screen (f)" aria-label="Fit to screen">Fit</button>'
        '<button type="button" data-action="reset" title="Natural size, 1:1 (0)" '
        'aria-label="Natural size 1:1">1:1</button></div>\n'
        f'<div id="diagram">{_inline_svg(svg)}</div>\n</section>\n'
        f'<aside><h2>Dataflow</h2><ol id="steps" tabindex="-1">{steps}</ol>'
        '<p class="hint">Hover or click a step to highlight it; Escape clears. Wheel, pinch or +/- zooms, '
        'drag or the arrow keys pan, f fits, 0 shows the natural size.</p></aside>\n</main>\n'
        f"<script>{library}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    )
