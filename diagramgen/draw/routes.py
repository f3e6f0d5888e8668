"""Orthogonal routes for the flows that reach a foundation band (see bands.py).

dot lays out everything but the bands; the edges between a component it placed and a
band's numbered circle are routed here, on a grid of horizontal and vertical lines that
run just outside every box (and along lanes in the corridor above each band and beside
the bands). A route is the cheapest path on that grid from the component's centre to
its circle: its length, plus a cost for every turn, for every edge it crosses and for
every point it runs inside an area that does not hold the component, on top of another
edge or over a label. Boxes of other components and circles cannot be crossed. Routes
are found one after the other; each becomes an edge the next ones avoid.

Everything is in dot's coordinates (points, y upwards) and deterministic: ties between
equal costs are broken by grid position.
"""
from __future__ import annotations

import heapq
import math
import operator
import os
from array import array
from bisect import bisect_left, bisect_right
from types import ModuleType

_compiled: ModuleType | None
try:  # the same search compiled (_routesearch.c), where it could be built
    import diagramgen.draw._routesearch as _built

    _compiled = _built
except ImportError:  # pragma: no cover - depends on the build
    _compiled = None
if _compiled is not None and (getattr(_compiled, "VERSION", 0) != 5 or os.environ.get("DIAGRAMGEN_PURE_PYTHON")):
    _compiled = None  # built from another version of the source, or turned off

LANE = 8.0  # points between two lanes (parallel routes)
CLEAR = 8.0  # grid lines run this far outside the boxes
NODE_MARGIN = 5.0  # a route keeps this far from other components and circles
AREA_COST = 40.0  # per point inside an area that holds neither end
LABEL_COST = 20.0  # per point over a label
OVERLAP_COST = 40.0  # per point on top of (or within 3 points of) another edge
CROSS_COST = 500.0  # per edge crossed
BEND_COST = 14.0  # per turn
END_ZONE = 6.0  # crossing an edge of the box a route leaves, this close to it, costs nothing
THIN = 4.0  # grid lines closer than this are thinned out (see _thin)
NEAR = 5.0  # lines closer than this run "on top of each other"
TARGET_COST = 1.5  # per point between a circle and the others of its band component
FIRST_TARGET_COST = 0.5  # the same for its first circle: per point from where it was wanted
WINDOW_AT = 20000  # grids of more points than this are searched in a window first (see _window)
WINDOW_MARGIN = 300.0  # points around the start and the wanted end that the window holds

Box = tuple  # (x0, y0, x1, y1)
# the tables of a router, as bits of its mask of special unit segments (Router._mark)
BLOCK, INSIDE, LABEL, OVERLAP, CROSS = 1, 2, 4, 8, 16


def _merge(values, tolerance: float = 1.0, rounded: bool = False) -> list:
    """The values rounded to 2 decimals (``rounded``: they are already, and rounding
    again would change none), sorted, without those within ``tolerance`` of the one kept
    before."""
    out: list = []
    for v in sorted(values if rounded else [round(v, 2) for v in values]):
        if not out or v - out[-1] > tolerance:
            out.append(v)
    return out


def _thin(lines: list) -> list:
    """The grid lines (value, kind), their values rounded to 2 decimals, without those
    within THIN points of one kept: of such a group, the lines of kind "keep", else the
    lowest "lo" line and the highest "hi" line (both still CLEAR or more outside their
    boxes), else its first line. A group closes at the first line more than THIN above
    its first (at the end, a line at infinity); a line alone is kept, whatever its kind."""
    if THIN <= 0:
        return [v for v, _kind in lines]
    items = sorted([(round(v, 2), kind) for v, kind in lines])
    end = len(items)
    items.append((math.inf, ""))
    out: list = []
    a = 0
    while a < end:
        first = items[a][0]
        b = a + 1
        while not items[b][0] - first > THIN:
            b += 1
            if b > end:  # the line at infinity is in the group: it never closes
                return out
        if b == a + 1:
            out.append(first)
        else:
            group = items[a:b]
            keep = [g for g, k in group if k == "keep"]
            if not keep:
                los = [g for g, k in group if k == "lo"]
                his = [g for g, k in group if k == "hi"]
                keep = ([min(los)] if los else []) + ([max(his)] if his else []) or [first]
            out += keep
        a = b
    return out


