"""Semantic diff of two architecture models, and its renderings (text, Markdown, JSON).

``diff_architectures(old, new)`` compares two models and returns a frozen ``ArchDiff``:
metadata, areas, components (renamed ids detected when everything else is equal, and
flows follow the rename), the diagram's connections (flows), and the dataflow steps.

Steps are matched by what they are, not by their number: an order-preserving alignment
scores each (old, new) pair by the overlap of their flows and the similarity of their
text, so inserting a step reports one insertion and a renumbering of the steps after it.

``union_model`` builds the model the overlay diagram draws (both sides at once) and the
marks that say how each part changed. Nothing here reads or writes files.
"""
from __future__ import annotations

import difflib
import functools
import json
from dataclasses import dataclass, replace
from typing import Optional

from diagramgen.model import Architecture, Flow, Step, letters

SCHEMA_VERSION = 1
ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"
MATCH_THRESHOLD = 0.5  # minimum similarity for two steps to be "the same step"

METADATA_FIELDS = ("id", "title", "scenario", "products", "summary", "azure_foundation",
                   "assumption_notes", "legend", "docs_page", "columns", "dataflow_title", "extra_sequences",
                   "docs_check")
COMPONENT_FIELDS = ("label", "kind", "area", "provenance", "description", "capabilities", "aliases",
                    "standalone")
AREA_FIELDS = ("label", "parent", "band")


# --- result structure -------------------------------------------------------------
@dataclass(frozen=True)
class FieldChange:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class AreaChange:
    change: str  # added | removed | changed
    id: str
    label: str
    fields: tuple = ()


@dataclass(frozen=True)
class ComponentChange:
    change: str  # added | removed | changed | renamed
    id: str  # the new id (the old one for a removed component)
    label: str
    old_id: Optional[str] = None  # set for renamed
    fields: tuple = ()  # FieldChange, for changed
    kind: str = ""
    area: str = ""


@dataclass(frozen=True)
class FlowChange:
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


def _renames(old: Architecture, new: Architecture) -> dict:
    """Old id -> new id for components whose every field but the id is equal."""
    old_ids = {c.id for c in old.components}
    new_ids = {c.id for c in new.components}
    gone = [c for c in old.components if c.id not in new_ids]
    came = [c for c in new.components if c.id not in old_ids]
    out: dict = {}
    for c in gone:
        same = [n for n in came if replace(n, id=c.id) == c and n.id not in out.values()]
        others = [g for g in gone if g is not c and any(replace(n, id=g.id) == g for n in same)]
        if len(same) == 1 and not others:
            out[c.id] = same[0].id
    return out


def _fkey(f: Flow, ren: dict) -> tuple[str, str, bool]:
    return (ren.get(f.src, f.src), ren.get(f.dst, f.dst), f.both)


def _step_similarity(a: Step, b: Step, ren: dict) -> float:
    def jaccard(x: set, y: set) -> float:
        return len(x & y) / len(x | y) if x | y else 1.0

    fa = {_fkey(f, ren) for f in a.flows}
    fb = {_fkey(f, {}) for f in b.flows}
    # same flows count fully; the same pair of components in another direction, half
    flows = 0.5 * jaccard(fa, fb) + 0.5 * jaccard({frozenset(k[:2]) for k in fa}, {frozenset(k[:2]) for k in fb})
    text = difflib.SequenceMatcher(None, a.text, b.text, autojunk=False).ratio()
    return 0.5 * flows + 0.5 * text


