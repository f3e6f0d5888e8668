"""Comparing architectures: the overview page of a group, its migration pages, and the
check of a hand-written overview table.

A group (``groups:`` of diagramgen.yaml, see settings.Group) names a set of architectures.
For each group, ``docs`` writes ``overview/<group>.md``: the scenario table and a
provenance matrix, and for each migration pair ``overview/<from>-to-<to>.md`` with the
overlay diagram ``overview/<from>-to-<to>.svg`` beside it.

How the matrix rows are made (from the models only, no hand-kept list):

* one block of rows per area id, across the group's architectures, in reading order
  (the first architecture's areas, then areas only later ones have), labelled with the
  area's label;
* within an area, components of different architectures are one *slot* when they share
  their id or their kind (e.g. every ``workspace``, or every ``agent_workspace``);
* slots that every architecture fills in the same way (the same architectures have
  them, with the same provenances) share one row; so an area is one row unless its
  architectures differ inside it, and then it splits into rows named after the slots'
  kinds ("Agent experience: Copilot").

Each cell names the components with a coloured mark and the provenance in words, so it
reads without colour. Pure functions returning text and diagnostics; the CLI writes.
"""
from __future__ import annotations

import difflib
import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

from diagramgen.diagnostics import ERROR, Diagnostic, DiagramgenError, Pos
from diagramgen.docs.pages import _area_order, _area_title, page_name
from diagramgen.draw.theme import PROVENANCE_COLOUR_NAMES, PROVENANCE_MARKS
from diagramgen.markdown import comment, md
from diagramgen.model.schema import PROVENANCES

FOLDER = "overview"   # beside the pages: output/docs/overview/
MARKS = PROVENANCE_MARKS
COLOURS = PROVENANCE_COLOUR_NAMES
PROVENANCE_ORDER = PROVENANCES


class OverviewError(DiagramgenError):
    """A group of diagramgen.yaml names what does not exist; carries diagnostics."""


@dataclass(frozen=True)
class Resolved:
    """A group with its architectures (models) and migration pairs (model pairs)."""

    id: str
    title: str
    intro: str
    members: tuple      # ((Architecture, short name), ...) in column order
    migrations: tuple   # ((old Architecture, new Architecture), ...)
    overview_page: str  # path of the hand-written page, relative to the current folder ("" for none)

    def name(self, arch) -> str:
        return next((n for a, n in self.members if a.id == arch.id), "") or arch.title

    @property
    def page(self) -> str:
        return f"{FOLDER}/{self.id}.md"


def migration_name(old, new) -> str:
    return f"{old.id}-to-{new.id}"


