"""The overlay picture of a diff: one model holding both sides, drawn in the diff's colours.

``union_model`` builds the model the overlay diagram draws (both sides at once) and the
marks that say how each part changed; ``overlay_style`` turns the marks into the style
the one scene builder (draw/scene.py) applies while it writes the DOT.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Optional

from diagramgen.diff.align import AREA_FIELDS, COMPONENT_FIELDS, differs, flow_key, renames, sequence_pairs
from diagramgen.draw import scene, svg
from diagramgen.draw.layoutcache import slot_name
from diagramgen.draw.render import RenderError, run_dot
from diagramgen.model import Architecture, Flow, Step

# the statuses of the marks, which scene.Style draws (the words of compare.py's changes);
# compare.py itself is not needed here: the overlay takes only which parts changed
ADDED, REMOVED, CHANGED, UNCHANGED = scene.ADDED, scene.REMOVED, scene.CHANGED, scene.UNCHANGED


@dataclass(frozen=True)
class Marks:
    """How each part of a union model changed (see ``union_model``). Steps are named by
    their union Step.key, flows by ``(step key, from, to)``."""

    components: dict  # component id -> added | removed | changed | unchanged
    areas: dict  # area id -> status
    steps: dict  # step key -> status
    flows: dict  # (step key, src, dst) -> status
    was: dict = field(default_factory=dict)  # step key -> its badge in the old model, where that differs
    old_labels: dict = field(default_factory=dict)  # (step key, src, dst) -> a changed flow label's old text


def union_model(old: Architecture, new: Architecture) -> tuple:
    """Return ``(union Architecture, Marks)``: the overlay diagram's content.

    The union keeps the base (old) order of areas, columns and components, so the overlay
    is laid out like the base render; added parts are placed after their predecessor in
    the new model. Renamed components appear under their new id. A removed step keeps
    its old number in a sequence of removed steps of its own (removed_sequence), where
    the position it had in the base is kept among the new steps.
    """
    ren = renames(old, new)
    components, comp_status = _union_components(old, new, ren)
    areas, area_status = _union_areas(old, new)
    steps, marks = _union_steps(old, new, ren)
    removed = tuple(dict.fromkeys((s.sequence, "", "numbers") for s in steps if marks.steps[s.key] == REMOVED))
    union = replace(new, areas=areas, components=components, steps=steps, columns=_union_columns(old, new),
                    extra_sequences=new.extra_sequences + removed)
    return union, replace(marks, components=comp_status, areas=area_status)


def _merge_order(base: list, other: list) -> list:
    """``base`` in its order, with the items only in ``other`` placed after their predecessor there."""
    out = list(base)
    prev = None
    for x in other:
        if x not in out:
            out.insert(out.index(prev) + 1 if prev is not None else 0, x)
        prev = x
    return out


def _union_components(old: Architecture, new: Architecture, ren: dict) -> tuple:
    """``(components, {id: status})``: renamed ones under their new id, and changed (as
    compare.py's component changes say: renamed, or a field of COMPONENT_FIELDS)."""
    newc = {c.id: c for c in new.components}
    oldc = {ren.get(c.id, c.id): replace(c, id=ren.get(c.id, c.id)) for c in old.components}
    status = {cid: UNCHANGED if cid in newc else REMOVED for cid in oldc}
    before = {c.id: c for c in old.components}
    renamed = set(ren.values())
    for c in new.components:
        if c.id in renamed:
            status[c.id] = CHANGED
        elif c.id not in before:
            status[c.id] = ADDED
        elif differs(before[c.id], c, COMPONENT_FIELDS):
            status[c.id] = CHANGED
    order = _merge_order(list(oldc), [c.id for c in new.components])
    return tuple(newc.get(cid) or oldc[cid] for cid in order), status


def _union_areas(old: Architecture, new: Architecture) -> tuple:
    """``(areas, {id: status})``: changed where a field of AREA_FIELDS is."""
    olda = {a.id: a for a in old.areas}
    newa = {a.id: a for a in new.areas}
    order = _merge_order(list(olda), list(newa))
    status = {a: (ADDED if a not in olda else REMOVED if a not in newa else UNCHANGED) for a in order}
    for a in new.areas:
        if a.id in olda and differs(olda[a.id], a, AREA_FIELDS):
            status[a.id] = CHANGED
    return tuple(newa.get(a) or olda[a] for a in order), status


def _union_columns(old: Architecture, new: Architecture) -> tuple:
    """The base's columns, each new area in the column of an area it shares one with."""
    # parents before children: removed parents sit in the base order, so this already holds
    columns = [list(c) for c in old.columns]
    placed = {a for c in columns for a in c}
    for col in new.columns:
        for a in col:
            if a in placed:
                continue
            home = next((c for c in columns if any(x in c for x in col)), None)
            if home is None:
                columns.append([a])
            else:
                home.append(a)
            placed.add(a)
    return tuple(tuple(c) for c in columns)


def removed_sequence(sequence: str) -> str:
    """The union's sequence for the removed steps of ``sequence`` ("" is the main
    dataflow): a generated name, which no sequence of an architecture file can have."""
    return scene.generated_id(f"removed_{sequence}" if sequence else "removed")


def _union_steps(old: Architecture, new: Architecture, ren: dict) -> tuple:
    """``(steps, Marks)`` of the union (components and areas not filled in yet): the new
    steps with the flows both sides draw, and the removed ones where they were."""
    steps: list = []
    marks = Marks({}, {}, {}, {})
    for seq, pairs in sequence_pairs(old, new, ren):
        for o, w in pairs:
            if w is None:
                step = Step(o.number, o.text, tuple(Flow(*flow_key(f, ren), label=f.label) for f in o.flows),
                            sequence=removed_sequence(seq), label=o.badge)
                marks.steps[step.key] = REMOVED
                marks.flows.update({(step.key, f.src, f.dst): REMOVED for f in step.flows})
            elif o is None:
                step = w
                marks.steps[step.key] = ADDED
                marks.flows.update({(step.key, f.src, f.dst): ADDED for f in step.flows})
            else:
                step = _kept_step(o, w, ren, marks)
            if o is not None and w is not None and o.badge != w.badge:
                marks.was[step.key] = o.badge
            steps.append(step)
    return tuple(steps), marks


def _kept_step(o: Step, w: Step, ren: dict, marks: Marks) -> Step:
    """The union step of an old step and the new step it became: the new flows, then the
    old ones that no new flow continues (in either direction). Its marks go into ``marks``."""
    fo = {flow_key(f, ren): f for f in o.flows}
    fw = {flow_key(f, {}): f for f in w.flows}
    flows = []
    for k, f in fw.items():
        if k in fo and fo[k].label != f.label:
            state = CHANGED
            marks.old_labels[(w.key, f.src, f.dst)] = fo[k].label
        elif k in fo:
            state = UNCHANGED
        elif any({x[0], x[1]} == {k[0], k[1]} for x in fo):
            state = CHANGED
        else:
            state = ADDED
        flows.append(f)
        marks.flows[(w.key, f.src, f.dst)] = state
    for k in fo:
        if k not in fw and not any({x[0], x[1]} == {k[0], k[1]} for x in fw):
            flows.append(Flow(*k, label=fo[k].label))
            marks.flows[(w.key, k[0], k[1])] = REMOVED
    marks.steps[w.key] = CHANGED if o.text != w.text or set(fo) != set(fw) else UNCHANGED
    return replace(w, flows=tuple(flows), subject=(), pos=w.pos)


def overlay_style(union: Architecture, marks: Marks, caption: str = "") -> scene.Style:
    """The style that draws ``union`` as the overlay: the marks' statuses, a removed
    step's circle as "−N" (old step N), a moved step's old badge beside its circle, and
    a relabelled flow as "new (was old)" ("was old" where it lost its label)."""
    circles = {s.key: f"\u2212{s.badge}" for s in union.steps if marks.steps.get(s.key) == REMOVED}
    labels = {}
    for s in union.steps:
        for f in s.flows:
            was = marks.old_labels.get((s.key, f.src, f.dst))
            if was is not None:
                labels[(s.key, f.src, f.dst)] = (f"{f.label} (was {was})" if f.label and was
                                                 else f.label or f"was {was}")
    return scene.Style(caption=caption, components=marks.components, areas=marks.areas, steps=marks.steps,
                       flows=marks.flows, circles=circles, was=marks.was, flow_labels=labels)


def empty_like(arch: Architecture) -> Architecture:
    """The same architecture with nothing in it (the other side of an added or removed file)."""
    return replace(arch, areas=(), components=(), steps=(), columns=())


def overlay(old: Optional[Architecture], new: Optional[Architecture], caption: str = "") -> tuple:
    """``(union Architecture, scene.Style)`` of two versions of an architecture (either
    may be None: an added or removed architecture)."""
    if new is None:
        if old is None:
            raise ValueError("nothing to compare")
        new = empty_like(old)
    elif old is None:
        old = empty_like(new)
    union, marks = union_model(old, new)
    return union, overlay_style(union, marks, caption)


def overlay_source(old: Optional[Architecture], new: Optional[Architecture], caption: str = "") -> str:
    """DOT source of the overlay diagram of two versions of an architecture."""
    union, style = overlay(old, new, caption)
    return scene.build(union, style)


def overlay_image(old: Optional[Architecture], new: Optional[Architecture], caption: str, fmt: str,
                  docs_href: Optional[str] = None) -> bytes:
    """The overlay diagram as ``fmt`` ("svg" or "png"), laid out by dot. The SVG goes
    through the same post-processing as every diagram (svg.self_contained: icons
    embedded, no file paths); its steps link to ``docs_href#step-N`` when given.
    Raises render.RenderError."""
    union, style = overlay(old, new, caption)
    try:
        source = scene.build(union, style)
    except scene.IconError as exc:
        raise RenderError(f"{union.path}: {exc}") from None
    raw = run_dot(source, [fmt], slot=slot_name("overlay", *(os.path.realpath(a.path) if a else None for a in (old, new)),
                                                 fmt))[fmt]
    if fmt != "svg":
        return raw
    try:
        return svg.self_contained(raw, union, docs_href=docs_href, style=style)
    except svg.SvgError as exc:
        raise RenderError(f"overlay of {union.id}: {exc}") from None