def align_steps(old: tuple, new: tuple, ren: dict) -> list:
    """Order-preserving alignment: a list of (old step or None, new step or None).

    Steps that are identical (same flows and text) and unique on both sides anchor the
    alignment, as in patience diff (the longest run of them in the same order); between
    anchors, a dynamic programme maximises the summed similarity of matched pairs (pairs
    below MATCH_THRESHOLD never match; ties prefer matching, then keep removals before
    insertions). Anchoring keeps large, mostly unchanged architectures fast.
    """
    def key(step: Step, mapping: dict) -> tuple:
        return (frozenset(_fkey(f, mapping) for f in step.flows), step.text)

    old_keys = [key(o, ren) for o in old]
    new_keys = [key(w, {}) for w in new]
    count_old: dict = {}
    count_new: dict = {}
    for k in old_keys:
        count_old[k] = count_old.get(k, 0) + 1
    for k in new_keys:
        count_new[k] = count_new.get(k, 0) + 1
    new_at = {k: j for j, k in enumerate(new_keys) if count_new[k] == 1}
    pairs = [(i, new_at[k]) for i, k in enumerate(old_keys) if count_old[k] == 1 and k in new_at]
    anchors = _longest_increasing(pairs)
    out: list = []
    i0 = j0 = 0
    for i, j in anchors + [(len(old), len(new))]:
        out += _align_gap(old[i0:i], new[j0:j], ren)
        if i < len(old):
            out.append((old[i], new[j]))
        i0, j0 = i + 1, j + 1
    return out


def _longest_increasing(pairs: list) -> list:
    """The longest subsequence of (i, j) pairs (sorted by i) whose j also increases."""
    import bisect

    tails: list = []  # tails[k]: index into pairs of the smallest j ending a run of k+1
    tail_js: list = []  # the j of each tail, kept sorted for bisect
    prev = [-1] * len(pairs)
    for idx, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tail_js, j)
        if k:
            prev[idx] = tails[k - 1]
        if k == len(tails):
            tails.append(idx)
            tail_js.append(j)
        else:
            tails[k] = idx
            tail_js[k] = j
    run, idx = [], tails[-1] if tails else -1
    while idx != -1:
        run.append(pairs[idx])
        idx = prev[idx]
    return run[::-1]


def _similarities(old: tuple, new: tuple, ren: dict) -> list:
    """``sim[i][j]``: _step_similarity of old[i] and new[j] where it reaches MATCH_THRESHOLD,
    else 0.0 (the alignment uses no value below the threshold). The flow sets are built
    once per step, and the text ratio, the costly part, is computed only for pairs whose
    cheap upper bounds (difflib's real_quick_ratio, then quick_ratio) could still reach
    the threshold: the same values as _step_similarity, in a fraction of the time."""
    def flow_sets(step: Step, mapping: dict) -> tuple:
        keys = {_fkey(f, mapping) for f in step.flows}
        return keys, {frozenset(k[:2]) for k in keys}

    def jaccard(x: set, y: set) -> float:
        return len(x & y) / len(x | y) if x | y else 1.0

    fo = [flow_sets(o, ren) for o in old]
    fn = [flow_sets(w, {}) for w in new]
    sim = [[0.0] * len(new) for _ in old]
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    for j, w in enumerate(new):
        matcher.set_seq2(w.text)  # difflib caches what it learns about the second sequence
        for i, o in enumerate(old):
            flows = 0.5 * jaccard(fo[i][0], fn[j][0]) + 0.5 * jaccard(fo[i][1], fn[j][1])
            matcher.set_seq1(o.text)
            for bound in (matcher.real_quick_ratio, matcher.quick_ratio, matcher.ratio):
                value = 0.5 * flows + 0.5 * bound()
                if value < MATCH_THRESHOLD:
                    break
            else:
                sim[i][j] = value
    return sim


def _align_gap(old: tuple, new: tuple, ren: dict) -> list:
    n, m = len(old), len(new)
    if not n or not m:
        return [(o, None) for o in old] + [(None, w) for w in new]
    sim = _similarities(old, new, ren)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            cand = max(best[i + 1][j], best[i][j + 1])
            if sim[i][j] >= MATCH_THRESHOLD:
                cand = max(cand, sim[i][j] + best[i + 1][j + 1])
            best[i][j] = cand
    out, i, j = [], 0, 0
    while i < n and j < m:
        if sim[i][j] >= MATCH_THRESHOLD and abs(best[i][j] - (sim[i][j] + best[i + 1][j + 1])) < 1e-9:
            out.append((old[i], new[j]))
            i, j = i + 1, j + 1
        elif abs(best[i][j] - best[i + 1][j]) < 1e-9:
            out.append((old[i], None))
            i += 1
        else:
            out.append((None, new[j]))
            j += 1
    out += [(o, None) for o in old[i:]] + [(None, w) for w in new[j:]]
    return out


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


