"""Foundation bands drawn full width under the diagram, after the layout.

Graphviz's dot cannot put a cluster under all others in a left-to-right layout, nor
stretch it across the drawing. So a diagram with foundation bands (clusters with
``class="band"``, see scene.foundation_bands) is laid out in two passes:

1. ``dot`` lays out the diagram without the bands, without their circles and without the
   edges that reach them (``layout_source``), and writes the positions as JSON;
2. ``placed_source`` writes every position into the full source: what dot placed stays
   where it is, the bands are stacked under it, as wide as the areas above, each with
   its title on the left and its components in a row (a component with flows under the
   components it connects to), and the circles of the flows that reach a band just
   above it. ``neato -n2`` then draws it with these positions and routes only the
   edges that reach a band.

Both passes are deterministic; positions are written with two decimals.
"""
from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right

from diagramgen.draw import routes
from diagramgen.draw.routes import FIRST_TARGET_COST, LANE, TARGET_COST

GAP = 14.0  # points between the areas and the first band, and between bands
PAD = 8.0  # points inside a band around its content
CIRCLE_GAP = 44.0  # points above a band whose flows have circles: room for them
CIRCLE_LIFT = 22.0  # points from a band's top to the centre of a circle above it
MAX_PERMUTED = 4  # up to this many circles with routes: every order is tried, the cheapest kept
NO_ROUTE_COST = 1e6  # what a flow with no way on the grid (drawn as a straight line) costs an order

_CLUSTER = re.compile(r"^\t*subgraph (cluster_\w+) \{")
_STMT = re.compile(r"^(\t+)(\w+)(?: -> (\w+))? \[")
_GRAPH = re.compile(r"^\t*graph \[")
_POINT = re.compile(r"(-?[\d.]+),(-?[\d.]+)")
_EDGE_ATTR: dict = {}  # an attribute's name -> the search for its value (_arrows), compiled when first needed


def has_bands(source: str) -> bool:
    return 'class=band' in source


def _band_blocks(lines: list) -> dict:
    """``{cluster name: (first line, last line)}`` of the band clusters."""
    out = {}
    for i, line in enumerate(lines):
        m = _CLUSTER.match(line)
        if m and i + 1 < len(lines) and "class=band" in lines[i + 1]:
            depth, j = 0, i
            while True:
                depth += lines[j].count("{") - lines[j].count("}") if not _STMT.match(lines[j]) else 0
                if depth == 0:
                    break
                j += 1
            out[m.group(1)] = (i, j)
    return out


def _analyse(source: str) -> tuple:
    """(lines, band clusters {name: [node names]}, names left out of the first pass)."""
    lines = source.split("\n")
    blocks = _band_blocks(lines)
    members: dict = {}
    band_nodes = set()
    for name, (i, j) in blocks.items():
        members[name] = [m.group(2) for m in (_STMT.match(x) for x in lines[i:j]) if m and not m.group(3)
                         and m.group(2) not in ("graph", "node", "edge")]
        band_nodes.update(members[name])
    circles = set()
    for line in lines:
        m = _STMT.match(line)
        if m and m.group(3):
            for a, b in ((m.group(2), m.group(3)), (m.group(3), m.group(2))):
                if a in band_nodes and b.startswith("_") and not b.startswith("_column_gap"):
                    circles.add(b)
    return lines, blocks, members, band_nodes, circles


def layout_source(source: str) -> str:
    """The source of the first pass: the diagram without its bands, their circles and
    the edges that reach either."""
    return _layout_source(_analyse(source))


def _layout_source(analysis: tuple) -> str:
    """layout_source of the source ``analysis`` (_analyse) was made from."""
    lines, blocks, _members, band_nodes, circles = analysis
    gone = band_nodes | circles
    skip = {k for i, j in blocks.values() for k in range(i, j + 1)}
    out = []
    for k, line in enumerate(lines):
        if k in skip:
            continue
        m = _STMT.match(line)
        if m and (m.group(2) in gone or (m.group(3) and m.group(3) in gone)):
            continue
        out.append(line)
    return "\n".join(out)


def _pt(x: float, y: float) -> str:
    return f"{x:.2f},{y:.2f}"


def _shift_points(value: str, dy: float) -> str:
    """A Graphviz point list ("e,x,y x,y ...") moved up by dy: each point "x,y" written as
    _pt(x, y + dy), the text between points kept. (The split gives the text before each
    point, then its two numbers, in turn: a diagram has a thousand points or more, and a
    call per point of re.sub costs twice as much.)"""
    parts = _POINT.split(value)
    out = [parts[0]]
    for i in range(1, len(parts), 3):
        out.append(f"{float(parts[i]):.2f},{float(parts[i + 1]) + dy:.2f}")  # _pt
        out.append(parts[i + 2])
    return "".join(out)


def first_pass(source: str) -> str:
    """What the first dot run reads: the diagram without its bands (layout_source), then
    a second graph with the bands alone, whose layout tells the sizes of their nodes and
    titles (one process lays out both)."""
    analysis = _analyse(source)  # read once for both
    return _layout_source(analysis) + "\n" + _band_sizes_source(analysis) + "\n"


