"""Routes of the flows that reach a foundation band (diagramgen.draw.routes, used by
draw/bands.py): orthogonal paths round boxes and areas, drawn as Graphviz splines."""
import re
import xml.etree.ElementTree as ET

import pytest

from diagramgen.draw import quality, routes
from diagramgen.draw.render import render_architecture
from diagramgen.model.validate import load_architecture

from conftest import ARCH_DIR

# Every test here runs with the compiled search (draw/_routesearch.c) where it was built,
# and with the search in Python: both must find the same routes.
SEARCHES = ["python"] + (["compiled"] if routes._compiled is not None else [])


@pytest.fixture(autouse=True, params=SEARCHES)
def search(request, monkeypatch):
    if request.param == "python":
        monkeypatch.setattr(routes, "_compiled", None)
    return request.param


def _axis_aligned(points) -> bool:
    return all(abs(a[0] - b[0]) < 0.01 or abs(a[1] - b[1]) < 0.01 for a, b in zip(points, points[1:]))


def _inside(p, box) -> bool:
    return box[0] < p[0] < box[2] and box[1] < p[1] < box[3]


def _walk(points, step=1.0):
    for a, b in zip(points, points[1:]):
        n = max(1, int(max(abs(b[0] - a[0]), abs(b[1] - a[1])) / step))
        for i in range(n + 1):
            yield (a[0] + (b[0] - a[0]) * i / n, a[1] + (b[1] - a[1]) * i / n)


def test_a_route_goes_round_a_box_in_its_way():
    nodes = {"src": (0, 180, 40, 220), "wall": (-60, 100, 100, 140)}
    router = routes.Router(nodes, {}, [], [], ys=[0.0], xs=[20.0])
    path = router.route("src", {(20.0, 0.0): 0.0})
    assert path[0] == (20.0, 200.0) and path[-1] == (20.0, 0.0)
    assert _axis_aligned(path)
    wall = (-60 - routes.NODE_MARGIN, 100 - routes.NODE_MARGIN, 100 + routes.NODE_MARGIN, 140 + routes.NODE_MARGIN)
    assert not any(_inside(p, wall) for p in _walk(path))


def test_a_route_goes_round_an_area_that_is_not_its_own_but_runs_inside_its_own():
    nodes = {"src": (0, 180, 40, 220)}
    areas = {"own": ((-10, 170, 50, 230), {"src"}), "other": ((-200, 100, 240, 140), set())}
    router = routes.Router(nodes, areas, [], [], ys=[0.0], xs=[20.0])
    path = router.route("src", {(20.0, 0.0): 0.0}, own={"own"})
    assert not any(_inside(p, (-198, 102, 238, 138)) for p in _walk(path))
    # through the area when the way round costs more than running inside it
    narrow = routes.Router(nodes, {"other": ((-2000, 100, 2000, 104), set())}, [], [], ys=[0.0], xs=[20.0])
    assert narrow.route("src", {(20.0, 0.0): 0.0}) == [(20.0, 200.0), (20.0, 0.0)]


def test_a_route_avoids_crossing_an_edge_when_it_can_and_its_own_circle_s_lines_are_free():
    nodes = {"src": (0, 180, 40, 220), "far": (300, 180, 340, 220)}
    fence = [(-100, 120), (40, 120)]
    router = routes.Router(nodes, {}, [], [fence], ys=[0.0], xs=[20.0])
    path = router.route("src", {(20.0, 0.0): 0.0})
    assert path[0] == (20.0, 200.0) and path[-1] == (20.0, 0.0)
    assert not any(min(p[0] for p in (a, b)) < 40 and max(p[1] for p in (a, b)) > 120 > min(p[1] for p in (a, b))
                   for a, b in zip(path, path[1:]))  # it passes the fence's end, right of x = 40
    # a line of the same circle costs nothing to cross or follow
    again = routes.Router(nodes, {}, [], [], ys=[0.0], xs=[20.0])
    again.add_line(fence, owner="circle")
    assert again.route("src", {(20.0, 0.0): 0.0}, owner="circle") == [(20.0, 200.0), (20.0, 0.0)]
    assert again.route("src", {(20.0, 0.0): 0.0}, owner="another") != [(20.0, 200.0), (20.0, 0.0)]