def sequence_pairs(old: Architecture, new: Architecture, ren: dict) -> list:
    """``[(sequence id, aligned step pairs)]``: steps are compared within their sequence
    (the main dataflow with the main dataflow, a sequence with the one of the same id)."""
    olds = {q.id: q.steps for q in old.sequences}
    news = {q.id: q.steps for q in new.sequences}
    return [(q, [(None if i is None else olds[q][i], None if j is None else news[q][j]) for i, j in pairs])
            for q, pairs in _aligned(old, new, tuple(sorted(ren.items())))]


@functools.lru_cache(maxsize=16)
def _aligned(old: Architecture, new: Architecture, ren_items: tuple) -> tuple:
    """The step alignment of sequence_pairs as indices into each sequence's steps,
    computed once per process for two equal (frozen) models: a migration page, its
    overlay and the diff of the same two models all need it, and the text similarities
    behind it are the costly part."""
    ren = dict(ren_items)
    olds = {q.id: q.steps for q in old.sequences}
    news = {q.id: q.steps for q in new.sequences}
    out = []
    for q in list(olds) + [q for q in news if q not in olds]:
        o_at = {id(s): i for i, s in enumerate(olds.get(q, ()))}
        n_at = {id(s): j for j, s in enumerate(news.get(q, ()))}
        out.append((q, tuple((None if o is None else o_at[id(o)], None if w is None else n_at[id(w)])
                             for o, w in align_steps(olds.get(q, ()), news.get(q, ()), ren))))
    return tuple(out)


def _flow_changes(old: Architecture, new: Architecture, ren: dict) -> tuple:
    def connections(arch, mapping):
        out: dict = {}
        for s in arch.steps:
            for f in s.flows:
                out.setdefault(_fkey(f, mapping), []).append(s.number if not s.sequence else s.badge)
        return out

    def labels(arch, mapping):  # a connection's label: the one of the first step that draws it
        out: dict = {}
        for s in arch.steps:
            for f in s.flows:
                out.setdefault(_fkey(f, mapping), f.label)
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
        before = {_fkey(f, ren): f.label for f in o.flows}
        for f in w.flows:
            k = _fkey(f, {})
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
    ren = _renames(old, new)
    metadata = _field_changes(old, new, METADATA_FIELDS)

    old_areas = {a.id: a for a in old.areas}
    new_areas = {a.id: a for a in new.areas}
    areas = [AreaChange(REMOVED, a.id, a.label) for a in old.areas if a.id not in new_areas]
    for a in new.areas:
        if a.id not in old_areas:
            areas.append(AreaChange(ADDED, a.id, a.label))
        elif _field_changes(old_areas[a.id], a, AREA_FIELDS):
            areas.append(AreaChange(CHANGED, a.id, a.label, _field_changes(old_areas[a.id], a, AREA_FIELDS)))

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
                fo = [_fkey(f, ren) for f in o.flows]
                fw = [_fkey(f, {}) for f in w.flows]
                added = tuple(k for k in fw if k not in fo)
                removed = tuple(k for k in fo if k not in fw)
                reworded = o.text != w.text
                if reworded or added or removed:
                    steps.append(StepChange(CHANGED, o.number, w.number, o.text, w.text, reworded, added, removed,
                                            sequence=seq))
                elif o.number != w.number:
                    steps.append(StepChange("renumbered", o.number, w.number, o.text, w.text, sequence=seq))
        renumbered += _renumber_runs(pairs, seq)
    result = ArchDiff(UNCHANGED, new.path, new.id, new.title, old_path=old.path if old.path != new.path else None,
                      metadata=metadata, areas=tuple(areas), components=tuple(comps),
                      flows=_flow_changes(old, new, ren) + _label_changes(all_pairs, ren), steps=tuple(steps),
                      renumbered=renumbered,
                      renames=tuple(sorted(ren.items())))
    if metadata or areas or comps or result.flows or steps:
        result = replace(result, status=CHANGED)
    return result


def diff_sets(old: dict, new: dict, base: str = "", head: str = "") -> DiffResult:
    """Compare ``{path: model}`` of two revisions (architectures matched by path)."""
    out = []
    for path in sorted(set(old) | set(new)):
        d = diff_architectures(old.get(path), new.get(path))
        out.append(replace(d, path=path, old_path=None) if path in old and path in new else replace(d, path=path))
    return DiffResult(base, head, tuple(out))


