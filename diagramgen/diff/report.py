"""The renderings of a diff: plain text, Markdown for a pull-request comment, JSON."""
from __future__ import annotations

import json
from typing import Optional

from diagramgen.diff.compare import ADDED, CHANGED, REMOVED, UNCHANGED, ArchDiff, DiffResult, Renumbering
from diagramgen.model import letters

SCHEMA_VERSION = 1  # of the JSON form (docs/diff-schema.md)


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
    return "; ".join(parts) or ("file renamed" if d.old_path else "")


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
    """A name or path as inline code (docs.code: no backtick, line break or '|' escapes it)."""
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
        where = f"{_code(d.old_path)} \u2192 {_code(d.path)}" if d.old_path else _code(d.path)
        out.append(f"- **{_md(d.id)}** ({where}): {_md(summary_line(d))}")
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
        long_items: list = []  # (name, old, new) of values too long for a table cell
        for table in (_md_metadata, _md_components, _md_flows, _md_steps):
            out += table(d, long_items)
        out += _md_details(long_items)
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


def _md_metadata(d: ArchDiff, long_items: list) -> list:
    """The table of metadata and area changes."""
    if not (d.metadata or d.areas):
        return []
    out = ["| change | item | before | after |", "|---|---|---|---|"]
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
    return out + [""]


def _md_components(d: ArchDiff, long_items: list) -> list:
    if not d.components:
        return []
    out = ["| component | change | details |", "|---|---|---|"]
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
    return out + [""]


def _md_flows(d: ArchDiff, long_items: list) -> list:
    if not d.flows:
        return []
    out = ["| flow | change | steps |", "|---|---|---|"]
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
    return out + [""]


def _md_steps(d: ArchDiff, long_items: list) -> list:
    if not (d.steps or d.renumbered):
        return []
    out = ["| step | change | details |", "|---|---|---|"]
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
    return out + [""]


def _md_details(long_items: list) -> list:
    """Long values, before and after, in a folded block under the tables."""
    if not long_items:
        return []
    out = ["<details><summary>Long values, before and after</summary>", ""]
    for name, old, new in long_items:
        out += [f"**{_md(name)}**", "", "```diff"]
        out += [f"- {line}" for line in str(old).splitlines() or [""]]
        out += [f"+ {line}" for line in str(new).splitlines() or [""]]
        out += ["```", ""]
    return out + ["</details>"]


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