def placed_source(source: str, first_layout: tuple) -> str:
    """The full source with every position (see the module's description), for neato -n2;
    ``first_layout`` is dot's JSON output of first_pass(source), as
    dotjson.first_pass_layout read and checked it."""
    lines, blocks, members, band_nodes, circles = _analyse(source)
    g, sizes_doc = first_layout
    g["_band_sizes"] = band_sizes(sizes_doc)
    objects = g.get("objects", [])
    nodes = {o["name"]: o for o in objects if "pos" in o}
    clusters = {o["name"]: o for o in objects if o.get("name", "").startswith("cluster_") and "bb" in o}
    names = {o["_gvid"]: o.get("name") for o in objects}
    edges: dict = {}  # (tail, head) -> their edges, in order
    for e in sorted(g.get("edges", []), key=lambda e: e["_gvid"]):
        edges.setdefault((names.get(e["tail"]), names.get(e["head"])), []).append(e)

    def bb(value: str) -> list:
        return [float(v) for v in value.split(",")]

    # the extent of the areas (the title excluded): the bands span it
    boxes = [bb(c["bb"]) for c in clusters.values()]
    for n in nodes.values():
        x, y = (float(v) for v in n["pos"].split(","))
        w, h = float(n["width"]) * 36, float(n["height"]) * 36
        boxes.append([x - w, y - h, x + w, y + h])
    if boxes:
        x0, x1 = min(b[0] for b in boxes), max(b[2] for b in boxes)
        bottom = min(b[1] for b in boxes)
    else:
        x0, x1, bottom = 0.0, 400.0, 0.0

    return _assemble(lines, blocks, members, band_nodes, circles, nodes, clusters, edges, g,
                     (x0, x1, bottom))


def band_sizes_source(source: str) -> str:
    """A source with only the bands (their nodes sized as in the diagram), laid out to
    learn the sizes of their nodes and titles."""
    return _band_sizes_source(_analyse(source))


def _band_sizes_source(analysis: tuple) -> str:
    """band_sizes_source of the source ``analysis`` (_analyse) was made from."""
    lines, blocks, *_ = analysis
    head = []
    for line in lines:
        if _CLUSTER.match(line):
            break
        head.append(line)
    body = [line for i, j in blocks.values() for line in lines[i:j + 1]]
    return "\n".join(head + body + ["}"])


def _assemble(lines, blocks, members, band_nodes, circles, nodes, clusters, edges, g, extent) -> str:
    """The full source with every position: what dot placed, the bands stacked under it
    with their components and circles, and the routes of the edges that reach a band."""
    x0, x1, bottom = extent
    # a band is at least as wide as its title and its row of components: a row wider than
    # the areas above would cover the band's title and stick out on its left
    sizes = g.get("_band_sizes", {})
    for name in blocks:
        size = sizes.get(name, {})
        widths = [size.get(n, (40.0, 40.0))[0] for n in members[name]]
        lw = size.get("label", (100.0, 16.0))[0]
        x1 = max(x1, x0 + PAD + lw + 2 * PAD + sum(widths) + 2 * PAD * max(len(widths) - 1, 0) + PAD)
    layout = _Assembly(lines, blocks, members, band_nodes, circles, nodes, clusters, g, x0, x1)
    pos, cluster_geo, rows, corridors, lowest = layout.stack_bands(bottom)
    node_boxes, areas, labels, lines_drawn = layout.router_view(cluster_geo)
    layout.move_labels(lines_drawn, node_boxes, areas, labels)
    radius = _radii(lines, circles)
    routed_circles = sorted(c for c in circles if layout.partners[c] and any(n in layout.band_of for n in layout.node_of[c]))
    base = layout.router(rows, cluster_geo, corridors, node_boxes, areas, labels, lines_drawn) \
        if routed_circles else None
    placing = _CirclePlacing(layout, routed_circles, radius, pos, rows, cluster_geo, node_boxes, areas)
    _cost, placed, paths, _drawn, _router = placing.cheapest(base)
    layout.place_under_circles(routed_circles, placed, pos)
    layout.place_band_circles(routed_circles, radius, rows, placed, paths, pos)
    band_pos, extent_xs = layout.band_splines(radius, placed, paths, pos, node_boxes)
    return layout.write_dot(edges, pos, cluster_geo, band_pos, extent_xs, lowest)


def _bb(value: str) -> list:
    return [float(v) for v in value.split(",")]


def _radii(lines: list, circles: set) -> dict:
    """The radius of each circle (points), from its width in the source (10 if none)."""
    radius = {c: 10.0 for c in circles}
    for line in lines:
        m = _STMT.match(line)
        if m and not m.group(3) and m.group(2) in circles:
            found = re.search(r"\bwidth=([\d.]+)", line)
            radius[m.group(2)] = float(found.group(1)) * 36 if found else 10.0
    return radius


