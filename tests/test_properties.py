"""Property-based tests: whatever YAML comes in, loader + validator never raise; they give
either a model or diagnostics, each one line with a position inside the file.

``make test`` runs a fixed (derandomized) set of about 2,300 examples; ``make fuzz`` runs
random ones, DIAGRAMGEN_FUZZ_SCALE times as many (default there: 50).
"""
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from diagramgen.diagnostics import Diagnostic
from diagramgen.draw import routes
from diagramgen.model.loader import LoadError, parse
from diagramgen.model.schema import ARCHITECTURE, AREA, COMPONENT, FLOW, STEP
from diagramgen.model.validate import load_architecture

from conftest import ARCH_DIR

SCALE = int(os.environ.get("DIAGRAMGEN_FUZZ_SCALE", "0") or 0)
FUZZING = SCALE > 0


def examples(n: int):
    return settings(max_examples=n * (SCALE or 1), deadline=None, derandomize=not FUZZING, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


LINE = re.compile(r"^[^\n]+:\d+:\d+: (error|warning): [^\n]+$")
REAL = sorted(p.name for p in ARCH_DIR.glob("*.yaml"))


def assert_sound(model, diags, lines_of: dict) -> None:
    """A model and no errors, or no model and at least one error; every diagnostic is one
    line with a 1-based position inside the file it names."""
    assert all(isinstance(d, Diagnostic) for d in diags)
    errors = [d for d in diags if d.is_error]
    assert (model is None) == bool(errors), [str(d) for d in diags]
    for d in diags:
        assert LINE.match(str(d)), str(d)
        assert d.pos.line >= 1 and d.pos.col >= 1, str(d)
        if d.pos.path in lines_of:
            assert d.pos.line <= lines_of[d.pos.path] + 1, str(d)


# --- random text through the loader ----------------------------------------------
TOKENS = list("ab01 :-,[]{}#&*!|>'\"?%@`\t\n\\.") + ["\x00", "\x07", "é", "\ufeff", "---", "...", "  ",
                                                           "!!python/", "key: ", "- "]
YAMLISH = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


@examples(700)
@given(YAMLISH)
def test_random_text_loads_or_fails_with_a_position(text):
    try:
        doc = parse(text, "r.yaml")
    except LoadError as exc:
        d = exc.diagnostic
        assert LINE.match(str(d)) and d.pos.line >= 1 and d.pos.col >= 1, str(d)
        assert d.pos.line <= text.count("\n") + 2, str(d)
    else:
        assert doc.root is not None


# --- random data documents through loader + validator -------------------------------
KEYS = sorted(set(ARCHITECTURE.fields) | set(COMPONENT.fields) | set(STEP.fields) | set(FLOW.fields)
              | set(AREA.fields))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 1200), st.floats(allow_nan=False),
                    st.sampled_from(["customer", "acs", "communication_services", "product", "demo", "", "x" * 400]),
                    st.text(max_size=20))
DOCS = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=6)), max_leaves=30)


@pytest.fixture(scope="module")
def arch_copy(tmp_path_factory) -> Path:
    """A copy of architectures/ (with fragments) to write mutated files into."""
    d = tmp_path_factory.mktemp("props") / "architectures"
    shutil.copytree(ARCH_DIR, d)
    return d


def check_file(folder: Path, text: str) -> None:
    path = folder / "mutant.yaml"
    path.write_text(text, encoding="utf-8")
    model, diags = load_architecture(path, shown="mutant.yaml")
    assert_sound(model, diags, {"mutant.yaml": text.count("\n") + 1})


@examples(400)
@given(st.dictionaries(st.sampled_from(KEYS), DOCS, max_size=10))
def test_random_documents_validate_or_fail_with_positions(arch_copy, doc):
    check_file(arch_copy, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


# --- mutations of the four real architecture files --------------------------------------
ORIGINALS = {name: yaml.safe_load((ARCH_DIR / name).read_text(encoding="utf-8")) for name in REAL}
OTHER_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 20), st.text(max_size=12),
                         # fresh objects each time: mutations must not leak across examples
                         st.builds(list), st.builds(dict), st.builds(lambda: ["x"]), st.builds(lambda: {"id": "x"}))


def containers(node, path=()):
    """Every (path, container) in a document, the root first."""
    yield path, node
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        if isinstance(v, (dict, list)):
            yield from containers(v, path + (k,))