def test_a_route_ends_at_the_cheapest_of_its_targets():
    nodes = {"src": (0, 180, 40, 220)}
    router = routes.Router(nodes, {}, [], [], ys=[0.0], xs=[20.0, 200.0])
    assert router.route("src", {(20.0, 0.0): 500.0, (200.0, 0.0): 0.0})[-1] == (200.0, 0.0)
    assert router.route("src", {(20.0, 0.0): 0.0, (200.0, 0.0): 0.0})[-1] == (20.0, 0.0)
    assert router.route("src", {(555.0, 0.0): 0.0}) is None  # not a grid point


def test_spline_writes_a_polyline_as_straight_cubic_pieces_with_arrow_tips():
    assert routes.spline([(0, 0), (0, 20), (30, 20)]) == \
        "0.00,0.00 0.00,0.00 0.00,20.00 0.00,20.00 0.00,20.00 30.00,20.00 30.00,20.00"
    assert routes.spline([(0, 0), (0, 20), (30, 20)], end_arrow=True) == \
        "e,30.00,20.00 0.00,0.00 0.00,0.00 0.00,20.00 0.00,20.00 0.00,20.00 23.00,20.00 23.00,20.00"
    assert routes.spline([(0, 0), (0, 20)], start_arrow=True, end_arrow=True, arrow=5) == \
        "e,0.00,20.00 s,0.00,0.00 0.00,5.00 0.00,5.00 0.00,15.00 0.00,15.00"


def test_clip_start_cuts_a_path_where_it_leaves_a_box_or_circle():
    p = routes.clip_start([(0, 0), (0, 100)], (-10, -10, 10, 10))
    assert p[0] == pytest.approx((0, 10)) and p[1] == (0, 100)
    p = routes.clip_start([(0, 0), (0, -100)], (-5, -5, 5, 5), circle=True)
    assert p[0] == pytest.approx((0, -5)) and p[1] == (0, -100)


# two bands with flows: the lower one is reached round the side of the upper one
TWO_BANDS = """\
id: two_bands
title: Two bands
scenario: I want flows to reach a lower band without crossing the upper one.
products: [Demo]
assumptions: {azure_foundation: false}
areas:
  - {id: left, label: Left}
  - {id: middle, label: Middle}
  - {id: right, label: Right}
  - {id: upper, label: Upper band, band: true}
  - {id: lower, label: Lower band, band: true}
layout:
  columns: [[left], [middle], [right]]
components:
  - {id: customer, kind: customer, area: left}
  - {id: acs, kind: communication_services, area: middle}
  - {id: bot, kind: copilot_studio, area: middle}
  - {id: workspace, kind: agent_workspace, area: right}
  - {id: crm, kind: existing_crm, area: upper}
  - {id: dataverse, kind: dataverse, area: lower}
dataflow:
  - step: 1
    text: The customer calls.
    flows:
      - {from: customer, to: acs}
      - {from: acs, to: workspace}
  - step: 2
    text: The bot and the desk read the records.
    flows:
      - {from: crm, to: bot}
      - {from: crm, to: workspace}
  - step: 3
    text: The desk saves the call.
    flows:
      - {from: workspace, to: dataverse}
"""


@pytest.mark.dot
def test_flows_to_bands_are_routed_round_areas_and_bands(write):
    m, diags = load_architecture(write("two_bands.yaml", TWO_BANDS), shown="two_bands.yaml")
    assert m is not None, diags
    svg = render_architecture(m, ("svg",))["two_bands.svg"]
    assert svg == render_architecture(m, ("svg",))["two_bands.svg"]  # deterministic
    q = quality.measure(svg)
    assert (q.node_overlaps, q.area_intrusions, q.edge_overlaps) == (0, 0, 0), q.problems
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    routed = 0
    for g in root.iter(ns + "g"):
        ident = g.get("id", "")
        if "edge" in g.get("class", "").split() and re.fullmatch(r"step-[23]-\w+-(bot|workspace|_step3_\w+)", ident):
            d = next(el.get("d") for el in g.iter(ns + "path"))
            assert _axis_aligned(quality.path_points(d)), ident
            routed += 1
    assert routed == 3