class _Assembly:
    """The source and dot's first layout of a diagram with bands, with what the steps of
    ``_assemble`` need to know about its edges: ``ends`` and ``looks`` (the edges of the
    full source, in order, with their ends and arrows), ``partners`` (circle -> its
    components placed by dot), ``node_of`` (circle -> its band components), ``band_of``
    (band component -> its band), ``routed`` (band -> how many routes reach it) and
    ``order`` (the bands, top to bottom)."""

    def __init__(self, lines, blocks, members, band_nodes, circles, nodes, clusters, g, x0, x1):
        self.lines, self.members, self.band_nodes, self.circles = lines, members, band_nodes, circles
        self.nodes, self.clusters, self.g, self.x0, self.x1 = nodes, clusters, g, x0, x1
        self.sizes = g.get("_band_sizes", {})
        # edges of the full source, in order, with their ends and how they are drawn
        ends: list = []
        looks: list = []
        for line in lines:
            m = _STMT.match(line)
            if m and m.group(3):
                ends.append((m.group(2), m.group(3)))
                looks.append(_arrows(line))
        # the circles' other ends (components placed by dot)
        partners: dict = {c: [] for c in circles}
        for a, b in ends:
            for circle, other in ((a, b), (b, a)):
                if circle in circles and other in nodes and other not in partners[circle]:
                    partners[circle].append(other)
        node_of = {c: [b if a == c else a for a, b in ends if c in (a, b) and (a in band_nodes or b in band_nodes)]
                   for c in circles}
        band_of = {n: name for name in blocks for n in members[name]}
        self.ends, self.looks, self.partners, self.node_of, self.band_of = ends, looks, partners, node_of, band_of
        self.routed = {name: sum(len(partners[c]) for c in circles
                                 if any(band_of.get(n) == name for n in node_of[c]))
                       for name in blocks}
        self.order = list(blocks)

    def stack_bands(self, bottom: float) -> tuple:
        """Stack the bands under ``bottom``, each under its corridor, and place their
        components in rows where their flows' components above want them. Returns
        (pos: component -> (x, y), cluster_geo: band -> (its box, its title's centre),
        rows: band -> the y of its circles, corridors: (bottom, top) of each corridor,
        the y of the lowest band's bottom)."""
        x0, x1, order, circles, node_of = self.x0, self.x1, self.order, self.circles, self.node_of
        # band by band, top to bottom: the corridor above a band with circles holds them and a
        # lane per route to it (the first corridor also the routes going on to lower bands)
        pos: dict = {}
        cluster_geo: dict = {}
        rows: dict = {}  # band -> the y of its circles
        corridors: list = []  # (bottom, top) of each corridor
        top = bottom
        for k, name in enumerate(order):
            names = self.members[name]
            has_circles = any(self.band_of.get(n) == name for c in circles for n in node_of[c])
            lanes = sum(self.routed[b] for b in order[k:]) if k == 0 else self.routed[name]
            gap = CIRCLE_GAP + LANE * lanes if has_circles else GAP
            if k == 0 and not has_circles and lanes:
                gap = CIRCLE_GAP + LANE * lanes
            corridors.append((top - gap, top))
            top -= gap
            size = self.sizes.get(name, {})
            lw, lh = size.get("label", (100.0, 16.0))
            heights = [size.get(n, (40.0, 40.0))[1] for n in names]
            height = max([lh] + heights) + 2 * PAD
            ytop, ybot = top, top - height
            rows[name] = round(ytop + CIRCLE_LIFT, 2)
            cy = (ytop + ybot) / 2
            start = x0 + PAD + lw + 2 * PAD
            wanted = []
            for n in names:
                xs = [float(self.nodes[o]["pos"].split(",")[0]) for c in circles if n in node_of[c]
                      for o in self.partners[c]]
                wanted.append((sum(xs) / len(xs) if xs else start, n))
            _row(wanted, size, start, x1, cy, pos)
            cluster_geo[name] = ((x0, ybot, x1, ytop), (x0 + PAD + lw / 2, cy))
            top = ybot
        return pos, cluster_geo, rows, corridors, top

    def router_view(self, cluster_geo: dict) -> tuple:
        """What the router sees: (node_boxes: component or circle placed by dot -> its box,
        areas: area or band -> (its box, the nodes inside it), labels: the boxes of the
        areas' titles, lines_drawn: [(polyline, (tail, head))] of the edges dot drew)."""
        gvid_name = {o["_gvid"]: o.get("name") for o in self.g.get("objects", [])}
        node_boxes = {}
        for name, n in self.nodes.items():
            nx, ny = (float(v) for v in n["pos"].split(","))
            w, h = float(n["width"]) * 36, float(n["height"]) * 36
            node_boxes[name] = (nx - w, ny - h, nx + w, ny + h)
        areas = {}
        labels = []
        for cname, c in self.clusters.items():
            areas[cname] = (tuple(_bb(c["bb"])), {gvid_name.get(k) for k in c.get("nodes", [])})
            if "lp" in c:
                lx, ly = _bb(c["lp"])
                w, h = float(c.get("lwidth", 0)) * 36, float(c.get("lheight", 0)) * 36
                labels.append((lx - w, ly - h, lx + w, ly + h))
        for name in self.order:
            areas[name] = (cluster_geo[name][0], set())
        lines_drawn = []
        for e in self.g.get("edges", []):
            if "pos" in e and e.get("style") != "invis":
                lines_drawn.append((_polyline(e["pos"]), (gvid_name.get(e["tail"]), gvid_name.get(e["head"]))))
        return node_boxes, areas, labels, lines_drawn

    def move_labels(self, lines_drawn: list, node_boxes: dict, areas: dict, labels: list) -> None:
        """Move a flow label that an edge, a box or an area's border runs through beside its
        edge (its ``xlp`` in the layout changes), and add every flow label's box to
        ``labels``."""
        boxes = list(node_boxes.values()) + list(labels)
        borders = [b for b, _inside in areas.values()]
        lines = _segments([ln for ln, _ends in lines_drawn])
        for e in self.g.get("edges", []):
            if "xlp" in e:
                box = _xlabel_box(e)
                if "pos" in e and _label_hit(box, lines, boxes, borders):
                    box = _label_spot(box, _polyline(e["pos"]), lines, boxes, borders)
                    e["xlp"] = _pt(*_centre(box))
                labels.append(box)
                boxes.append(box)

    def router(self, rows, cluster_geo, corridors, node_boxes, areas, labels, lines_drawn) -> routes.Router:
        """A router over the layout, with lanes beside the diagram for the routes to the
        lower bands and lanes through each corridor, clear of its circles' row."""
        x0, x1, order = self.x0, self.x1, self.order
        lower = sum(self.routed[b] for b in order[1:])
        side = [x0 - LANE * (k + 1) for k in range(lower)] + [x1 + LANE * (k + 1) for k in range(lower)]
        lane_ys = []
        skip = []
        for name, (_lo, hi) in zip(order, corridors):
            row = rows[name]
            band_top = cluster_geo[name][0][3]
            lane_ys.append(row)
            y = row + 18
            while y < hi - 3:
                lane_ys.append(y)
                y += LANE
            skip += [(band_top - 0.5, row - 0.5), (row + 0.5, row + 17)]
        return routes.Router(node_boxes, areas, labels, lines_drawn, xs=side, ys=lane_ys, skip_ys=skip)

    def place_under_circles(self, routed_circles: list, placed: dict, pos: dict) -> None:
        """Move a band's components with routed flows under their circles (in ``pos``)."""
        members, node_of = self.members, self.node_of
        for name in self.order:
            size = self.sizes.get(name, {})
            lw = size.get("label", (100.0, 16.0))[0]
            wanted = []
            for n in members[name]:
                xs = [placed[c][0] for c in routed_circles if n in node_of[c]]
                wanted.append((sum(xs) / len(xs) if xs else pos[n][0], n))
            if any(n in node_of[c] for c in routed_circles for n in members[name]):
                _row(wanted, size, self.x0 + PAD + lw + 2 * PAD, self.x1, pos[members[name][0]][1], pos)

    def place_band_circles(self, routed_circles, radius, rows, placed, paths, pos) -> None:
        """Place the circles of the flows between two band components above them, clear of
        the other circles and lines (in ``placed``), and every circle in ``pos``."""
        x0, x1, node_of = self.x0, self.x1, self.node_of
        # the lines from the circles down to their band components, as they will be drawn
        drawn = [path for (c, _o), path in paths.items()]
        for c in routed_circles:
            for n in node_of[c]:
                drawn.append([placed[c], pos[n]])
        # a flow between two band components: its circle above them, clear of the others
        for circle in sorted(self.circles):
            if circle not in placed:
                xs = [pos[n][0] for n in node_of[circle]] or [x0]
                row = rows[self.band_of[node_of[circle][0]]]
                r = radius[circle]
                mean = sum(xs) / len(xs)
                spots = sorted((abs(x - mean), x) for x in (mean + 2 * k for k in range(-int(x1 - x0) // 2,
                                                                                         int(x1 - x0) // 2))
                               if x0 + 2 * r < x < x1 - 2 * r)
                x = next((x for _d, x in spots if _free_spot((x, row), r, placed, drawn)
                          and all(_clear_line((x, row), pos[n], r, placed, drawn) for n in node_of[circle])), mean)
                placed[circle] = (x, row)
            pos[circle] = placed[circle]

    def band_splines(self, radius, placed, paths, pos, node_boxes) -> tuple:
        """The ``pos`` splines of the edges that reach a band, as (band_pos: (tail, head) ->
        their splines in order, extent_xs: the x of every point they pass)."""
        circles, band_nodes, sizes = self.circles, self.band_nodes, self.sizes
        band_pos: dict = {}  # (tail, head) -> pos values in order
        extent_xs: list = []
        for (a, b), arrows in zip(self.ends, self.looks):
            if not ({a, b} & (band_nodes | circles)):
                continue
            if a in circles and b in circles:
                continue
            circle, other = (a, b) if a in circles else (b, a)
            if circle not in circles or (other not in self.nodes and other not in band_nodes):
                continue
            r = radius[circle]
            cbox = (placed[circle][0] - r, placed[circle][1] - r, placed[circle][0] + r, placed[circle][1] + r)
            if other in band_nodes:
                w, h = sizes.get(self.band_of[other], {}).get(other, (40.0, 40.0))
                nx, ny = pos[other]
                cx, cy = placed[circle]
                if abs(cx - nx) < w / 2 - 4:
                    path = [(cx, cy - r), (cx, ny + h / 2)]
                else:
                    path = routes.clip_start([(cx, cy), (nx, ny)], cbox, circle=True)
                    path = list(reversed(routes.clip_start(list(reversed(path)),
                                                           (nx - w / 2, ny - h / 2, nx + w / 2, ny + h / 2))))
            else:
                raw = paths.get((circle, other))
                if raw is None:
                    continue
                path = routes.clip_start(raw, node_boxes[other])
                path = list(reversed(routes.clip_start(list(reversed(path)), cbox, circle=True)))
                path = list(reversed(path))  # from the circle
            pts = path if a == circle else list(reversed(path))
            extent_xs += [p[0] for p in pts]
            band_pos.setdefault((a, b), []).append(routes.spline(pts, start_arrow=arrows[0], end_arrow=arrows[1]))
        return band_pos, extent_xs

    def write_dot(self, edges, pos, cluster_geo, band_pos, extent_xs, lowest) -> str:
        """The full source with every position written in, everything moved up so that the
        lowest band ends at y = 0."""
        g, x0, x1, nodes = self.g, self.x0, self.x1, self.nodes
        placed_by_us = self.band_nodes | self.circles
        dy = -lowest  # everything moves up so that the lowest band ends at y = 0
        gb = [float(v) for v in g["bb"].split(",")]
        bb_list = [min([gb[0], x0] + extent_xs), 0.0, max([gb[2], x1] + extent_xs), gb[3] + dy]
        out = []
        seen: dict = {}  # (tail, head) -> how many such edges were written
        cluster = None
        first_graph = True
        for line in self.lines:
            opened = _CLUSTER.match(line)
            if opened:
                cluster = opened.group(1)
                out.append(line)
                continue
            if _GRAPH.match(line):
                if cluster is None and first_graph:
                    first_graph = False
                    extra = f'bb="{_pt(bb_list[0], bb_list[1])},{_pt(bb_list[2], bb_list[3])}"'
                    if "lp" in g:
                        extra += f' lp="{_shift_points(g["lp"], dy)}"'
                    line = line.replace("graph [", "graph [" + extra + " ", 1)
                elif cluster is not None:
                    line = self._cluster_graph_line(line, cluster, cluster_geo, dy)
                cluster = None
                out.append(line)
                continue
            cluster = None
            m = _STMT.match(line)
            if m and m.group(2) not in ("graph", "node", "edge"):
                a, b = m.group(2), m.group(3)
                cut = m.end() - 1
                if b:
                    by_dot = a not in placed_by_us and b not in placed_by_us
                    if by_dot:
                        k = seen[(a, b)] = seen.get((a, b), -1) + 1
                        same = edges.get((a, b), [])
                        e = same[k] if k < len(same) else {}
                        extra = f'pos="{_shift_points(e["pos"], dy)}" ' if "pos" in e else ""
                        if "xlp" in e:
                            extra += f'xlp="{_shift_points(e["xlp"], dy)}" '
                        line = line[:cut] + "[" + extra + line[cut + 1:]
                    elif band_pos.get((a, b)):
                        line = line[:cut] + f'[pos="{_shift_points(band_pos[(a, b)].pop(0), dy)}" ' + line[cut + 1:]
                else:
                    if a in pos:
                        x, y = pos[a]
                        line = line[:cut] + f'[pos="{_pt(x, y + dy)}" ' + line[cut + 1:]
                    elif a in nodes:
                        line = line[:cut] + f'[pos="{_shift_points(nodes[a]["pos"], dy)}" ' + line[cut + 1:]
            out.append(line)
        return "\n".join(out)

    def _cluster_graph_line(self, line: str, cluster: str, cluster_geo: dict, dy: float) -> str:
        """The ``graph [`` line of area or band ``cluster`` with its box and title's
        position written in, moved up by ``dy``."""
        if cluster in cluster_geo:
            (a, b, c, d), (lx, ly) = cluster_geo[cluster]
            return line.replace("graph [", f'graph [bb="{_pt(a, b + dy)},{_pt(c, d + dy)}" '
                                f'lp="{_pt(lx, ly + dy)}" ', 1)
        if cluster in self.clusters:
            o = self.clusters[cluster]
            extra = f'bb="{_shift_points(o["bb"], dy)}"'
            if "lp" in o:
                extra += f' lp="{_shift_points(o["lp"], dy)}"'
            return line.replace("graph [", "graph [" + extra + " ", 1)
        return line


class _CirclePlacing:
    """Routes the component-to-circle edges circle by circle, trying orders of the
    circles, and keeps the cheapest."""

    def __init__(self, a: _Assembly, routed_circles, radius, pos, rows, cluster_geo, node_boxes, areas):
        self.a, self.routed_circles, self.radius, self.pos, self.rows = a, routed_circles, radius, pos, rows
        self.cluster_geo, self.node_boxes, self.areas = cluster_geo, node_boxes, areas
        self.first_cost: dict = {}  # circle -> the cost of its first route when routed before any other

    def advance(self, state: tuple, circle: str, bound: float):
        """Route the component-to-circle edges of one more circle; the first route to a
        circle places it on its band's row. ``state``: (cost, placed, paths, drawn,
        router) after the circles before it, which it leaves unchanged. Returns the state
        after it, or None as soon as its cost reaches ``bound``."""
        a, node_boxes, areas = self.a, self.node_boxes, self.areas
        node_of, x0, x1 = a.node_of, a.x0, a.x1
        total, placed, paths, drawn, router = state
        router = router.copy()
        placed = dict(placed)  # circle -> (x, y)
        paths = dict(paths)  # (circle, component) -> points from the component to the circle
        drawn = list(drawn)  # the routes and the lines from circles down to their bands
        name = next(a.band_of[n] for n in node_of[circle] if n in a.band_of)
        row = self.rows[name]
        pref = sum(self.pos[n][0] for n in node_of[circle]) / len(node_of[circle])
        # near the circles of the same band component placed already, or where it was
        # wanted; the only circle of a band component is nearly free (the component
        # moves under it)
        siblings = [placed[c][0] for c in placed if set(node_of[c]) & set(node_of[circle])]
        alone = not any(set(node_of[c]) & set(node_of[circle]) for c in self.routed_circles if c != circle)
        pull = FIRST_TARGET_COST if alone else TARGET_COST
        if siblings:
            pref = sum(siblings) / len(siblings)
        r = self.radius[circle]
        partners = a.partners[circle]
        for other in sorted(partners, key=lambda o: (abs(_centre(node_boxes[o])[0] - pref), o)):
            if circle in placed:
                targets = {placed[circle]: 0.0}
            else:
                # the other components of this circle will have to come to it too
                rest = [_centre(node_boxes[o])[0] for o in partners if o != other]
                free = _free_spots([x for x in router.xs if x0 + 2 * r < x < x1 - 2 * r], row, r, placed, drawn)
                if rest:
                    targets = {(x, row): pull * abs(x - pref) + sum([abs(x - q) for q in rest]) for x in free}
                else:  # the sum of nothing is 0: adding it changes no cost
                    targets = {(x, row): pull * abs(x - pref) for x in free}
            own = {area for area, (_b, inside) in areas.items() if other in inside}
            path = router.route(other, targets, free={circle}, own=own, owner=circle, limit=bound - total)
            if router.over_limit:
                return None
            if path is not None and alone and not placed and circle not in placed:
                self.first_cost.setdefault(circle, router.last_cost)  # routed first of all
            if path is None:  # no way on the grid: a straight line
                path = [_centre(node_boxes[other]), placed.get(circle, (pref, row))]
                total += NO_ROUTE_COST
            else:
                total += router.last_cost
            if total > bound:
                return None
            if circle not in placed:
                placed[circle] = path[-1]
                cx, cy = path[-1]
                router.add_node(circle, (cx - r, cy - r, cx + r, cy + r))
                drop = [(cx, cy - r), (cx, self.cluster_geo[name][0][3])]
                router.add_line(drop, owner=circle)
                drawn.append(drop)
            router.add_line(path, owner=circle)
            drawn.append(path)
            paths[(circle, other)] = path
        return total, placed, paths, drawn, router

    def cheapest(self, base) -> tuple:
        """The final state (cost, placed: circle -> (x, y), paths: (circle, component) ->
        points, drawn, router) of the cheapest order of the circles, starting from router
        ``base``."""
        # every order of the circles (up to MAX_PERMUTED of them; else the sorted order and its
        # reverse, on a large grid the reverse only if needed) is tried, the cheapest kept, the
        # first of equal ones. Orders that begin alike share their routes; the cheapest next
        # circle is tried first, and as costs only grow when routes are added, an order stops
        # as soon as it costs more than the best one found, or as soon as its cost plus what
        # the circles still to come will cost at least exceeds it: a circle that shares its
        # band component with no other routed circle always goes to the same place and pays
        # for its first route at least what it paid when routed first of all (more drawn,
        # more to go round; advance records it in first_cost); for the others nothing is
        # assumed.
        routed_circles, advance = self.routed_circles, self.advance
        best: list = [None]  # (cost, order as positions in routed_circles, final state)
        start_state: tuple = (0.0, {}, {}, [], base)
        at_least = [0.0] * len(routed_circles)  # each circle's least cost, once routed first

        seen: set = set()  # the states reached by two circles or more: (placed, paths)

        def search(state: tuple, prefix: tuple) -> None:
            if len(prefix) >= 2:
                # circles whose routes do not meet reach the same state in either order:
                # what follows is the same, and was searched already
                key = (frozenset(state[1].items()), frozenset((k, tuple(v)) for k, v in state[2].items()))
                if key in seen:
                    return
                seen.add(key)
            if len(prefix) == len(routed_circles):
                if best[0] is None or (state[0], prefix) < best[0][:2]:
                    best[0] = (state[0], prefix, state)
                return
            rest = sum(at_least[k] for k in range(len(routed_circles)) if k not in prefix)
            children = []
            for k, circle in enumerate(routed_circles):
                if k not in prefix:
                    after = advance(state, circle, math.inf if best[0] is None else
                                    best[0][0] - (rest - at_least[k]))
                    if after is not None:
                        children.append((after[0], prefix + (k,), after))
                    if not prefix and circle in self.first_cost:
                        at_least[k] = self.first_cost[circle]
            rest = sum(at_least[k] for k in range(len(routed_circles)) if k not in prefix)  # known now
            for cost, order, after in sorted(children, key=lambda c: c[:2]):
                if best[0] is None or cost + rest - at_least[order[-1]] <= best[0][0]:
                    search(after, order)

        if len(routed_circles) <= MAX_PERMUTED:
            search(start_state, ())
            return best[0][2]
        # on a large grid (routes.WINDOW_AT) every route is dear: the reverse order is tried
        # only when the sorted one left a flow without a route (a straight line), and is given
        # up as soon as it leaves one too
        large = base.n > routes.WINDOW_AT
        for circle_order in (routed_circles, routed_circles[::-1]):
            bound = math.inf if best[0] is None else best[0][0]
            if large and best[0] is not None:
                if bound < NO_ROUTE_COST:
                    break
                bound = NO_ROUTE_COST
            state = start_state
            for circle in circle_order:
                state = advance(state, circle, bound)
                if state is None:
                    break
            if state is not None and (best[0] is None or state[0] < best[0][0]):
                best[0] = state
        return best[0]


def _row(wanted: list, size: dict, start: float, x1: float, cy: float, pos: dict) -> None:
    """Place a band's components in a row, each at its wanted x or right of the one before."""
    x = start
    placed = []
    for want, n in sorted(wanted):
        w = size.get(n, (40.0, 40.0))[0]
        cx = max(want, x + w / 2)
        pos[n] = (cx, cy)
        placed.append(n)
        x = cx + w / 2 + 2 * PAD
    over = x - 2 * PAD - (x1 - PAD)
    if over > 0:  # pushed past the right edge: move the row back
        for n in placed:
            pos[n] = (max(start, pos[n][0] - over), cy)


def _arrows(line: str) -> tuple:
    """(arrowhead at the tail, arrowhead at the head) of an edge statement."""
    def attr(name: str, default: str) -> str:
        search = _EDGE_ATTR.get(name)
        if search is None:
            search = _EDGE_ATTR[name] = re.compile(rf"\b{name}=(\w+)").search
        m = search(line)
        return m.group(1) if m else default

    direction = attr("dir", "forward")
    return (direction in ("back", "both") and attr("arrowtail", "normal") != "none",
            direction in ("forward", "both") and attr("arrowhead", "normal") != "none")


def _polyline(value: str) -> list:
    """A Graphviz edge ``pos`` as a polyline: its control points, arrow tips at the ends."""
    start = end = None
    points = []
    for item in value.split():
        parts = item.split(",")
        if parts[0] in ("s", "e"):
            p = (float(parts[1]), float(parts[2]))
            start, end = (p, end) if parts[0] == "s" else (start, p)
        else:
            points.append((float(parts[0]), float(parts[1])))
    return ([start] if start else []) + points + ([end] if end else [])


def _xlabel_box(e: dict) -> tuple:
    """The box of an edge's external label (its text's width, a line high, padded)."""
    x, y = (float(v) for v in e["xlp"].split(","))
    widths = [float(op.get("width", 0)) for op in e.get("_ldraw_", []) + e.get("_xldraw_", []) if op.get("op") == "T"]
    w = (max(widths) if widths else 60.0) + 6
    h = float(e.get("fontsize", 12)) + 8
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def _free_spots(xs: list, y: float, r: float, placed: dict, drawn: list) -> list:
    """The x of ``xs`` (ascending) where a circle of radius r at (x, y) keeps clear of the
    circles placed and the lines drawn: _free_spot for each. Each circle and each segment
    near the row is tested only against the spots it can reach (found by bisection, with a
    point to spare, then the same tests as _free_spot's), not every spot against all."""
    far = r + 4 + 1e-6
    gap = 2 * r + 8
    n = len(xs)
    taken = bytearray(n)
    for q in placed.values():
        if abs(y - q[1]) < gap:
            for i in range(bisect_left(xs, q[0] - gap - 1), min(n, bisect_right(xs, q[0] + gap + 1))):
                if abs(xs[i] - q[0]) < gap:
                    taken[i] = 1
    for line in drawn:
        for a, b in zip(line, line[1:]):
            if y - far > max(a[1], b[1]) or y + far < min(a[1], b[1]):
                continue  # too far above or below the row
            lo, hi = min(a[0], b[0]), max(a[0], b[0])
            for i in range(bisect_left(xs, lo - far - 1), min(n, bisect_right(xs, hi + far + 1))):
                x = xs[i]
                if taken[i] or x - far > hi or x + far < lo:
                    continue
                if not _seg_dist((x, y), a, b) > r + 4:
                    taken[i] = 1
    return [x for x, t in zip(xs, taken) if not t]


def _free_spot(p: tuple, r: float, placed: dict, drawn: list) -> bool:
    """Whether a circle of radius r at p keeps clear of the circles placed and the lines
    drawn."""
    if any(abs(p[0] - q[0]) < 2 * r + 8 and abs(p[1] - q[1]) < 2 * r + 8 for q in placed.values()):
        return False
    far = r + 4 + 1e-6  # a segment whose box is farther than this in x or y is clear
    return all(_seg_dist(p, a, b) > r + 4 for line in drawn for a, b in zip(line, line[1:])
               if not (p[0] - far > max(a[0], b[0]) or p[0] + far < min(a[0], b[0])
                       or p[1] - far > max(a[1], b[1]) or p[1] + far < min(a[1], b[1])))


def _clear_line(p: tuple, q: tuple, r: float, placed: dict, drawn: list) -> bool:
    """Whether the straight line p-q passes clear of the circles placed (radius r) and
    crosses none of the lines drawn."""
    if any(_seg_dist(c, p, q) < r + 3 for c in placed.values()):
        return False
    return not any(_crossing(p, q, a, b) for line in drawn for a, b in zip(line, line[1:]))


def _crossing(p, q, a, b) -> bool:
    def side(u, v, w) -> float:
        return (v[0] - u[0]) * (w[1] - u[1]) - (v[1] - u[1]) * (w[0] - u[0])
    return side(p, q, a) * side(p, q, b) < 0 and side(a, b, p) * side(a, b, q) < 0


def _seg_dist(p, a, b) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    ll = dx * dx + dy * dy
    t = 0.0 if ll == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / ll))
    return ((p[0] - a[0] - t * dx) ** 2 + (p[1] - a[1] - t * dy) ** 2) ** 0.5


