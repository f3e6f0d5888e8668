"""Checked models kept in the disk cache, so that the files that did not change are not
parsed and checked again in every command.

`make` after an edit of one architecture loads every architecture (the render cache's
test, the index page, the group pages), and reading and checking each takes a few
milliseconds of CPU. A model that loaded without any diagnostic is kept as JSON in the
icon disk cache (cache.cache_dir, ``models/``), one entry per file: under a hash of
where it is (as given, its real path and the working folder), diagramgen.yaml,
the package's code that reads and checks architectures (model/ with catalog.yaml, and
the shared modules) and the versions of PyYAML and the diagrams library; the entry holds
the model of the file as it was last loaded, with a hash of its bytes and of those of
every fragment it includes. It is used only when they all still hold those bytes (the
file did not change since), when no link is on the
way to any of them (a link could lead an include elsewhere with the same text), and
when every component's icon is still its kind's in the catalog (a component with an
icon of its own is never kept). Anything else, and any file with a warning or an error,
is read and checked as without the cache, which gives the same model.

The checked settings of diagramgen.yaml (model/settings.py: its catalog of built-in and
repository kinds, groups, wording) are kept the same way, in ``settings/``: one entry per
place (the folder, the file as given and shown, their real paths, the working folder),
code and versions of the libraries that check icons (Pillow, lxml, and CairoSVG,
which must draw an SVG icon), used only while the file and every
icon file its kinds name hold the bytes they held; settings with any diagnostic, or with a
link on the way to the file or to an icon, are not kept. Positioned strings (PStr) keep
their positions.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Optional

from diagramgen.cache import cache_dir, installed_version
from diagramgen.diagnostics import Pos
from diagramgen.files import store
from diagramgen.model import loader
from diagramgen.model.architecture import Architecture, Area, Component, DocsCheck, Flow, Step

FOLDER = "models"  # in the cache folder
SETTINGS_FOLDER = "settings"
VERSION = 1  # of the key and the entries
_TYPES = {cls.__name__: cls for cls in (Architecture, Area, Component, DocsCheck, Flow, Step, Pos)}
_PACKAGE = Path(__file__).resolve().parent.parent


def entry_key(path, settings) -> Optional[tuple]:
    """(the name an architecture file's entry is kept under, the hash of the file's
    bytes), or None when there is no cache or the file cannot be read (it is then loaded,
    and its problem reported, as ever). One entry per file (where it is, the settings
    and the code): it holds the model of the file as it was last loaded."""
    if cache_dir() is None:
        return None
    return _named(path, [VERSION, os.fspath(path), os.path.realpath(path), os.getcwd(), settings.root,
                         settings.path, settings.real, settings.digest, _code()])


def _named(path, parts: list) -> Optional[tuple]:
    """(the SHA-256 of ``parts`` as JSON: an entry's name, the SHA-256 of the file at
    ``path``), or None when the file cannot be read."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest(), hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=1)
def _code() -> str:
    """One hash of the code that reads and checks architectures and of the libraries'
    versions: the package's model/ modules, catalog.yaml and its top-level modules."""
    h = hashlib.sha256(f"{sys.version}\0{_version('yaml', 'PyYAML')}\0{_version('diagrams')}".encode())
    files = sorted([*_PACKAGE.glob("*.py"), *(_PACKAGE / "model").glob("*.py"), _PACKAGE / "model" / "catalog.yaml"])
    for f in files:
        h.update(b"\0" + f.relative_to(_PACKAGE).as_posix().encode("utf-8") + b"\0" + f.read_bytes())
    return h.hexdigest()


def _version(package: str, dist: Optional[str] = None) -> str:
    try:
        return installed_version(package, dist)
    except Exception:  # pragma: no cover - a dependency
        return ""



def _kept_entry(folder: str, key: Optional[tuple]) -> Optional[dict]:
    """The entry ``key`` names in the cache's ``folder`` when it was made from the file's
    bytes ``key`` holds; else None (no cache, none yet, or one this code did not write)."""
    where = cache_dir()
    if key is None or where is None:
        return None
    try:
        with open(where / folder / f"{key[0]}.json", "rb") as fh:
            entry = json.loads(fh.read())
        return entry if isinstance(entry, dict) and entry.get("file") == key[1] else None
    except (OSError, ValueError, RecursionError):
        return None

