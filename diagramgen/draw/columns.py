"""Where the areas were drawn, read back from a rendered diagram, against `layout.columns`.

scene.py holds the columns left to right (every component of a column is kept left of
every component of the next one). The order of the areas *within* a column is dot's
choice: it orders them to cross fewer flows, and no constraint that dot 2.43 keeps on a
graph of clusters can fix it. So after the layout the drawing is compared with the
declared columns, and every area drawn out of its declared place gets a warning at its
entry in the architecture file, saying where it was drawn and why, so that the author
can reorder the file. A warning never stops a render.

The reading of Graphviz paths into points (``path_points``) is here, where every render
uses it; ``quality`` measures drawings with it too.
"""
from __future__ import annotations

import re
import threading

from diagramgen import ids
from diagramgen.diagnostics import WARNING, Diagnostic, Pos
from diagramgen.model import Architecture

SVG_NS = "{http://www.w3.org/2000/svg}"
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")  # as Graphviz writes one in a path


def _cubic(p0, p1, p2, p3, out: list, depth: int = 0) -> None:
    # flat enough when the control points are close to the chord
    dx, dy = p3[0] - p0[0], p3[1] - p0[1]
    d1 = abs((p1[0] - p3[0]) * dy - (p1[1] - p3[1]) * dx)
    d2 = abs((p2[0] - p3[0]) * dy - (p2[1] - p3[1]) * dx)
    if depth > 12 or (d1 + d2) ** 2 <= 0.05 * 0.05 * 16 * (dx * dx + dy * dy) + 1e-9:
        out.append(p3)
        return
    m = lambda a, b: ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)  # noqa: E731
    p01, p12, p23 = m(p0, p1), m(p1, p2), m(p2, p3)
    p012, p123 = m(p01, p12), m(p12, p23)
    mid = m(p012, p123)
    _cubic(p0, p01, p012, mid, out, depth + 1)
    _cubic(mid, p123, p23, p3, out, depth + 1)


_PATH_TOKEN = re.compile(r"[MCLZmclz]|" + NUMBER.pattern)


def _path_pieces(d: str) -> list:
    """A Graphviz path (M, C and L commands) as its pieces: ``("point", p)`` for the
    points of M and L, ``("curve", (p0, p1, p2, p3))`` for each C."""
    pieces: list = []
    last = None
    cmd = None
    nums: list = []
    for tok in _PATH_TOKEN.findall(d):
        if tok.isalpha():
            cmd = tok.upper()
            continue
        nums.append(float(tok))
        if cmd in ("M", "L") and len(nums) == 2:
            last = tuple(nums)
            pieces.append(("point", last))
            nums = []
            cmd = "L"
        elif cmd == "C" and len(nums) == 6:
            if last is None:
                raise IndexError("a curve with no point before it")
            end = (nums[4], nums[5])
            pieces.append(("curve", (last, (nums[0], nums[1]), (nums[2], nums[3]), end)))
            last = end
            nums = []
    return pieces


def path_points(d: str) -> list:
    """A Graphviz path (M, C and L commands) as a list of points."""
    pts: list = []
    for kind, piece in _path_pieces(d):
        if kind == "point":
            pts.append(piece)
        else:
            _cubic(piece[0], piece[1], piece[2], piece[3], pts)
    return pts


_MADE: dict = {}  # {SVG bytes made in this process: its drawn_areas}, the newest few
_MADE_KEPT = 16
_made_lock = threading.Lock()


def drawn_areas(svg) -> dict:
    """``{area id: (left, top)}`` of each area as drawn in a rendered diagram (its SVG
    text or bytes), in SVG coordinates (y grows downwards). Of an SVG this process has
    just made (svg.self_contained, through remember_areas), from when it was made;
    else read from the SVG."""
    if isinstance(svg, bytes):
        with _made_lock:
            made = _MADE.get(svg)
        if made is not None:
            return dict(made)
    import xml.etree.ElementTree as ET  # here: a render reads back the SVGs it made, kept above

    return areas_in(ET.fromstring(svg))


def areas_in(root) -> dict:
    """drawn_areas of an SVG document already parsed (ElementTree or lxml)."""
    out = {}
    for g in root.iter(SVG_NS + "g"):
        ident = g.get("id", "")
        if "cluster" not in g.get("class", "").split() or not ident.startswith(ids.AREA_PREFIX):
            continue
        corners = [path_top_left(el.get("d") or "M" + el.get("points", ""))
                   for el in g if el.tag in (SVG_NS + "path", SVG_NS + "polygon")]
        corners = [c for c in corners if c is not None]
        if corners:
            out[ident[len(ids.AREA_PREFIX):]] = (min(x for x, _ in corners), min(y for _, y in corners))
    return out