def mutate(doc, data) -> None:
    kind = data.draw(st.sampled_from(["delete", "retype", "rename", "shuffle", "duplicate"]))
    if kind == "shuffle" and isinstance(doc.get("dataflow"), list):
        doc["dataflow"] = data.draw(st.permutations(doc["dataflow"]))
        return
    if kind == "rename":
        holders = [c for _, c in containers(doc) if isinstance(c, dict) and "id" in c]
        target = data.draw(st.sampled_from(holders))
        target["id"] = data.draw(st.one_of(st.sampled_from(["acs", "customer", "routing", "dataverse"]),
                                           st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), st.text(max_size=6)))
        return
    path, node = data.draw(st.sampled_from([(p, c) for p, c in containers(doc) if c]))
    key = data.draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
    if kind == "delete":
        del node[key]
    elif kind == "retype":
        node[key] = data.draw(OTHER_VALUES)
    elif kind == "duplicate" and isinstance(node, list):
        node.insert(key, node[key])
    elif kind == "duplicate":
        node[data.draw(st.sampled_from(KEYS))] = node[key]


@examples(900)
@given(st.sampled_from(REAL), st.data())
def test_mutated_real_architectures_validate_or_fail_with_positions(arch_copy, name, data):
    import copy

    doc = copy.deepcopy(ORIGINALS[name])
    for _ in range(data.draw(st.integers(1, 3))):
        mutate(doc, data)
    check_file(arch_copy, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


TEXTS = {name: (ARCH_DIR / name).read_text(encoding="utf-8") for name in REAL}
EDITS = st.sampled_from([":", "-", " ", "  ", "\t", "'", '"', "[", "]", "{", "}", "&a ", "*a", "!!python/name:os.system ",
                         "#", "\n", "\n---\n", "\x07", "\x00", "é", "x", "step: 1\n", "\\N"])


@examples(400)
@given(st.sampled_from(REAL), st.data())
def test_edited_real_architecture_text_fails_with_positions(arch_copy, name, data):
    text = TEXTS[name]
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(text)))
        if data.draw(st.booleans()):
            text = text[:at] + data.draw(EDITS) + text[at:]
        else:
            text = text[:at] + text[at + data.draw(st.integers(1, 40)):]
    check_file(arch_copy, text)


# --- the band router: the compiled search finds what the Python search finds ----------
_COORD = st.integers(min_value=0, max_value=40).map(lambda v: v * 10.0)


@st.composite
def _router_scene(draw):
    """Boxes (one the route's source), areas holding some of them, labels, edges drawn
    already (some owned by circles), targets with extra costs, and a limit."""
    boxes = {}
    for k in range(draw(st.integers(min_value=1, max_value=6))):
        x, y = draw(_COORD), draw(_COORD)
        boxes[f"n{k}"] = (x, y, x + draw(st.integers(min_value=2, max_value=8)) * 5.0,
                          y + draw(st.integers(min_value=2, max_value=8)) * 5.0)
    names = sorted(boxes)
    areas = {}
    for k in range(draw(st.integers(min_value=0, max_value=3))):
        x, y = draw(_COORD), draw(_COORD)
        inside = set(draw(st.lists(st.sampled_from(names), max_size=3)))
        areas[f"a{k}"] = ((x - 30, y - 30, x + 60, y + 60), inside)
    labels = [(x, y, x + 20, y + 8) for x, y in draw(st.lists(st.tuples(_COORD, _COORD), max_size=3))]
    lines = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        points = draw(st.lists(st.tuples(_COORD, _COORD), min_size=2, max_size=4))
        ends = tuple(draw(st.lists(st.sampled_from(names), max_size=2)))
        lines.append((points, ends))
    targets = {pt: float(draw(st.integers(min_value=0, max_value=30)))
               for pt in draw(st.lists(st.tuples(_COORD, _COORD), min_size=1, max_size=3))}
    owner = draw(st.sampled_from([None, "c1", "c2"]))
    owned = [(points, draw(st.sampled_from([None, "c1", "c2"]))) for points, _ in lines[:2]]
    limit = draw(st.sampled_from([float("inf"), 200.0, 600.0, 2000.0]))
    window = draw(st.booleans())
    return boxes, areas, labels, lines, targets, owner, owned, limit, window