# --- wording shared by the renderers -----------------------------------------------------
def _label(n: int, sequence: str = ""):
    """A step's label in its sequence: the number in the main dataflow, else its letter."""
    return letters(n) if sequence else n


def _span(a: int, b: int, sequence: str = "") -> str:
    a, b = _label(a, sequence), _label(b, sequence)
    return str(a) if a == b else f"{a}\u2013{b}"


def _of(sequence: str) -> str:
    return f" of {sequence}" if sequence else ""


def step_ref(n: Optional[int], sequence: str = "") -> str:
    """"4", or "C of integration" for the third step of the sequence integration."""
    assert n is not None  # the number on the side where the step exists
    return f"{_label(n, sequence)}{_of(sequence)}"


def renumber_text(r: Renumbering) -> str:
    if r.old_first == r.old_last:
        return (f"step {_label(r.old_first, r.sequence)}{_of(r.sequence)} renumbered to "
                f"{_label(r.new_first, r.sequence)}")
    return (f"steps {_span(r.old_first, r.old_last, r.sequence)}{_of(r.sequence)} renumbered to "
            f"{_span(r.new_first, r.new_last, r.sequence)}")


def flow_text(src: str, dst: str, both: bool, label: str = "") -> str:
    return f"{src} {'<->' if both else '->'} {dst}" + (f" [{label}]" if label else "")


def label_text(old: str, new: str) -> str:
    """A label change: 'none -> "HTTPS"', '"HTTPS" -> "HTTP"', '"HTTPS" -> none'."""
    return f"{_fmt(old) if old else 'none'} -> {_fmt(new) if new else 'none'}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(d: ArchDiff) -> str:
    """One line saying what changed in an architecture."""
    if d.status == ADDED:
        return (f"architecture added ({_plural(len(d.components), 'component')}, "
                f"{_plural(len(d.steps), 'step')})")
    if d.status == REMOVED:
        return "architecture removed"
    if d.status == UNCHANGED:
        return "no changes"
    parts = []
    if d.metadata:
        parts.append("metadata changed (" + ", ".join(f.field for f in d.metadata) + ")")
    for kind, word in ((ADDED, "added"), (REMOVED, "removed"), (CHANGED, "changed")):
        n = sum(a.change == kind for a in d.areas)
        if n:
            parts.append(f"{_plural(n, 'area')} {word}")
    for kind, word in ((ADDED, "added"), (REMOVED, "removed"), ("renamed", "renamed"), (CHANGED, "changed")):
        n = sum(c.change == kind for c in d.components)
        if n:
            parts.append(f"{_plural(n, 'component')} {word}")
    for kind, word in ((ADDED, "added"), (REMOVED, "removed"), ("direction_changed", "reversed"),
                       ("label_changed", "relabelled")):
        n = sum(f.change == kind for f in d.flows)
        if n:
            parts.append(f"{_plural(n, 'flow')} {word}")
    for s in d.steps:
        if s.change == "inserted":
            parts.append(f"step {step_ref(s.new_number, s.sequence)} inserted")
        elif s.change == "removed":
            parts.append(f"step {step_ref(s.old_number, s.sequence)} removed")
        elif s.change == CHANGED:
            what = [w for w, on in (("reworded", s.reworded),
                                    ("flows changed", s.flows_added or s.flows_removed)) if on]
            parts.append(f"step {step_ref(s.new_number, s.sequence)} {' and '.join(what)}")
    parts += [renumber_text(r) for r in d.renumbered]
    return "; ".join(parts)


def _fmt(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_fmt(x)}" for k, x in v.items()) + "}"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    return json.dumps(v)


