"""Repository settings: the optional ``diagramgen.yaml`` at the repository root.

The repository root is the folder diagramgen runs in (the one holding ``architectures/``
and ``output/``). Its ``diagramgen.yaml`` declares the repository's own component kinds
and the wording of what is generated; without it every default is neutral. Keys::

    kinds:            # the repository's own kinds, same entries as diagramgen/model/catalog.yaml
      KIND: {label, icon, area, provenance, aliases, override}
    legend:           # default legend text per provenance (an architecture's legend wins)
      product / existing / platform: TEXT
    docs:
      index_title: TEXT     # heading of output/docs/index.md
      index_intro: TEXT     # paragraph under it
      index_footer: TEXT    # paragraph after the table
      related_link: TEXT    # text of the link back to the index on every page
      products_label: TEXT  # what pages call the products ("Products")
      foundation:           # paragraph under "Assumptions", chosen by an architecture's
        assumed: TEXT       #   assumptions.azure_foundation: true ...
        not_assumed: TEXT   #   ... or false (absent: no paragraph)
    new:              # what `diagramgen new` writes into a new architecture
      products: [TEXT]
      legend: {product / existing / platform: TEXT}
      include: [fragment path, or {file, provenance, standalone}]
      azure_foundation: true | false
    groups:           # sets of architectures compared on a generated overview page
      GROUP:
        title: TEXT
        intro: TEXT
        architectures: [ID, or {id: ID, name: TEXT}]   # default: every architecture
        overview_page: PATH # a hand-written overview page check-docs compares (relative)
        migrations: [{from: ID, to: ID}]               # migration pages to generate

A repository kind may not reuse a built-in kind's id unless it says ``override: true``
(and ``override: true`` on a new id is an error too). A kind's icon is a PNG or SVG file
in the repository, by a path relative to ``diagramgen.yaml``, or ``diagrams:MODULE.Class``
(a node class of the ``diagrams`` library). Problems are reported as
``diagramgen.yaml:line:col: error: ...``.

Entry points: :func:`current` (the settings of the folder diagramgen runs in, cached
until the file changes), :func:`load_settings` (a given folder), :func:`neutral`.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Optional

from diagramgen.diagnostics import ERROR, Diagnostic, DiagramgenError, Pos
from diagramgen.model import loader, stored
from diagramgen.model.catalog import KIND, Catalog, Kind, default_catalog
from diagramgen.model.loader import STR, LoadError, load, pos_of
from diagramgen.model.schema import (
    ID,
    ID_PATTERN,
    INCLUDE,
    LEGEND,
    LONG_TEXT,
    PROVENANCES,
    TEXT,
    Bool,
    Either,
    F,
    Obj,
    PStr,
    Rec,
    Seq,
    Str,
    Type,
    check,
    check_link,
    describe,
    is_valid,
)

SETTINGS_FILE = "diagramgen.yaml"

# Neutral wording, used where a repository's settings say nothing.
NEUTRAL_LEGEND = {
    "product": "Product of this scenario",
    "existing": "Existing system, kept",
    "platform": "Shared platform",
}
NEUTRAL_INDEX_TITLE = "Reference architectures"
NEUTRAL_INDEX_INTRO = ("Choose the scenario closest to yours. Each page shows the diagram, its numbered "
                       "Dataflow steps and the components, all generated from one architecture file.")
NEUTRAL_RELATED_LINK = "All reference architectures"
NEUTRAL_NEW_PRODUCTS = ("The product of this scenario",)


class IdMap(Type):
    """A mapping of ids to entries of one type (the ``kinds:`` and ``groups:`` of settings):
    each key is checked as an id, each value as an ``entry``."""

    def __init__(self, entry: Type, noun: str):
        self.entry = entry
        self.noun = noun

    @property
    def expected(self):
        return f"a mapping of {self.noun} ids to {self.noun}s"

    def check(self, node, ctx, what):
        if not isinstance(node, loader.MappingNode):
            return self.mismatch(node, ctx, what)
        out = Rec()
        out.pos = pos_of(ctx.path, node)
        out.key_pos = {}
        for knode, vnode in node.value:
            kpos = pos_of(ctx.path, knode)
            if not isinstance(knode, loader.ScalarNode) or knode.tag != STR:
                ctx.error(kpos, f"{self.noun} ids must be strings, got {describe(knode)}", "DG213")
                continue
            key = ID.check(knode, ctx, f"a {self.noun} id")
            if not is_valid(key):
                continue
            out.key_pos[str(key)] = kpos
            out[key] = self.entry.check(vnode, ctx, f"{self.noun} '{key}'")
        return out

    def json(self):
        return {"type": "object", "propertyNames": {"pattern": ID_PATTERN}, "additionalProperties": self.entry.json()}


REPO_KIND = Obj("kind", {**KIND.fields, "override": F(Bool(), False, "Replace the built-in kind of the same id.")})
FOUNDATION = Obj("foundation", {
    "assumed": F(LONG_TEXT, False, "Shown under Assumptions when an architecture sets azure_foundation: true."),
    "not_assumed": F(LONG_TEXT, False, "Shown under Assumptions when an architecture sets azure_foundation: false."),
})
DOCS = Obj("docs", {
    "index_title": F(TEXT, False, "Heading of the generated index page."),
    "index_intro": F(LONG_TEXT, False, "Paragraph under the index heading."),
    "index_footer": F(LONG_TEXT, False, "Paragraph after the index table."),
    "related_link": F(TEXT, False, "Text of the link from every page back to the index."),
    "products_label": F(TEXT, False, "What pages and the index call an architecture's products."),
    "foundation": F(FOUNDATION, False, "The foundation paragraph of the Assumptions section."),
})
NEW = Obj("new", {
    "products": F(Seq(TEXT, min_items=1), False, "Products of a new architecture."),
    "legend": F(LEGEND, False, "Legend of a new architecture."),
    "include": F(Seq(INCLUDE), False, "Fragments a new architecture includes."),
    "azure_foundation": F(Bool(), False, "assumptions.azure_foundation of a new architecture."),
})
GROUP_MEMBER = Either(ID, Obj("group architecture", {
    "id": F(ID, True, "The architecture's id."),
    "name": F(TEXT, False, "Its short name in the overview's column headings (default: its title)."),
}))
MIGRATION = Obj("migration", {
    "from": F(ID, True, "The architecture a reader moves from."),
    "to": F(ID, True, "The architecture a reader moves to."),
})
GROUP = Obj("group", {
    "title": F(TEXT, True, "Heading of the group's overview page."),
    "intro": F(LONG_TEXT, False, "Paragraph under the heading."),
    "architectures": F(Seq(GROUP_MEMBER, min_items=1), False,
                       "The architectures compared, in column order (default: every architecture)."),
    "overview_page": F(Str(max_len=300), False,
                       "A hand-written overview page (relative to diagramgen.yaml) whose table check-docs "
                       "compares with the group."),
    "migrations": F(Seq(MIGRATION), False, "Pairs of architectures to write a migration page for."),
})


SETTINGS = Obj("settings", {
    "kinds": F(IdMap(REPO_KIND, "kind"), False, "The repository's own component kinds."),
    "legend": F(LEGEND, False, "Default legend texts per provenance."),
    "docs": F(DOCS, False, "Wording of the generated docs pages."),
    "new": F(NEW, False, "Defaults of `diagramgen new`."),
    "groups": F(IdMap(GROUP, "group"), False, "Sets of architectures compared on a generated overview page."),
})


@dataclass(frozen=True)
class Group:
    """One entry of ``groups:``; ids keep their positions (PStr) for messages."""

    id: str
    title: str
    pos: Pos
    intro: str = ""
    members: tuple = ()        # ((id PStr, name or ""), ...); () means every architecture
    overview_page: str = ""    # as written (relative to diagramgen.yaml)
    overview_pos: Optional[Pos] = None
    migrations: tuple = ()     # ((from PStr, to PStr, Pos of the entry), ...)


@dataclass(frozen=True)
class Settings:
    """A repository's settings, checked; every field has its neutral default."""

    root: str                      # real path of the repository root
    path: Optional[str] = None     # diagramgen.yaml as shown in messages; None: no file
    real: Optional[str] = None     # its real path
    digest: str = ""               # SHA-256 of the file ("" without one)
    catalog: Catalog = field(default_factory=default_catalog)   # built-in kinds plus the repository's
    repo_kinds: tuple = ()         # ids of the repository's kinds
    legend: tuple = ()             # ((provenance, text), ...) defaults of every architecture
    index_title: str = NEUTRAL_INDEX_TITLE
    index_intro: str = NEUTRAL_INDEX_INTRO
    index_footer: str = ""
    related_link: str = NEUTRAL_RELATED_LINK
    products_label: str = "Products"
    foundation_assumed: str = ""
    foundation_not_assumed: str = ""
    new_products: tuple = NEUTRAL_NEW_PRODUCTS
    new_legend: tuple = ()         # ((provenance, text), ...)
    new_include: Optional[tuple] = None   # None: the shared fragments, where the folder has them
    new_azure_foundation: Optional[bool] = None
    groups: tuple = ()             # Group, in file order

    def legend_text(self, provenance: str) -> str:
        return dict(self.legend).get(provenance, NEUTRAL_LEGEND.get(provenance, provenance))

    def render_digest(self, arch) -> str:
        """What of the settings shapes ``arch``'s diagrams (its repository kinds and the
        legend defaults), as one hash: an input of its render in the manifest."""
        used = sorted({c.kind for c in arch.components} & set(self.repo_kinds))

        def icon(spec: str) -> str:  # a file by its path in the repository, not on this machine
            if not os.path.isabs(spec):
                return spec
            rel = os.path.relpath(spec, self.root)
            return spec if rel.startswith("..") else rel.replace(os.sep, "/")

        data = {"legend": list(self.legend),
                "kinds": {k: [self.catalog[k].label, icon(self.catalog[k].icon), self.catalog[k].area,
                              self.catalog[k].provenance, list(self.catalog[k].aliases)] for k in used}}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