@pytest.mark.skipif(routes._compiled is None, reason="the compiled search was not built here")
@examples(150)
@given(_router_scene())
def test_the_compiled_search_routes_as_the_python_search(scene_):
    boxes, areas, labels, lines, targets, owner, owned, limit, window = scene_
    xs = sorted({x for x, _ in targets})
    ys = sorted({y for _, y in targets})

    def run(compiled):
        saved = (routes._compiled, routes.WINDOW_AT, routes.WINDOW_MARGIN)
        routes._compiled = compiled
        if window:  # every grid counts as large: searched in a window first
            routes.WINDOW_AT, routes.WINDOW_MARGIN = 0, 40.0
        try:
            router = routes.Router(boxes, areas, labels, lines, xs=xs, ys=ys)
            for points, circle in owned:
                router.add_line(points, owner=circle)
            own = {a for a, (_, inside) in areas.items() if "n0" in inside}
            path = router.route("n0", targets, free=(), own=own, owner=owner, limit=limit)
            return path, router.last_cost if path is not None else None, router.over_limit
        finally:
            routes._compiled, routes.WINDOW_AT, routes.WINDOW_MARGIN = saved

    assert run(routes._compiled) == run(None)


_FREE = st.floats(min_value=-50.0, max_value=450.0, allow_nan=False)


@st.composite
def _line_on_grid(draw):
    """Boxes (the grid), and a polyline whose points lie anywhere, on a grid line, or a
    few points off one (as dot's splines and the routes drawn before do)."""
    boxes = {}
    for k in range(draw(st.integers(min_value=1, max_value=8))):
        x, y = draw(_FREE), draw(_FREE)
        boxes[f"n{k}"] = (x, y, x + draw(st.floats(min_value=4.0, max_value=80.0)),
                          y + draw(st.floats(min_value=4.0, max_value=80.0)))
    router = routes.Router(boxes, {}, [], [])
    off = st.sampled_from([0.0, 0.0, 5.0, -5.0, 0.3]) | st.floats(min_value=-7.0, max_value=7.0)
    points = []
    for _ in range(draw(st.integers(min_value=2, max_value=6))):
        kind = draw(st.sampled_from(["free", "x", "y", "same x", "same y"]))
        x, y = draw(_FREE), draw(_FREE)
        if kind == "x":
            x = draw(st.sampled_from(router.xs)) + draw(off)
        elif kind == "y":
            y = draw(st.sampled_from(router.ys)) + draw(off)
        elif points and kind == "same x":
            x = points[-1][0] + draw(off)
        elif points and kind == "same y":
            y = points[-1][1] + draw(off)
        points.append((x, y))
    return router, points


@pytest.mark.skipif(routes._compiled is None, reason="the compiled search was not built here")
@examples(300)
@given(_line_on_grid())
def test_the_compiled_cells_of_a_line_are_the_python_ones(scene_):
    """The unit segments a line crosses and runs along (what later routes pay for), in
    their order: the same with the compiled loop as with the Python one."""
    router, points = scene_
    compiled = routes._compiled
    try:
        routes._compiled = None
        python = router._cells_of(points)
    finally:
        routes._compiled = compiled
    assert router._cells_of(points) == python


def _tables(router) -> tuple:
    """Everything a router's grid holds, with the order of each table's entries."""
    return (router.xs, router.ys, list(router.block.items()), list(router.inside.items()), sorted(router.label),
            list(router.cross.items()), list(router.overlap.items()), bytes(router.special))


@pytest.mark.skipif(routes._compiled is None, reason="the compiled search was not built here")
@examples(150)
@given(_router_scene(), st.lists(st.tuples(_COORD, _COORD), max_size=3))
def test_the_compiled_grid_tables_are_the_python_ones(scene_, circles):
    """A grid's tables (what blocks, lies inside, labels, crosses and runs along each unit
    segment), made with the compiled loops and with the Python ones: the same entries in
    the same order, also after circles and owned lines are added."""
    boxes, areas, labels, lines, _targets, _owner, owned, _limit, _window = scene_

    def build(compiled):
        saved = routes._compiled
        routes._compiled = compiled
        try:
            router = routes.Router(boxes, areas, labels, lines, xs=[5.0, 95.0], ys=[15.0])
            grid = _tables(router)
            for k, (x, y) in enumerate(circles):
                router.add_node(f"c{k}", (x - 10, y - 10, x + 10, y + 10))
            for points, circle in owned + owned:  # twice: the same owner again adds nothing
                router.add_line(points, owner=circle)
            return grid, _tables(router)
        finally:
            routes._compiled = saved

    assert build(routes._compiled) == build(None)


@pytest.mark.skipif(routes._compiled is None, reason="the compiled search was not built here")
@examples(300)
@given(_line_on_grid(), st.tuples(_FREE, _FREE, _FREE, _FREE), st.booleans())
def test_the_compiled_segments_inside_a_box_are_the_python_ones(scene_, box, touching):
    """The unit segments inside any box (on the grid or not, even turned inside out), in
    their order: the same compiled as in Python."""
    router, _points = scene_
    compiled = routes._compiled
    try:
        routes._compiled = None
        python = router._covered(box, touching)
    finally:
        routes._compiled = compiled
    assert router._covered(box, touching) == python