def _detail_lines(d: ArchDiff) -> list:
    """(status, text) lines describing every change of one architecture, in a fixed order."""
    out = []
    for f in d.metadata:
        out.append((CHANGED, f"{f.field}: {_fmt(f.old)} -> {_fmt(f.new)}"))
    for a in d.areas:
        extra = "".join(f"; {f.field}: {_fmt(f.old)} -> {_fmt(f.new)}" for f in a.fields)
        out.append((a.change, f"area {a.change}: {a.id} ({a.label}){extra}"))
    for c in d.components:
        if c.change == "renamed":
            out.append((CHANGED, f"component renamed: {c.old_id} -> {c.id} ({c.label})"))
        elif c.change == CHANGED:
            for fc in c.fields:
                out.append((CHANGED, f"component changed: {c.id} {fc.field}: {_fmt(fc.old)} -> {_fmt(fc.new)}"))
        else:
            out.append((c.change, f"component {c.change}: {c.id} ({c.label}, kind {c.kind}, area {c.area})"))
    for f in d.flows:
        # a removed flow's steps are numbered as they were; the others as they are now
        when = "old " if f.change == REMOVED else ""
        steps = f"{when}step{'s' if len(f.steps) > 1 else ''} {', '.join(map(str, f.steps))}"
        if f.change == "direction_changed":
            was_src, was_dst, was_both = f.old
            out.append((CHANGED, f"flow direction changed: {flow_text(was_src, was_dst, was_both, f.old_label)} is now "
                                 f"{flow_text(f.src, f.dst, f.both, f.label)} ({steps})"))
        elif f.change == "label_changed":
            out.append((CHANGED, f"flow label changed: {flow_text(f.src, f.dst, f.both)}: "
                                 f"{label_text(f.old_label, f.label)} ({steps})"))
        else:
            out.append((f.change, f"flow {f.change}: {flow_text(f.src, f.dst, f.both, f.label)} ({steps})"))
    for s in d.steps:
        if s.change == "inserted":
            out.append((ADDED, f"step {step_ref(s.new_number, s.sequence)} inserted: {s.new_text}"))
        elif s.change == "removed":
            out.append((REMOVED, f"step {step_ref(s.old_number, s.sequence)} removed: {s.old_text}"))
        elif s.change == CHANGED:
            num = (f"step {step_ref(s.new_number, s.sequence)}" if s.old_number == s.new_number
                   else f"step {step_ref(s.new_number, s.sequence)} (was {_label(s.old_number, s.sequence)})")
            if s.reworded:
                out.append((CHANGED, f"{num} reworded: {_fmt(s.old_text)} -> {_fmt(s.new_text)}"))
            for k in s.flows_added:
                out.append((ADDED, f"{num} flow added: {flow_text(*k)}"))
            for k in s.flows_removed:
                out.append((REMOVED, f"{num} flow removed: {flow_text(*k)}"))
    for r in d.renumbered:
        out.append((UNCHANGED, renumber_text(r)))
    return out


# --- text -------------------------------------------------------------------------
_COLOURS = {ADDED: "green", REMOVED: "red", CHANGED: "yellow", UNCHANGED: None}


def render_text(result: DiffResult, style=None) -> str:
    """Plain text; ``style(text, status)`` may colour it (the CLI passes click.style)."""
    from diagramgen.diagnostics import term

    paint = style or (lambda t, status: t)
    lines = []
    for d in result.architectures:
        where = d.path if not d.old_path else f"{d.old_path} -> {d.path}"
        lines.append(paint(term(f"{where} ({d.id}): {summary_line(d)}"), "header"))
        if d.status in (ADDED, REMOVED):
            continue
        for status, t in _detail_lines(d):
            lines.append("  " + paint(term(t), status))
    return "\n".join(lines) + ("\n" if lines else "")


# --- Markdown ------------------------------------------------------------------------
def _md(s) -> str:
    """Text for a Markdown table cell: the docs pages' escaping, on one line."""
    from diagramgen.markdown import md

    return md(str(s))


def _code(s: str) -> str:
    """A name or path as inline code (markdown.code: no backtick, line break or '|' escapes it)."""
    from diagramgen.markdown import code

    return code(s)


def _md_flow(k: tuple, label: str = "") -> str:
    """A flow in Markdown: ids as code, the label (free text) escaped outside the code span."""
    return _code(flow_text(*k)) + (f" {_md(f'[{label}]')}" if label else "")


SIGN = {ADDED: "added", REMOVED: "removed", CHANGED: "changed", "renamed": "renamed",
        "direction_changed": "direction changed", "label_changed": "label changed", "inserted": "inserted",
        "renumbered": "renumbered"}