def _segments(lines: list) -> list:
    """The segments of polylines, each as (its least x, greatest x, least y, greatest y,
    one end, the other), for _label_hit."""
    return [(min(a[0], b[0]), max(a[0], b[0]), min(a[1], b[1]), max(a[1], b[1]), a, b)
            for line in lines for a, b in zip(line, line[1:])]


def _label_hit(box: tuple, segments: list, boxes: list, borders: list) -> bool:
    """Whether a label's box is crossed by a line (``segments`` as _segments gives
    them), overlaps a box or straddles the border of an area."""
    x0, y0, x1, y1 = box
    corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    sides = list(zip(corners, corners[1:] + corners[:1]))
    e = 1e-6
    for lx, hx, ly, hy, a, b in segments:
        if hx < x0 - e or lx > x1 + e or hy < y0 - e or ly > y1 + e:
            continue  # it keeps away from the box
        if any(x0 < p[0] < x1 and y0 < p[1] < y1 for p in (a, b)):
            return True
        if any(_crossing(a, b, c, d) for c, d in sides):
            return True
    if any(b[0] < x1 and x0 < b[2] and b[1] < y1 and y0 < b[3] for b in boxes):
        return True
    for b in borders:  # partly inside an area
        overlaps = b[0] < x1 and x0 < b[2] and b[1] < y1 and y0 < b[3]
        inside = b[0] <= x0 and x1 <= b[2] and b[1] <= y0 and y1 <= b[3]
        if overlaps and not inside:
            return True
    return False