def test_grid_lines_closer_than_thin_merge_and_keep_their_clearance_outside_the_boxes():
    # two boxes whose left sides are 2 points apart, right sides 3 points apart
    nodes = {"a": (0, 0, 40, 40), "b": (2, 100, 43, 140)}
    router = routes.Router(nodes, {}, [], [])
    assert -routes.CLEAR in router.xs and 2 - routes.CLEAR not in router.xs  # the lower of the two left lines
    assert 43 + routes.CLEAR in router.xs and 40 + routes.CLEAR not in router.xs  # the higher of the right ones
    assert all(b - a > 1.0 for a, b in zip(router.xs, router.xs[1:]))
    # lanes and rows passed in are kept even when close to another line
    lanes = routes.Router(nodes, {}, [], [], xs=[-routes.CLEAR + 2])
    assert -routes.CLEAR + 2 in lanes.xs


def test_a_route_over_its_limit_is_not_searched_to_the_end_and_says_so():
    nodes = {"src": (0, 180, 40, 220)}
    router = routes.Router(nodes, {}, [], [], ys=[0.0], xs=[20.0])
    path = router.route("src", {(20.0, 0.0): 0.0})
    cost = router.last_cost
    assert cost == pytest.approx(200.0) and not router.over_limit
    assert router.route("src", {(20.0, 0.0): 0.0}, limit=cost) == path and not router.over_limit
    assert router.route("src", {(20.0, 0.0): 0.0}, limit=cost - 1) is None and router.over_limit


def test_a_route_asked_again_after_more_is_drawn_is_what_a_fresh_router_finds():
    nodes = {"src": (0, 180, 40, 220), "far": (300, 180, 340, 220)}
    targets = {(20.0, 0.0): 0.0}
    router = routes.Router(nodes, {}, [], [], ys=[0.0], xs=[20.0])
    first = router.route("src", targets)
    for line in ([(500, 300), (600, 300)], [(-100, 120), (40, 120)]):  # far away, then across its way
        router = router.copy()
        router.add_line(line)
        fresh = routes.Router(nodes, {}, [], [], ys=[0.0], xs=[20.0])
        for drawn in router.added:
            fresh.add_line(list(drawn[1]))
        again = router.route("src", targets)
        assert again == fresh.route("src", targets) and router.last_cost == fresh.last_cost
    assert again != first


def test_a_route_known_to_be_over_its_limit_stays_so_after_more_is_drawn_and_not_below_it():
    nodes = {"src": (0, 180, 40, 220)}
    targets = {(20.0, 0.0): 0.0}
    router = routes.Router(nodes, {}, [], [], ys=[0.0], xs=[20.0])
    assert router.route("src", targets, limit=150.0) is None and router.over_limit
    more = router.copy()
    more.add_line([(500, 300), (600, 300)])
    assert more.route("src", targets, limit=120.0) is None and more.over_limit
    # a higher limit is searched again and finds the way
    assert more.route("src", targets, limit=250.0) == [(20.0, 200.0), (20.0, 0.0)] and not more.over_limit


def test_the_heuristic_never_overestimates_what_a_route_costs_from_a_point():
    # every grid point's cheapest cost to the goal (both ways of arriving) is at least the
    # heuristic there, on a grid with boxes, an area and a line in the way
    nodes = {"a": (0, 180, 40, 220), "b": (120, 60, 200, 100), "c": (-80, 40, -40, 80)}
    areas = {"other": ((100, 40, 220, 120), {"b"})}
    router = routes.Router(nodes, areas, [], [[(-100, 140), (260, 140)]], ys=[0.0], xs=[20.0, 150.0])
    goal = router._goal_cells({(20.0, 0.0): 5.0, (150.0, 0.0): 0.0})
    hx, hy_turn, hx_turn, hy = router._heuristic(goal)
    checked = 0
    for name in nodes:
        path = router.route(name, {(20.0, 0.0): 5.0, (150.0, 0.0): 0.0})
        if path is None:
            continue
        i, j = router.xs.index(path[0][0]), router.ys.index(path[0][1])
        assert min(hx[i] + hy_turn[j], hx_turn[i] + hy[j]) <= router.last_cost + 1e-9
        checked += 1
    assert checked == 3