# --- band placement: the free spots on a row are those _free_spot finds, one by one ---
_ROW_X = st.integers(min_value=0, max_value=400).map(lambda v: v * 0.5)


_ROW_XS = st.lists(_ROW_X, max_size=40, unique=True) | st.builds(
    lambda start, step, count: [start + k * step for k in range(count)], _ROW_X, st.sampled_from([0.5, 1.0, 2.0]),
    st.integers(min_value=0, max_value=150))


@examples(300)
@given(_ROW_XS, st.sampled_from([100.0, 103.5]),
       st.sampled_from([6.0, 10.0, 12.5]),
       st.lists(st.tuples(_ROW_X, st.integers(min_value=60, max_value=140).map(float)), max_size=4),
       st.lists(st.lists(st.tuples(_ROW_X, st.sampled_from([100.0, 103.5, 90.0, 87.5])
                                   | st.integers(min_value=40, max_value=160).map(float)),
                         min_size=2, max_size=4), max_size=5))
def test_the_free_spots_of_a_row_are_the_spots_free_one_by_one(xs, y, r, circles, drawn):
    from diagramgen.draw import bands

    xs = sorted(xs)
    placed = {f"c{k}": q for k, q in enumerate(circles)}
    assert bands._free_spots(xs, y, r, placed, drawn) == [x for x in xs if bands._free_spot((x, y), r, placed, drawn)]


@examples(300)
@given(_line_on_grid(), st.data())
def test_the_corners_of_a_path_on_the_grid_are_those_simplify_keeps(scene_, data):
    """A route's grid points, one unit step after another (turning, going straight on,
    even back): the corners found from the steps are the points simplify keeps."""
    router, _points = scene_
    nx, ny = router.nx, router.ny
    i, j = data.draw(st.integers(0, nx - 1)), data.draw(st.integers(0, ny - 1))
    cells = [j * nx + i]
    for move in data.draw(st.lists(st.sampled_from("rlud"), max_size=30)):
        di, dj = {"r": (1, 0), "l": (-1, 0), "u": (0, 1), "d": (0, -1)}[move]
        if 0 <= i + di < nx and 0 <= j + dj < ny:
            i, j = i + di, j + dj
            cells.append(j * nx + i)
    points = [(router.xs[p % nx], router.ys[p // nx]) for p in cells]
    assert [(router.xs[p % nx], router.ys[p // nx]) for p in routes._corners(cells, nx)] == routes.simplify(points)


def _thin_one_by_one(lines: list) -> list:
    """routes._thin as a walk over the sorted lines, one group at a time."""
    out: list = []
    group: list = []
    for v, kind in sorted((round(v, 2), kind) for v, kind in lines) + [(float("inf"), "")]:
        if group and v - group[0][0] > routes.THIN:
            keep = [g for g, k in group if k == "keep"]
            if not keep:
                los = [g for g, k in group if k == "lo"]
                his = [g for g, k in group if k == "hi"]
                keep = ([min(los)] if los else []) + ([max(his)] if his else []) or [group[0][0]]
            out += keep
            group = []
        group.append((v, kind))
    return out


@examples(400)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=120).map(lambda v: v * 0.75)
                          | st.floats(min_value=-50.0, max_value=50.0), st.sampled_from(["lo", "hi", "mid", "keep"])),
                max_size=30))
def test_the_grid_lines_thinned_are_those_of_a_walk_one_group_at_a_time(lines):
    assert routes._thin(lines) == _thin_one_by_one(lines)
    assert routes._merge(routes._thin(lines), rounded=True) == routes._merge(routes._thin(lines))


def _heuristic_with_abs(router, goal: dict) -> tuple:
    """Router._heuristic with every distance taken as abs(a - b), every column's best
    goal found by trying all of them in the sweeps' order."""
    xs, ys, nx, ny = router.xs, router.ys, router.nx, router.ny
    gi = {p % nx for p in goal}
    gj = {p // nx for p in goal}
    extra = [min([e for p, e in goal.items() if p % nx == i], default=float("inf")) for i in range(nx)]
    cols = [i for i in range(nx) if extra[i] < float("inf")]
    hx = []
    for i, x in enumerate(xs):
        lo = [g for g in cols if g <= i]
        hi = [g for g in cols if g >= i]
        # the sweeps keep, of equal keys, the last one met
        lo_best = max(lo, key=lambda g: (-(extra[g] - xs[g]), g)) if lo else -1
        hi_best = max(hi, key=lambda g: (-(extra[g] + xs[g]), -g)) if hi else -1
        if lo_best < 0:
            hx.append(abs(x - xs[hi_best]) + extra[hi_best])
            continue
        v = abs(x - xs[lo_best]) + extra[lo_best]
        if hi_best >= 0:
            w = abs(x - xs[hi_best]) + extra[hi_best]
            if w < v:
                v = w
        hx.append(v)
    if len(gi) == 1:
        x, e = xs[next(iter(gi))], min(goal.values())
        hx = [abs(v - x) + e for v in xs]
    hy = [min(abs(ys[j] - ys[g]) for g in sorted(gj)) for j in range(ny)]
    hy_turn = [v if j in gj else v + routes.BEND_COST for j, v in enumerate(hy)]
    hx_turn = [v if i in gi else v + routes.BEND_COST for i, v in enumerate(hx)]
    return hx, hy_turn, hx_turn, hy


@examples(300)
@given(_line_on_grid(), st.data())
def test_the_heuristic_is_its_sums_of_absolute_distances(scene_, data):
    router, _points = scene_
    points = data.draw(st.lists(st.tuples(st.integers(0, router.nx - 1), st.integers(0, router.ny - 1)),
                                min_size=1, max_size=8))
    if data.draw(st.booleans()):  # all on one row, as the circles of a band
        points = [(i, points[0][1]) for i, _ in points]
    extras = st.sampled_from([0.0, 0.5, 3.0, 14.0]) | st.floats(min_value=0.0, max_value=400.0)
    goal = {j * router.nx + i: data.draw(extras) for i, j in points}
    assert router._heuristic(goal) == _heuristic_with_abs(router, goal)


@pytest.mark.skipif(routes._compiled is None, reason="the compiled search was not built here")
@examples(200)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=11), max_size=8), max_size=5),
       st.sampled_from([routes.BLOCK, routes.INSIDE, routes.CROSS, routes.OVERLAP, routes.LABEL]))
