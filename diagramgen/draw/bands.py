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

import json
import re

GAP = 14.0  # points between the areas and the first band, and between bands
PAD = 8.0  # points inside a band around its content
CIRCLE_GAP = 44.0  # points above a band whose flows have circles: room for them
CIRCLE_LIFT = 22.0  # points from a band's top to the centre of a circle above it

_CLUSTER = re.compile(r"^\t*subgraph (cluster_\w+) \{")
_STMT = re.compile(r"^(\t+)(\w+)(?: -> (\w+))? \[")


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
    lines, blocks, _members, band_nodes, circles = _analyse(source)
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
    """A Graphviz point list ("e,x,y x,y ...") moved up by dy."""
    def one(m):
        return _pt(float(m.group(1)), float(m.group(2)) + dy)
    return re.sub(r"(-?[\d.]+),(-?[\d.]+)", one, value)


def first_pass(source: str) -> str:
    """What the first dot run reads: the diagram without its bands (layout_source), then
    a second graph with the bands alone, whose layout tells the sizes of their nodes and
    titles (one process lays out both)."""
    return layout_source(source) + "\n" + band_sizes_source(source) + "\n"


def placed_source(source: str, first_json: bytes) -> str:
    """The full source with every position (see the module's description), for neato -n2;
    ``first_json`` is dot's JSON output of first_pass(source)."""
    lines, blocks, members, band_nodes, circles = _analyse(source)
    text = first_json.decode("utf-8")
    decoder = json.JSONDecoder()
    g, end = decoder.raw_decode(text)
    sizes_doc, _ = decoder.raw_decode(text[end:].lstrip())
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
    lines, blocks, *_ = _analyse(source)
    head = []
    for line in lines:
        if _CLUSTER.match(line):
            break
        head.append(line)
    body = [line for i, j in blocks.values() for line in lines[i:j + 1]]
    return "\n".join(head + body + ["}"])


