"""The component catalog: kind -> label, icon, default area and provenance."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from diagramgen.diagnostics import DiagramgenError
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
    name: str
    label: str
    icon: str
    area: str
    provenance: str
    aliases: tuple
    source: str = "built-in"  # or "repository" (diagramgen.yaml)


@dataclass(frozen=True)
class Catalog:
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
    return load_catalog()
