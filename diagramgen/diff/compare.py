"""Semantic diff of two architecture models: what changed, as frozen values.

``diff_architectures(old, new)`` compares two models and returns an ``ArchDiff``:
metadata, areas, components (renamed ids detected when everything else is equal, and
flows follow the rename), the diagram's connections (flows), and the dataflow steps
(matched by align.py, so an inserted step is one insertion plus a renumbering).
``diff_sets`` compares two sets of models by path. The reports are made by report.py,
the overlay picture by overlay.py. Nothing here reads or writes files.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from diagramgen.diff.align import AREA_FIELDS, COMPONENT_FIELDS, flow_key, renames, sequence_pairs
from diagramgen.model import Architecture

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"

METADATA_FIELDS = ("id", "title", "scenario", "products", "summary", "azure_foundation",
                   "assumption_notes", "legend", "docs_page", "columns", "dataflow_title", "extra_sequences",
                   "docs_check")


# --- result structure -------------------------------------------------------------
@dataclass(frozen=True)
class FieldChange:
    """One field of an area or component, before and after."""

    field: str
    old: object
    new: object


@dataclass(frozen=True)
class AreaChange:
    """An area added, removed or changed between two versions of an architecture."""

    change: str  # added | removed | changed
    id: str
    label: str
    fields: tuple = ()


@dataclass(frozen=True)
class ComponentChange:
    """A component added, removed, changed or renamed between two versions of an architecture."""

    change: str  # added | removed | changed | renamed
    id: str  # the new id (the old one for a removed component)
    label: str
    old_id: Optional[str] = None  # set for renamed
    fields: tuple = ()  # FieldChange, for changed
    kind: str = ""
    area: str = ""


@dataclass(frozen=True)
class FlowChange:
    """A flow added or removed, or one whose direction or label changed."""

    change: str  # added | removed | direction_changed | label_changed
    src: str
    dst: str
    both: bool
    steps: tuple  # new step numbers (old ones for removed)
    old: Optional[tuple[str, str, bool]] = None  # (src, dst, both) before, for direction_changed and label_changed
    label: str = ""  # the flow's label ("" for none); the new one for label_changed
    old_label: str = ""  # the label before, for direction_changed and label_changed


@dataclass(frozen=True)
class StepChange:
    """A step inserted, removed, changed or renumbered, within its sequence."""

    change: str  # inserted | removed | changed | renumbered
    old_number: Optional[int]
    new_number: Optional[int]
    old_text: str = ""
    new_text: str = ""
    reworded: bool = False
    flows_added: tuple = ()  # ((src, dst, both), ...)
    flows_removed: tuple = ()
    sequence: str = ""  # "" for the main dataflow; numbers are positions in the sequence


@dataclass(frozen=True)
class Renumbering:
    """A run of consecutive steps that all moved by the same offset."""

    old_first: int
    old_last: int
    new_first: int
    new_last: int
    sequence: str = ""


@dataclass(frozen=True)
class ArchDiff:
    """Everything that changed in one architecture between the two sides of a diff."""

    status: str  # added | removed | changed | unchanged
    path: str
    id: str
    title: str
    old_path: Optional[str] = None
    metadata: tuple = ()
    areas: tuple = ()
    components: tuple = ()
    flows: tuple = ()
    steps: tuple = ()
    renumbered: tuple = ()
    renames: tuple = ()  # ((old id, new id), ...)

    @property
    def changed(self) -> bool:
        return self.status != UNCHANGED


@dataclass(frozen=True)
class DiffResult:
    """The comparison of every architecture between two sides (files or revisions)."""

    base: str
    head: str
    architectures: tuple

    @property
    def changed(self) -> bool:
        return any(a.changed for a in self.architectures)


# --- comparing ---------------------------------------------------------------------
def _value(obj, name: str):
    v = getattr(obj, name)
    if name == "legend":
        return {k: t for k, t in v}
    if name in ("columns", "extra_sequences"):
        return [list(c) for c in v]
    if name == "docs_check":
        return {"items": v.items, "names": v.names}
    return list(v) if isinstance(v, tuple) else v


def _field_changes(old, new, names) -> tuple:
    return tuple(FieldChange(n, _value(old, n), _value(new, n)) for n in names
                 if _value(old, n) != _value(new, n))



def _renumber_runs(pairs: list, sequence: str = "") -> tuple:
    runs: list = []
    for o, w in pairs:
        if o is None or w is None or o.number == w.number:
            continue
        r = runs[-1] if runs else None
        if r and r.old_last + 1 == o.number and r.new_last + 1 == w.number:
            runs[-1] = replace(r, old_last=o.number, new_last=w.number)
        else:
            runs.append(Renumbering(o.number, o.number, w.number, w.number, sequence))
    return tuple(runs)



def _flow_changes(old: Architecture, new: Architecture, ren: dict) -> tuple:
    def connections(arch, mapping):
        out: dict = {}
        for s in arch.steps:
            for f in s.flows:
                out.setdefault(flow_key(f, mapping), []).append(s.number if not s.sequence else s.badge)
        return out

    def labels(arch, mapping):  # a connection's label: the one of the first step that draws it
        out: dict = {}
        for s in arch.steps:
            for f in s.flows:
                out.setdefault(flow_key(f, mapping), f.label)
        return out

    before, after = connections(old, ren), connections(new, {})
    label_before, label_after = labels(old, ren), labels(new, {})
    by_pair: dict = {}
    for side, conns in ((0, before), (1, after)):
        for k in conns:
            by_pair.setdefault(frozenset(k[:2]), ([], []))[side].append(k)
    out = []
    for pair in sorted(by_pair, key=lambda p: min(k for ks in by_pair[p] for k in ks)):
        was, now = by_pair[pair]
        was_only = [k for k in was if k not in now]
        now_only = [k for k in now if k not in was]
        if len(was_only) == 1 and len(now_only) == 1:
            k = now_only[0]
            out.append(FlowChange("direction_changed", k[0], k[1], k[2], tuple(after[k]), was_only[0],
                                  label_after[k], label_before[was_only[0]]))
            continue
        out += [FlowChange(REMOVED, k[0], k[1], k[2], tuple(before[k]), label=label_before[k]) for k in was_only]
        out += [FlowChange(ADDED, k[0], k[1], k[2], tuple(after[k]), label=label_after[k]) for k in now_only]
    return tuple(out)


def _label_changes(pairs: list, ren: dict) -> tuple:
    """Flows that matched steps both draw, with a label added, removed or changed; one
    change per connection and (old label, new label), listing the new step numbers."""
    found: dict = {}
    for o, w in pairs:
        if o is None or w is None:
            continue
        before = {flow_key(f, ren): f.label for f in o.flows}
        for f in w.flows:
            k = flow_key(f, {})
            if k in before and before[k] != f.label:
                found.setdefault((k, before[k], f.label), []).append(w.number if not w.sequence else w.badge)
    return tuple(FlowChange("label_changed", k[0], k[1], k[2], tuple(steps), k, new, old)
                 for (k, old, new), steps in found.items())


def diff_architectures(old: Optional[Architecture], new: Optional[Architecture]) -> ArchDiff:
    """Compare two models (either may be None: an added or removed architecture)."""
    if old is None and new is None:
        raise ValueError("nothing to compare")
    if old is None or new is None:
        arch = new or old
        assert arch is not None  # both None is refused above
        status = ADDED if old is None else REMOVED
        return ArchDiff(status, arch.path, arch.id, arch.title,
                        components=tuple(ComponentChange(status, c.id, c.label, kind=c.kind, area=c.area)
                                         for c in arch.components),
                        steps=tuple(StepChange("inserted" if new else "removed",
                                               None if new else s.number, s.number if new else None,
                                               "" if new else s.text, s.text if new else "", sequence=s.sequence)
                                    for s in arch.steps))
    ren = renames(old, new)
    metadata = _field_changes(old, new, METADATA_FIELDS)
    areas = _area_changes(old, new)
    comps = _component_changes(old, new, ren)
    steps, renumbered, all_pairs = _step_changes(old, new, ren)
    result = ArchDiff(UNCHANGED, new.path, new.id, new.title, old_path=old.path if old.path != new.path else None,
                      metadata=metadata, areas=areas, components=comps,
                      flows=_flow_changes(old, new, ren) + _label_changes(all_pairs, ren), steps=steps,
                      renumbered=renumbered,
                      renames=tuple(sorted(ren.items())))
    if metadata or areas or comps or result.flows or steps:
        result = replace(result, status=CHANGED)
    return result


def _area_changes(old: Architecture, new: Architecture) -> tuple:
    old_areas = {a.id: a for a in old.areas}
    new_areas = {a.id: a for a in new.areas}
    areas = [AreaChange(REMOVED, a.id, a.label) for a in old.areas if a.id not in new_areas]
    for a in new.areas:
        if a.id not in old_areas:
            areas.append(AreaChange(ADDED, a.id, a.label))
        elif _field_changes(old_areas[a.id], a, AREA_FIELDS):
            areas.append(AreaChange(CHANGED, a.id, a.label, _field_changes(old_areas[a.id], a, AREA_FIELDS)))
    return tuple(areas)


def _component_changes(old: Architecture, new: Architecture, ren: dict) -> tuple:
    old_comps = {c.id: c for c in old.components}
    new_comps = {c.id: c for c in new.components}
    back = {v: k for k, v in ren.items()}
    comps = [ComponentChange(REMOVED, c.id, c.label, kind=c.kind, area=c.area)
             for c in old.components if c.id not in new_comps and c.id not in ren]
    for c in new.components:
        if c.id in back:
            comps.append(ComponentChange("renamed", c.id, c.label, old_id=back[c.id], kind=c.kind, area=c.area))
        elif c.id not in old_comps:
            comps.append(ComponentChange(ADDED, c.id, c.label, kind=c.kind, area=c.area))
        else:
            fields = _field_changes(old_comps[c.id], c, COMPONENT_FIELDS)
            if fields:
                comps.append(ComponentChange(CHANGED, c.id, c.label, fields=fields, kind=c.kind, area=c.area))
    return tuple(comps)


def _step_changes(old: Architecture, new: Architecture, ren: dict) -> tuple:
    """``(step changes, renumbered runs, every aligned (old, new) pair)``."""
    steps = []
    renumbered: tuple = ()
    all_pairs: list = []
    for seq, pairs in sequence_pairs(old, new, ren):
        all_pairs += pairs
        for o, w in pairs:
            if o is None:
                steps.append(StepChange("inserted", None, w.number, "", w.text, sequence=seq))
            elif w is None:
                steps.append(StepChange("removed", o.number, None, o.text, "", sequence=seq))
            else:
                fo = [flow_key(f, ren) for f in o.flows]
                fw = [flow_key(f, {}) for f in w.flows]
                added = tuple(k for k in fw if k not in fo)
                removed = tuple(k for k in fo if k not in fw)
                reworded = o.text != w.text
                if reworded or added or removed:
                    steps.append(StepChange(CHANGED, o.number, w.number, o.text, w.text, reworded, added, removed,
                                            sequence=seq))
                elif o.number != w.number:
                    steps.append(StepChange("renumbered", o.number, w.number, o.text, w.text, sequence=seq))
        renumbered += _renumber_runs(pairs, seq)
    return tuple(steps), renumbered, all_pairs


def moved_files(old: dict, new: dict) -> dict:
    """``{old path: new path}`` of the architectures whose file was renamed: a file only
    on the old side and one only on the new side holding the same architecture id (the
    only such file on each side)."""
    def by_id(models: dict, paths) -> dict:
        out: dict = {}
        for p in paths:
            out.setdefault(models[p].id, []).append(p)
        return {i: ps[0] for i, ps in out.items() if len(ps) == 1}

    gone, came = by_id(old, set(old) - set(new)), by_id(new, set(new) - set(old))
    return {gone[i]: came[i] for i in gone if i in came}


def diff_sets(old: dict, new: dict, base: str = "", head: str = "") -> DiffResult:
    """Compare ``{path: model}`` of two revisions: architectures matched by path, or by
    id when a file was renamed (moved_files; ``old_path`` names the old file, and the
    rename alone is a change)."""
    moved = moved_files(old, new)
    came_from = {w: o for o, w in moved.items()}
    out = []
    for path in sorted((set(old) - set(moved)) | set(new)):
        if path in came_from:
            d = diff_architectures(old[came_from[path]], new[path])
            out.append(replace(d, path=path, old_path=came_from[path], status=CHANGED))
            continue
        d = diff_architectures(old.get(path), new.get(path))
        out.append(replace(d, path=path, old_path=None) if path in old and path in new else replace(d, path=path))
    return DiffResult(base, head, tuple(out))

