"""The component catalog: kind -> label, icon, default area and provenance."""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from diagramgen.cache import cache_dir, installed_version
from diagramgen.diagnostics import DiagramgenError
from diagramgen.files import store
from diagramgen.model.loader import LoadError, load
from diagramgen.model.schema import ID, PROVENANCE, TEXT, F, Obj, Seq, Str, check, is_valid

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the diagramgen package
CATALOG_PATH = Path(__file__).resolve().parent / "catalog.yaml"
ICON_DIR = PACKAGE_DIR / "icons"

KIND = Obj("kind", {
    "label": F(TEXT, True),
    "icon": F(Str(max_len=200), True),
    "area": F(ID, True),
    "provenance": F(PROVENANCE),
    "aliases": F(Seq(TEXT)),
})


@dataclass(frozen=True)
class Kind:
    """A component kind: its label, icon, default area, provenance and other names."""

    name: str
    label: str
    icon: str
    area: str
    provenance: str
    aliases: tuple
    source: str = "built-in"  # or "repository" (diagramgen.yaml)


@dataclass(frozen=True)
class Catalog:
    """The component kinds by name, and the file they were read from."""

    kinds: dict
    path: str

    def __contains__(self, name: str) -> bool:
        return name in self.kinds

    def __getitem__(self, name: str) -> Kind:
        return self.kinds[name]


def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """Load and check a catalog file; raise DiagramgenError with positions if it is bad."""
    shown = str(path)
    try:
        doc = load(path, shown)
    except LoadError as exc:
        raise DiagramgenError([exc.diagnostic]) from None
    from yaml.nodes import MappingNode

    root = doc.root
    diags: list = []
    kinds: dict = {}
    kinds_node = next((v for k, v in root.value if k.value == "kinds"), None) \
        if isinstance(root, MappingNode) else None
    if kinds_node is None or not isinstance(kinds_node, MappingNode):
        from diagramgen.diagnostics import ERROR, Diagnostic, Pos
        raise DiagramgenError([Diagnostic(Pos(shown, 1, 1), ERROR, "catalog needs a 'kinds' mapping", "DG507")])
    for knode, vnode in kinds_node.value:
        rec, d = check(vnode, shown, KIND)
        diags += d
        if is_valid(rec):
            kinds[knode.value] = Kind(knode.value, str(rec["label"]), str(rec["icon"]), str(rec["area"]),
                                      str(rec.get("provenance", "product")),
                                      tuple(str(a) for a in rec.get("aliases", ())))
    if diags:
        raise DiagramgenError(diags)
    return Catalog(kinds, shown)


@functools.cache
def default_catalog() -> Catalog:
    """The built-in catalog. Reading and checking catalog.yaml takes about 5 ms of CPU in
    every command, so the checked catalog is kept in the disk cache (cache.cache_dir), as
    JSON keyed by the bytes of catalog.yaml, of the modules that read and check it and
    PyYAML's version: an entry is only ever used for the same file read by the same code.
    A catalog with a problem is never stored; its diagnostics come every time."""
    where = cache_dir()
    try:
        h = hashlib.sha256(installed_version("yaml", "PyYAML").encode() + b"\0" + CATALOG_PATH.read_bytes())
        for module in _CHECKED_BY:
            h.update(b"\0" + module.read_bytes())
    except OSError:
        where = None  # load_catalog says what is wrong with the file
    entry = where / "catalog" / f"{h.hexdigest()}.json" if where is not None else None
    if entry is not None:
        try:
            return _from_json(json.loads(entry.read_bytes()))
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # none yet, or not one this code wrote: read the file
    catalog = load_catalog()
    if entry is not None:
        store(entry, json.dumps({name: [k.label, k.icon, k.area, k.provenance, list(k.aliases)]
                                 for name, k in catalog.kinds.items()}).encode())  # no cache: read again next time
    return catalog


# the modules whose code decides what load_catalog makes of catalog.yaml
_CHECKED_BY = tuple(Path(__file__).resolve().parent / f for f in ("catalog.py", "schema.py", "loader.py"))


def _from_json(data) -> Catalog:
    kinds = {}
    for name, (label, icon, area, provenance, aliases) in data.items():
        if not isinstance(aliases, list) or not all(isinstance(v, str) for v in (name, label, icon, area, provenance,
                                                                                 *aliases)):
            raise TypeError("not a cached catalog")
        kinds[name] = Kind(name, label, icon, area, provenance, tuple(aliases))
    return Catalog(kinds, str(CATALOG_PATH))
