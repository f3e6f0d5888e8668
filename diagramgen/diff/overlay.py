"""The overlay picture of a diff: one model holding both sides, drawn in the diff's colours.

``union_model`` builds the model the overlay diagram draws (both sides at once) and the
marks that say how each part changed; ``overlay_style`` turns the marks into the style
the one scene builder (draw/scene.py) applies while it writes the DOT.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from diagramgen.diff.align import flow_key, sequence_pairs
from diagramgen.diff.compare import ADDED, CHANGED, REMOVED, UNCHANGED, diff_architectures
from diagramgen.model import Architecture, Flow, Step


@dataclass(frozen=True)
class Marks:
    """How each part of a union model changed (see ``union_model``)."""

    components: dict  # component id -> added | removed | changed | unchanged
    areas: dict  # area id -> status
    steps: dict  # union step key (Step.key) -> (status, badge text)
    flows: dict  # (union step key, src, dst) -> status


def _merge_order(base: list, other: list) -> list:
    """``base`` in its order, with the items only in ``other`` placed after their predecessor there."""
    out = list(base)
    prev = None
    for x in other:
        if x not in out:
            out.insert(out.index(prev) + 1 if prev is not None else 0, x)
        prev = x
    return out


REMOVED_STEP_OFFSET = 1000  # union numbers of removed steps: 1000 + their old number


def union_model(old: Architecture, new: Architecture) -> tuple:
    """Return ``(union Architecture, Marks)``: the overlay diagram's content.

    The union keeps the base (old) order of areas, columns and components, so the overlay
    is laid out like the base render; added parts are placed after their predecessor in
    the new model. Renamed components appear under their new id. Removed steps get the
    number REMOVED_STEP_OFFSET + old number (their badges say "was N"). A flow whose label
    changed is marked changed and labelled "new (was old)" ("was old" when it lost it).
    """
    d = diff_architectures(old, new)
    ren = dict(d.renames)
    newc = {c.id: c for c in new.components}
    oldc = {ren.get(c.id, c.id): replace(c, id=ren.get(c.id, c.id)) for c in old.components}
    comp_status = {}
    for cid in oldc:
        comp_status[cid] = UNCHANGED if cid in newc else REMOVED
    for c in d.components:
        if c.change in (CHANGED, "renamed"):
            comp_status[c.id] = CHANGED
        elif c.change == ADDED:
            comp_status[c.id] = ADDED
    order = _merge_order(list(oldc), [c.id for c in new.components])
    components = tuple(newc.get(cid) or oldc[cid] for cid in order)

    olda = {a.id: a for a in old.areas}
    newa = {a.id: a for a in new.areas}
    area_order = _merge_order(list(olda), list(newa))
    areas = tuple(newa.get(a) or olda[a] for a in area_order)
    area_status = {a: (ADDED if a not in olda else REMOVED if a not in newa else UNCHANGED) for a in area_order}
    for a in d.areas:
        if a.change == CHANGED:
            area_status[a.id] = CHANGED
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

    steps, step_marks, flow_marks = [], {}, {}
    removed_seqs = []
    for seq, pairs in sequence_pairs(old, new, ren):
        for o, w in pairs:
            if w is None:
                if seq:  # a sequence of its own, so its letters cannot clash with the new ones
                    removed = Step(o.number, o.text, tuple(Flow(*flow_key(f, ren), label=f.label) for f in o.flows),
                                   sequence=f"{seq}_removed", label=o.badge)
                    removed_seqs.append((removed.sequence, "", "letters"))
                else:
                    # numbered apart from the new steps, and shown as "−N": old step N, gone
                    removed = Step(REMOVED_STEP_OFFSET + o.number, o.text,
                                   tuple(Flow(*flow_key(f, ren), label=f.label) for f in o.flows),
                                   label=f"\u2212{o.number}")
                steps.append(removed)
                step_marks[removed.key] = (REMOVED, f"was {o.badge}")
                for f in removed.flows:
                    flow_marks[(removed.key, f.src, f.dst)] = REMOVED
                continue
            key = w.key
            label = w.badge if o is None or o.number == w.number else f"{w.badge} (was {o.badge})"
            if o is None:
                steps.append(w)
                step_marks[key] = (ADDED, label)
                for f in w.flows:
                    flow_marks[(key, f.src, f.dst)] = ADDED
                continue
            fo = {flow_key(f, ren): f for f in o.flows}
            fw = {flow_key(f, {}): f for f in w.flows}
            flows = []
            for k, f in fw.items():
                if k in fo and fo[k].label != f.label:
                    state = CHANGED
                    # the overlay draws the new label and the old one beside it
                    was = fo[k].label
                    f = replace(f, label=f"{f.label} (was {was})" if f.label and was else f.label or f"was {was}")
                elif k in fo:
                    state = UNCHANGED
                elif any({x[0], x[1]} == {k[0], k[1]} for x in fo):
                    state = CHANGED
                else:
                    state = ADDED
                flows.append(f)
                flow_marks[(key, f.src, f.dst)] = state
            for k in fo:
                if k not in fw and not any({x[0], x[1]} == {k[0], k[1]} for x in fw):
                    flows.append(Flow(*k, label=fo[k].label))
                    flow_marks[(key, k[0], k[1])] = REMOVED
            changed = o.text != w.text or set(fo) != set(fw)
            steps.append(replace(w, flows=tuple(flows), subject=(), pos=w.pos))
            step_marks[key] = (CHANGED if changed else UNCHANGED, label)
    union = replace(new, areas=areas, components=components, steps=tuple(steps),
                    columns=tuple(tuple(c) for c in columns),
                    extra_sequences=new.extra_sequences + tuple(dict.fromkeys(removed_seqs)))
    return union, Marks(comp_status, area_status, step_marks, flow_marks)


def empty_like(arch: Architecture) -> Architecture:
    """The same architecture with nothing in it (the other side of an added or removed file)."""
    return replace(arch, areas=(), components=(), steps=(), columns=())


def overlay_source(old: Optional[Architecture], new: Optional[Architecture], caption: str = "") -> str:
    """DOT source of the overlay diagram of two versions of an architecture."""
    from diagramgen.draw import scene

    if new is None:
        if old is None:
            raise ValueError("nothing to compare")
        new = empty_like(old)
    elif old is None:
        old = empty_like(new)
    union, marks = union_model(old, new)
    return scene.build_overlay(union, marks, caption)
