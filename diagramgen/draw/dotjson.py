"""dot's JSON layout of a diagram with foundation bands, read and checked.

The first Graphviz pass (bands.first_pass) writes two JSON documents: the layout of the
diagram without its bands, then that of the bands alone. ``first_pass_layout`` parses
them and checks that every key bands.placed_source reads is there and well formed, so
that output dot should not have written is told apart from a fault of the placing: the
first is a ValueError here, the second is not caught as one.

A number with a fraction or an exponent is kept as its text (the JSON decoder's
parse_float): dot's output holds thousands of them in the drawing operations, of which
the placing reads a few, each through float(), which reads the text as the decoder would.
"""
from __future__ import annotations

import json
import re

_DECODER = json.JSONDecoder(parse_float=str)  # see the module's description


def _compiled_when_first_used(name: str, pattern: str):
    """A stand-in for the module's ``name``: the fullmatch of ``pattern``, compiled (and put
    in its place) at its first call, not when the module is imported."""
    def first_call(text: str):
        match = globals()[name] = re.compile(pattern).fullmatch
        return match(text)
    return first_call


# The numbers dot writes (digits, a point, an exponent, a sign), and the lists of them the
# checks below read, as one regular expression each: a text they match is one the checks
# accept without looking at each number (float() reads every such number); the checks
# still decide, one number at a time, on any other text.
_NUM = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
_PLAIN_NUMBER = _compiled_when_first_used("_PLAIN_NUMBER", _NUM)
_PLAIN_NUMBERS = _compiled_when_first_used("_PLAIN_NUMBERS", f"{_NUM}(?:,{_NUM})*")  # separated by commas
# points "x,y" or "s,x,y" or "e,x,y", each followed by one space or the end
_PLAIN_SPLINE = _compiled_when_first_used("_PLAIN_SPLINE", f"(?:(?:[se],)?{_NUM},{_NUM}(?: |\\Z))+")


def first_pass_layout(data: bytes) -> tuple:
    """(the diagram's layout, the bands' layout): the two JSON objects of ``data``, dot's
    ``-Tjson`` output of bands.first_pass, their numbers with a fraction or an exponent as
    their text. Raises ValueError, naming what is wrong, when
    ``data`` is not two such objects holding what bands.placed_source reads."""
    try:
        text = data.decode("utf-8")
        graph, end = _DECODER.raw_decode(text)
        bands, _ = _DECODER.raw_decode(text[end:].lstrip())
    except RecursionError:
        raise ValueError("nested too deeply") from None
    _graph(graph, "the diagram's layout", bb=True)
    _graph(bands, "the bands' layout", bb=False)
    return graph, bands


def _number(value) -> bool:
    if isinstance(value, str) and _PLAIN_NUMBER(value):
        return True
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _numbers(value, count: int | None) -> bool:
    """A text of numbers separated by commas (``count`` of them, if given)."""
    if not isinstance(value, str):
        return False
    if (count is None or value.count(",") == count - 1) and _PLAIN_NUMBERS(value):
        return True
    parts = value.split(",")
    return (count is None or len(parts) == count) and all(_number(p) for p in parts)


def _spline(value) -> bool:
    """An edge's ``pos``: points ``x,y``, the arrow tips ``s,x,y`` and ``e,x,y``."""
    if not isinstance(value, str):
        return False
    if _PLAIN_SPLINE(value):
        return True
    for item in value.split():
        parts = item.split(",")
        if parts[0] in ("s", "e"):
            parts = parts[1:]
        if len(parts) < 2 or not all(_number(p) for p in parts[:2]):
            return False
    return True


def _check(ok: bool, where: str, what: str) -> None:
    if not ok:
        raise ValueError(f"{where}: {what}")


def _optional(obj: dict, key: str, test) -> bool:
    return key not in obj or test(obj[key])


def _graph(g, where: str, bb: bool) -> None:
    _check(isinstance(g, dict), where, "not an object")
    if bb:
        _check(_numbers(g.get("bb"), 4), where, "no bounding box (bb)")
    _check(_optional(g, "lp", lambda v: _numbers(v, 2)), where, "an ill-formed lp")
    objects, edges = g.get("objects", []), g.get("edges", [])
    _check(isinstance(objects, list) and isinstance(edges, list), where, "objects or edges not lists")
    for o in objects:
        _object(o, where)
    for e in edges:
        _edge(e, where)


def _ids(value) -> bool:
    return isinstance(value, list) and all(_gvid(v) for v in value)


def _gvid(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _object(o, where: str) -> None:
    # the tests written out (no lambda, no call per key): the same ones, in the same order
    _check(isinstance(o, dict) and _gvid(o.get("_gvid")), where, "an object without its _gvid")
    _check("name" not in o or isinstance(o["name"], str), where, "an object with an ill-formed name")
    if "pos" in o or "width" in o:  # a node: its centre and size
        _check(isinstance(o.get("name"), str) and ("pos" not in o or _numbers(o["pos"], 2))
               and _number(o.get("width")) and _number(o.get("height")), where,
               f"node {o.get('name')!r} without a well-formed pos, width or height")
    if o.get("name", "").startswith("cluster_"):
        _check(("bb" not in o or _numbers(o["bb"], 4)) and ("lp" not in o or _numbers(o["lp"], 2))
               and ("lwidth" not in o or _number(o["lwidth"])) and ("lheight" not in o or _number(o["lheight"]))
               and ("nodes" not in o or _ids(o["nodes"])), where, f"cluster {o['name']!r} ill-formed")


def _edge(e, where: str) -> None:
    _check(isinstance(e, dict) and _gvid(e.get("_gvid")) and _gvid(e.get("tail")) and _gvid(e.get("head")), where,
           "an edge without its _gvid, tail or head")
    ldraw, xldraw = e.get("_ldraw_", []), e.get("_xldraw_", [])
    texts = ldraw + xldraw if isinstance(ldraw, list) and isinstance(xldraw, list) else None
    _check(("pos" not in e or _spline(e["pos"])) and ("xlp" not in e or _numbers(e["xlp"], 2))
           and ("fontsize" not in e or _number(e["fontsize"])) and texts is not None
           and all(isinstance(op, dict) and ("width" not in op or _number(op["width"])) for op in texts),
           where, f"edge {e['_gvid']} ill-formed")