def _closest(name: str, ids) -> str:
    close = difflib.get_close_matches(name, list(ids), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def resolve(settings, models) -> list:
    """The groups of ``settings`` with their models; raises OverviewError naming (with
    their positions in diagramgen.yaml) architectures that do not exist, a migration
    between architectures outside the group or from an architecture to itself."""
    by_id = {m.id: m for m in models}
    diags: list = []
    out: list = []
    seen_pairs: dict = {}
    base = os.path.dirname(settings.path or "")
    for g in settings.groups:
        members: list = []
        for mid, name in g.members or tuple((m.id, "") for m in models):
            if mid not in by_id:
                diags.append(Diagnostic(getattr(mid, "pos", g.pos), ERROR, f"group '{g.id}' names architecture "
                                        f"'{mid}', which does not exist{_closest(mid, by_id)}", "DG508"))
            elif any(a.id == mid for a, _ in members):
                diags.append(Diagnostic(mid.pos, ERROR, f"group '{g.id}' names architecture '{mid}' twice", "DG509"))
            else:
                members.append((by_id[mid], name))
        ids = {a.id for a, _ in members}
        pairs = []
        for src, dst, pos in g.migrations:
            bad = [x for x in (src, dst) if x not in ids]
            if bad:
                diags.append(Diagnostic(bad[0].pos, ERROR, f"migration of group '{g.id}' names '{bad[0]}', "
                                        f"which is not an architecture of the group{_closest(bad[0], ids)}", "DG510"))
            elif src == dst:
                diags.append(Diagnostic(pos, ERROR, f"a migration needs two different architectures, "
                                        f"got '{src}' twice", "DG511"))
            elif (str(src), str(dst)) in seen_pairs:
                diags.append(Diagnostic(pos, ERROR, f"the migration from '{src}' to '{dst}' is listed twice "
                                        f"(first in group '{seen_pairs[(str(src), str(dst))]}')", "DG512"))
            else:
                seen_pairs[(str(src), str(dst))] = g.id
                pairs.append((by_id[src], by_id[dst]))
        page = ""
        if g.overview_page and "://" not in g.overview_page:
            page = os.path.normpath(os.path.join(base, g.overview_page))
        out.append(Resolved(g.id, g.title, g.intro, tuple(members), tuple(pairs), page))
    if diags:
        raise OverviewError(diags)
    return out


def check_groups(models, settings=None) -> list:
    """The problems of the groups of diagramgen.yaml (``settings``, default the current
    ones) with these architectures, as diagnostics: what resolve raises, returned."""
    from diagramgen.model.settings import current

    try:
        resolve(settings or current(), models)
    except OverviewError as exc:
        return list(exc.diagnostics)
    return []


# --- the provenance matrix -----------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One row of the provenance matrix: an area, and what each architecture puts in it."""

    area: str     # area id
    label: str    # "Telephony" or "Agent experience: Copilot"
    cells: tuple  # per architecture: ((provenance, (labels, ...)), ...) grouped by provenance; () for none


def _slots(archs, area_id: str) -> list:
    """Components of ``area_id``, per architecture, joined into slots by shared id or kind:
    a list of ``{arch index: [components]}`` in order of first appearance."""
    parent: dict = {}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_by: dict = {}
    items = []
    for i, a in enumerate(archs):
        for c in a.components_in(area_id):
            node = (i, c.id)
            parent[node] = node
            items.append((node, c))
            for key in (("id", c.id), ("kind", c.kind)):
                if key in first_by:
                    parent[find(node)] = find(first_by[key])
                else:
                    first_by[key] = node
    slots: dict = {}
    for node, c in items:
        slots.setdefault(find(node), {}).setdefault(node[0], []).append(c)
    return list(slots.values())


def _group_cell(comps) -> tuple:
    by: dict = {}
    for c in comps:
        by.setdefault(c.provenance, []).append(c.label)
    return tuple((p, tuple(by[p])) for p in PROVENANCE_ORDER if p in by) + tuple(
        (p, tuple(v)) for p, v in by.items() if p not in PROVENANCE_ORDER)


def matrix(archs, catalog=None) -> list:
    """The rows of the provenance matrix of ``archs`` (see the module docstring)."""
    area_ids: list = []
    area_of: dict = {}
    for a in archs:
        for area in _area_order(a):
            if area.id not in area_of:
                area_ids.append(area.id)
                area_of[area.id] = (a, area)
    rows = []
    for aid in area_ids:
        slots = _slots(archs, aid)
        if not slots:
            continue
        groups: dict = {}
        for slot in slots:
            pattern = tuple(tuple(sorted({c.provenance for c in slot.get(i, ())})) for i in range(len(archs)))
            groups.setdefault(pattern, []).append(slot)
        # alternatives: slots that no architecture has together share a row too
        units: list = []
        for merged in groups.values():
            present = {i for slot in merged for i in slot}
            home = next((u for u in units if not (u[0] & present)), None)
            if home is None:
                units.append([present, list(merged)])
            else:
                home[0] |= present
                home[1] += merged
        owner, area = area_of[aid]
        title = _area_title(owner, area)
        for _, merged in units:
            label = title
            if len(units) > 1:
                names = []
                for slot in merged:
                    first = next(c for i in sorted(slot) for c in slot[i])
                    kind = catalog[first.kind].label if catalog is not None and first.kind in catalog else first.label
                    names.append(kind)
                label = f"{title}: {', '.join(dict.fromkeys(names))}"
            cells = tuple(_group_cell([c for slot in merged for c in slot.get(i, ())]) for i in range(len(archs)))
            rows.append(Row(aid, label, cells))
    return rows


def _cell(cell) -> str:
    return "; ".join(f"{MARKS.get(p, '')} {', '.join(md(x) for x in labels)} ({md(p)})".strip()
                     for p, labels in cell)


def _totals(arch) -> str:
    counts = {p: sum(c.provenance == p for c in arch.components) for p in PROVENANCE_ORDER}
    return ", ".join(f"{n} {p}" for p, n in counts.items() if n) or "none"


def overview_page(group: Resolved, settings, formats_of=None) -> str:
    """The Markdown of ``overview/<group>.md``. ``formats_of(id)`` gives the formats
    published for an architecture (``html`` links its viewer); default: every one."""
    from diagramgen.docs.pages import ASSETS

    archs = [a for a, _ in group.members]
    out = [f"<!-- Generated by diagramgen from {comment(settings.path or 'diagramgen.yaml')} (group "
           f"{comment(group.id)}) and its architectures; run make docs to update. -->", "",
           f"# {md(group.title)}", ""]
    if group.intro:
        out += [md(group.intro), ""]
    out += ["## Scenarios", "",
            f"| Scenario | {md(settings.products_label)} | Reference architecture | Diagram |", "|---|---|---|---|"]
    for a in archs:
        viewer = formats_of is None or "html" in formats_of(a.id)
        diagram = f"[Interactive diagram](../{ASSETS}/{a.id}.html)" if viewer else f"[SVG](../{ASSETS}/{a.id}.svg)"
        out.append(f"| {md(a.scenario)} | {md(', '.join(a.products))} | [{md(a.title)}](../{page_name(a)}) "
                   f"| {diagram} |")
    out += ["", "## Who provides what", "",
            "One row per area of the diagrams, one column per scenario. Each cell names the components "
            "that do the work there, marked by where they come from:", ""]
    for p in PROVENANCE_ORDER:
        out.append(f"- {MARKS[p]} **{p}** ({COLOURS[p]} in the diagrams): {md(settings.legend_text(p))}")
    out += ["", "An empty cell: the scenario has nothing in that area.", ""]
    head = "| Area | " + " | ".join(md(group.name(a)) for a in archs) + " |"
    out += [head, "|---" * (len(archs) + 1) + "|"]
    for row in matrix(archs, settings.catalog):
        out.append(f"| {md(row.label)} | " + " | ".join(_cell(c) for c in row.cells) + " |")
    out.append("| Components in total | " + " | ".join(_totals(a) for a in archs) + " |")
    out.append("")
    if group.migrations:
        out += ["## Moving between scenarios", ""]
        for old, new in group.migrations:
            out.append(f"- [From {md(group.name(old))} to {md(group.name(new))}]({migration_name(old, new)}.md): "
                       "what is replaced, what is added, what stays")
        out.append("")
    out += ["## Related", "", f"- [{md(settings.related_link)}](../index.md)", ""]
    return "\n".join(out)


# --- migrations ----------------------------------------------------------------------

STAYS, REPLACED, ADDED, RETIRED = "stays", "replaced", "added", "retired"


@dataclass(frozen=True)
class Change:
    """What a migration does to one slot of an area: a component kept, replaced, added or retired."""

    change: str             # stays | replaced | added | retired
    area: str               # area label (the new side's where both have it)
    old: tuple = ()         # components before
    new: tuple = ()         # components after
    note: str = ""          # how they were matched, or where a capability went


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFKC", text).casefold()))


def match(old, new) -> list:
    """Pair the components of two architectures: by area first (the same id, then the same
    kind, then, in an area holding one component on each side, those two), then by kind
    anywhere. A pair of the
    same kind and provenance stays; any other pair is a replacement; what is left over is
    added or retired. Returns Changes in the new architecture's reading order."""
    pairs: list = []
    left_old = list(old.components)
    left_new = list(new.components)

    def take(o, n, how):
        pairs.append((o, n, how))
        left_old.remove(o)
        left_new.remove(n)

    areas = [a.id for a in _area_order(new) if any(x.id == a.id for x in old.areas)]
    for aid in areas:
        for how, key in (("same id", lambda c: c.id), ("same kind", lambda c: c.kind)):
            for n in [c for c in left_new if c.area == aid]:
                o = next((c for c in left_old if c.area == aid and key(c) == key(n)), None)
                if o is not None:
                    take(o, n, how)
        # an area of one component on each side: the new one does the old one's job
        olds = [c for c in left_old if c.area == aid]
        news = [c for c in left_new if c.area == aid]
        if len(olds) == 1 and len(news) == 1 and len(old.components_in(aid)) == 1 and len(new.components_in(aid)) == 1:
            take(olds[0], news[0], "same area")
    for n in list(left_new):
        o = next((c for c in left_old if c.kind == n.kind), None)
        if o is not None:
            take(o, n, "same kind")

    def area_label(arch, c):
        return _area_title(arch, arch.area(c.area))

    order = {c.id: i for i, c in enumerate(c for a in _area_order(new) for c in new.components_in(a.id))}
    out = []
    for o, n, how in pairs:
        same = o.kind == n.kind and o.provenance == n.provenance
        out.append((order.get(n.id, 0), Change(STAYS if same else REPLACED, area_label(new, n), (o,), (n,), how)))
    for n in left_new:
        note = _capabilities_from(n, old.components, "before, in")
        out.append((order.get(n.id, 0), Change(ADDED, area_label(new, n), (), (n,), note)))
    end = len(order)
    for o in left_old:
        note = _capabilities_from(o, new.components, "now in")
        out.append((end, Change(RETIRED, area_label(old, o), (o,), (), note)))
    out.sort(key=lambda x: x[0])
    return [c for _, c in out]


def _capabilities_from(comp, others, word: str) -> str:
    """"Case management before in Agent desktop": capabilities of ``comp`` that other
    components list too (compared without case and punctuation)."""
    mine = {_norm(x): x for x in (comp.label,) + tuple(comp.capabilities)}
    found = []
    for c in others:
        shared = [mine[k] for k in (_norm(x) for x in c.capabilities) if k in mine]
        if shared:
            found.append(f"{word} {c.label}: {', '.join(shared)}")
    return "; ".join(found)


def _who(c) -> str:
    return f"{MARKS.get(c.provenance, '')} {md(c.label)} ({md(c.provenance)})".strip()


def _merge(changes) -> list:
    """Rows for the page: changes of one kind in one area whose components keep their
    label and kind are listed together (the channels that change provider, say)."""
    rows: list = []
    for ch in changes:
        simple = len(ch.old) <= 1 and len(ch.new) <= 1 and (
            not ch.old or not ch.new or (ch.old[0].label == ch.new[0].label and ch.old[0].kind == ch.new[0].kind))
        key = (ch.area, tuple(c.provenance for c in ch.old), tuple(c.provenance for c in ch.new), _note(ch))
        if simple and rows and rows[-1][0] == key and rows[-1][2] and not (ch.change in (ADDED, RETIRED) and ch.note):
            rows[-1][1].append(ch)
        else:
            rows.append((key, [ch], simple))
    return [r[1] for r in rows]


def _side(chs, attr: str) -> str:
    comps = [c for ch in chs for c in getattr(ch, attr)]
    if not comps:
        return ""
    provs = {c.provenance for c in comps}
    if len(provs) == 1:
        p = provs.pop()
        return f"{MARKS.get(p, '')} {', '.join(md(c.label) for c in comps)} ({md(p)})".strip()
    return "; ".join(_who(c) for c in comps)


def step_changes(old, new) -> tuple:
    """(carried, inserted, removed): the dataflow steps of ``new`` that match a step of
    ``old`` by their flows and text ((old step, new step) pairs), those that are new, and
    those of ``old`` that no step of ``new`` continues (diff.py's step alignment)."""
    from diagramgen.diff.align import renames, sequence_pairs

    carried, inserted, removed = [], [], []
    for _, pairs in sequence_pairs(old, new, renames(old, new)):
        for o, w in pairs:
            if o is None:
                inserted.append(w)
            elif w is None:
                removed.append(o)
            else:
                carried.append((o, w))
    return carried, inserted, removed


def migration_page(group: Resolved, old, new, settings, image: str = "") -> str:
    """The Markdown of ``overview/<old>-to-<new>.md``; ``image`` names the overlay SVG beside it."""
    src, dst = group.name(old), group.name(new)
    changes = match(old, new)
    by = {k: [c for c in changes if c.change == k] for k in (REPLACED, ADDED, STAYS, RETIRED)}
    moving = [c for c in by[REPLACED] if c.old[0].provenance == "existing" and c.new[0].provenance != "existing"]
    out = [f"<!-- Generated by diagramgen from {comment(old.path)} and {comment(new.path)} (group "
           f"{comment(group.id)} of {comment(settings.path or 'diagramgen.yaml')}); run make docs to update. -->",
           "", f"# From {md(src)} to {md(dst)}", "",
           f"Moving from [{md(old.title)}](../{page_name(old)}) to [{md(new.title)}](../{page_name(new)}). "
           f"Components are matched by area, then by id or kind: of the {len(old.components)} components "
           f"before, {_verb(len(by[STAYS]), 'stays', 'stay')} as before, "
           f"{_verb(len(by[REPLACED]), 'is', 'are')} replaced or change provider and "
           f"{_verb(len(by[RETIRED]), 'is', 'are')} no longer needed; {_verb(len(by[ADDED]), 'is', 'are')} added.",
           ""]
    if moving:
        names = ", ".join(dict.fromkeys(md(c.area) for c in moving))
        out += [f"**Moves from the customer's existing systems to Microsoft:** {names}.", ""]
    kept = [c for c in by[STAYS] if c.new[0].provenance == "existing"]
    if kept:
        out += ["**Stays with the customer's existing systems:** "
                + ", ".join(md(c.new[0].label) for c in kept) + ".", ""]
    if image:
        out += ["## The two diagrams in one", "",
                f"![Overlay diagram from {md(old.title)} to {md(new.title)}: added parts in green, removed parts "
                f"in red and dashed, changed parts in orange, the rest muted. The tables below list the same "
                f"changes.]({image})", "",
                "Green: added; red and dashed: removed; orange: changed (a new provider, kind, label or "
                "capabilities); muted: the same in both. Step circles carry the new number, and the old one "
                "where it changed.", ""]
    out += _change_tables(by, src, dst)
    out += _dataflow_changes(old, new, src, dst)
    out += ["## Related", "", f"- [{md(group.title)}]({group.id}.md)",
            f"- [{md(settings.related_link)}](../index.md)", ""]
    return "\n".join(out)


def _change_tables(by: dict, src: str, dst: str) -> list:
    """A section per kind of change (replaced, added, no longer needed, stays), each a
    table of the matched components by area."""
    out: list = []
    sections = (
        (REPLACED, "What is replaced", "Before", "After"),
        (ADDED, "What is added", None, "Component"),
        (RETIRED, "What is no longer needed", "Component", None),
        (STAYS, "What stays", None, "Component"),
    )
    for kind, heading, before, after in sections:
        out += [f"## {heading}", ""]
        rows = _merge(by[kind])
        if not rows:
            out += ["Nothing.", ""]
            continue
        cols = ["Area"] + [x for x in (f"{before} ({md(src)})" if before else None,
                                       f"{after} ({md(dst)})" if after else None) if x] + ["Notes"]
        out += ["| " + " | ".join(cols) + " |", "|---" * len(cols) + "|"]
        for chs in rows:
            cells = [md(chs[0].area)]
            if before:
                cells.append(_side(chs, "old"))
            if after:
                cells.append(_side(chs, "new"))
            notes = "; ".join(md(n) for n in dict.fromkeys(_note(ch) for ch in chs) if n)
            cells.append(notes)
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return out


def _dataflow_changes(old, new, src: str, dst: str) -> list:
    """The section that says which steps carry on, which are new and which are gone."""
    carried, inserted, removed = step_changes(old, new)
    out = ["## How the dataflow changes", "",
           f"Steps are matched by their flows and text. {len(carried)} of the {len(new.steps)} steps of "
           f"{md(dst)} continue a step of {md(src)}; {len(inserted)} are new; {len(removed)} of "
           f"{md(src)}'s steps have no counterpart.", ""]
    if carried:
        out += ["| Step after | Step before | Same text and flows |", "|---|---|---|"]
        for o, w in carried:
            same = "yes" if o.text == w.text and {(f.src, f.dst) for f in o.flows} == {
                (f.src, f.dst) for f in w.flows} else "no"
            out.append(f"| [{w.badge}](../{page_name(new)}#{w.anchor}) | "
                       f"[{o.badge}](../{page_name(old)}#{o.anchor}) | {same} |")
        out.append("")
    if inserted:
        out += ["New steps:", ""]
        out += [f"- [Step {w.badge}](../{page_name(new)}#{w.anchor}): {md(w.text)}" for w in inserted]
        out.append("")
    if removed:
        out += [f"Steps of {md(src)} without a counterpart:", ""]
        out += [f"- [Step {o.badge}](../{page_name(old)}#{o.anchor}): {md(o.text)}" for o in removed]
        out.append("")
    return out


def _verb(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _note(ch: Change) -> str:
    if ch.change in (ADDED, RETIRED):
        return ch.note
    o, n = ch.old[0], ch.new[0]
    parts = []
    if o.provenance != n.provenance:
        parts.append(f"{o.provenance} to {n.provenance}")
    if o.kind != n.kind:
        parts.append(f"another kind ({o.kind} to {n.kind})")
    if ch.change == REPLACED and ch.note == "same area" and o.kind != n.kind:
        parts = [f"in its place, {o.provenance} to {n.provenance}" if o.provenance != n.provenance
                 else "in its place"]
    return ", ".join(parts)


def overlay_svg(old, new, caption: str, docs_href: str) -> bytes:
    """The overlay diagram of ``old`` and ``new`` (diff/overlay.py's, laid out by dot),
    made self-contained like the rendered diagrams (icons embedded). One being made
    ahead (docs/ahead.py) for the same models, caption and link is taken from there,
    waited for if it is not done yet."""
    from diagramgen.docs.ahead import made_ahead

    made = made_ahead(old, new, caption, docs_href)
    return made if made is not None else make_overlay_svg(old, new, caption, docs_href)


def make_overlay_svg(old, new, caption: str, docs_href: str) -> bytes:
    """overlay_svg made now (what is made ahead)."""
    from diagramgen.diff.overlay import overlay_image

    return overlay_image(old, new, caption, "svg", docs_href=docs_href)


def overlay_caption(g, old, new) -> str:
    """The caption of the overlay of group ``g``'s migration from ``old`` to ``new``."""
    return f"From {g.name(old)} to {g.name(new)}"


def overlay_link(new) -> str:
    """Where the steps of a migration's overlay link to: the page of ``new``, seen from
    the overview folder."""
    return f"../{page_name(new)}"


def pages(groups, settings, formats_of=None, overlays: bool = True, previous=None) -> dict:
    """``{path relative to the docs folder: bytes}``: every group's overview page, and
    each migration's page and overlay SVG (``overlays=False``: pages only, no dot).

    ``previous(names, old, new)`` (publish/overviews.reusable): the files of a
    migration as made before from the same inputs, which are taken as they are instead
    of being made again (a diff and a dot layout each), or None."""
    out: dict = {}
    for g in groups:
        out[g.page] = overview_page(g, settings, formats_of).encode("utf-8")
        for old, new in g.migrations:
            name = migration_name(old, new)
            image = f"{name}.svg" if overlays else ""
            names = [f"{FOLDER}/{name}.md"] + ([f"{FOLDER}/{image}"] if image else [])
            kept = previous(names, old, new) if previous else None
            if kept is not None:
                out.update(kept)
                continue
            out[f"{FOLDER}/{name}.md"] = migration_page(g, old, new, settings, image).encode("utf-8")
            if overlays:
                out[f"{FOLDER}/{name}.svg"] = overlay_svg(old, new, overlay_caption(g, old, new), overlay_link(new))
    return out


# --- checking a hand-written overview table ------------------------------------------

_SPLIT = re.compile(r"\s*(?:,|;|\+|&|\bor\b|\band\b)\s*", re.IGNORECASE)


def product_names(text) -> frozenset:
    """Products as a set of normalised names: split at commas, semicolons, '+', '&', "and"
    and "or"; case, punctuation and a leading "Microsoft" ignored."""
    parts = text if isinstance(text, (list, tuple)) else [text]
    out = set()
    for part in parts:
        for name in _SPLIT.split(unicodedata.normalize("NFKC", str(part))):
            words = _norm(name).split()
            if words and words[0] == "microsoft" and len(words) > 1:
                words = words[1:]
            if words:
                out.add(" ".join(words))
    return frozenset(out)


@dataclass(frozen=True)
class TableRow:
    """One body row of a pipe table in a Markdown page: its line, its cells' text and its links."""

    line: int
    cells: tuple      # plain text of each cell
    links: tuple      # (text, href) of each link in the row, in order


def parse_tables(markdown: str) -> list:
    """Every pipe table of the page: ``(header line, header cells, [TableRow])``."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables, i = [], 0
    while i < len(tokens):
        if tokens[i].type != "table_open":
            i += 1
            continue
        header: list = []
        rows: list = []
        cur: Optional[tuple] = None
        in_head = False
        table_map = tokens[i].map
        line = table_map[0] + 1 if table_map else 1
        i += 1
        while tokens[i].type != "table_close":
            t = tokens[i]
            if t.type == "thead_open":
                in_head = True
            elif t.type == "thead_close":
                in_head = False
            elif t.type == "tr_open" and not in_head:
                cur = (t.map[0] + 1 if t.map else line, [], [])
            elif t.type == "inline":
                text, links = _inline(t)
                if in_head:
                    header.append(text)
                elif cur is not None:
                    cur[1].append(text)
                    cur[2].extend(links)
            elif t.type == "tr_close" and cur is not None:
                rows.append(TableRow(cur[0], tuple(cur[1]), tuple(cur[2])))
                cur = None
            i += 1
        tables.append((line, tuple(header), rows))
        i += 1
    return tables


def _inline(token) -> tuple:
    text: list = []
    links: list = []
    href = None
    link_text: list = []
    for child in token.children or ():
        if child.type == "link_open":
            href, link_text = child.attrGet("href") or "", []
        elif child.type == "link_close":
            links.append(("".join(link_text).strip(), href))
            href = None
        elif child.type in ("text", "code_inline"):
            text.append(child.content)
            if href is not None:
                link_text.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            text.append(" ")
    return " ".join("".join(text).split()), links


def _resolve_link(href: str, page: str) -> str:
    from urllib.parse import unquote

    href = href.split("#", 1)[0].split("?", 1)[0]
    if not href or "://" in href or href.startswith(("/", "mailto:")):
        return href
    return os.path.realpath(os.path.join(os.path.dirname(page), unquote(href)))


def _title_score(text: str, title: str) -> float:
    return difflib.SequenceMatcher(None, _norm(text).split(), _norm(title).split(), autojunk=False).ratio()


def check_overview(markdown: str, group: Resolved, page: str, shown: Optional[str] = None) -> list:
    """Drift between a hand-written overview page and a group, as ``PAGE:line: error:``
    diagnostics: the table (the first one with a products column and links) must have
    one row per architecture of the group, linking its docs_page, whose products equal
    the architecture's ``products`` (see product_names)."""
    from diagramgen.docs.checkdocs import page_path

    shown = shown or page
    tables = [t for t in parse_tables(markdown)
              if any("product" in _norm(h) for h in t[1]) and any(r.links for r in t[2])]
    if not tables:
        return [Diagnostic(Pos(shown, 1), ERROR, f"no table with a products column and links to the "
                           f"architectures; group '{group.id}' has {len(group.members)} architectures to list", "DG420")]
    line, header, rows = tables[0]
    pcol = next(i for i, h in enumerate(header) if "product" in _norm(h))
    diags = []
    targets = {}
    for a, _ in group.members:
        p = page_path(a)
        if p is None and a.docs_page:
            targets[a.docs_page] = a
        elif p is not None:
            targets[os.path.realpath(p)] = a
        else:
            diags.append(Diagnostic(Pos(shown, line), ERROR, f"{a.id} ({a.path}) has no docs_page, so no row "
                                    "can be matched with it; set its docs_page", "DG421"))
    # a link names a page by its path from the overview page, or (for a copy of the
    # overview checked elsewhere) by a file name that only one docs_page has
    names: dict = {}
    for path, a in targets.items():
        names.setdefault(os.path.basename(path), []).append(a)
    seen: dict = {}
    for row in rows:
        text, href = row.links[0]
        arch = targets.get(_resolve_link(href, page))
        if arch is None and "://" not in href and len(names.get(os.path.basename(href.split("#")[0]), ())) == 1:
            arch = names[os.path.basename(href.split("#")[0])][0]
        best = max((a for a, _ in group.members), key=lambda a: _title_score(text, a.title))
        if arch is None:
            diags.append(Diagnostic(Pos(shown, row.line), ERROR, f"the row links to '{href}', which is not the "
                                    f"docs_page of any architecture of group '{group.id}'"
                                    + (f"; its text reads like {best.id}, whose page is '{best.docs_page}'"
                                       if _title_score(text, best.title) >= 0.6 else ""), "DG422"))
            continue
        if arch is not best and _title_score(text, best.title) >= 0.6 and \
                _title_score(text, best.title) > _title_score(text, arch.title):
            diags.append(Diagnostic(Pos(shown, row.line), ERROR, f"the row's link text reads like {best.id} "
                                    f"({best.title}), but it links to '{href}', the page of {arch.id}", "DG423"))
        if arch.id in seen:
            diags.append(Diagnostic(Pos(shown, row.line), ERROR, f"a second row links to the page of {arch.id}; "
                                    f"line {seen[arch.id]} does already", "DG424"))
            continue
        seen[arch.id] = row.line
        said = row.cells[pcol] if pcol < len(row.cells) else ""
        if product_names(said) != product_names(arch.products):
            owner = next((a.id for a, _ in group.members
                          if a is not arch and product_names(a.products) == product_names(said)), None)
            diags.append(Diagnostic(Pos(shown, row.line), ERROR, f"the row of {arch.id} gives the products "
                                    f"'{said}', but {arch.path} has '{', '.join(arch.products)}'"
                                    + (f" (the products of {owner}: are two rows swapped?)" if owner else ""), "DG425"))
    for a, _ in group.members:
        if a.id not in seen and (a.docs_page or "") and any(t is a for t in targets.values()):
            diags.append(Diagnostic(Pos(shown, line), ERROR, f"the table has no row for {a.id} ({a.title}): "
                                    f"no row links to its docs_page '{a.docs_page}'", "DG426"))
    return sorted(diags, key=lambda d: (d.pos.line, d.message))


def group_for(doc: str, groups) -> Optional[Resolved]:
    """The group whose overview_page is ``doc`` (compared as real paths)."""
    real = os.path.realpath(doc)
    return next((g for g in groups if g.overview_page and os.path.realpath(g.overview_page) == real), None)


__all__ = ["FOLDER", "OverviewError", "Resolved", "check_groups", "check_overview", "group_for", "match",
           "matrix", "migration_page", "overview_page", "pages", "product_names", "resolve"]