def _assemble(lines, blocks, members, band_nodes, circles, nodes, clusters, edges, g, extent) -> str:
    x0, x1, bottom = extent
    sizes = g.get("_band_sizes", {})
    objects = g.get("objects", [])

    def bb(value: str) -> list:
        return [float(v) for v in value.split(",")]

    # edges of the full source, in order, with their ends
    ends: list = []
    for line in lines:
        m = _STMT.match(line)
        if m and m.group(3):
            ends.append((m.group(2), m.group(3)))
    # the circles' other ends (components placed by dot)
    partners: dict = {c: [] for c in circles}
    for a, b in ends:
        for circle, other in ((a, b), (b, a)):
            if circle in circles and other in nodes:
                partners[circle].append(float(nodes[other]["pos"].split(",")[0]))
    # band by band, top to bottom
    pos: dict = {}
    cluster_geo: dict = {}
    top = bottom
    for name in blocks:
        names = members[name]
        top -= CIRCLE_GAP if any(c in circles for n in names for a, b in ends if n in (a, b)
                                 for c in (a, b)) else GAP
        size = sizes.get(name, {})
        lw, lh = size.get("label", (100.0, 16.0))
        heights = [size.get(n, (40.0, 40.0))[1] for n in names]
        height = max([lh] + heights) + 2 * PAD
        ytop, ybot = top, top - height
        cy = (ytop + ybot) / 2
        start = x0 + PAD + lw + 2 * PAD
        # components with flows under the components they connect to; the others in a row
        wanted = []
        for n in names:
            xs = [x for circle in circles for a, b in ends if {a, b} == {n, circle} for x in partners[circle]]
            wanted.append((sum(xs) / len(xs) if xs else start, n))
        wanted.sort()
        x = start
        for want, n in wanted:
            w = size.get(n, (40.0, 40.0))[0]
            cx = max(want, x + w / 2)
            pos[n] = (cx, cy)
            x = cx + w / 2 + 2 * PAD
        over = x - 2 * PAD - (x1 - PAD)
        if over > 0:  # pushed past the right edge: move the row back
            for n in names:
                pos[n] = (max(start, pos[n][0] - over), cy)
        cluster_geo[name] = ((x0, ybot, x1, ytop), (x0 + PAD + lw / 2, cy))
        top = ybot
    # circles just above their band, where the straight lines to the components they
    # connect to cross the fewest boxes and areas (neato draws these edges straight)
    band_top = {n: cluster_geo[name][0][3] for name in blocks for n in members[name]}
    gvid = {o["name"]: o["_gvid"] for o in objects if "name" in o}
    areas = [(bb(c["bb"]), set(c.get("nodes", []))) for c in clusters.values()]
    node_boxes = {}
    for name, n in nodes.items():
        nx, ny = (float(v) for v in n["pos"].split(","))
        w, h = float(n["width"]) * 36, float(n["height"]) * 36
        node_boxes[name] = (nx - w, ny - h, nx + w, ny + h)
    used: list = []
    for circle in sorted(circles):
        band_node = next(b if a == circle else a for a, b in ends
                         if circle in (a, b) and (a in band_nodes or b in band_nodes))
        others = [b if a == circle else a for a, b in ends if circle in (a, b)]
        others = [o for o in others if o in nodes]
        y = band_top[band_node] + CIRCLE_LIFT
        xs = [float(nodes[o]["pos"].split(",")[0]) for o in others] or [pos[band_node][0]]
        mean = sum(xs) / len(xs)
        best = None
        steps = int((x1 - x0) / 12)
        for k in range(steps + 1):
            cx = x0 + 20 + k * 12
            if cx > x1 - 20 or any(abs(cx - ux) < 26 and abs(y - uy) < 26 for ux, uy in used):
                continue
            cost = 0.0
            for o in others:
                ox, oy = (float(v) for v in nodes[o]["pos"].split(","))
                cost += sum(_crosses((cx, y), (ox, oy), box) for name, box in node_boxes.items() if name != o) * 10
                cost += sum(_crosses((cx, y), (ox, oy), box) for box, inside in areas if gvid[o] not in inside) * 10
                cost += abs(ox - cx) / 100
            cost += abs(cx - mean) / 200
            if best is None or cost < best[0]:
                best = (cost, cx)
        cx = best[1] if best else mean
        used.append((cx, y))
        pos[circle] = (cx, y)
    # a band's component with flows sits under its circles
    for name in blocks:
        for n in members[name]:
            xs = [pos[c][0] for c in circles if any({a, b} == {n, c} for a, b in ends)]
            if xs:
                pos[n] = (sum(xs) / len(xs), pos[n][1])
    lowest = top
    dy = -lowest  # everything moves up so that the lowest band ends at y = 0
    gb = bb_list = [float(v) for v in g["bb"].split(",")]
    bb_list = [min(gb[0], x0), 0.0, max(gb[2], x1), gb[3] + dy]
    out = []
    seen: dict = {}  # (tail, head) -> how many such edges were written
    cluster = None
    first_graph = True
    for line in lines:
        opened = _CLUSTER.match(line)
        if opened:
            cluster = opened.group(1)
            out.append(line)
            continue
        if re.match(r"^\t*graph \[", line):
            if cluster is None and first_graph:
                first_graph = False
                extra = f'bb="{_pt(bb_list[0], bb_list[1])},{_pt(bb_list[2], bb_list[3])}"'
                if "lp" in g:
                    extra += f' lp="{_shift_points(g["lp"], dy)}"'
                line = line.replace("graph [", "graph [" + extra + " ", 1)
            elif cluster in cluster_geo:
                (a, b, c, d), (lx, ly) = cluster_geo[cluster]
                line = line.replace("graph [", f'graph [bb="{_pt(a, b + dy)},{_pt(c, d + dy)}" '
                                    f'lp="{_pt(lx, ly + dy)}" ', 1)
            elif cluster in clusters:
                o = clusters[cluster]
                extra = f'bb="{_shift_points(o["bb"], dy)}"'
                if "lp" in o:
                    extra += f' lp="{_shift_points(o["lp"], dy)}"'
                line = line.replace("graph [", "graph [" + extra + " ", 1)
            cluster = None
            out.append(line)
            continue
        cluster = None
        m = _STMT.match(line)
        if m and m.group(2) not in ("graph", "node", "edge"):
            a, b = m.group(2), m.group(3)
            cut = m.end() - 1
            if b:
                routed = a not in band_nodes | circles and b not in band_nodes | circles
                if routed:
                    k = seen[(a, b)] = seen.get((a, b), -1) + 1
                    same = edges.get((a, b), [])
                    e = same[k] if k < len(same) else {}
                    extra = f'pos="{_shift_points(e["pos"], dy)}" ' if "pos" in e else ""
                    if "xlp" in e:
                        extra += f'xlp="{_shift_points(e["xlp"], dy)}" '
                    line = line[:cut] + "[" + extra + line[cut + 1:]
            else:
                if a in pos:
                    x, y = pos[a]
                    line = line[:cut] + f'[pos="{_pt(x, y + dy)}" ' + line[cut + 1:]
                elif a in nodes:
                    line = line[:cut] + f'[pos="{_shift_points(nodes[a]["pos"], dy)}" ' + line[cut + 1:]
        out.append(line)
    return "\n".join(out)


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


def _crosses(p, q, box) -> bool:
    """Whether the segment p-q runs through the box (x0, y0, x1, y1), shrunk by 2 points."""
    x0, y0, x1, y1 = box[0] + 2, box[1] + 2, box[2] - 2, box[3] - 2
    if x0 >= x1 or y0 >= y1:
        return False
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for d, lo, hi, start in ((dx, x0, x1, p[0]), (dy, y0, y1, p[1])):
        if abs(d) < 1e-9:
            if not lo < start < hi:
                return False
            continue
        a, b = (lo - start) / d, (hi - start) / d
        if a > b:
            a, b = b, a
        t0, t1 = max(t0, a), min(t1, b)
        if t0 >= t1:
            return False
    # the part inside must not be only the end at the component itself
    return t0 < 0.97