# the classes settings are made of, by name: what their entry in the disk cache may hold
_KEPT = {cls.__name__: cls for cls in (Settings, Group, Catalog, Kind, Pos, PStr, dict)}


def neutral(root: str = ".", builtin: Optional[Catalog] = None) -> Settings:
    """The settings of a repository without diagramgen.yaml."""
    return Settings(root=os.path.realpath(root), catalog=builtin or default_catalog())


def settings_path(root: str = ".") -> str:
    return os.path.join(root, SETTINGS_FILE) if os.fspath(root) not in ("", ".") else SETTINGS_FILE


def load_settings(root: str = ".", builtin: Optional[Catalog] = None, shown: Optional[str] = None) -> Settings:
    """The settings of the repository at ``root``; raise DiagramgenError listing every
    problem of its diagramgen.yaml (with positions).

    With the built-in catalog (``builtin`` None), settings that loaded without any
    diagnostic are kept in the disk cache and taken from there while the file and the
    icon files of its kinds do not change (model/stored.py): no YAML is parsed then."""
    path = settings_path(root)
    if not os.path.lexists(path):
        return neutral(root, builtin)
    shown = shown or path
    key = stored.settings_key(root, path, shown) if builtin is None else None
    kept = stored.stored_settings(key, _KEPT)
    if isinstance(kept, Settings):
        return kept
    try:
        doc = load(path, shown)
    except LoadError as exc:
        raise DiagramgenError([exc.diagnostic]) from None
    rec, diags = check(doc.root, shown, SETTINGS)
    if not isinstance(rec, Rec):
        raise DiagramgenError(diags)
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    builtin = builtin or default_catalog()
    kinds, repo, icons = dict(builtin.kinds), [], []
    for name, entry in _rec(rec, "kinds").items():
        if not is_valid(entry):
            continue
        kind = _repo_kind(name, entry, builtin, os.path.dirname(real), real_root, diags)
        if kind is not None:
            kinds[str(name)] = kind
            repo.append(str(name))
            if not kind.icon.startswith("diagrams:"):
                icons.append((str(entry["icon"]), kind.icon))
    for group in _rec(rec, "groups").values():
        if isinstance(group, dict):
            diags += check_link(group.get("overview_page"), "overview_page")
    if any(d.severity == ERROR for d in diags):
        raise DiagramgenError(sorted(diags, key=lambda d: (d.pos.line, d.pos.col, d.message)))
    docs = _rec(rec, "docs")
    foundation = _rec(docs, "foundation")
    new = _rec(rec, "new")
    with open(path, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    settings = Settings(
        root=real_root, path=shown, real=real, digest=digest,
        catalog=Catalog(kinds, builtin.path), repo_kinds=tuple(repo),
        legend=_legend(_rec(rec, "legend")),
        index_title=str(docs.get("index_title", NEUTRAL_INDEX_TITLE)),
        index_intro=str(docs.get("index_intro", NEUTRAL_INDEX_INTRO)),
        index_footer=str(docs.get("index_footer", "")),
        related_link=str(docs.get("related_link", NEUTRAL_RELATED_LINK)),
        products_label=str(docs.get("products_label", "Products")),
        foundation_assumed=str(foundation.get("assumed", "")),
        foundation_not_assumed=str(foundation.get("not_assumed", "")),
        new_products=tuple(str(p) for p in new["products"]) if "products" in new else NEUTRAL_NEW_PRODUCTS,
        new_legend=_legend(_rec(new, "legend")),
        new_include=tuple(_plain(i) for i in new["include"]) if "include" in new else None,
        new_azure_foundation=bool(new["azure_foundation"]) if "azure_foundation" in new else None,
        groups=_groups(_rec(rec, "groups")),
    )
    stored.keep_settings(key, settings, diags, icons, _KEPT)
    return settings


def _groups(rec: dict) -> tuple:
    out = []
    for gid, g in rec.items():
        if not isinstance(g, Rec):
            continue
        members = []
        for m in g.get("architectures", ()):
            if isinstance(m, dict):
                members.append((m["id"], str(m.get("name", ""))))
            else:
                members.append((m, ""))
        page = g.get("overview_page")
        out.append(Group(str(gid), str(g["title"]), g.pos, str(g.get("intro", "")), tuple(members),
                         str(page) if page is not None else "", page.pos if isinstance(page, PStr) else None,
                         tuple((m["from"], m["to"], m.pos) for m in g.get("migrations", ()))))
    return tuple(out)


def _rec(rec, key: str) -> dict:
    value = rec.get(key)
    return value if isinstance(value, dict) else {}


def _legend(rec: dict) -> tuple:
    return tuple((p, str(rec[p])) for p in PROVENANCES if p in rec)


def _plain(value):
    """A checked include entry as plain data (str or dict)."""
    if isinstance(value, dict):
        return {str(k): (bool(v) if isinstance(v, bool) else str(v)) for k, v in value.items()}
    return str(value)


def _repo_kind(name: PStr, entry: Rec, builtin: Catalog, base_dir: str, root: str, diags: list) -> Optional[Kind]:
    from diagramgen.model.iconfiles import IconError, IconFileError, check_icon_file, icon_path

    override = bool(entry.get("override", False))
    if name in builtin and not override:
        diags.append(Diagnostic(name.pos, ERROR, f"kind '{name}' is already a built-in kind "
                                f"({builtin[name].label}); choose another id, or set 'override: true' "
                                "to replace the built-in one", "DG501"))
        return None
    if override and name not in builtin:
        diags.append(Diagnostic(entry.at("override"), ERROR, f"kind '{name}' says 'override: true' but there "
                                "is no built-in kind of that id to replace; remove 'override'", "DG502"))
        return None
    icon = entry["icon"]
    spec = str(icon)
    if spec.startswith("diagrams:"):
        try:
            icon_path(spec)
        except IconError as exc:
            diags.append(Diagnostic(icon.pos, ERROR, str(exc), "DG503"))
            return None
    else:
        try:
            spec = check_icon_file(spec, base_dir, root, "the repository")
        except IconFileError as exc:
            diags.append(Diagnostic(icon.pos, ERROR, exc.message, exc.code))
            return None
    return Kind(str(name), str(entry["label"]), spec, str(entry["area"]), str(entry.get("provenance", "product")),
                tuple(str(a) for a in entry.get("aliases", ())), "repository")


_CACHE: dict = {}


def forget() -> None:
    """Load the settings again on the next current(): an icon of a repository kind may
    have changed, which the key of current() (diagramgen.yaml's own stat) does not see."""
    _CACHE.clear()


def current() -> Settings:
    """The settings of the folder diagramgen runs in, loaded again when diagramgen.yaml
    (or the folder) changes; raises DiagramgenError when the file is bad."""
    root = os.path.realpath(".")
    try:
        st = os.stat(SETTINGS_FILE)
        key: tuple = (root, st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        key = (root, None, None, None)
    hit = _CACHE.get("settings")
    if hit is not None and hit[0] == key:
        if isinstance(hit[1], DiagramgenError):
            raise hit[1]
        return hit[1]
    try:
        value = load_settings(".")
    except DiagramgenError as exc:
        _CACHE["settings"] = (key, exc)
        raise
    _CACHE["settings"] = (key, value)
    return value


def current_diagnostics() -> list:
    """The problems of the current folder's diagramgen.yaml ([] when it is fine or absent)."""
    try:
        current()
    except DiagramgenError as exc:
        return list(exc.diagnostics)
    return []


def unknown_kind_message(name: str, catalog: Catalog, limit: int = 3) -> str:
    """``unknown component kind 'x' (closest: ...); ...`` naming the kinds whose id, label
    or alias is closest to ``name``, and where the full list is."""
    from difflib import SequenceMatcher

    def norm(s: str) -> str:
        return "_".join(s.lower().replace("-", " ").split())

    want = norm(name)
    scores = []
    for kid, kind in catalog.kinds.items():
        names = [kid, norm(kind.label)] + [norm(a) for a in kind.aliases]
        best = max(SequenceMatcher(None, want, n).ratio() for n in names)
        scores.append((best, kid))
    scores.sort(key=lambda x: (-x[0], x[1]))
    top = scores[0][0] if scores else 0
    close = [(s, k) for s, k in scores if s >= max(0.6, top - 0.15)][:limit]
    hint = ""
    if close:
        names = [f"'{k}' ({catalog[k].label})" for _, k in close]
        hint = " (did you mean " + (", ".join(names[:-1]) + " or " if len(names) > 1 else "") + names[-1] + "?)"
    return f"unknown component kind '{name}'{hint}; `diagramgen kinds` lists every kind"


__all__ = ["SETTINGS_FILE", "Settings", "current", "current_diagnostics", "load_settings", "neutral",
           "unknown_kind_message"]
