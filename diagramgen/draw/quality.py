"""How readable a rendered diagram is: figures read back from its SVG.

Pure functions over the SVG text that ``render`` writes (no Graphviz needed). They
measure what a reader stumbles over:

- ``node_overlaps``: (edge, box) pairs where an edge runs through a box or circle that
  is not one of its own ends (at least 1 pt inside the box shrunk by 2 pt);
- ``area_intrusions``: (edge, area) pairs where an edge runs at least 3 pt through an
  area that holds none of the components it connects (through its circle);
- ``crossings``: points where two edges cross (not within 8 pt of a box both touch);
- ``edge_overlaps``: pairs of edges drawn on top of each other (centre lines within
  1.5 pt of each other for 8 pt or more, away from a box both touch);
- ``longest_edge``: the longest edge path divided by the drawing's diagonal, and
  ``total_edge_length`` the same for the sum of all edge paths;
- ``smallest_text_px``: the smallest font size, in pixels, when the whole SVG is shown
  ``DOCS_WIDTH`` (1000) pixels wide, as in a docs column; ``width_pt`` and
  ``height_pt`` the size of the drawing.

Curves are flattened into short straight pieces; boxes are the bounding boxes of the
shapes Graphviz draws (rounded corners count as square).
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from diagramgen.draw.columns import NUMBER, SVG_NS, path_points

DOCS_WIDTH = 1000  # pixels: the width of a typical docs column

NODE_SHRINK, MIN_INSIDE = 2.0, 1.0
AREA_SHRINK, MIN_INTRUSION = 2.0, 3.0
SHARED_ZONE, MERGE_DIST = 8.0, 2.0
COINCIDE, MIN_COINCIDE, BUNDLE = 1.5, 8.0, 2.0
END_TOL = 8.0


@dataclass
class Box:
    """The bounding box of a drawn shape (a circle when ``circle``)."""

    id: str
    x0: float
    y0: float
    x1: float
    y1: float
    circle: bool = False

    def shrunk(self, d: float) -> Box:
        return Box(self.id, self.x0 + d, self.y0 + d, self.x1 - d, self.y1 - d, self.circle)

    def contains(self, p) -> bool:
        x, y = p
        if self.circle:
            cx, cy, r = (self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2, (self.x1 - self.x0) / 2
            return (x - cx) ** 2 + (y - cy) ** 2 < r * r
        return self.x0 < x < self.x1 and self.y0 < y < self.y1

    def distance(self, p) -> float:
        dx = max(self.x0 - p[0], 0, p[0] - self.x1)
        dy = max(self.y0 - p[1], 0, p[1] - self.y1)
        return math.hypot(dx, dy)

    @property
    def centre(self):
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)


@dataclass
class Edge:
    """A drawn edge: its path as points, the ids of its ends, its length and the
    points sampled along it."""

    id: str
    points: list
    ends: tuple = ()
    length: float = 0.0
    samples: list = field(default_factory=list)


@dataclass(frozen=True)
class Quality:
    """The readability figures of one drawing (see the module's docstring)."""

    node_overlaps: int
    area_intrusions: int
    crossings: int
    edge_overlaps: int
    longest_edge: float
    total_edge_length: float
    smallest_text_px: float
    width_pt: float
    height_pt: float
    problems: tuple = ()  # one line per counted item, for a reader

    def as_dict(self) -> dict:
        return {"node_overlaps": self.node_overlaps, "area_intrusions": self.area_intrusions,
                "crossings": self.crossings, "edge_overlaps": self.edge_overlaps,
                "longest_edge": round(self.longest_edge, 3),
                "total_edge_length": round(self.total_edge_length, 3),
                "smallest_text_px": round(self.smallest_text_px, 1),
                "width_pt": round(self.width_pt), "height_pt": round(self.height_pt)}


def _shape_box(el, ident: str):
    tag = el.tag.replace(SVG_NS, "")
    if tag == "ellipse":
        cx, cy = float(el.get("cx")), float(el.get("cy"))
        rx, ry = float(el.get("rx")), float(el.get("ry"))
        return Box(ident, cx - rx, cy - ry, cx + rx, cy + ry, circle=abs(rx - ry) < 0.01)
    if tag == "polygon":
        pts = [float(v) for v in NUMBER.findall(el.get("points", ""))]
        xs, ys = pts[0::2], pts[1::2]
    elif tag == "path":
        p = path_points(el.get("d", ""))
        xs, ys = [q[0] for q in p], [q[1] for q in p]
    elif tag in ("use", "image"):
        x, y = float(el.get("x", 0)), float(el.get("y", 0))
        return Box(ident, x, y, x + float(el.get("width", 0)), y + float(el.get("height", 0)))
    else:
        return None
    if not xs:
        return None
    return Box(ident, min(xs), min(ys), max(xs), max(ys))


def _area(b: Box) -> float:
    return (b.x1 - b.x0) * (b.y1 - b.y0)


def _visible(el) -> bool:
    fill, stroke = el.get("fill", "none"), el.get("stroke", "none")
    return not (fill in ("none", "white", "transparent") and stroke in ("none", "white", "transparent"))


def _sample(points: list, step: float = 1.0) -> list:
    out = [points[0]]
    for a, b in zip(points, points[1:]):
        n = max(1, int(math.dist(a, b) / step))
        out += [(a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n) for i in range(1, n + 1)]
    return out


def _seg_cross(p, q, r, s):
    """The proper intersection point of segments pq and rs, or None."""
    d = (q[0] - p[0]) * (s[1] - r[1]) - (q[1] - p[1]) * (s[0] - r[0])
    if abs(d) < 1e-12:
        return None
    t = ((r[0] - p[0]) * (s[1] - r[1]) - (r[1] - p[1]) * (s[0] - r[0])) / d
    u = ((r[0] - p[0]) * (q[1] - p[1]) - (r[1] - p[1]) * (q[0] - p[0])) / d
    if 0 < t < 1 and 0 < u < 1:
        return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
    return None


def _seg_dist(p, a, b) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    ll = dx * dx + dy * dy
    t = 0.0 if ll == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / ll))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def _classes(el) -> list:
    return el.get("class", "").split()