def _label_spot(box: tuple, edge: list, segments: list, boxes: list, borders: list) -> tuple:
    """The box of a label moved beside its edge, above or below (left or right of) a
    point of one of its segments, the nearest free one to where it was; or where it was."""
    w, h = box[2] - box[0], box[3] - box[1]
    home = _centre(box)
    spots = []
    for a, b in zip(edge, edge[1:]):
        if math.dist(a, b) < 1:
            continue
        for t in (0.5, 0.3, 0.7, 0.15, 0.85):
            mx, my = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
            if abs(b[0] - a[0]) >= abs(b[1] - a[1]):
                spots += [(mx, my + h / 2 + 3), (mx, my - h / 2 - 3)]
            else:
                spots += [(mx + w / 2 + 3, my), (mx - w / 2 - 3, my)]
    for cx, cy in sorted(spots, key=lambda p: (math.dist(p, home), p)):
        moved = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        if not _label_hit(moved, segments, boxes, borders):
            return moved
    return box


def _centre(box: tuple) -> tuple:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def band_sizes(g: dict) -> dict:
    """``{band cluster: {"label": (w, h), node: (w, h)}}`` in points, from the JSON layout
    of band_sizes_source."""
    out: dict = {}
    objects = g.get("objects", [])
    by_id = {o["_gvid"]: o for o in objects}
    for o in objects:
        if o.get("name", "").startswith("cluster_"):
            entry = {"label": (float(o.get("lwidth", 1.4)) * 72, float(o.get("lheight", 0.22)) * 72)}
            for k in o.get("nodes", []):
                n = by_id.get(k, {})
                if "width" in n:
                    entry[n["name"]] = (float(n["width"]) * 72, float(n["height"]) * 72)
            out[o["name"]] = entry
    return out