class Router:
    """A grid over the drawing and what lies on it.

    ``nodes``: {name: box} of components and circles (obstacles); ``areas``: {name:
    (box, set of node names inside)}; ``labels``: boxes of texts to keep clear of;
    ``lines``: polylines of the edges drawn already; ``xs`` and ``ys``: extra grid lines
    (lanes, circle rows); ``skip_ys``: (low, high) ranges with no horizontal lines.

    The grid point (i, j) is (xs[i], ys[j]), numbered p = j * nx + i. Unit segment p runs
    from point p to its right neighbour, unit segment N + p (N = nx * ny) from point p to
    the one above it."""

    def __init__(self, nodes: dict, areas: dict, labels: list, lines: list, xs=(), ys=(), skip_ys=()):
        self.nodes = dict(nodes)
        self.areas = areas
        # grid lines: (value, kind); "lo" and "hi" run CLEAR outside a box's low and high
        # sides, "mid" through a node's middle, "keep" are lanes, rows and narrow gaps
        gx = [(v, "keep") for v in xs]
        gy = [(v, "keep") for v in ys]
        for x0, y0, x1, y1 in nodes.values():
            gx += [(x0 - CLEAR, "lo"), (x1 + CLEAR, "hi"), ((x0 + x1) / 2, "mid")]
            gy += [(y0 - CLEAR, "lo"), (y1 + CLEAR, "hi"), ((y0 + y1) / 2, "mid")]
        for (x0, y0, x1, y1), _inside in areas.values():
            gx += [(x0 - CLEAR, "lo"), (x1 + CLEAR, "hi")]
            gy += [(y0 - CLEAR, "lo"), (y1 + CLEAR, "hi")]
        # narrow gaps between two boxes: a line down the middle
        boxes = list(nodes.values()) + [b for b, _ in areas.values()]
        for coords, lo, hi in ((gx, 0, 2), (gy, 1, 3)):
            edges = sorted(set(round(v, 2) for b in boxes for v in (b[lo], b[hi])))
            coords += [((a + b) / 2, "keep") for a, b in zip(edges, edges[1:]) if b - a < 2 * CLEAR + 2]
        self.xs = _merge(_thin(gx), rounded=True)
        self.ys = _merge(_thin(gy), rounded=True)
        for lo, hi in skip_ys:
            self.ys = [y for y in self.ys if not lo < y < hi]
        self.nx, self.ny = len(self.xs), len(self.ys)
        self.n = self.nx * self.ny
        xs, ys = self.xs, self.ys  # the lengths and middles of the unit segments along each axis
        self._lengths = ([xs[i + 1] - xs[i] for i in range(self.nx - 1)], [ys[j + 1] - ys[j] for j in range(self.ny - 1)])
        self._mid = ([(xs[i] + xs[i + 1]) / 2 for i in range(self.nx - 1)],
                     [(ys[j] + ys[j + 1]) / 2 for j in range(self.ny - 1)])
        self.block: dict = {}  # segment -> node names covering it
        self.inside: dict = {}  # segment -> the names of the areas covering it (a tuple)
        self.label: set = set()
        self.cross: dict = {}  # segment -> the owners of the edges crossing it
        self.overlap: dict = {}  # segment -> the owners of the edges along it
        self.special = bytearray(2 * self.n)  # per unit segment: the bits of the tables above that hold it
        self.last_cost = 0.0
        self.over_limit = False
        self._line_cells: dict = {}  # line -> its unit segments (add_line), shared by copies
        self._grid_arrays: tuple | None = None  # see _arrays
        self._routes: dict = {}  # a route's question -> [(added, path, cost)], shared by copies
        self._over: dict = {}  # a route's question -> [(added, a limit every way costs more than)], shared
        self.added: frozenset = frozenset()  # the nodes and lines added after this grid was made
        for name, box in nodes.items():
            self._block(name, box)
        for name, ((x0, y0, x1, y1), _inside) in areas.items():
            self._mark(self.inside, INSIDE, self._covered((x0 + 2, y0 + 2, x1 - 2, y1 - 2)), name)
        for x0, y0, x1, y1 in labels:
            self._mark(self.label, LABEL, self._covered((x0 - 2, y0 - 2, x1 + 2, y1 + 2)), None)
        for line in lines:  # a polyline, or (polyline, names of the boxes it joins)
            points, ends = line if isinstance(line, tuple) else (line, ())
            self.add_line(points, ends=ends)
        self.added = frozenset()  # the lines given are part of the grid's own picture

    def copy(self) -> Router:
        """A router with the same grid, which later lines and nodes do not share."""
        other = Router.__new__(Router)
        other.__dict__.update(self.__dict__)
        other.nodes = dict(self.nodes)
        other.block = dict(self.block)  # their values are tuples and frozensets: replaced, never changed
        other.cross = dict(self.cross)
        other.overlap = dict(self.overlap)
        other.special = bytearray(self.special)
        return other

    def _covered(self, box: Box, touching: bool = False) -> list:
        """The unit segments whose middle lies inside ``box`` (``touching``: that run
        inside it for any length), row by row. The middles grow along a line, so those
        inside are a run of them: found by bisection, not by testing each."""
        x0, y0, x1, y1 = box
        if _compiled is not None:  # the same, compiled (_routesearch.c's covered)
            return _compiled.covered(*(self._grid_arrays or self._arrays()), x0, y0, x1, y1, touching)
        xs, ys, nx, n = self.xs, self.ys, self.nx, self.n
        jlo, jhi = bisect_right(ys, y0), bisect_left(ys, y1)  # lines strictly inside
        ilo, ihi = bisect_right(xs, x0), bisect_left(xs, x1)
        if touching:
            ia, ib = max(0, ilo - 1), min(nx - 1, ihi)
            ja, jb = max(0, jlo - 1), min(self.ny - 1, jhi)
        else:  # no middle outside these runs lies inside the box: the runs need no clamp
            mx, my = self._mid
            ia, ib = bisect_right(mx, x0), bisect_left(mx, x1)
            ja, jb = bisect_right(my, y0), bisect_left(my, y1)
        out: list = []
        if ia < ib:
            for j in range(jlo, jhi):
                out += range(j * nx + ia, j * nx + ib)
        if ja < jb:
            for i in range(ilo, ihi):
                out += range(n + ja * nx + i, n + jb * nx + i, nx)
        return out

    def _block(self, name: str, box: Box, touching: bool = False) -> None:
        m = NODE_MARGIN
        self._mark(self.block, BLOCK, self._covered((box[0] - m, box[1] - m, box[2] + m, box[3] + m), touching), name)

    def _mark(self, table, bit: int, cells, value, owner=None) -> None:
        """Write ``value`` into ``table`` for each unit segment of ``cells``, in order, and
        set the table's ``bit`` in its mask of special segments. The table's entries:
        BLOCK, INSIDE and CROSS, the tuple of entries grows by ``value``; LABEL, the segment
        is added; OVERLAP, the frozenset ``value`` = {``owner``} joins the owners there.
        Where the compiled search was built this loop is compiled (_routesearch.c's mark):
        the same tables, their entries made in the same order."""
        if _compiled is not None:
            _compiled.mark(table, bit, self.special, cells, value, owner)
            return
        special = self.special
        if bit == LABEL:
            for k in cells:
                table.add(k)
                special[k] |= bit
            return
        get = table.get
        if bit != OVERLAP:  # tuples: one (value,) for the segments that held nothing, and one
            one = (value,)  # was + (value,) for a run of segments that held the same was
            last_was = last_now = None
            for k in cells:
                was = get(k)
                if was is None:
                    table[k] = one
                else:
                    if was is not last_was:
                        last_was, last_now = was, was + (value,)
                    table[k] = last_now
                special[k] |= bit
        else:
            for k in cells:
                was = get(k)
                if was is None:
                    table[k] = value
                elif owner not in was:
                    table[k] = was | value
                special[k] |= bit

    def add_node(self, name: str, box: Box) -> None:
        """A box later routes go round (a circle placed by a route)."""
        self.added = self.added | {("node", name, tuple(box))}
        self.nodes[name] = box
        self._block(name, box, touching=True)  # no grid lines run along its sides

    def add_line(self, points: list, owner=None, ends=()) -> None:
        """An edge drawn: routes after this one pay to cross it and to run along it,
        except the routes of the same ``owner`` (a circle: they fork from it)."""
        key = tuple(points)
        self.added = self.added | {("line", key, owner, frozenset(ends))}
        cells = self._line_cells.get(key)
        if cells is None:
            cells = self._line_cells[key] = self._cells_of(points)
        crossed, along = cells
        self._mark(self.cross, CROSS, crossed, (owner, frozenset(ends)))
        self._mark(self.overlap, OVERLAP, along, frozenset((owner,)), owner)

    def _cells_of(self, points: list) -> tuple:
        """(the unit segments a line crosses, those it runs along), as add_line counts
        them; the same for every router with this grid. Where the compiled search was
        built, the loop over the line's pieces is compiled (_routesearch.c's cells): the
        same segments in the same order."""
        if _compiled is not None:
            xs, ys, _mx, _my = self._grid_arrays or self._arrays()
            crossed, along = _compiled.cells(xs, ys, points, NEAR)
        else:
            crossed, along = self._pieces_cells(points)
        return tuple(crossed + self._corner_cells(points)), tuple(along)

    def _arrays(self) -> tuple:
        """The grid lines and the middles of the unit segments (xs, ys, and _mid's two
        lists) as arrays of doubles, for the compiled functions; made once per grid."""
        mx, my = self._mid
        self._grid_arrays = (array("d", self.xs), array("d", self.ys), array("d", mx), array("d", my))
        return self._grid_arrays

    def _pieces_cells(self, points: list) -> tuple:
        """_cells_of's loop over the pieces of a line, in Python: ([the unit segments they
        cross], [those they run along])."""
        xs, ys, nx, n = self.xs, self.ys, self.nx, self.n
        crossed: list = []
        along: list = []
        for (ax, ay), (bx, by) in zip(points, points[1:]):
            if abs(ax - bx) < 0.5 and abs(ay - by) < 0.5:
                continue
            # crossings with the grid lines it passes
            if abs(ax - bx) >= 0.5:
                lo, hi = min(ax, bx), max(ax, bx)
                # [lo, hi): a line through a corner of the edge crosses it once
                for i in range(bisect_left(xs, lo), bisect_left(xs, hi)):
                    y = ay + (by - ay) * (xs[i] - ax) / (bx - ax)
                    j = bisect_left(ys, y) - 1  # the vertical unit segment with ys[j] < y <= ys[j+1]
                    if 0 <= j < self.ny - 1:
                        crossed.append(n + j * nx + i)
            if abs(ay - by) >= 0.5:
                lo, hi = min(ay, by), max(ay, by)
                for j in range(bisect_left(ys, lo), bisect_left(ys, hi)):
                    x = ax + (bx - ax) * (ys[j] - ay) / (by - ay)
                    i = bisect_left(xs, x) - 1
                    if 0 <= i < nx - 1:
                        crossed.append(j * nx + i)
            # running along it (within NEAR points over a unit segment's whole length)
            if min(abs(ax - bx), abs(ay - by)) > 0.2 * max(abs(ax - bx), abs(ay - by)):
                bx0 = bx1 = by0 = by1 = 0.0  # steep: it only crosses lines
            else:
                bx0, bx1 = min(ax, bx) - NEAR, max(ax, bx) + NEAR
                by0, by1 = min(ay, by) - NEAR, max(ay, by) + NEAR
            flat = abs(ay - by) <= abs(ax - bx)
            ilo, ihi = max(0, bisect_left(xs, bx0) - 1), min(nx, bisect_right(xs, bx1) + 1)
            jlo, jhi = max(0, bisect_left(ys, by0) - 1), min(self.ny, bisect_right(ys, by1) + 1)
            ly0, ly1 = min(ay, by) - NEAR - 1e-6, max(ay, by) + NEAR + 1e-6
            lx0, lx1 = min(ax, bx) - NEAR - 1e-6, max(ax, bx) + NEAR + 1e-6
            # a unit segment runs along the edge only if a point of it lies within NEAR of
            # the edge's line: per row, the columns that can hold one (a bound with a
            # point to spare; _near decides), so a long slanted edge tests a strip, not
            # its whole bounding box
            ddx, ddy = bx - ax, by - ay
            reach = (NEAR + 1.0) * math.hypot(ddx, ddy)
            for j in range(jlo, jhi):
                if flat and not ly0 <= ys[j] <= ly1:
                    continue  # a horizontal unit segment this far from its box runs along nothing
                i0, i1 = ilo, ihi
                if ddy != 0.0 and (flat or j + 1 < jhi):
                    t0 = (ys[j] - ay) * ddx
                    t1 = t0 if flat else (ys[j + 1] - ay) * ddx
                    u0, u1 = (min(t0, t1) - reach) / ddy, (max(t0, t1) + reach) / ddy
                    u0, u1 = ax + min(u0, u1) - 1.0, ax + max(u0, u1) + 1.0
                    i0 = max(ilo, bisect_left(xs, u0) - 1)
                    i1 = min(ihi, bisect_right(xs, u1))
                for i in range(i0, i1):
                    if not flat and not lx0 <= xs[i] <= lx1:
                        continue
                    p = (xs[i], ys[j])
                    if flat and i + 1 < ihi and _near(p, (xs[i + 1], ys[j]), (ax, ay), (bx, by)):
                        along.append(j * nx + i)
                    if not flat and j + 1 < jhi and _near(p, (xs[i], ys[j + 1]), (ax, ay), (bx, by)):
                        along.append(n + j * nx + i)
        return crossed, along

    def _corner_cells(self, points: list) -> list:
        """The unit segments round a line's corners: a route through a corner of the edge
        would seem to go on from it, so they count as crossings."""
        crossed: list = []
        corners = [p for k, p in enumerate(points) if k == 0 or math.dist(p, points[k - 1]) > 0.5]
        for a, b, c in zip(corners, corners[1:], corners[2:]):
            if min(math.dist(b, points[0]), math.dist(b, points[-1])) < END_ZONE + 4:
                continue  # where it bends into its own box
            u, v = (b[0] - a[0], b[1] - a[1]), (c[0] - b[0], c[1] - b[1])
            lu, lv = math.hypot(*u), math.hypot(*v)
            if lu < 0.5 or lv < 0.5 or (u[0] * v[0] + u[1] * v[1]) / (lu * lv) > 0.99:
                continue
            crossed += self._covered((b[0] - NEAR, b[1] - NEAR, b[0] + NEAR, b[1] + NEAR), touching=True)
        return crossed

    def _cost(self, k: int, length: float, free: set, own: set, owner, start_zone: set, start: str) -> float:
        """The cost of unit segment k for a route, or -1 where it may not go."""
        names = self.block.get(k)
        if names is not None:
            for b in names:
                if b not in free:
                    return -1.0
        per = 1.0
        names = self.inside.get(k)
        if names is not None:
            per += AREA_COST * len([a for a in names if a not in own])
        if k in self.label:
            per += LABEL_COST
        owners = self.overlap.get(k)
        if owners is not None and any(o is None or o != owner for o in owners):
            per += OVERLAP_COST
        crossed = 0
        edges = self.cross.get(k)
        if edges is not None:
            zone = k in start_zone
            for o, ends in edges:
                if (o is None or o != owner) and not (zone and start in ends):
                    crossed += 1
        return length * per + CROSS_COST * crossed

    def route(self, source: str, targets: dict, free=(), own=(), owner=None, limit: float = math.inf):
        """The cheapest path from the centre of node ``source`` to one of ``targets``
        ({(x, y) grid point: extra cost of ending there}), as a list of points (its
        corners), or None. ``free``: nodes it may cross (its ends); ``own``: areas it may
        run inside; ``owner``: its circle (the routes of one circle may share lines).
        Its cost is left in ``last_cost``. With ``limit``, the search stops as soon as
        every path left would cost more: then it returns None and ``over_limit`` is set
        (a path that costs at most ``limit`` is found as without it)."""
        self.over_limit = False
        goal = self._goal_cells(targets)
        if not goal:
            return None
        question = (source, frozenset(targets.items()), frozenset(free), frozenset(own), owner)
        remembered = self._remembered(question, source, goal, free, own, owner)
        if remembered is not None:
            path, cost = remembered
            self.last_cost = cost
            if cost > limit + 1e-6 * max(1.0, abs(limit)):
                self.over_limit = True
                return None
            return list(path)
        # a search that found every way dearer than a limit, with fewer nodes and lines
        # added: with more added, every way costs as much or more, so it would again
        if any(added <= self.added and limit <= over for added, over in self._over.get(question, ())):
            self.over_limit = True
            return None
        heuristic, free_nodes, own_areas = self._heuristic(goal), set(free) | {source}, set(own)
        window = self._window(source, goal) if self.n > WINDOW_AT else None
        found = self._search(source, goal, heuristic, free_nodes, own_areas, owner, limit, window)
        if found is None and window is not None and not self.over_limit:  # no way inside it: everywhere
            found = self._search(source, goal, heuristic, free_nodes, own_areas, owner, limit)
        if found is None:
            if self.over_limit:
                self._over.setdefault(question, []).append((self.added, limit))
            return None
        xs, ys, nx = self.xs, self.ys, self.nx
        path = [(xs[p % nx], ys[p // nx]) for p in _corners(found, nx)]  # simplify(every point's)
        self._routes.setdefault(question, []).append((self.added, tuple(path), self.last_cost))
        return path

    def _goal_cells(self, targets: dict) -> dict:
        """``targets`` ({(x, y): extra cost}) as {grid point number: extra cost}, leaving
        out the points that are not on the grid."""
        xs, ys, nx, ny = self.xs, self.ys, self.nx, self.ny
        goal: dict = {}
        goal_get = goal.get
        rows: dict = {}  # y -> its row, or -1 off the grid: the targets are mostly on one row
        for (x, y), extra in targets.items():
            j = rows.get(y)
            if j is None:
                j = bisect_left(ys, y - 1.0)
                j = rows[y] = j if j < ny and abs(ys[j] - y) <= 1.0 else -1
            if j < 0:
                continue
            i = bisect_left(xs, x - 1.0)
            if i < nx and abs(xs[i] - x) <= 1.0:
                p = j * nx + i
                was = goal_get(p)
                goal[p] = extra if was is None else min(extra, was)
        return goal

    def _heuristic(self, goal: dict) -> tuple:
        """The A* heuristic towards ``goal`` ({grid point number: extra cost}), for a path
        that reached grid point (i, j) along a horizontal line: hx[i] + hy_turn[j], and
        along a vertical one: hx_turn[i] + hy[j]; returned as (hx, hy_turn, hx_turn, hy).
        Each sum is the distance to the nearest goal with its extra cost, plus a turn where
        one is needed: a path that arrived horizontally on a row without goals must still
        turn to go up or down, one that arrived vertically on a column without goals must
        still turn sideways. It never overestimates, and never drops by more than a step
        costs (consistent). Only the rows and columns are computed, not every point."""
        xs, ys, nx, ny = self.xs, self.ys, self.nx, self.ny
        gi = {p % nx for p in goal}
        gj = {p // nx for p in goal}
        # (the lines grow along each axis: |v - x| is x - v before x's own line, v - x from it)
        if len(gi) > 1:
            hx = _nearest(xs, goal, nx)
        else:  # one column
            g = next(iter(gi))
            x, extra = xs[g], min(goal.values())
            hx = [x - v + extra for v in xs[:g]] + [v - x + extra for v in xs[g:]]
        rows = sorted(gj)
        if len(rows) == 1:  # the usual case: every goal on one row
            g = rows[0]
            y = ys[g]
            hy = [y - v for v in ys[:g]] + [v - y for v in ys[g:]]
        else:
            hy = [min(abs(ys[j] - ys[g]) for g in rows) for j in range(ny)]
        hy_turn = [v + BEND_COST for v in hy]  # but on the rows and columns of goals
        for j in gj:
            hy_turn[j] = hy[j]
        hx_turn = [v + BEND_COST for v in hx]
        for i in gi:
            hx_turn[i] = hx[i]
        return hx, hy_turn, hx_turn, hy

    def _window(self, source: str, goal: dict) -> tuple:
        """The grid indices (i_lo, i_hi, j_lo, j_hi) of a box round the centre of
        ``source`` and the goal point that costs least to end at, WINDOW_MARGIN points
        wider on every side. On a large grid a route is first searched inside it: an
        A* search whose way must cross many edges otherwise explores nearly the whole
        grid, which at a few hundred components takes seconds per route. The route found
        is the cheapest inside the window, not always the cheapest of all."""
        xs, ys, nx = self.xs, self.ys, self.nx
        x0, y0, x1, y1 = self.nodes[source]
        end = min(goal, key=lambda p: (goal[p], p))
        gx, gy = xs[end % nx], ys[end // nx]
        m = WINDOW_MARGIN
        lo_x, hi_x = min((x0 + x1) / 2, gx) - m, max((x0 + x1) / 2, gx) + m
        lo_y, hi_y = min((y0 + y1) / 2, gy) - m, max((y0 + y1) / 2, gy) + m
        return (max(0, bisect_left(xs, lo_x)), min(nx, bisect_right(xs, hi_x)) - 1,
                max(0, bisect_left(ys, lo_y)), min(self.ny, bisect_right(ys, hi_y)) - 1)

    def _remembered(self, question: tuple, source: str, goal: dict, free, own, owner):
        """A route found before for ``question``, with fewer nodes and lines added, that
        costs what it cost then: it is still the cheapest (costs only grow as nodes and
        lines are added). Returns (its points, its cost), or None."""
        for added, path, cost in self._routes.get(question, ()):
            if added <= self.added and self.path_cost(source, path, goal, free, own, owner) == cost:
                return path, cost
        return None

    def _search(self, source: str, goal: dict, heuristic: tuple, free: set, own: set, owner, limit: float,
                window=None):
        """A* over the grid from the centre of ``source`` to ``goal``. Returns the grid
        points of the cheapest path from its start, with its cost in ``last_cost``; or None
        if there is no way, or (``over_limit`` set) every way costs more than ``limit``.
        With ``window`` (i_lo, i_hi, j_lo, j_hi), only inside it.

        Where the compiled search (_routesearch.c) was built it runs the loop, else
        _search_loop below: the same states in the same order, the same sums, the same
        routes (tests/test_routes.py runs both)."""
        x0, y0, x1, y1 = self.nodes[source]
        xs, ys, nx, ny = self.xs, self.ys, self.nx, self.ny
        dxs, dys = self._lengths
        z = END_ZONE
        start_zone = set(self._covered((x0 - z, y0 - z, x1 + z, y1 + z), touching=True))
        stop = limit + 1e-6 * max(1.0, abs(limit)) if limit != math.inf else math.inf
        start = bisect_left(ys, round((y0 + y1) / 2, 2) - 1.0) * nx + bisect_left(xs, round((x0 + x1) / 2, 2) - 1.0)
        window = window or (0, nx - 1, 0, ny - 1)
        if _compiled is not None:
            hx, hy_turn, hx_turn, hy = heuristic
            found = _compiled.search(nx, ny, dxs, dys, hx, hy_turn, hx_turn, hy, self.special,
                                     (self.block, self.inside, self.label, self.overlap, self.cross),
                                     (free, own, owner, start_zone, source),
                                     (AREA_COST, LABEL_COST, OVERLAP_COST, CROSS_COST), start, goal, stop, BEND_COST,
                                     window)
            if found[0] == 1:
                self.over_limit = True
            if found[0] != 2:
                return None
            self.last_cost = found[2]
            return found[1]
        return self._search_loop(source, goal, heuristic, free, own, owner, dxs, dys, start_zone, stop, start,
                                 window)

    def _search_loop(self, source: str, goal: dict, heuristic: tuple, free: set, own: set, owner, dxs: list,
                     dys: list, start_zone: set, stop: float, start: int, window: tuple):
        """_search's loop in Python. The hottest loop of the package where the compiled
        one is missing: the four moves are written out one by one and everything it reads
        is a local name (a call or a loop per grid point costs)."""
        nx, n = self.nx, self.n
        hx, hy_turn, hx_turn, hy = heuristic
        special = self.special
        seg: dict = {}  # unit segment -> its cost for this route (-1: closed), as met
        seg_get = seg.get
        cost_of = self._cost
        inf = math.inf
        bend = BEND_COST
        # the state (point p, reached along a horizontal (d = 0) or vertical (1) line; 4: the
        # start) is s = 2 * p + d. A path never goes back along its last line: that would cost more
        best = [inf] * (2 * n)
        back = [0] * (2 * n)  # state -> 8 * the point it came from + its direction there
        sink_best: dict = {}
        sink_back: dict = {}
        j, i = divmod(start, nx)
        heap: list = [(min(hx[i] + hy_turn[j], hx_turn[i] + hy[j]), 0.0, start, 4)]
        push, pop = heapq.heappush, heapq.heappop
        i_lo, i_hi, j_lo, j_hi = window
        while heap:
            f, cost, p, d = pop(heap)
            if f > stop:
                self.over_limit = True
                return None
            if d == 5:  # the sink: reached a goal, its extra cost paid
                self.last_cost = sink_best[p]
                return _cells_back(p, sink_back[p], back)
            if d == 4:
                if cost > 0.0:
                    continue
                h_turn = v_turn = 0.0
            else:
                if best[2 * p + d] < cost:
                    continue
                if p in goal:
                    total = cost + goal[p]
                    if total < sink_best.get(p, inf):
                        sink_best[p] = total
                        sink_back[p] = d
                        push(heap, (total, total, p, 5))
                h_turn, v_turn = (bend, 0.0) if d else (0.0, bend)
            j, i = divmod(p, nx)
            # right
            if i < i_hi:
                if special[p]:
                    c = seg_get(p)
                    if c is None:
                        c = seg[p] = cost_of(p, dxs[i], free, own, owner, start_zone, source)
                else:
                    c = dxs[i]
                if c >= 0:
                    c += cost + h_turn
                    s = 2 * p + 2
                    if c < best[s]:
                        best[s] = c
                        back[s] = 8 * p + d
                        push(heap, (c + hx[i + 1] + hy_turn[j], c, p + 1, 0))
            # left
            if i > i_lo:
                k = p - 1
                if special[k]:
                    c = seg_get(k)
                    if c is None:
                        c = seg[k] = cost_of(k, dxs[i - 1], free, own, owner, start_zone, source)
                else:
                    c = dxs[i - 1]
                if c >= 0:
                    c += cost + h_turn
                    s = 2 * k
                    if c < best[s]:
                        best[s] = c
                        back[s] = 8 * p + d
                        push(heap, (c + hx[i - 1] + hy_turn[j], c, k, 0))
            # up
            if j < j_hi:
                k = n + p
                if special[k]:
                    c = seg_get(k)
                    if c is None:
                        c = seg[k] = cost_of(k, dys[j], free, own, owner, start_zone, source)
                else:
                    c = dys[j]
                if c >= 0:
                    c += cost + v_turn
                    q = p + nx
                    s = 2 * q + 1
                    if c < best[s]:
                        best[s] = c
                        back[s] = 8 * p + d
                        push(heap, (c + hx_turn[i] + hy[j + 1], c, q, 1))
            # down
            if j > j_lo:
                q = p - nx
                k = n + q
                if special[k]:
                    c = seg_get(k)
                    if c is None:
                        c = seg[k] = cost_of(k, dys[j - 1], free, own, owner, start_zone, source)
                else:
                    c = dys[j - 1]
                if c >= 0:
                    c += cost + v_turn
                    s = 2 * q + 1
                    if c < best[s]:
                        best[s] = c
                        back[s] = 8 * p + d
                        push(heap, (c + hx_turn[i] + hy[j - 1], c, q, 1))
        return None

    def path_cost(self, source: str, path, goal: dict, free=(), own=(), owner=None):
        """What route would pay for ``path`` (its corners on the grid, from the start in
        ``source``) ending at a point of ``goal`` ({grid point number: extra}): the same
        sums in the same order. None where it may not go."""
        xs, ys, nx, n = self.xs, self.ys, self.nx, self.n
        x0, y0, x1, y1 = self.nodes[source]
        z = END_ZONE
        start_zone = set(self._covered((x0 - z, y0 - z, x1 + z, y1 + z), touching=True))
        free = set(free) | {source}
        own = set(own)
        col = {x: i for i, x in enumerate(xs)}
        row = {y: j for j, y in enumerate(ys)}
        cost, d = 0.0, 4
        i, j = col.get(path[0][0]), row.get(path[0][1])
        if i is None or j is None:
            return None
        for bx, by in path[1:]:
            bi, bj = col.get(bx), row.get(by)
            if bi is None or bj is None or (bi != i and bj != j):
                return None
            while (i, j) != (bi, bj):
                p = j * nx + i
                if bi > i:
                    k, length, nd, i = p, xs[i + 1] - xs[i], 0, i + 1
                elif bi < i:
                    k, length, nd, i = p - 1, xs[i] - xs[i - 1], 0, i - 1
                elif bj > j:
                    k, length, nd, j = n + p, ys[j + 1] - ys[j], 1, j + 1
                else:
                    k, length, nd, j = n + p - nx, ys[j] - ys[j - 1], 1, j - 1
                c = self._cost(k, length, free, own, owner, start_zone, source) if self.special[k] else length
                if c < 0:
                    return None
                cost = c + (cost + (BEND_COST if d < 4 and nd != d else 0.0))
                d = nd
        end = j * nx + i
        return cost + goal[end] if end in goal and d != 4 else None


def _cells_back(end: int, d: int, back: list) -> list:
    """The grid points of the path that reached point ``end`` in direction ``d``, from
    its start, following the back links of the search."""
    p = end
    cells = []
    while True:
        cells.append(p)
        if d == 4:
            break
        link = back[2 * p + d]
        p, d = link >> 3, link & 7
    cells.reverse()
    return cells


def _corners(cells: list, nx: int) -> list:
    """The grid points of a path of unit steps (``cells``: the numbers of the points it
    passes, each a neighbour of the one before) that simplify keeps of their points: its
    ends and where it turns. The grid lines are more than a point apart (_merge), so
    points in line on the grid are in line by simplify's measure, and no others. A step to
    the right or left changes the number by 1, one up or down by nx: the path turns where
    the size of its step changes, unless it steps straight back somewhere (the search's
    paths never do: it would cost more), when simplify's own walk is followed."""
    if len(cells) < 3:
        return list(cells)
    if any(map(operator.eq, cells, cells[2:])):  # a step back
        out: list = []
        for p in cells:
            if out and p == out[-1]:
                continue
            if len(out) >= 2:
                a, b = out[-2], out[-1]
                if a % nx == b % nx == p % nx or a // nx == b // nx == p // nx:
                    out[-1] = p
                    continue
            out.append(p)
        return out
    steps = [abs(q - p) for p, q in zip(cells, cells[1:])]
    return [cells[0]] + [p for p, a, b in zip(cells[1:], steps, steps[1:]) if a != b] + [cells[-1]]


def _nearest(xs: list, goal: dict, nx: int) -> list:
    """For every column i, the least of |xs[i] - x| + extra over the goals (x, extra): the
    best goal on each side found in one sweep each way."""
    inf = math.inf
    extra = [inf] * nx
    for p, e in goal.items():
        i = p % nx
        if e < extra[i]:
            extra[i] = e
    left: list = [-1] * nx
    right: list = [-1] * nx
    best, key = -1, inf
    for i in range(nx):
        if extra[i] < inf and extra[i] - xs[i] <= key:
            best, key = i, extra[i] - xs[i]
        left[i] = best
    best, key = -1, inf
    for i in range(nx - 1, -1, -1):
        if extra[i] < inf and extra[i] + xs[i] <= key:
            best, key = i, extra[i] + xs[i]
        right[i] = best
    out = []
    # min(from the left one, from the right one); the left one's line is at or before x,
    # the right one's at or after it: |x - xs[lo]| is x - xs[lo], |x - xs[hi]| is xs[hi] - x
    for x, lo, hi in zip(xs, left, right):
        if lo < 0:
            out.append(xs[hi] - x + extra[hi])
            continue
        v = x - xs[lo] + extra[lo]
        if hi >= 0:
            w = xs[hi] - x + extra[hi]
            if w < v:
                v = w
        out.append(v)
    return out


def _near(p, q, a, b) -> bool:
    """Whether the segment p-q, parallel to a-b, runs within NEAR points of it for some
    length (its middle, or an end, near it)."""
    return _overlap_length(p, q, a, b) > 0.5 and (
        _seg_dist(p, a, b) <= NEAR or _seg_dist(q, a, b) <= NEAR
        or _seg_dist(((p[0] + q[0]) / 2, (p[1] + q[1]) / 2), a, b) <= NEAR)


def _overlap_length(p, q, a, b) -> float:
    """How far the segments p-q and a-b run side by side (their shadows on p-q)."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    ll = math.hypot(dx, dy)
    if ll == 0:
        return 0.0
    ta = ((a[0] - p[0]) * dx + (a[1] - p[1]) * dy) / ll
    tb = ((b[0] - p[0]) * dx + (b[1] - p[1]) * dy) / ll
    return max(0.0, min(ll, max(ta, tb)) - max(0.0, min(ta, tb)))


def _seg_dist(p, a, b) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    ll = dx * dx + dy * dy
    t = 0.0 if ll == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / ll))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def simplify(points: list) -> list:
    """The corners of a path along grid lines (points in a straight run left out)."""
    out: list = []
    for p in points:
        if out and p == out[-1]:
            continue
        if len(out) >= 2:
            a, b = out[-2], out[-1]
            if (abs(a[0] - b[0]) < 1e-6 and abs(b[0] - p[0]) < 1e-6) or (
                    abs(a[1] - b[1]) < 1e-6 and abs(b[1] - p[1]) < 1e-6):
                out[-1] = p
                continue
        out.append(p)
    return out


def clip_start(points: list, box: Box, circle: bool = False) -> list:
    """The path from where it leaves ``box`` (or the circle inscribed in it)."""
    def inside(p) -> bool:
        if circle:
            cx, cy, r = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2, (box[2] - box[0]) / 2
            return (p[0] - cx) ** 2 + (p[1] - cy) ** 2 < r * r - 1e-6
        return box[0] < p[0] < box[2] and box[1] < p[1] < box[3]

    for k in range(len(points) - 1):
        a, b = points[k], points[k + 1]
        if inside(a) and not inside(b):
            lo, hi = 0.0, 1.0
            for _ in range(40):
                mid = (lo + hi) / 2
                p = (a[0] + (b[0] - a[0]) * mid, a[1] + (b[1] - a[1]) * mid)
                lo, hi = (mid, hi) if inside(p) else (lo, mid)
            p = (a[0] + (b[0] - a[0]) * hi, a[1] + (b[1] - a[1]) * hi)
            return [p] + points[k + 1:]
        if not inside(a):
            return points[k:]
    return points


def cut(points: list, length: float) -> list:
    """The path without its first ``length`` points of length (room for an arrowhead)."""
    left = length
    for k in range(len(points) - 1):
        a, b = points[k], points[k + 1]
        d = math.dist(a, b)
        if d > left:
            t = left / d
            return [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)] + points[k + 1:]
        left -= d
    return points[-2:]


def spline(points: list, start_arrow: bool = False, end_arrow: bool = False, arrow: float = 7.0) -> str:
    """A polyline as a Graphviz ``pos`` value: straight cubic pieces, with the arrowheads'
    tips as ``s,x,y`` and ``e,x,y``."""
    pts = list(points)
    head = []
    if start_arrow:
        head.append("s," + _pt(pts[0]))
        pts = cut(pts, arrow)
    if end_arrow:
        head.insert(0, "e," + _pt(pts[-1]))
        pts = list(reversed(cut(list(reversed(pts)), arrow)))
    control = [pts[0]]
    for a, b in zip(pts, pts[1:]):
        control += [a, b, b]
    return " ".join(head + [_pt(p) for p in control])


def _pt(p) -> str:
    return f"{p[0]:.2f},{p[1]:.2f}"