def test_on_a_large_grid_a_route_is_searched_near_its_ends_first_and_everywhere_when_that_fails(monkeypatch):
    monkeypatch.setattr(routes, "WINDOW_AT", 0)  # every grid counts as large
    monkeypatch.setattr(routes, "WINDOW_MARGIN", 20.0)
    nodes = {"src": (0, 180, 40, 220)}
    # a wide wall under the source: the way round it leaves the window, so the window finds
    # nothing and the whole grid is searched
    wall = {"wall": (-300, 100, 340, 140)}
    router = routes.Router({**nodes, **wall}, {}, [], [], ys=[0.0], xs=[20.0])
    path = router.route("src", {(20.0, 0.0): 0.0})
    assert path is not None and (min(x for x, _ in path) < -300 or max(x for x, _ in path) > 340)
    # an edge under the source: crossing it inside the window is found, though the way
    # round it outside the window would cost less
    fence = [(-100, 120), (40, 120)]  # the way round runs at x = 48, outside the window
    crossing = routes.Router(nodes, {}, [], [fence], ys=[0.0], xs=[20.0])
    assert crossing.route("src", {(20.0, 0.0): 0.0}) == [(20.0, 200.0), (20.0, 0.0)]
    monkeypatch.setattr(routes, "WINDOW_AT", 10 ** 9)
    whole = routes.Router(nodes, {}, [], [fence], ys=[0.0], xs=[20.0])
    assert whole.route("src", {(20.0, 0.0): 0.0}) != [(20.0, 200.0), (20.0, 0.0)]
    assert whole.last_cost < crossing.last_cost


FIVE_TO_A_BAND = """\
id: five_to_a_band
title: Five flows to a band
scenario: Five components each send data to the band in a step of their own.
products: [Test product]
assumptions: {azure_foundation: false}
areas:
  - {id: left, label: Left}
  - {id: right, label: Right}
  - {id: lower, label: Lower band, band: true}
layout:
  columns: [[left], [right]]
components:
  - {id: customer, kind: customer, area: left}
  - {id: acs, kind: communication_services, area: left}
  - {id: bot, kind: copilot_studio, area: right}
  - {id: workspace, kind: agent_workspace, area: right}
  - {id: copilot, kind: copilot, area: right}
  - {id: dataverse, kind: dataverse, area: lower}
dataflow:
"""
SENDERS = ["customer", "acs", "bot", "workspace", "copilot"]


@pytest.mark.dot
@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("senders", [SENDERS, SENDERS[::-1]], ids=["sorted-order-fails", "sorted-order-routes"])
def test_more_than_four_circles_try_two_orders_or_on_a_large_grid_the_second_only_when_needed(
        write, monkeypatch, large, senders):
    from diagramgen.draw import bands

    text = FIVE_TO_A_BAND + "".join(f"  - step: {k}\n    text: Step {k} saves a record.\n    flows:\n"
                                    f"      - {{from: {c}, to: dataverse}}\n" for k, c in enumerate(senders, start=1))
    m, diags = load_architecture(write("five.yaml", text), shown="five.yaml")
    assert m is not None, diags
    if large:
        monkeypatch.setattr(routes, "WINDOW_AT", 0)  # every grid counts as large
    calls, costs = [], []
    advance, cheapest = bands._CirclePlacing.advance, bands._CirclePlacing.cheapest

    def counting(self, state, circle, bound):
        calls.append(circle)
        return advance(self, state, circle, bound)

    def recording(self, base):
        state = cheapest(self, base)
        costs.append(state[0])
        return state

    monkeypatch.setattr(bands._CirclePlacing, "advance", counting)
    monkeypatch.setattr(bands._CirclePlacing, "cheapest", recording)
    svg = render_architecture(m, ("svg",))["five_to_a_band.svg"]
    assert len(set(calls)) == 5 > bands.MAX_PERMUTED
    if large and senders == SENDERS[::-1]:
        assert len(calls) == 5  # the sorted order routed every flow: the reverse is not tried
    else:
        assert len(calls) > 5  # both orders (the second one stops once it costs more)
    # every flow has its route round the components
    assert costs == [costs[0]] and costs[0] < bands.NO_ROUTE_COST
    q = quality.measure(svg)
    assert (q.node_overlaps, q.area_intrusions) == (0, 0), q.problems