LONG = 80  # values longer than this go into <details>


def render_markdown(result: DiffResult, images: Optional[dict] = None) -> str:
    """Markdown for a pull-request comment; ``images`` maps architecture id -> image link."""
    images = images or {}
    out = ["## Architecture changes", ""]
    if result.base or result.head:
        out += [f"Comparing {_code(result.base)} with {_code(result.head)}.", ""]
    for d in result.architectures:
        out.append(f"- **{_md(d.id)}** ({_code(d.path)}): {_md(summary_line(d))}")
    for d in result.architectures:
        if not d.changed:
            continue
        out += ([] if out[-1] == "" else [""]) + [f"### {_md(d.id)}: {_md(d.title)}", ""]
        if d.id in images:
            out += [f"![overlay diagram of {_md(d.id)}: added green, removed red, changed orange]"
                    f"({images[d.id]})", ""]
        if d.status in (ADDED, REMOVED):
            out += [f"Architecture {d.status}: {_code(d.path)}."]
            continue
        long_items = []
        if d.metadata or d.areas:
            out += ["| change | item | before | after |", "|---|---|---|---|"]
            for f in d.metadata:
                old, new = _fmt(f.old), _fmt(f.new)
                if len(old) > LONG or len(new) > LONG:
                    long_items.append((f"metadata {f.field}", old, new))
                    old, new = "see details", "see details"
                out.append(f"| changed | {_md(f.field)} | {_md(old)} | {_md(new)} |")
            for a in d.areas:
                before = "; ".join(f"{f.field}: {_fmt(f.old)}" for f in a.fields)
                after = "; ".join(f"{f.field}: {_fmt(f.new)}" for f in a.fields)
                out.append(f"| area {SIGN[a.change]} | {_code(a.id)} {_md(a.label)} | {_md(before)} | {_md(after)} |")
            out.append("")
        if d.components:
            out += ["| component | change | details |", "|---|---|---|"]
            for c in d.components:
                if c.change == "renamed":
                    det = f"renamed from {_code(c.old_id)}"
                elif c.change == CHANGED:
                    parts = []
                    for f in c.fields:
                        old, new = _fmt(f.old), _fmt(f.new)
                        if len(old) > LONG or len(new) > LONG:
                            long_items.append((f"component {c.id} {f.field}", old, new))
                            parts.append(f"{_md(f.field)} (see details)")
                        else:
                            parts.append(f"{_md(f.field)}: {_md(old)} → {_md(new)}")
                    det = "; ".join(parts)
                else:
                    det = f"{_md(c.label)} (kind {_code(c.kind)}, area {_code(c.area)})"
                out.append(f"| {_code(c.id)} | {SIGN[c.change]} | {det} |")
            out.append("")
        if d.flows:
            out += ["| flow | change | steps |", "|---|---|---|"]
            for f in d.flows:
                what = SIGN[f.change]
                if f.change == "direction_changed":
                    what += f" (was {_md_flow(f.old, f.old_label)})"
                if f.change == "label_changed":
                    what += f": {_md(label_text(f.old_label, f.label))}"
                    shown = _md_flow((f.src, f.dst, f.both))
                else:
                    shown = _md_flow((f.src, f.dst, f.both), f.label)
                out.append(f"| {shown} | {what} | {', '.join(map(str, f.steps))} |")
            out.append("")
        if d.steps or d.renumbered:
            out += ["| step | change | details |", "|---|---|---|"]
            for s in d.steps:
                if s.change == "renumbered":
                    continue
                if s.change == "inserted":
                    num, det = step_ref(s.new_number, s.sequence), _md(s.new_text)
                elif s.change == "removed":
                    num, det = step_ref(s.old_number, s.sequence), _md(s.old_text)
                else:
                    num = (step_ref(s.new_number, s.sequence) if s.old_number == s.new_number else
                           f"{step_ref(s.new_number, s.sequence)} (was {_label(s.old_number, s.sequence)})")
                    parts = []
                    if s.reworded:
                        parts.append("reworded (see details)")
                        long_items.append((f"step {step_ref(s.new_number, s.sequence)} text", s.old_text, s.new_text))
                    parts += [f"flow added {_code(flow_text(*k))}" for k in s.flows_added]
                    parts += [f"flow removed {_code(flow_text(*k))}" for k in s.flows_removed]
                    det = "; ".join(parts)
                out.append(f"| {num} | {SIGN[s.change]} | {det} |")
            for r in d.renumbered:
                out.append(f"| {_span(r.old_first, r.old_last, r.sequence)}{_of(r.sequence)} → "
                           f"{_span(r.new_first, r.new_last, r.sequence)} | renumbered | "
                           f"{renumber_text(r)} |")
            out.append("")
        if long_items:
            out += ["<details><summary>Long values, before and after</summary>", ""]
            for name, old, new in long_items:
                out += [f"**{_md(name)}**", "", "```diff"]
                out += [f"- {line}" for line in str(old).splitlines() or [""]]
                out += [f"+ {line}" for line in str(new).splitlines() or [""]]
                out += ["```", ""]
            out += ["</details>"]
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


