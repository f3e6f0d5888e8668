"""The built-in component catalog: every kind draws an icon of its own, and every alias
names one kind only."""
import hashlib
from collections import defaultdict

import pytest

from diagramgen.docs.checkdocs import words
from diagramgen.model.catalog import ICON_DIR, default_catalog, load_catalog
from diagramgen.model.iconfiles import icon_path

from conftest import ROOT

PNG = b"\x89PNG\r\n\x1a\n"

# Kinds that draw the same icon on purpose. Any other two kinds with the same icon file
# (compared by content, so two library classes with one picture count as the same) fail
# the test: a reader could not tell them apart on a diagram.
SHARED_ICONS = {
    # one routing concept; the provenance colour says whose (Dynamics 365 or the CCaaS's)
    frozenset({"unified_routing", "ccaas_routing"}),
    # Microsoft Teams, once as the customers' channel and once as the agents' collaboration
    frozenset({"teams_channel", "teams"}),
}

# Kinds that may share a name (an alias of one is the label or an alias of the other):
# the same product in two roles, where a docs page naming it means either.
SHARED_NAMES = {
    frozenset({"teams_channel", "teams"}),
}


def icon_groups(catalog):
    """Groups (frozensets) of two or more kinds whose icon files have the same content."""
    by_content = defaultdict(set)
    for kind in catalog.kinds.values():
        by_content[hashlib.sha256(icon_path(kind.icon).read_bytes()).hexdigest()].add(kind.name)
    return {frozenset(k) for k in by_content.values() if len(k) > 1}


def name_clashes(catalog):
    """``{(name, frozenset of kinds)}`` for each alias that also names another kind (as its
    label or one of its aliases). Names compare as the docs check reads them: case, spacing
    and punctuation aside."""
    owners = defaultdict(set)
    for kind in catalog.kinds.values():
        for name in (kind.label,) + kind.aliases:
            owners[words(name)].add(kind.name)
    out = set()
    for kind in catalog.kinds.values():
        for alias in kind.aliases:
            if len(owners[words(alias)]) > 1:
                out.add((" ".join(words(alias)), frozenset(owners[words(alias)])))
    return out


def test_every_built_in_kind_resolves_to_an_existing_png():
    for kind in default_catalog().kinds.values():
        path = icon_path(kind.icon)
        assert path.is_file(), kind.name
        assert path.read_bytes()[:8] == PNG, kind.name


def test_no_two_built_in_kinds_share_an_icon_unless_declared():
    assert icon_groups(default_catalog()) == SHARED_ICONS


def test_no_alias_names_two_built_in_kinds_unless_declared():
    clashes = {kinds for _, kinds in name_clashes(default_catalog())}
    assert clashes == SHARED_NAMES


@pytest.mark.parametrize("kind, icon", [
    ("logic_apps", "diagrams:azure.integration.LogicApps"),
    ("service_bus_queue", "diagrams:azure.integration.ServiceBus"),
    ("api_management", "diagrams:azure.integration.APIManagement"),
    ("data_factory", "diagrams:azure.integration.DataFactories"),
    ("event_grid", "diagrams:azure.integration.EventGridTopics"),
    ("ai_search", "diagrams:azure.aimachinelearning.CognitiveSearch"),
    ("functions", "diagrams:azure.compute.FunctionApps"),
])
def test_azure_services_use_the_libraries_icons(kind, icon):
    assert default_catalog()[kind].icon == icon


def test_own_icons_are_drawn_by_the_icon_tool():
    """Every "icons/..." spec names a file in diagramgen/icons (made by tools/make_icons.py)."""
    own = {k.icon for k in default_catalog().kinds.values() if k.icon.startswith("icons/")}
    assert own and all((ICON_DIR / spec[len("icons/"):]).is_file() for spec in own)


# --- the checks themselves, on small catalogs

def catalog(tmp_path, body):
    path = tmp_path / "catalog.yaml"
    path.write_text("kinds:\n" + body, encoding="utf-8")
    return load_catalog(path)


def test_a_shared_icon_is_found_even_under_two_library_names(tmp_path):
    # azure.web.CognitiveSearch and azure.aimachinelearning.CognitiveSearch are one picture
    c = catalog(tmp_path, (
        "  a: {label: A, icon: 'diagrams:azure.web.CognitiveSearch', area: x}\n"
        "  b: {label: B, icon: 'diagrams:azure.aimachinelearning.CognitiveSearch', area: x}\n"
        "  c: {label: C, icon: icons/sap.png, area: x}\n"))
    assert icon_groups(c) == {frozenset({"a", "b"})}


def test_an_alias_shared_by_two_kinds_is_found(tmp_path):
    c = catalog(tmp_path, (
        "  queue: {label: Queue, icon: icons/sap.png, area: x, aliases: [Service Bus]}\n"
        "  topic: {label: Topic, icon: icons/sap.png, area: x, aliases: ['service  bus']}\n"
        "  other: {label: Other, icon: icons/sap.png, area: x, aliases: [Bus]}\n"))
    assert name_clashes(c) == {("service bus", frozenset({"queue", "topic"}))}