def path_top_left(d: str):
    """``(least x, least y)`` of path_points(d), or None where it has no point, without
    flattening the curves that cannot reach below what the others reach: every point
    _cubic makes is a mean of two points no smaller than the least of the curve's four
    control points (so no smaller, in floating point too), and the curve's end is one
    of its points."""
    pieces = _path_pieces(d)
    pts = [p if kind == "point" else p[3] for kind, p in pieces]
    curves = [p for kind, p in pieces if kind == "curve"]
    if not pts:
        return None
    left, top = min(x for x, _ in pts), min(y for _, y in pts)
    for curve in curves:
        if min(p[0] for p in curve) < left or min(p[1] for p in curve) < top:
            flat: list = []
            _cubic(curve[0], curve[1], curve[2], curve[3], flat)
            left, top = min(left, *(x for x, _ in flat)), min(top, *(y for _, y in flat))
    return left, top


def remember_areas(svg: bytes, root) -> None:
    """Keep the drawn_areas of ``svg``, just serialised from ``root``, for drawn_areas:
    what a render reads back from the diagrams it made is then not parsed again."""
    areas = areas_in(root)
    with _made_lock:
        _MADE[svg] = areas
        while len(_MADE) > _MADE_KEPT:
            del _MADE[next(iter(_MADE))]


def laid_out_columns(arch: Architecture) -> list:
    """The declared columns as dot lays them out: each a list of top-level area ids, the
    foundation bands (drawn under the diagram, scene.foundation_bands) left out; empty
    columns dropped."""
    from diagramgen.draw.scene import foundation_bands

    bands = set(foundation_bands(arch))
    cols = [[a for a in col if a not in bands and arch.area(a).parent is None] for col in arch.columns]
    return [c for c in cols if c]


def _flows_between(arch: Architecture, later: list, earlier: list) -> list:
    """``(from label, to label, step badge)`` of the flows from an area of ``later`` to one
    of ``earlier`` (nested areas count as their top-level area), in step order."""
    out = []
    for s in arch.steps:
        for f in s.flows:
            a, b = arch.top_area(arch.component(f.src).area), arch.top_area(arch.component(f.dst).area)
            if a in later and b in earlier or (f.both and b in later and a in earlier):
                out.append((arch.component(f.src).label, arch.component(f.dst).label, s.badge))
    return out


def column_warnings(arch: Architecture, drawn: dict) -> list:
    """Warnings for the areas drawn out of their declared place: a column drawn left of
    one declared before it, an area drawn above one declared before it in its column.
    ``drawn`` is drawn_areas of the rendered diagram; each warning sits at the entry of
    the area in ``layout.columns``."""
    where = dict(arch.column_pos)
    label = {a.id: arch.area(a.id).label for a in arch.areas}
    out = []

    def warn(area_id: str, message: str) -> None:
        out.append(Diagnostic(where.get(area_id, Pos(arch.path)), WARNING, message, "DG316"))

    cols = [[a for a in col if a in drawn] for col in laid_out_columns(arch)]
    cols = [c for c in cols if c]
    lefts = [min(drawn[a][0] for a in col) for col in cols]
    for j, col in enumerate(cols):
        passed = [i for i in range(j) if lefts[i] > lefts[j]]
        if passed:
            i = passed[0]
            against = _flows_between(arch, col, [a for k in passed for a in cols[k]])
            why = (f"flows from {_names(against)} run right to left, and Graphviz put the column "
                   "where they run left to right" if against else "Graphviz placed the column there")
            warn(col[0], f"the column of area '{col[0]}' ({label[col[0]]}) is drawn left of the column of "
                         f"'{cols[i][0]}' ({label[cols[i][0]]}), against the order of layout columns: {why}; "
                         "reorder the columns to match the drawing")
    for col in cols:
        for j, b in enumerate(col):
            above = [a for a in col[:j] if drawn[b][1] < drawn[a][1]]
            if above:
                fix = (f"list '{b}' first to draw it as a band under the whole diagram, or in a column of "
                       "its own" if arch.area(b).band else
                       f"list '{b}' before '{above[0]}', or in a column of its own, to match the drawing")
                warn(b, f"area '{b}' ({label[b]}) is drawn above '{above[0]}' ({label[above[0]]}), against "
                        "the order of its layout column: Graphviz orders the areas of a column to cross "
                        f"fewer flows; {fix}")
    return out


def _names(flows: list) -> str:
    """'A to B (step 3), C to D (step 4)': at most three, then how many more."""
    shown = [f"{a} to {b} (step {s})" for a, b, s in flows[:3]]
    more = len(flows) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")