def _node_box(g, ident: str):
    """The box of a node group: its largest shape (for a band's icon, the icon itself)."""
    shapes = [b for el in g.iter() if (b := _shape_box(el, ident)) is not None
              and el.tag.replace(SVG_NS, "") != "use"]
    if not shapes:
        shapes = [b for el in g.iter() if (b := _shape_box(el, ident)) is not None]
    return max(shapes, key=_area) if shapes else None


def _area_boxes(g, ident: str) -> list:
    out = []
    for i, el in enumerate(c for c in g if c.tag.replace(SVG_NS, "") in ("path", "polygon")):
        if _visible(el) and el.get("fill", "none") != "none":
            b = _shape_box(el, f"{ident}#{i}" if i else ident)
            if b:
                out.append(b)
    return out


def _edge(g, ident: str):
    """An edge group as an Edge whose points run from tip to tip (arrowheads included)."""
    pts: list = []
    heads = []
    for el in g.iter():
        tag = el.tag.replace(SVG_NS, "")
        if tag == "path":
            pts += path_points(el.get("d", ""))
        elif tag == "polygon":
            heads.append([tuple(map(float, pair)) for pair in
                          zip(*[iter(NUMBER.findall(el.get("points", "")))] * 2)])
    if len(pts) < 2:
        return None
    for head in heads:  # an arrowhead's tip is the end it points at
        for end in (0, -1):
            if min(math.dist(pts[end], v) for v in head) < 2:
                tip = max(head, key=lambda v: math.dist(v, pts[end]))
                if end == 0:
                    pts.insert(0, tip)
                else:
                    pts.append(tip)
                break
    return Edge(ident, pts)