# --- JSON -----------------------------------------------------------------------------
def _flow_obj(k: tuple) -> dict:
    return {"from": k[0], "to": k[1], "both": k[2]}


def _labelled(k: tuple, label: str) -> dict:
    return {**_flow_obj(k), "label": label or None}


def _seq_obj(sequence: str) -> dict:
    """Steps of a further sequence carry its id (numbers are positions: 1 is step A);
    the main dataflow's carry no "sequence" key, as before sequences existed."""
    return {"sequence": sequence} if sequence else {}


def to_json(result: DiffResult) -> dict:
    """The documented JSON form (docs/diff-schema.md); ``version`` changes on any break."""
    archs = []
    for d in result.architectures:
        archs.append({
            "path": d.path,
            "old_path": d.old_path,
            "id": d.id,
            "title": d.title,
            "status": d.status,
            "summary": summary_line(d),
            "metadata": [{"field": f.field, "old": f.old, "new": f.new} for f in d.metadata],
            "areas": [{"change": a.change, "id": a.id, "label": a.label,
                       "fields": [{"field": f.field, "old": f.old, "new": f.new} for f in a.fields]}
                      for a in d.areas],
            "components": [{"change": c.change, "id": c.id, "old_id": c.old_id, "label": c.label,
                            "kind": c.kind, "area": c.area,
                            "fields": [{"field": f.field, "old": f.old, "new": f.new} for f in c.fields]}
                           for c in d.components],
            "flows": [{"change": f.change, **_labelled((f.src, f.dst, f.both), f.label), "steps": list(f.steps),
                       "old": _labelled(f.old, f.old_label) if f.old else None} for f in d.flows],
            "steps": [{"change": s.change, "old_number": s.old_number, "new_number": s.new_number,
                       "old_text": s.old_text, "new_text": s.new_text, "reworded": s.reworded,
                       "flows_added": [_flow_obj(k) for k in s.flows_added],
                       "flows_removed": [_flow_obj(k) for k in s.flows_removed],
                       **_seq_obj(s.sequence)} for s in d.steps],
            "renumbered": [{"old": [r.old_first, r.old_last], "new": [r.new_first, r.new_last],
                            **_seq_obj(r.sequence)} for r in d.renumbered],
        })
    return {"schema": "diagramgen-diff", "version": SCHEMA_VERSION, "base": result.base, "head": result.head,
            "changed": result.changed, "architectures": archs}


def render_json(result: DiffResult) -> str:
    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"


# --- the overlay: one model holding both sides -------------------------------------------
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
                    removed = Step(o.number, o.text, tuple(Flow(*_fkey(f, ren), label=f.label) for f in o.flows),
                                   sequence=f"{seq}_removed", label=o.badge)
                    removed_seqs.append((removed.sequence, "", "letters"))
                else:
                    # numbered apart from the new steps, and shown as "−N": old step N, gone
                    removed = Step(REMOVED_STEP_OFFSET + o.number, o.text,
                                   tuple(Flow(*_fkey(f, ren), label=f.label) for f in o.flows),
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
            fo = {_fkey(f, ren): f for f in o.flows}
            fw = {_fkey(f, {}): f for f in w.flows}
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