def test_an_alias_equal_to_another_kinds_label_is_found(tmp_path):
    c = catalog(tmp_path, (
        "  a: {label: Logic Apps, icon: icons/sap.png, area: x}\n"
        "  b: {label: Workflows, icon: icons/sap.png, area: x, aliases: [logic-apps]}\n"))
    assert name_clashes(c) == {("logic apps", frozenset({"a", "b"}))}


def test_readme_lists_every_built_in_kind():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [k for k in sorted(default_catalog().kinds) if f"`{k}`" not in readme] == []


def test_library_icons_are_read_from_the_library_source_as_the_library_resolves_them(monkeypatch):
    """iconfiles resolves "diagrams:mod.Class" without importing the library (only the
    draw stage imports it): for every icon class of every module of the library, the
    file is the one the imported class names; an unknown name is an error."""
    import importlib
    import pkgutil

    import diagrams

    from diagramgen.model import iconfiles

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")  # from the source, not from what the disk cache remembers
    iconfiles._library_icon.cache_clear()
    checked = 0
    for info in pkgutil.walk_packages(diagrams.__path__, "diagrams."):
        try:
            module = importlib.import_module(info.name)
        except Exception:  # a module that needs an optional dependency
            continue
        for name, cls in vars(module).items():
            if not (isinstance(cls, type) and issubclass(cls, diagrams.Node)):
                continue
            if not (isinstance(cls._icon, str) and isinstance(cls._icon_dir, str)):
                continue
            spec = f"{info.name[len('diagrams.'):]}.{name}"
            assert iconfiles._library_icon(spec) == iconfiles.library_root() / cls._icon_dir / cls._icon, spec
            checked += 1
    assert checked > 1000
    for bad in ("azure.nothing.Here", "azure.compute.Nothing", "azure.compute", "azure.compute._Compute",
                "../azure.compute.VM", "azure.compute.os"):
        with pytest.raises(iconfiles.IconError, match="the diagrams library has no icon class"):
            iconfiles._library_icon(bad)


def test_library_icon_files_are_remembered_in_the_disk_cache(tmp_path, monkeypatch):
    """A library icon class resolved once is read back from the disk cache, without
    reading the library's source again; an entry naming a file outside the library's
    folder is not used."""
    from diagramgen.model import iconfiles

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path))
    iconfiles._library_icon.cache_clear()
    name = "azure.compute.FunctionApps"
    want = iconfiles._library_icon(name)
    assert want.is_file()
    entry = iconfiles._library_icon_entry(name)
    assert entry.parent == tmp_path / "library-icons"
    assert entry.read_bytes() == b"resources/azure/compute\0" + want.name.encode()
    iconfiles._library_icon.cache_clear()
    monkeypatch.setattr(iconfiles, "_library_module", lambda module: None)  # the source cannot be read
    assert iconfiles._library_icon(name) == want
    for bad in (b"../../..\0etc/passwd", b"/etc\0passwd", b"resources/azure/compute", b"",
                b"resources/azure/compute\0no-such-icon.png"):
        entry.write_bytes(bad)
        iconfiles._library_icon.cache_clear()
        with pytest.raises(iconfiles.IconError, match="the diagrams library has no icon class"):
            iconfiles._library_icon(name)
    iconfiles._library_icon.cache_clear()


def test_the_checked_built_in_catalog_is_kept_in_the_disk_cache(tmp_path, monkeypatch):
    """default_catalog() reads catalog.yaml once: later runs take the checked kinds, in
    their order, from the disk cache; an entry that is not a catalog is not used, and a
    catalog.yaml with other bytes is read again."""
    from diagramgen.model import catalog as C

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path))
    reads = []
    real_load = C.load_catalog
    monkeypatch.setattr(C, "load_catalog", lambda *a: reads.append(1) or real_load(*(a or (C.CATALOG_PATH,))))
    try:
        C.default_catalog.cache_clear()
        first = C.default_catalog()
        assert first == real_load() and reads == [1]
        [entry] = (tmp_path / "catalog").iterdir()
        C.default_catalog.cache_clear()
        again = C.default_catalog()
        assert again == first and list(again.kinds) == list(first.kinds) and reads == [1]
        for bad in (b"[]", b'{"x": [1, 2, 3, 4, []]}', b'{"x": ["a", "b", "c", "d", "e"]}', b"{", b""):
            entry.write_bytes(bad)
            C.default_catalog.cache_clear()
            assert C.default_catalog() == first
        assert len(reads) == 6
        other = tmp_path / "catalog.yaml"
        other.write_text(C.CATALOG_PATH.read_text(encoding="utf-8")
                         + "  extra_kind: {label: Extra, icon: icons/sap.png, area: x}\n", encoding="utf-8")
        monkeypatch.setattr(C, "CATALOG_PATH", other)
        C.default_catalog.cache_clear()
        assert "extra_kind" in C.default_catalog().kinds and len(reads) == 7
    finally:
        C.default_catalog.cache_clear()