def _read(root) -> tuple:
    """(nodes by id, area boxes, edges) of a rendered diagram, each edge with its ends
    (the nearest box at each end of its path), length and sample points."""
    nodes: dict = {}
    areas: list = []
    edges: list = []
    for g in root.iter(SVG_NS + "g"):
        cls = _classes(g)
        ident = g.get("id", "")
        if "node" in cls:
            box = _node_box(g, ident)
            if box is not None:
                nodes[ident] = box
        elif "cluster" in cls:
            areas += _area_boxes(g, ident)
        elif "edge" in cls and (e := _edge(g, ident)) is not None:
            edges.append(e)
    for e in edges:
        ends = []
        for p in (e.points[0], e.points[-1]):
            best = min(nodes.values(), key=lambda b: b.distance(p), default=None)
            if best is not None and best.distance(p) <= END_TOL:
                ends.append(best.id)
        e.ends = tuple(ends)
        e.length = sum(math.dist(a, b) for a, b in zip(e.points, e.points[1:]))
        e.samples = _sample(e.points)
    return nodes, areas, edges


def _through_boxes(nodes: dict, edges: list, problems: list) -> int:
    """How many times an edge runs through a box that is not one of its ends."""
    count = 0
    for e in edges:
        for n, box in nodes.items():
            if n in e.ends:
                continue
            inner = box.shrunk(NODE_SHRINK) if not box.circle else Box(n, box.x0 + 1, box.y0 + 1, box.x1 - 1,
                                                                          box.y1 - 1, True)
            if sum(1 for p in e.samples if inner.contains(p)) >= MIN_INSIDE + 1:
                count += 1
                problems.append(f"edge {e.id} runs through {n}")
    return count


def _through_areas(nodes: dict, areas: list, edges: list, problems: list) -> int:
    """How many times an edge runs through an area that holds none of the components it
    connects (through its step circle, if it ends at one)."""
    circles = {i for i, b in nodes.items() if b.circle}
    neighbours: dict = {}
    for e in edges:
        for a in e.ends:
            for b in e.ends:
                if a != b:
                    neighbours.setdefault(a, set()).add(b)

    def logical(e: Edge) -> set:
        out = set()
        for x in e.ends:
            out.add(x)
            if x in circles:
                out |= {y for y in neighbours.get(x, ()) if y not in circles}
        return out

    count = 0
    for e in edges:
        ends = [nodes[x].centre for x in logical(e) if x in nodes]
        for a in areas:
            if any(a.contains(c) for c in ends):
                continue
            if sum(1 for p in e.samples if a.shrunk(AREA_SHRINK).contains(p)) >= MIN_INTRUSION + 1:
                count += 1
                problems.append(f"edge {e.id} runs through area {a.id}")
    return count


def _crossings(e: Edge, f: Edge, shared: list) -> int:
    """The places where two edges cross, away from the boxes they share."""
    found: list = []
    for a, b in zip(e.points, e.points[1:]):
        for c, d in zip(f.points, f.points[1:]):
            p = _seg_cross(a, b, c, d)
            if p is None or any(s.distance(p) <= SHARED_ZONE or _forks(e, f, p, s) for s in shared):
                continue
            if all(math.dist(p, q) > MERGE_DIST for q in found):
                found.append(p)
    return len(found)


def _pairs(nodes: dict, edges: list, problems: list) -> tuple:
    """(crossings, pairs of edges drawn on top of each other)."""
    crossings = edge_overlaps = 0
    for i, e in enumerate(edges):
        for f in edges[i + 1:]:
            if not _bbox_overlap(e.points, f.points):
                continue
            shared = [nodes[x] for x in set(e.ends) & set(f.ends) if x in nodes]
            n = _crossings(e, f, shared)
            if n:
                crossings += n
                problems.append(f"edges {e.id} and {f.id} cross {n}x")
            together = _coinciding(e, f, shared)
            if together >= MIN_COINCIDE:
                edge_overlaps += 1
                problems.append(f"edges {e.id} and {f.id} run together for {together:.0f} pt")
    return crossings, edge_overlaps