def stored(key: Optional[tuple], settings) -> Optional[Architecture]:
    """The model kept under ``key`` (entry_key), if it was made from the file as it is
    now, and its fragments, their paths and the catalog's icons are still those it was
    made from; else None."""
    entry = _kept_entry(FOLDER, key)
    if entry is None:
        return None
    try:
        sources = entry["sources"]
        model = _decode(entry["model"], _TYPES)
        if not isinstance(model, Architecture) or not isinstance(sources, list):
            return None
        if [s[0] for s in sources] != list(model.sources):
            return None
        for shown, digest in sources:
            if not (isinstance(shown, str) and isinstance(digest, str)) or not _unlinked(shown):
                return None
            with open(shown, "rb") as fh:
                if hashlib.sha256(fh.read()).hexdigest() != digest:
                    return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None  # none yet, one this code did not write, or a file that changed
    if not _icons_of_kinds(model, settings):
        return None
    for shown, digest in sources:  # what the model stands for, as a fresh load records it
        loader.note_read(shown, os.path.realpath(shown), digest)
    loader.note_model(model)
    return model


def keep(key: Optional[tuple], model, diagnostics: list, settings) -> None:
    """Keep ``model`` under ``key`` when it loaded without diagnostics, no link is on the
    way to its files and its components have their kinds' icons. A cache that cannot be
    written is no error."""
    where = cache_dir()
    if key is None or where is None or model is None or diagnostics:
        return
    if not _icons_of_kinds(model, settings) or not all(_unlinked(s) for s in model.sources):
        return
    sources = []
    made_from = loader.made_from(model)
    if made_from is None:
        return
    for shown, read in zip(model.sources, made_from):
        # the bytes the load parsed (not read again: a file saved since would be paired
        # with a model made from its old bytes), of the file its shown path names (an
        # include through a linked folder and '..' can read another)
        if read[0] != os.path.realpath(shown):
            return
        sources.append([shown, read[1]])
    try:
        text = json.dumps({"file": key[1], "sources": sources, "model": _encode(model, _TYPES)})
    except TypeError:
        return
    store(where / FOLDER / f"{key[0]}.json", text.encode("utf-8"))


def _unlinked(path: str) -> bool:
    """No symbolic link on the way to ``path``: the file an include names is the one read."""
    full = os.path.abspath(path)
    return os.path.realpath(full) == full


def _icons_of_kinds(model, settings) -> bool:
    try:
        return all(c.icon == settings.catalog[c.kind].icon for c in model.components)
    except (KeyError, AttributeError):
        return False


def settings_key(root, path: str, shown: str) -> Optional[tuple]:
    """(the name the settings of ``path`` (diagramgen.yaml of the folder ``root``, shown
    as ``shown``) are kept under, the hash of its bytes), or None when there is no cache,
    the file cannot be read or a link is on the way to it (it is then loaded, and its
    problem reported, as ever)."""
    if cache_dir() is None or not _unlinked(path):
        return None
    return _named(path, [VERSION, "settings", os.fspath(root), os.fspath(path), shown,
                         os.path.realpath(root), os.path.realpath(path), os.getcwd(), str(_PACKAGE),
                         _code(), _version("PIL", "Pillow"), _version("lxml"), _version("cairosvg", "CairoSVG")])


def stored_settings(key: Optional[tuple], types: dict):
    """The settings kept under ``key`` (settings_key), if they were made from the file as
    it is now and every icon file of its repository kinds is still the file, with the
    bytes, it was checked as; else None. ``types``: the classes the entry may hold, by
    name (settings.Settings and those of its fields)."""
    entry = _kept_entry(SETTINGS_FOLDER, key)
    if entry is None:
        return None
    try:
        settings = _decode(entry["settings"], types)
        if type(settings) is not types["Settings"] or settings.digest != entry["file"] or not isinstance(settings.real, str):
            return None
        base = os.path.dirname(settings.real)
        for name, real, digest in entry["icons"]:
            if not all(isinstance(v, str) for v in (name, real, digest)) or _icon_file(base, name) != real:
                return None
            with open(real, "rb") as fh:
                if hashlib.sha256(fh.read()).hexdigest() != digest:
                    return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None  # none yet, one this code did not write, or a file that changed
    return settings


