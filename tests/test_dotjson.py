"""Reading dot's JSON layout of the bands' first pass (diagramgen.draw.dotjson): what it
accepts, and the one-line reason it gives for what it refuses."""
import json

import pytest
from hypothesis import given, settings, strategies as st

from diagramgen.draw import dotjson


def _layout(graph: dict, bands: dict | None = None) -> bytes:
    return (json.dumps(graph) + "\n" + json.dumps(bands if bands is not None else {"objects": []})).encode()


GOOD = {
    "bb": "0,0,300.5,200",
    "objects": [
        {"_gvid": 0, "name": "cluster_a", "bb": "10,10,200,150", "lp": "100,140", "lwidth": 0.8,
         "lheight": "0.22", "nodes": [1]},
        {"_gvid": 1, "name": "n1", "pos": "50.5,60", "width": "1.2", "height": 0.5},
        {"_gvid": 2, "name": "n2", "pos": "150,60", "width": 1, "height": "1e0"},
    ],
    "edges": [
        {"_gvid": 0, "tail": 1, "head": 2, "pos": "e,140,60 60,60 80,60 100,60 -1.5e2,+.5",
         "xlp": "100,70", "fontsize": "12", "_ldraw_": [{"op": "T", "width": 40.5}]},
    ],
}


def test_a_well_formed_layout_is_read_as_it_is_with_fractions_as_their_text():
    """Numbers with a fraction or an exponent are kept as written (float() reads them as
    the JSON decoder would); whole numbers are ints."""
    data = _layout(GOOD).replace(b'"lwidth": 0.8', b'"lwidth": 8e-1')
    graph, bands = dotjson.first_pass_layout(data)
    cluster, node, _ = graph["objects"]
    assert cluster["lwidth"] == "8e-1" and float(cluster["lwidth"]) == 0.8
    assert node["height"] == "0.5" and graph["objects"][2]["width"] == 1
    assert graph["edges"][0]["_ldraw_"] == [{"op": "T", "width": "40.5"}]
    assert json.loads(data.split(b"\n")[0], parse_float=str) == graph and bands == {"objects": []}


def _with(path: tuple, value) -> dict:
    graph = json.loads(json.dumps(GOOD))
    *keys, last = path
    target = graph
    for k in keys:
        target = target[k]
    target[last] = value
    return graph


@pytest.mark.parametrize("path, value, message", [
    (("bb",), "0,0,300", "the diagram's layout: no bounding box (bb)"),
    (("bb",), "0,0,300,x", "the diagram's layout: no bounding box (bb)"),
    (("lp",), "1,2,3", "the diagram's layout: an ill-formed lp"),
    (("objects",), {}, "the diagram's layout: objects or edges not lists"),
    (("objects", 1, "pos"), "nowhere", "the diagram's layout: node 'n1' without a well-formed pos, width or height"),
    (("objects", 1, "pos"), "1;2", "the diagram's layout: node 'n1' without a well-formed pos, width or height"),
    (("objects", 2, "width"), True, "the diagram's layout: node 'n2' without a well-formed pos, width or height"),
    (("objects", 2, "height"), "1,0", "the diagram's layout: node 'n2' without a well-formed pos, width or height"),
    (("objects", 1, "_gvid"), "1", "the diagram's layout: an object without its _gvid"),
    (("objects", 1, "name"), 7, "the diagram's layout: an object with an ill-formed name"),
    (("objects", 0, "bb"), "10,10,200", "the diagram's layout: cluster 'cluster_a' ill-formed"),
    (("objects", 0, "lwidth"), [1], "the diagram's layout: cluster 'cluster_a' ill-formed"),
    (("objects", 0, "nodes"), [1, True], "the diagram's layout: cluster 'cluster_a' ill-formed"),
    (("edges", 0, "head"), None, "the diagram's layout: an edge without its _gvid, tail or head"),
    (("edges", 0, "pos"), "e,140,60 60,60 nowhere", "the diagram's layout: edge 0 ill-formed"),
    (("edges", 0, "pos"), "s,e,1,2", "the diagram's layout: edge 0 ill-formed"),
    (("edges", 0, "pos"), "1", "the diagram's layout: edge 0 ill-formed"),
    (("edges", 0, "xlp"), "100", "the diagram's layout: edge 0 ill-formed"),
    (("edges", 0, "fontsize"), "twelve", "the diagram's layout: edge 0 ill-formed"),
    (("edges", 0, "_ldraw_"), [{"op": "T", "width": "wide"}], "the diagram's layout: edge 0 ill-formed"),
    (("edges", 0, "_xldraw_"), {}, "the diagram's layout: edge 0 ill-formed"),
])
def test_an_ill_formed_layout_is_refused_naming_what_is_wrong(path, value, message):
    with pytest.raises(ValueError) as err:
        dotjson.first_pass_layout(_layout(_with(path, value)))
    assert str(err.value) == message