def _diagonal(nodes: dict, areas: list, edges: list) -> float:
    """The diagonal of what is drawn (title and legend left out)."""
    boxes = list(nodes.values()) + areas
    xs = [b.x0 for b in boxes] + [b.x1 for b in boxes] + [p[0] for e in edges for p in e.points]
    ys = [b.y0 for b in boxes] + [b.y1 for b in boxes] + [p[1] for e in edges for p in e.points]
    return math.hypot(max(xs) - min(xs), max(ys) - min(ys)) if xs else 1.0


def measure(svg) -> Quality:
    """The figures of one rendered diagram (``svg``: its text or bytes)."""
    root = ET.fromstring(svg if isinstance(svg, (bytes, str)) else bytes(svg))
    vb = [float(v) for v in root.get("viewBox", "0 0 1 1").split()]
    nodes, areas, edges = _read(root)
    problems: list = []
    node_overlaps = _through_boxes(nodes, edges, problems)
    area_intrusions = _through_areas(nodes, areas, edges, problems)
    crossings, edge_overlaps = _pairs(nodes, edges, problems)
    diag = _diagonal(nodes, areas, edges)
    sizes = [float(fs) for t in root.iter(SVG_NS + "text") if (fs := t.get("font-size"))
             and (t.text or "").strip(" \u00a0")]
    smallest = min(sizes) * DOCS_WIDTH / vb[2] if sizes else 0.0
    return Quality(node_overlaps, area_intrusions, crossings, edge_overlaps,
                   max((e.length for e in edges), default=0.0) / diag,
                   sum(e.length for e in edges) / diag, smallest, vb[2], vb[3], tuple(problems))


def _bbox_overlap(p: list, q: list, pad: float = 2.0) -> bool:
    return not (max(x for x, _ in p) + pad < min(x for x, _ in q) or max(x for x, _ in q) + pad < min(x for x, _ in p)
                or max(y for _, y in p) + pad < min(y for _, y in q) or max(y for _, y in q) + pad < min(y for _, y in p))


def _together_to(e: Edge, f: Edge, p, s: Box) -> bool:
    """Whether ``e``, from point ``p`` on to its end at box ``s``, stays within BUNDLE pt
    of ``f``."""
    k = min(range(len(e.samples)), key=lambda i: math.dist(e.samples[i], p))
    run = e.samples[k:] if s.distance(e.samples[-1]) <= END_TOL else e.samples[:k + 1]
    segs = list(zip(f.points, f.points[1:]))
    return all(min(_seg_dist(q, a, b) for a, b in segs) <= BUNDLE for q in run[::2])


def _forks(e: Edge, f: Edge, p, s: Box) -> bool:
    """A crossing after which both edges run together into the box they share reads as
    one line that forks, not as a crossing."""
    return _together_to(e, f, p, s) and _together_to(f, e, p, s)


def _coinciding(e: Edge, f: Edge, shared: list) -> float:
    """How long ``e`` runs on top of ``f`` (within COINCIDE pt), leaving out the stretch
    where both run into a box they share."""
    segs = list(zip(f.points, f.points[1:]))
    near = [min(_seg_dist(p, a, b) for a, b in segs) for p in e.samples]
    # a bundle into a shared end: from that end inward while the two stay together
    skip = [False] * len(near)
    for s in shared:
        for indices in (range(len(near)), range(len(near) - 1, -1, -1)):
            order = list(indices)
            if s.distance(e.samples[order[0]]) > END_TOL:
                continue
            for k in order:
                if near[k] > BUNDLE:
                    break
                skip[k] = True
    return float(sum(1 for k, d in enumerate(near) if d <= COINCIDE and not skip[k]))


def check(q: Quality, targets: dict) -> list:
    """The targets a diagram misses, as ``(name, value, limit)``."""
    out = []
    for name, limit in targets.items():
        value = getattr(q, name)
        bad = value < limit if name == "smallest_text_px" else value > limit
        if bad:
            out.append((name, value, limit))
    return out


# what every shipped diagram should meet (README, "How a diagram is drawn")
TARGETS = {"node_overlaps": 0, "area_intrusions": 0, "edge_overlaps": 0, "crossings": 2,
           "longest_edge": 0.45, "smallest_text_px": 8.0}