def keep_settings(key: Optional[tuple], settings, diagnostics: list, icons: list, types: dict) -> None:
    """Keep ``settings`` under ``key`` when they loaded without diagnostics and no link is
    on the way to ``icons``, the (icon as written, real path) of each repository kind
    whose icon is a file, and each icon file still holds the bytes its check passed (an
    icon saved during the load is checked again next time). Settings with a value that
    cannot be written as JSON are not kept; nor is a cache that cannot be written an
    error."""
    where = cache_dir()
    if key is None or where is None or diagnostics or settings.digest != key[1] or settings.real is None:
        return
    from diagramgen.model.iconfiles import checked_digest

    base = os.path.dirname(settings.real)
    try:
        kept = []
        for name, real in icons:
            if _icon_file(base, name) != real or os.path.abspath(os.path.join(base, name)) != real:
                return
            with open(real, "rb") as fh:
                digest = hashlib.sha256(fh.read()).hexdigest()
            if digest != checked_digest(real):  # saved since it was checked: not the file checked
                return
            kept.append([name, real, digest])
        text = json.dumps({"file": key[1], "icons": kept, "settings": _encode(settings, types)})
    except (OSError, TypeError):
        return
    store(where / SETTINGS_FOLDER / f"{key[0]}.json", text.encode("utf-8"))


def _icon_file(base: str, name: str) -> str:
    """The file an icon written as ``name`` in a settings file in the folder ``base`` is
    (iconfiles.check_icon_file resolves it so)."""
    return os.path.realpath(os.path.join(base, name))


def _encode(value, types: dict):
    """The model as JSON data: each dataclass as ``{"@": its name, field: value, ...}``,
    tuples as arrays, and where ``types`` has them, dicts as ``{"@": "dict", "items":
    [[key, value], ...]}`` and positioned strings as ``{"@": "PStr", "text": ..., "pos":
    ...}``; TypeError for anything else (such a model is not kept)."""
    if type(value) in (str, int, bool, float) or value is None:
        return value
    if type(value) is tuple:
        return [_encode(v, types) for v in value]
    name = type(value).__name__
    if types.get(name) is not type(value):
        raise TypeError(f"cannot keep a {name}")
    if name == "dict":
        return {"@": name, "items": [[_encode(k, types), _encode(v, types)] for k, v in value.items()]}
    if name == "PStr":
        if set(vars(value)) != {"pos"}:
            raise TypeError("cannot keep a PStr with more than its position")
        return {"@": name, "text": str.__str__(value), "pos": _encode(value.pos, types)}
    if not dataclasses.is_dataclass(value):
        raise TypeError(f"cannot keep a {name}")
    out = {"@": name}
    for f in dataclasses.fields(value):
        out[f.name] = _encode(getattr(value, f.name), types)
    return out


def _decode(value, types: dict):
    """The value ``_encode`` made of a model (as json.loads read it): arrays as tuples,
    each ``{"@": name, ...}`` as the object of that class of ``types``. A dataclass whose
    fields are all there, in order (as ``_encode`` writes them), is made as its
    ``__init__`` would make it (``_plain_fields``) without calling it: the hundreds of
    positions, flows and components of a model are most of the time a kept model takes.
    Anything else is made by calling the class, so an entry of another shape fails (and
    is not used) as it did."""
    t = type(value)
    if t is list:
        return tuple([_decode(v, types) if type(v) in _NESTED else v for v in value])
    if t is not dict:
        return value
    cls = types[value.pop("@")]
    if cls is dict:
        return {_decode(k, types): _decode(v, types) for k, v in value["items"]}
    if cls.__name__ == "PStr":
        return cls(value["text"], _decode(value["pos"], types))
    for k, v in value.items():
        if type(v) in _NESTED:
            value[k] = _decode(v, types)
    names = _PLAIN.get(cls)
    if names is None:
        names = _PLAIN[cls] = _plain_fields(cls)
    if names and tuple(value) == names:
        made = _new(cls)
        made.__dict__.update(value)
        return made
    return cls(**value)


_NESTED = (list, dict)
_PLAIN: dict = {}  # class -> _plain_fields(class)
_new = object.__new__


def _plain_fields(cls) -> tuple:
    """The names of the fields of ``cls``, in order, when its ``__init__`` does nothing
    but store each argument as the attribute of that name (a dataclass whose fields are
    all arguments of ``__init__``, without ``__post_init__``, slots or a ``__new__`` of
    its own); else ``()``."""
    if not (dataclasses.is_dataclass(cls) and isinstance(cls, type)) or hasattr(cls, "__post_init__") \
            or hasattr(cls, "__slots__") or cls.__new__ is not object.__new__:
        return ()
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields) or len(fields) != len(getattr(cls, "__dataclass_fields__", ())):
        return ()
    return tuple(f.name for f in fields)
