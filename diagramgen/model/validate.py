"""Stage 2: check an architecture file (and the fragments it includes) and build the model.

Every problem is collected, with its position, before anything is returned: the caller
gets either a model (possibly with warnings) or the full list of diagnostics.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from diagramgen.diagnostics import ERROR, WARNING, Diagnostic, DiagramgenError, Pos, did_you_mean, has_errors, sort_key
from diagramgen.model import Architecture, Area, Component, DocsCheck, Flow, Step, letters, loader
from diagramgen.model.architecture import top_area
from diagramgen.model.catalog import Catalog
from diagramgen.model.iconfiles import MAX_ICON_BYTES, MAX_ICON_SIDE, PNG_SIGNATURE, IconFileError, check_icon_file  # noqa: F401
from diagramgen.model.loader import LoadError, load, parse
from diagramgen.model.schema import ARCHITECTURE, FRAGMENT, INVALID, PStr, Rec, check, check_link, is_valid
from diagramgen.model.settings import unknown_kind_message

MAX_INCLUDE_DEPTH = 8
# Includes are counted each time they are pulled in: a fragment included twice counts
# twice. Without these limits seven small fragments, each including the next eight times,
# expand to millions of copies (a "fan-out bomb"); depth alone does not stop that.
MAX_INCLUDES = 200  # includes in one architecture, all levels together
MAX_EXPANDED_BYTES = 1_000_000  # the architecture file and every included copy, in bytes


def _list(rec, key: str) -> list:
    """A list field of a checked mapping, or [] when it is absent or invalid."""
    value = rec.get(key)
    return value if isinstance(value, list) else []


@dataclass
class _Source:
    """Areas and components gathered from one file, with the provenance its include set."""

    path: str
    rec: Rec
    provenance: Optional[str]
    standalone: bool = False
    real: str = ""  # the file's real path (custom icons are relative to it)
    repeat: bool = False  # a second inclusion of a file: its declarations are taken once


class _Report:
    """The diagnostics of one architecture as they are found."""

    def __init__(self) -> None:
        self.diags: list = []
        # when an include could not be read, references to what it declares are not
        # reported as unknown: the include's own error is the one problem to fix
        self.include_failed = False

    def error(self, pos: Pos, message: str, code: str) -> None:
        self.diags.append(Diagnostic(pos, ERROR, message, code))

    def unknown(self, pos: Pos, message: str, code: str) -> None:
        """An unknown reference: an error, unless a failed include explains it."""
        if not self.include_failed:
            self.error(pos, message, code)

    def warn(self, pos: Pos, message: str, code: str) -> None:
        self.diags.append(Diagnostic(pos, WARNING, message, code))


class _Includes(_Report):
    """The fragments an architecture includes, read and checked: ``sources`` (each
    fragment's checked record, with the provenance its include gives) and ``files``
    (every file read, for the render cache)."""

    def __init__(self, real_path: str, shown: str):
        super().__init__()
        self.root_dir = os.path.dirname(real_path)
        self.sources: list = []
        self.files: list = [shown]
        self.n_includes = 0
        self.expanded = os.path.getsize(real_path) if os.path.isfile(real_path) else 0
        self.too_big = False  # the expansion limit was hit (reported once)
        self.first_include: dict = {}
        self.repeats: list = []  # the errors of files included twice (see include)  # real path of each included file -> where it was first included

    # --- includes ---------------------------------------------------------------
    def include(self, rec: Rec, shown: str, real_file: str, chain: tuple, inherited: Optional[str],
                inherited_standalone: bool = False, repeat: bool = False) -> None:
        """Read the fragments ``rec`` includes, recursively. A file included a second time
        (directly, or through two fragments that both include it) is read and counted
        again, but its areas and components are taken once; ``repeat``: ``rec`` is such a
        second copy, whose own includes are repeats too and are not reported again."""
        for entry in _list(rec, "include"):
            if isinstance(entry, PStr):
                file, prov, alone, pos = str(entry), None, False, entry.pos
            elif is_valid(entry):
                file, prov, pos = str(entry["file"]), entry.get("provenance"), entry.pos
                prov = str(prov) if prov else None
                alone = bool(entry.get("standalone", False))
            else:
                continue
            prov = prov or inherited
            alone = alone or inherited_standalone
            found = self._target(file, pos, shown, real_file, chain)
            if found is None:
                continue
            target_shown, real = found
            try:
                doc = load(real, target_shown)
            except LoadError as exc:
                self.include_failed = True
                self.diags.append(exc.diagnostic)
                continue
            frag, d = check(doc.root, target_shown, FRAGMENT)
            self.diags += d
            if frag is INVALID:
                self.include_failed = True
                continue
            self.files.append(target_shown)
            first = self.first_include.setdefault(real, pos)
            again = repeat or first is not pos
            before = len(self.sources)
            self.include(frag, target_shown, real, chain + (real,), prov, alone, again)
            self.sources.append(_Source(target_shown, frag, prov, alone, real, again))
            if again and not repeat and any(_list(s.rec, "areas") or _list(s.rec, "components")
                                            for s in self.sources[before:]):
                self.repeats.append(Diagnostic(
                    pos, ERROR, f"'{target_shown}' is already included (at {first}), so its areas and "
                                "components would be declared twice; include it once", "DG318"))

    def _target(self, file: str, pos: Pos, shown: str, real_file: str, chain: tuple) -> Optional[tuple]:
        """(the name shown, the real path) of an included file, or None having reported
        why it is not read: outside the folder, a cycle, too deep, missing, a folder, or
        past the limits on the expansion."""
        if os.path.isabs(file):
            return self._failed(pos, f"include path '{file}' must be relative to the including file", "DG301")
        target_shown = os.path.normpath(os.path.join(os.path.dirname(shown), file))
        real = os.path.realpath(os.path.join(os.path.dirname(real_file), file))
        if os.path.commonpath([real, self.root_dir]) != self.root_dir:
            return self._failed(pos, f"include '{file}' is outside the architecture folder", "DG301")
        if real in chain:
            return self._failed(pos, f"include cycle: '{file}' is already being included", "DG303")
        if len(chain) > MAX_INCLUDE_DEPTH:
            return self._failed(pos, f"includes are nested more than {MAX_INCLUDE_DEPTH} deep", "DG304")
        if not os.path.exists(real):
            return self._failed(pos, f"included file '{file}' does not exist", "DG302")
        if os.path.isdir(real):
            return self._failed(pos, f"include '{file}' is a directory, expected a YAML file", "DG302")
        if self.too_big:
            return None
        self.n_includes += 1
        self.expanded += os.path.getsize(real)
        if self.n_includes > MAX_INCLUDES or self.expanded > MAX_EXPANDED_BYTES:
            self.too_big = True
            return self._failed(pos, f"includes expand to more than {MAX_INCLUDES} files or {MAX_EXPANDED_BYTES} "
                                     "bytes in total (each inclusion of a fragment counts); include each fragment "
                                     "once", "DG304")
        return target_shown, real

    def _failed(self, pos: Pos, message: str, code: str) -> Optional[tuple]:
        """Report why an include is not read; None, for _target to return."""
        self.include_failed = True
        self.error(pos, message, code)
        return None


class _Builder(_Includes):
    """The parts of the model (areas, components, steps, layout columns) built from the
    architecture and its fragments, each problem reported with its position."""

    def __init__(self, real_path: str, shown: str, catalog: Catalog):
        super().__init__(real_path, shown)
        self.catalog = catalog
        self.column_pos: tuple = ()  # ((area id, Pos), ...) of the entries of layout columns
        self.unplaced: list = []  # (position, area id): top-level areas missing from layout columns

    # --- areas and components ---------------------------------------------------
    def areas(self) -> list:
        out: list = []
        seen: dict = {}

        def walk(items: Iterable, parent: Optional[str]) -> None:
            for a in items or ():
                if not isinstance(a, Rec) or "id" not in a or a["id"] is INVALID:
                    continue
                aid = a["id"]
                if aid in seen:
                    self.error(aid.pos, f"duplicate area id '{aid}' (first defined at {seen[aid]})", "DG305")
                    continue
                seen[aid] = aid.pos
                label = a.get("label")
                out.append(Area(str(aid), str(label) if is_valid(label) else str(aid), parent,
                                bool(a.get("band", False)) if a.get("band") is not INVALID else False,
                                aid.pos))
                walk(_list(a, "areas"), str(aid))

        for src in self.sources:
            if not src.repeat:
                walk(_list(src.rec, "areas"), None)
        return out

    def components(self, area_ids: set) -> list:
        out: list = []
        seen: dict = {}
        for src in self.sources:
            items = src.rec.get("components") if not src.repeat else None
            for c in items if isinstance(items, list) else ():
                if not isinstance(c, Rec) or not is_valid(c.get("id")):
                    continue
                cid = c["id"]
                if cid in seen:
                    self.error(cid.pos, f"duplicate component id '{cid}' (first defined at {seen[cid]})", "DG305")
                    continue
                seen[cid] = cid.pos
                kind_name = c.get("kind")
                if kind_name is None or not is_valid(kind_name):  # None: never, the key is required
                    continue
                if kind_name not in self.catalog:
                    self.error(kind_name.pos, unknown_kind_message(str(kind_name), self.catalog), "DG307")
                    continue
                kind = self.catalog[kind_name]
                area = c.get("area")
                if area is INVALID:
                    continue
                if area is None:
                    if kind.area not in area_ids:
                        self.unknown(cid.pos, f"component '{cid}' is in no area: its kind's default area "
                                            f"'{kind.area}' is not declared, so set 'area'", "DG308")
                        continue
                    area = kind.area
                elif area not in area_ids:
                    self.unknown(area.pos, f"unknown area '{area}'{did_you_mean(area, area_ids)}", "DG308")
                    continue
                icon: Optional[str] = kind.icon
                if isinstance(c.get("icon"), PStr):
                    icon = self.custom_icon(c["icon"], src.real)
                if any(c.get(k) is INVALID for k in c) or icon is None:
                    continue
                prov = c.get("provenance") or src.provenance or kind.provenance
                out.append(Component(
                    id=str(cid), kind=str(kind_name), label=str(c.get("label") or kind.label),
                    area=str(area), provenance=str(prov), icon=icon,
                    description=str(c.get("description", "")),
                    capabilities=tuple(str(x) for x in c.get("capabilities", ())),
                    aliases=tuple(dict.fromkeys([str(x) for x in c.get("aliases", ())] + list(kind.aliases))),
                    standalone=bool(c.get("standalone", src.standalone)), pos=cid.pos))
        return out

    def custom_icon(self, value: PStr, declared_in: str) -> Optional[str]:
        """Check a component's own icon; return its real path, or None after an error.

        Custom icons are untrusted input, checked by iconfiles.check_icon_file (the one
        resolver render uses too): a relative path, taken literally, that stays inside
        the architecture folder; a sound PNG or a self-contained SVG within the limits.
        """
        try:
            return check_icon_file(str(value), os.path.dirname(declared_in), self.root_dir,
                                   "the architecture folder")
        except IconFileError as exc:
            self.error(value.pos, exc.message, exc.code)
            return None

    # --- dataflow ---------------------------------------------------------------
    def steps(self, rec: Rec, comp_ids: set, known_ids: set) -> list:
        """Every step: the main dataflow's (numbered), then each further sequence's (lettered)."""
        out = self.sequence_steps(rec.get("dataflow"), "", comp_ids, known_ids)
        seen: dict = {}
        for seq in _list(rec, "sequences"):
            if not isinstance(seq, Rec) or not is_valid(seq.get("id")):
                continue
            sid = seq["id"]
            if sid in seen:
                self.error(sid.pos, f"duplicate sequence id '{sid}' (first defined at {seen[sid]})", "DG305")
                continue
            seen[sid] = sid.pos
            out += self.sequence_steps(seq.get("dataflow"), str(sid), comp_ids, known_ids)
        return out

    def sequence_steps(self, items, sequence: str, comp_ids: set, known_ids: set) -> list:
        if not isinstance(items, list):
            return []
        out: list = []
        for expected, s in enumerate(items, start=1):
            if not isinstance(s, Rec):
                continue
            number = s.get("step")
            want = letters(expected) if sequence else expected
            if number is not INVALID and number is not None and str(number) != str(want):
                where = s.at("step")
                where = Pos(where.path, where.line, where.col + len("step: "))
                if sequence:
                    self.error(where, f"the steps of sequence '{sequence}' are lettered A, B, C ... in order: "
                                      f"expected step {want}, got {number}", "DG310")
                else:
                    self.error(where, f"steps must be numbered 1..N in order: expected step {want}, got {number}", "DG310")
                number = INVALID
            flows: list = []
            for f in _list(s, "flows"):
                if not is_valid(f):
                    continue
                ok = True
                for key in ("from", "to"):
                    ref = f[key]
                    if ref not in comp_ids:
                        ok = False
                        if ref in known_ids:
                            continue  # its own definition already has an error
                        self.unknown(ref.pos, f"unknown component '{ref}' in flow '{key}'"
                                            f"{did_you_mean(ref, comp_ids)}", "DG309")
                if ok and f["from"] == f["to"]:
                    self.error(f.pos, f"flow from '{f['from']}' to itself: a flow joins two different components", "DG311")
                    ok = False
                if ok:
                    flows.append(Flow(str(f["from"]), str(f["to"]), bool(f.get("both", False)), f.pos,
                                      str(f.get("label", ""))))
            subject = []
            for ref in _list(s, "subject"):
                if ref not in comp_ids and ref not in known_ids:
                    self.unknown(ref.pos, f"unknown component '{ref}' in subject{did_you_mean(ref, comp_ids)}", "DG309")
                subject.append(str(ref))
            if is_valid(s) and number is not INVALID:
                seen_flows: dict = {}
                for fl in flows:
                    k = (fl.src, fl.dst)
                    if k in seen_flows:
                        self.error(fl.pos, f"step {number} has the flow {fl.src} -> {fl.dst} twice "
                                           f"(first at line {seen_flows[k].line})", "DG312")
                    seen_flows[k] = fl.pos
                out.append(Step(expected, str(s["text"]), tuple(flows), tuple(subject), s.pos,
                                sequence, str(want) if sequence else ""))
        return out

    def columns(self, rec: Rec, areas: list) -> tuple:
        layout = rec.get("layout")
        top = [a.id for a in areas if a.parent is None and not a.band]
        if not isinstance(layout, Rec) or not is_valid(layout) or "columns" not in layout:
            return tuple((a,) for a in top)
        ids = {a.id for a in areas}
        used: list = []
        cols = []
        self.column_pos = tuple((str(aid), aid.pos) for col in layout["columns"] for aid in col)
        for col in layout["columns"]:
            for aid in col:
                if aid not in ids:
                    self.unknown(aid.pos, f"unknown area '{aid}' in layout columns{did_you_mean(aid, ids)}", "DG308")
                elif aid in used:
                    self.error(aid.pos, f"area '{aid}' appears twice in layout columns", "DG313")
                used.append(str(aid))
            cols.append(tuple(str(a) for a in col))
        self.unplaced = [(layout.at("columns"), a.id) for a in areas
                         if a.parent is None and not a.band and a.id not in used]
        return tuple(cols)


def load_architecture(path, catalog: Optional[Catalog] = None, shown: Optional[str] = None,
                      settings=None, text: Optional[str] = None) -> tuple[Optional[Architecture], list]:
    """Load, check and build one architecture.

    ``text``: check this text as the content of ``path`` (which need not exist), e.g. a
    file about to be written: includes resolve from ``path``'s folder all the same.

    ``settings`` (default: those of the folder diagramgen runs in, settings.current())
    give the repository's kinds and legend defaults; ``catalog`` replaces their catalog.
    Returns ``(model, diagnostics)``; the model is None when there is any error.
    """
    if settings is None:
        from diagramgen.model.settings import current

        try:
            settings = current()
        except DiagramgenError as exc:
            return None, list(exc.diagnostics)
    catalog = catalog or settings.catalog
    shown = shown or os.fspath(path)
    doc, diags = _read_architecture(path, shown, text)
    if doc is None:
        return None, diags
    rec, diags = check(doc.root, shown, ARCHITECTURE)
    if rec is INVALID:
        return None, diags
    diags += check_link(rec.get("docs_page"), "docs_page")
    real = os.path.realpath(path)
    b = _Builder(real, shown, catalog)
    b.diags = diags
    b.include(rec, shown, real, (real,), None)
    if not b.too_big:  # past the limits, that error is the one to fix
        b.diags += b.repeats
    b.sources.append(_Source(shown, rec, None, real=real))
    areas = b.areas()
    comps = b.components({a.id for a in areas})
    comp_ids = {c.id for c in comps}
    known = {str(c["id"]) for s in b.sources for c in _list(s.rec, "components")
             if isinstance(c, Rec) and is_valid(c.get("id"))}
    steps = b.steps(rec, comp_ids, known)
    columns = b.columns(rec, areas)
    if not has_errors(b.diags):
        _warn_unused(b, comps, steps)
        _warn_band_size(b, areas, comps, steps)
    diags = sorted(set(b.diags), key=sort_key)
    if has_errors(diags):
        return None, diags
    model = _architecture(rec, b, shown, settings, (areas, comps, steps, columns))
    if text is None:  # made from the files as read (not from a text about to be written)
        loader.note_model(model)
    return model, diags


def _read_architecture(path, shown: str, text: Optional[str]) -> tuple:
    """(the parsed document, []) or (None, the diagnostics): the file is not read through
    a link that leaves its folder, and a fragment is not taken for an architecture."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    if text is None and os.path.islink(path) and os.path.commonpath([os.path.realpath(path), folder]) != folder:
        # not read at all: its content would be quoted in the errors
        return None, [Diagnostic(Pos(shown, 1, 1), ERROR, "is a symbolic link to a file outside its folder; "
                                 "architecture files are not read through such links", "DG112")]
    try:
        doc = load(path, shown) if text is None else parse(text, shown)
    except LoadError as exc:
        return None, [exc.diagnostic]
    if isinstance(doc.root, loader.MappingNode):
        keys = {k.value for k, _ in doc.root.value if hasattr(k, "value")}
        if keys and keys <= set(FRAGMENT.fields):
            return None, [Diagnostic(Pos(shown, 1, 1), ERROR, "this is a fragment (only include, areas and "
                                     "components), not an architecture: check the architecture files that "
                                     "include it", "DG113")]
    return doc, []


def _warn_unused(b: _Builder, comps: list, steps: list) -> None:
    """Warnings for components in no flow and areas in no layout column."""
    used = {x for s in steps for f in s.flows for x in (f.src, f.dst)}
    for c in comps:
        if c.id not in used and not c.standalone:
            b.warn(c.pos, f"component '{c.id}' is not used in any flow "
                          "(set 'standalone: true' if that is intended)", "DG314")
    for pos, area_id in b.unplaced:
        b.warn(pos, f"area '{area_id}' is not in layout columns; it is drawn after the last column", "DG315")


# Past this many components, routing the flows that reach a foundation band takes
# seconds per flow (draw/routes.py; README "Size"): validation says so.
BAND_ROUTING_COMPONENTS = 100


def _warn_band_size(b: _Builder, areas: list, comps: list, steps: list) -> None:
    """A warning at the first foundation band that flows reach, in an architecture of
    more than BAND_ROUTING_COMPONENTS components."""
    if len(comps) <= BAND_ROUTING_COMPONENTS:
        return
    area_of = {c.id: c.area for c in comps}
    parent_of = {a.id: a.parent for a in areas}
    reached = {top_area(parent_of, area_of[x]) for s in steps for f in s.flows for x in (f.src, f.dst)
               if x in area_of}
    band = next((a for a in areas if a.band and a.parent is None and a.id in reached), None)
    if band is not None:
        b.warn(band.pos, f"area '{band.id}' is a foundation band that flows reach, in an architecture of "
                         f"{len(comps)} components: routing those flows takes seconds at this size, tens of "
                         "seconds past a few hundred components; draw it as an ordinary area "
                         "(without 'band: true') or split the architecture into views", "DG317")


def _architecture(rec: Rec, b: _Builder, shown: str, settings, parts: tuple) -> Architecture:
    """The model of a checked architecture (``parts``: its areas, components, steps and
    layout columns)."""
    areas, comps, steps, columns = parts
    legend = rec.get("legend") or {}
    assumptions = rec.get("assumptions") or {}
    foundation = assumptions.get("azure_foundation")
    return Architecture(
        id=str(rec["id"]), title=str(rec["title"]), scenario=str(rec["scenario"]),
        products=tuple(str(p) for p in rec["products"]),
        summary=tuple(str(s) for s in rec.get("summary", ())),
        azure_foundation=None if foundation is None else bool(foundation),
        assumption_notes=tuple(str(n) for n in assumptions.get("notes", ())),
        legend=tuple((k, str(v)) for k, v in legend.items()),
        docs_page=str(rec.get("docs_page", "")),
        areas=tuple(areas), components=tuple(comps), steps=tuple(steps), columns=columns,
        path=shown, sources=tuple(b.files), default_legend=settings.legend, column_pos=b.column_pos,
        dataflow_title=str(rec.get("dataflow_title", "")),
        extra_sequences=tuple((str(q["id"]), str(q["title"]), "letters") for q in _list(rec, "sequences")),
        docs_check=DocsCheck(**{k: str(v) for k, v in (rec.get("docs_check") or {}).items()}))


def architecture_files(paths: Iterable = (), default_dir: str = "architectures") -> list:
    """The files to work on: the given ones, or every ``*.yaml`` directly in ``default_dir``."""
    paths = list(paths)
    if paths:
        # the same file named twice (or through two spellings) is checked once, not
        # reported as clashing with itself
        seen: set = set()
        out = []
        for p in paths:
            key = os.path.realpath(p)
            if key not in seen:
                seen.add(key)
                out.append(os.fspath(p))
        return out
    d = Path(default_dir)
    return sorted(str(p) for p in d.glob("*.yaml")) + sorted(str(p) for p in d.glob("*.yml"))


def check_unique_ids(models: list) -> list:
    """Architecture ids must be unique across files (they name the outputs)."""
    diags = []
    seen: dict = {}
    for m in models:
        if m.id in seen:
            diags.append(Diagnostic(Pos(m.path, 1, 1), ERROR,
                                    f"architecture id '{m.id}' is also used by {seen[m.id]}", "DG306"))
        else:
            seen[m.id] = m.path
    return diags