def test_the_compiled_marks_are_the_python_ones_whatever_the_segments(batches, bit):
    """Unit segments written into a table in batches, some more than once in a batch or
    in several: the same entries in the same order, compiled or in Python."""
    def run(compiled):
        saved = routes._compiled
        routes._compiled = compiled
        try:
            router = routes.Router({"n": (0.0, 0.0, 20.0, 20.0)}, {}, [], [])  # a 3 x 3 grid: 18 segments
            table = set() if bit == routes.LABEL else {}
            for k, cells in enumerate(batches):
                value = frozenset({f"o{k % 2}"}) if bit == routes.OVERLAP else (f"v{k % 3}", frozenset())
                if bit in (routes.BLOCK, routes.INSIDE):
                    value = f"v{k % 3}"
                router._mark(table, bit, cells, value, f"o{k % 2}")
            return sorted(table) if bit == routes.LABEL else list(table.items()), bytes(router.special)
        finally:
            routes._compiled = saved

    assert run(routes._compiled) == run(None)


_coord = st.floats(min_value=-2000, max_value=2000, allow_nan=False).map(lambda v: round(v, 2))
_point = st.tuples(_coord, _coord)


@st.composite
def _graphviz_paths(draw):
    """A path as Graphviz writes an area's outline: M, then L and C pieces."""
    parts = [f"M{draw(_point)[0]},{draw(_point)[1]}"]
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            parts.append("C" + " ".join(f"{x},{y}" for x, y in draw(st.lists(_point, min_size=3, max_size=3))))
        else:
            parts.append(f"L{draw(_point)[0]},{draw(_point)[1]}")
    return "".join(parts)


@examples(300)
@given(_graphviz_paths())
def test_the_top_left_of_a_path_is_that_of_all_its_flattened_points(d):
    from diagramgen.draw.columns import path_points, path_top_left

    pts = path_points(d)
    assert path_top_left(d) == (min(x for x, _ in pts), min(y for _, y in pts))


# --- markdown.escape is html.escape ------------------------------------------------
@examples(300)
@given(st.lists(st.sampled_from(list("ab &<>\"'#;\\\n") + ["&amp;", "é", "\u2028"]), max_size=40).map("".join),
       st.booleans())
def test_escape_is_html_escape(text, quote):
    import html

    from diagramgen.markdown import escape

    assert escape(text, quote) == html.escape(text, quote)