@pytest.mark.dot
@pytest.mark.parametrize("path", sorted(ARCH_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_compiled_search_places_the_bands_as_the_python_one_does(path, search, tmp_path):
    """Each architecture of the repository with foundation bands: the source with the
    bands placed (every route, circle and spline) is the same text with either search."""
    if search != "compiled":
        pytest.skip("compared once, in the run with the compiled search" if "compiled" in SEARCHES
                    else "the compiled search was not built here")
    from diagramgen.draw import bands, dotjson, render, scene

    m, diags = load_architecture(str(path))
    assert m is not None, diags
    source, _images = render._short_image_names(scene.build(m), str(tmp_path))
    if not bands.has_bands(source):
        pytest.skip("no foundation bands")
    out: list = []
    render._check(*render._run_child(["dot", "-Tjson"], bands.first_pass(source).encode(), 300, cwd=str(tmp_path),
                                     stdout=out))
    layout = dotjson.first_pass_layout(b"".join(out))
    compiled = bands.placed_source(source, layout)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(routes, "_compiled", None)
        assert bands.placed_source(source, layout) == compiled


def test_the_compiled_search_can_be_turned_off(search):
    """DIAGRAMGEN_PURE_PYTHON=1 runs the search in Python even where it was compiled."""
    import os
    import subprocess
    import sys

    if search != "python":
        pytest.skip("checked once")
    code = "from diagramgen.draw import routes; print(routes._compiled is None)"
    env = {k: v for k, v in os.environ.items() if k != "DIAGRAMGEN_PURE_PYTHON"}
    off = subprocess.run([sys.executable, "-c", code], env={**env, "DIAGRAMGEN_PURE_PYTHON": "1"},
                         capture_output=True, text=True, check=True)
    assert off.stdout.strip() == "True"
    on = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert on.stdout.strip() == str(not _was_built())  # a build of another version would also be left off


def _was_built() -> bool:
    """Whether the compiled search is there to import (built by setup.py)."""
    import importlib.util

    return importlib.util.find_spec("diagramgen.draw._routesearch") is not None


def test_the_first_pass_is_the_diagram_without_its_bands_then_the_bands_alone():
    from diagramgen.draw import bands

    source = "\n".join([
        "digraph {",
        "\tgraph [rankdir=LR]",
        "\tsubgraph cluster_top {",
        "\t\tgraph [label=Top]",
        "\t\ta [label=A]",
        "\t}",
        "\tsubgraph cluster_base {",
        "\t\tgraph [class=band label=Base]",
        "\t\tb [label=B]",
        "\t}",
        "\t_c1 [label=1 width=0.3]",
        "\ta -> _c1 [dir=none]",
        "\t_c1 -> b [arrowhead=normal]",
        "}",
    ])
    first = bands.first_pass(source)
    assert first == bands.layout_source(source) + "\n" + bands.band_sizes_source(source) + "\n"
    assert first == "\n".join([
        "digraph {", "\tgraph [rankdir=LR]", "\tsubgraph cluster_top {", "\t\tgraph [label=Top]",
        "\t\ta [label=A]", "\t}", "}",
        "digraph {", "\tgraph [rankdir=LR]",
        "\tsubgraph cluster_base {", "\t\tgraph [class=band label=Base]", "\t\tb [label=B]", "\t}", "}", ""])