def test_the_bands_layout_is_checked_too_without_a_bounding_box():
    assert dotjson.first_pass_layout(_layout(GOOD, {"edges": []}))[1] == {"edges": []}
    with pytest.raises(ValueError) as err:
        dotjson.first_pass_layout(_layout(GOOD, {"objects": [{"_gvid": 0, "name": "b", "width": "w"}]}))
    assert str(err.value) == "the bands' layout: node 'b' without a well-formed pos, width or height"


def test_numbers_as_python_reads_them_are_accepted_in_any_form():
    """Not only the forms dot writes: anything float() reads is a number (spaces round
    it, underscores, inf), in a pos as in a width; in an edge's pos, whose points are
    separated by spaces, only the first two numbers of a point are read."""
    for text in (" 1.5", "1_000", "inf", "-Infinity", "nan", "1E+3", "١٢"):
        graph = _with(("objects", 2, "pos"), f"{text},{text}")
        graph["objects"][2]["width"] = text
        graph["edges"][0]["pos"] = f"s,{text.strip()},2 {text.strip()},0,ignored"
        assert dotjson.first_pass_layout(_layout(graph))[0] == json.loads(json.dumps(graph), parse_float=str)


# --- the checks of texts of numbers decide as float() does, number by number ----------

def _reference_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _reference_numbers(text: str, count: int) -> bool:
    parts = text.split(",")
    return len(parts) == count and all(_reference_number(p) for p in parts)


def _reference_spline(text: str) -> bool:
    for item in text.split():
        parts = item.split(",")
        if parts[0] in ("s", "e"):
            parts = parts[1:]
        if len(parts) < 2 or not all(_reference_number(p) for p in parts[:2]):
            return False
    return True


_PIECES = st.sampled_from(["0", "7", "12", "3.25", ".5", "5.", "-", "+", "e", "E", "e-3", ".", ",", " ", "  ",
                           "\t", "s,", "e,", "s", "_1", "inf", "nan", "x", "\n", "١"])
_NUMBER = st.builds(lambda sign, whole, frac, exp: f"{sign}{whole}{frac}{exp}", st.sampled_from(["", "-", "+"]),
                    st.sampled_from(["", "0", "12", "404"]), st.sampled_from(["", ".", ".5", ".25"]),
                    st.sampled_from(["", "e3", "E-2", "e+10", "e"]))
_TEXT = st.lists(_PIECES | _NUMBER, max_size=14).map("".join)


@settings(max_examples=600, deadline=None, derandomize=True, database=None)
@given(_TEXT)
def test_texts_of_numbers_are_judged_as_float_judges_each_number(text):
    assert dotjson._number(text) == _reference_number(text)
    assert dotjson._numbers(text, 2) == _reference_numbers(text, 2)
    assert dotjson._numbers(text, 4) == _reference_numbers(text, 4)
    assert dotjson._spline(text) == _reference_spline(text)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.tuples(st.sampled_from(["", "s,", "e,"]), _NUMBER, _NUMBER), min_size=1, max_size=6))
def test_splines_of_numbers_are_judged_as_float_judges_each_number(points):
    text = " ".join(f"{tip}{x},{y}" for tip, x, y in points)
    assert dotjson._spline(text) == _reference_spline(text)
    pair = f"{points[0][1]},{points[0][2]}"
    assert dotjson._numbers(pair, 2) == _reference_numbers(pair, 2)
