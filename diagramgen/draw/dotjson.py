"""dot's JSON layout of a diagram with foundation bands, read and checked.

The first Graphviz pass (bands.first_pass) writes two JSON documents: the layout of the
diagram without its bands, then that of the bands alone. ``first_pass_layout`` parses
them and checks that every key bands.placed_source reads is there and well formed, so
that output dot should not have written is told apart from a fault of the placing: the
first is a ValueError here, the second is not caught as one.
"""
from __future__ import annotations

import json


def first_pass_layout(data: bytes) -> tuple:
    """(the diagram's layout, the bands' layout): the two JSON objects of ``data``, dot's
    ``-Tjson`` output of bands.first_pass. Raises ValueError, naming what is wrong, when
    ``data`` is not two such objects holding what bands.placed_source reads."""
    try:
        text = data.decode("utf-8")
        decoder = json.JSONDecoder()
        graph, end = decoder.raw_decode(text)
        bands, _ = decoder.raw_decode(text[end:].lstrip())
    except RecursionError:
        raise ValueError("nested too deeply") from None
    _graph(graph, "the diagram's layout", bb=True)
    _graph(bands, "the bands' layout", bb=False)
    return graph, bands


def _number(value) -> bool:
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
    parts = value.split(",")
    return (count is None or len(parts) == count) and all(_number(p) for p in parts)


def _spline(value) -> bool:
    """An edge's ``pos``: points ``x,y``, the arrow tips ``s,x,y`` and ``e,x,y``."""
    if not isinstance(value, str):
        return False
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
    _check(isinstance(o, dict) and _gvid(o.get("_gvid")), where, "an object without its _gvid")
    _check(_optional(o, "name", lambda v: isinstance(v, str)), where, "an object with an ill-formed name")
    if "pos" in o or "width" in o:  # a node: its centre and size
        _check(isinstance(o.get("name"), str) and _optional(o, "pos", lambda v: _numbers(v, 2))
               and _number(o.get("width")) and _number(o.get("height")), where,
               f"node {o.get('name')!r} without a well-formed pos, width or height")
    if o.get("name", "").startswith("cluster_"):
        _check(_optional(o, "bb", lambda v: _numbers(v, 4)) and _optional(o, "lp", lambda v: _numbers(v, 2))
               and _optional(o, "lwidth", _number) and _optional(o, "lheight", _number)
               and _optional(o, "nodes", _ids), where, f"cluster {o['name']!r} ill-formed")


def _edge(e, where: str) -> None:
    _check(isinstance(e, dict) and all(_gvid(e.get(k)) for k in ("_gvid", "tail", "head")), where,
           "an edge without its _gvid, tail or head")
    texts = e.get("_ldraw_", []) + e.get("_xldraw_", []) \
        if isinstance(e.get("_ldraw_", []), list) and isinstance(e.get("_xldraw_", []), list) else None
    _check(_optional(e, "pos", _spline) and _optional(e, "xlp", lambda v: _numbers(v, 2))
           and _optional(e, "fontsize", _number) and texts is not None
           and all(isinstance(op, dict) and _optional(op, "width", _number) for op in texts),
           where, f"edge {e['_gvid']} ill-formed")
