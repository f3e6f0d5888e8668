"""Which steps of two models are the same step, and which components were renamed.

Steps are matched by what they are, not by their number: an order-preserving alignment
scores each (old, new) pair by the overlap of their flows and the similarity of their
text, so inserting a step makes one insertion and a renumbering of the steps after it.
A component whose every field but the id is equal is a rename, and flows follow it.
"""
from __future__ import annotations

import bisect
import difflib
import functools
import hashlib
import json
import os
from dataclasses import replace

from diagramgen.cache import cache_dir, source_digest
from diagramgen.files import store
from diagramgen.model import Architecture, Flow, Step

MATCH_THRESHOLD = 0.5  # minimum similarity for two steps to be "the same step"
# the fields whose change makes a component or an area "changed" (compare.py's change
# values, overlay.py's marks)
COMPONENT_FIELDS = ("label", "kind", "area", "provenance", "description", "capabilities", "aliases",
                    "standalone")
AREA_FIELDS = ("label", "parent", "band")


def renames(old: Architecture, new: Architecture) -> dict:
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


def differs(old, new, names) -> bool:
    """Whether ``old`` and ``new`` (two components or two areas) differ in a field of ``names``."""
    return any(getattr(old, n) != getattr(new, n) for n in names)


def flow_key(f: Flow, ren: dict) -> tuple[str, str, bool]:
    return (ren.get(f.src, f.src), ren.get(f.dst, f.dst), f.both)


def _step_similarity(a: Step, b: Step, ren: dict) -> float:
    def jaccard(x: set, y: set) -> float:
        return len(x & y) / len(x | y) if x | y else 1.0

    fa = {flow_key(f, ren) for f in a.flows}
    fb = {flow_key(f, {}) for f in b.flows}
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
        return (frozenset(flow_key(f, mapping) for f in step.flows), step.text)

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
        keys = {flow_key(f, mapping) for f in step.flows}
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
    behind it are the costly part. It is kept in the disk cache too (_kept_alignment),
    for the next run that aligns the same steps: an edit of a component leaves them
    as they were."""
    slot, key = _alignment_entry(old, new, ren_items)
    kept = _kept_alignment(slot, key, old, new)
    if kept is not None:
        return kept
    ren = dict(ren_items)
    olds = {q.id: q.steps for q in old.sequences}
    news = {q.id: q.steps for q in new.sequences}
    out = []
    for q in list(olds) + [q for q in news if q not in olds]:
        o_at = {id(s): i for i, s in enumerate(olds.get(q, ()))}
        n_at = {id(s): j for j, s in enumerate(news.get(q, ()))}
        out.append((q, tuple((None if o is None else o_at[id(o)], None if w is None else n_at[id(w)])
                             for o, w in align_steps(olds.get(q, ()), news.get(q, ()), ren))))
    _keep_alignment(slot, key, out)
    return tuple(out)


# --- alignments kept between runs ------------------------------------------------------
FOLDER = "alignments"  # in the cache folder
VERSION = 1  # of the entries


def _alignment_entry(old: Architecture, new: Architecture, ren_items: tuple) -> tuple:
    """(the entry's file, the hash of everything the alignment is made from), or (None,
    None) without a cache. One entry per pair of files (and working folder), holding the
    last alignments made for them (KEPT_PER_PAIR), each with the hash of what it was made
    from: the steps of each sequence of both sides as align_steps reads them (their
    flows as flow_key gives them, and their texts), the renames and this module's code."""

    where = cache_dir()
    if where is None or old.path is None or new.path is None:
        return None, None
    ren = dict(ren_items)

    def steps(arch: Architecture, mapping: dict) -> list:
        return [[q.id, [[sorted(list(flow_key(f, mapping)) for f in s.flows), s.text] for s in q.steps]]
                for q in arch.sequences]

    name = json.dumps([VERSION, os.getcwd(), *(os.path.realpath(a.path) for a in (old, new))])
    parts = [VERSION, source_digest(__file__).decode(), [list(r) for r in ren_items], steps(old, ren), steps(new, {})]
    return (where / FOLDER / f"{hashlib.sha256(name.encode('utf-8')).hexdigest()}.json",
            hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest())


def _kept_alignment(slot, key, old: Architecture, new: Architecture):
    """The alignment kept in ``slot`` made from ``key``, of the sequences both sides have
    in the order _aligned takes them, each index within its sequence's steps; else None
    (none kept, other steps, a damaged entry)."""
    entry = _read_entry(slot)
    made = next((e.get("alignment") for e in entry if isinstance(e, dict) and e.get("key") == key), None)
    if not isinstance(made, list):
        return None
    lengths = ({q.id: len(q.steps) for q in old.sequences}, {q.id: len(q.steps) for q in new.sequences})
    sequences = list(lengths[0]) + [q for q in lengths[1] if q not in lengths[0]]  # as _aligned goes through them
    try:
        if [q for q, _pairs in made] != sequences:
            return None
        out = []
        for q, pairs in made:
            kept = []
            for pair in pairs:
                i, j = pair
                if not all(x is None or (type(x) is int and 0 <= x < n.get(q, 0)) for x, n in zip(pair, lengths)):
                    return None
                kept.append((i, j))
            out.append((q, tuple(kept)))
    except (ValueError, TypeError):
        return None
    return tuple(out)


KEPT_PER_PAIR = 4  # alignments kept for one pair of files: the last ones made


def _read_entry(slot) -> list:
    """The alignments kept in ``slot``, the last made first ([] when there are none)."""

    if slot is None:
        return []
    try:
        with open(slot, "rb") as fh:
            entry = json.loads(fh.read())
    except (OSError, ValueError, RecursionError):
        return []
    return entry if isinstance(entry, list) else []


def _keep_alignment(slot, key, alignment: list) -> None:
    """Keep ``alignment`` in ``slot`` with the last KEPT_PER_PAIR - 1 others made for the
    pair (a writer who tries another text and takes it back finds both); a cache that
    cannot be written is no error."""

    if slot is None:
        return
    others = [e for e in _read_entry(slot) if isinstance(e, dict) and e.get("key") != key]
    store(slot, json.dumps([{"key": key, "alignment": alignment}] + others[:KEPT_PER_PAIR - 1]).encode("utf-8"))
