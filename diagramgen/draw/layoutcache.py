"""Graphviz's output kept between runs, for a diagram whose Graphviz input is unchanged.

Graphviz takes most of a render's time, and what it writes is fixed by what it is given:
the DOT source (scene.build: no tooltip text in it, see scene.TOOLTIP_STAND_IN) with the
icons named by the short names dot is given (short_names), the formats and resolution,
the bytes of the icon files the source names, the code that makes the second run's
input from the first run's output (render, bands, routes and its compiled search,
dotjson), and Graphviz itself. An
edit that changes none of these (a step's text, a description, a link) needs no new
layout: render.run_dot takes what Graphviz wrote the last time instead.

The disk cache (cache.cache_dir, folder ``layouts``) holds one entry per *slot*, a name
the caller gives (an architecture's file and the formats): the output of the last layout
made for it, with the key of what it was made from. An entry is taken only when its key
is the one of the run asked for and every part is intact (its SHA-256, and the checks
run_dot makes of what dot writes), so the cache holds one layout per diagram however
often it is edited, and a stale or damaged entry is never taken, only replaced. The
folder is kept under LIMIT bytes (the large diagrams of a benchmark's generated
architectures, each in a folder of its own, would otherwise pile up): the entries least
recently taken or stored go first.

The key names Graphviz by what can change its output while its input stays the same:
the dot and neato executables, the Graphviz libraries and plugin configuration beside
them, the font configuration and the font caches (path, size, modification time and
inode of each), the environment variables Graphviz and fontconfig read, and the PNG row
library preloaded into the run. Installing, upgrading or removing any of them makes new
keys (a process that runs on, ``watch``, looks again for every save: look_again). What
it cannot see (a font file replaced without fontconfig's caches being rebuilt)
``render --force`` covers: it never takes a kept layout, and keeps what it
draws. ``DIAGRAMGEN_CACHE_DIR=`` (no disk cache) keeps nothing.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import sys
import time
from typing import Optional

from diagramgen.cache import SETTLED_NS, cache_dir, source_digest
from diagramgen.files import discard, mark_used, prune_cache, store

FOLDER = "layouts"  # in the cache folder
LIMIT = 256 * 1024 * 1024  # bytes: beyond, the entries least recently used are removed
VERSION = 1  # of the keys and the entries
IMG_SRC = re.compile(r'<IMG SRC="([^"]+)"')  # an icon file in a DOT label
# what Graphviz and the font library read from the environment, besides the files
# (SERVER_NAME: Graphviz then reads no image file unless GV_FILE_PATH allows it)
_ENVIRONMENT = re.compile(r"^(GV[A-Z_]*|GD[A-Z_]*FONT[A-Z_]*|DOTFONTPATH|FONTCONFIG_[A-Z_]+|FC_[A-Z_]+|SERVER_NAME|"
                          r"LD_PRELOAD|LD_LIBRARY_PATH|LANG|LC_ALL|LC_CTYPE|LC_NUMERIC|HOME|"
                          r"XDG_(?:CACHE_HOME|CONFIG_HOME|DATA_HOME|CONFIG_DIRS|DATA_DIRS))$")


def slot_name(*parts) -> str:
    """The name of an entry: the caller's ``parts`` (JSON values) and the folder the
    process runs in, hashed."""
    return hashlib.sha256(json.dumps([VERSION, os.getcwd(), *parts]).encode("utf-8")).hexdigest()


def short_names(source: str) -> dict:
    """``{icon file name as the source has it: its short name}``, in order of first
    mention: ``_icon_0.png``, ... (the extension of the file, in lower case). dot is
    given these names, never the paths (render._short_image_names), so two sources that
    differ only in where their icon files are (an SVG icon's PNG, rasterised into a
    temporary folder of each process) give dot the same input."""
    shorts: dict = {}
    for name in IMG_SRC.findall(source):
        if name not in shorts:
            shorts[name] = f"_icon_{len(shorts)}{os.path.splitext(real_name(name))[1].lower()}"
    return shorts


def real_name(name: str) -> str:
    """The file an icon name of the DOT source means (it is HTML text: ``&amp;`` is ``&``)."""
    if "&" not in name:  # html.unescape returns text without "&" as it is
        return name
    import html

    return html.unescape(name)


def layout_key(source: str, formats, dpi: int, png_library: Optional[str]) -> Optional[str]:
    """The key of the Graphviz runs that draw ``source`` as ``formats`` at ``dpi`` (with
    ``png_library`` preloaded into the run that writes PNG), or None when it cannot be
    told (dot or an icon file the source names cannot be found or read): such a run is
    made, and kept, never. The icons are named as dot sees them (short_names), with the
    SHA-256 of their bytes."""
    return layout_key_seen(source, formats, dpi, png_library)[0]


def layout_key_seen(source: str, formats, dpi: int, png_library: Optional[str]) -> tuple:
    """(layout_key, what was seen of the icon files as they were hashed, for
    ``key_holds``)."""
    identity = graphviz_identity()
    if identity is None:
        return None, None
    shorts = short_names(source)
    icons = []
    seen = []
    taken = time.time_ns()
    for name, short in shorts.items():
        try:
            with open(real_name(name), "rb") as fh:
                st = os.fstat(fh.fileno())
                icons.append([short, hashlib.sha256(fh.read()).hexdigest()])
        except OSError:
            return None, None
        seen.append((real_name(name), _identity_of(st)))
    given = IMG_SRC.sub(lambda m: f'<IMG SRC="{shorts[m.group(1)]}"', source)
    parts = {
        "version": VERSION,
        "source": hashlib.sha256(given.encode("utf-8")).hexdigest(),
        "formats": list(formats), "dpi": dpi, "icons": icons,
        "code": [source_digest(f).decode() for f in _code_files()],
        # routes.py searches the routes with its compiled search unless turned off
        "pure python": bool(os.environ.get("DIAGRAMGEN_PURE_PYTHON")),
        "graphviz": identity,
        "png library": [png_library, _stat(png_library)] if png_library else None,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest(), (taken, seen)


def key_holds(key: str, seen, source: str, formats, dpi: int, png_library: Optional[str]) -> bool:
    """Whether ``key`` (layout_key_seen, with what it ``seen``) still names the icons
    after a run: each icon file has the size, modification time and inode it had when it
    was hashed, and that modification was then longer ago than file times can tell apart
    (SETTLED_NS: a file saved while dot read it has a later time); else the key is made
    again and compared. (Not the status-change time: the run's own hard link to the icon,
    render._short_image_names, changes it.)"""
    taken, icons = seen
    try:
        if all(was[1] + SETTLED_NS < taken and _identity_of(os.stat(path)) == was for path, was in icons):
            return True
    except OSError:
        return False
    return key == layout_key(source, formats, dpi, png_library)


def _identity_of(st) -> tuple:
    """What tells an icon file from the same file saved again: its size, modification
    time, inode and device."""
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev


def _code_files() -> list:
    """The modules whose code makes what Graphviz is given: render, and the second run's
    input made from the first run's output (bands, with routes and its compiled search,
    and dotjson); not imported: a kept layout needs none of them."""
    here = os.path.dirname(os.path.abspath(__file__))
    names = ["render.py", "bands.py", "routes.py", "dotjson.py", "layoutcache.py"]
    return [os.path.join(here, name) for name in names] + _compiled_search(here)


@functools.lru_cache(maxsize=1)
def _compiled_search(here: str) -> list:
    """The file of the compiled route search (_routesearch.c) where it was built."""
    from importlib.machinery import EXTENSION_SUFFIXES

    for suffix in EXTENSION_SUFFIXES:
        path = os.path.join(here, f"_routesearch{suffix}")
        if os.path.isfile(path):
            return [path]
    return []


def _stat(path: str) -> Optional[list]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def _with_entries(folder: str) -> list:
    """``folder`` and the files in it (sorted), or ``folder`` alone when it is not one."""
    try:
        with os.scandir(folder) as it:
            names = sorted(e.name for e in it)
    except OSError:
        return [folder]
    return [folder] + [os.path.join(folder, n) for n in names]


@functools.lru_cache(maxsize=4)
def _identity(dot: Optional[str], neato: Optional[str], environment: tuple) -> Optional[list]:
    if dot is None:
        return None
    real = os.path.realpath(dot)
    files = [dot, real]
    # the neato beside dot, else the one on PATH (render.neato_binary)
    for near in (os.path.join(os.path.dirname(dot), "neato"), os.path.join(os.path.dirname(real), "neato"), neato):
        if near is not None:
            files += [near, os.path.realpath(near)]
    # Graphviz's plugins and their configuration (rewritten when a plugin is installed or
    # upgraded): lib/graphviz beside the binary's folder, or in the platform's lib folder
    multiarch = getattr(sys.implementation, "_multiarch", None)
    for prefix in dict.fromkeys(os.path.dirname(os.path.dirname(p)) for p in (dot, real)):
        for lib in ["lib", "lib64"] + ([os.path.join("lib", multiarch)] if multiarch else []):
            files += _with_entries(os.path.join(prefix, lib, "graphviz"))
    # the fonts fontconfig finds: its configuration, and its caches (rebuilt when fonts change)
    home = os.path.expanduser("~")
    xdg = dict(environment).get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    files += ["/etc/fonts", "/etc/fonts/conf.d", "/usr/share/fonts", "/usr/local/share/fonts",
              os.path.join(home, ".fonts"), os.path.join(home, ".local", "share", "fonts")]
    for folder in ("/var/cache/fontconfig", os.path.join(xdg, "fontconfig")):
        files += _with_entries(folder)
    return [[f, _stat(f)] for f in files] + [list(environment)]


def look_again() -> None:
    """Forget what graphviz_identity found: a process that runs on (watch) looks at
    Graphviz and the fonts again, which may have been installed, upgraded or removed
    since."""
    _identity.cache_clear()


def graphviz_identity() -> Optional[list]:
    """What can change Graphviz's output for the same input (see the module's
    description), looked at once per process for the same dot and environment; None
    when there is no dot."""
    environment = tuple(sorted((k, v) for k, v in os.environ.items() if _ENVIRONMENT.match(k)))
    return _identity(shutil.which("dot"), shutil.which("neato"), environment)


def _path(slot: str):
    where = cache_dir()
    return None if where is None else where / FOLDER / f"{slot}.bin"


def kept(slot: str, key: str, formats) -> Optional[dict]:
    """``{format: bytes}`` as Graphviz wrote them when the entry ``slot`` was stored with
    ``key``, or None (no such entry, another key, a part missing or damaged)."""
    path = _path(slot)
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        end = data.index(b"\n")
        head = json.loads(data[:end])
        if head["key"] != key:
            return None
        out: dict = {}
        at = end + 1
        for fmt, size, digest in head["parts"]:
            part = data[at:at + size]
            at += size
            if len(part) != size or hashlib.sha256(part).hexdigest() != digest:
                return None
            out[fmt] = part
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if at != len(data) or sorted(out) != sorted(formats):
        return None
    mark_used(path)
    return out


def keep(slot: str, key: str, result: dict) -> None:
    """Store ``result`` (``{format: bytes}``) as the entry ``slot``, made from ``key``;
    written under a temporary name and renamed. A cache that cannot be written is no
    error. Past LIMIT bytes in all, the entries least recently taken or stored are
    removed (files.prune_cache). An entry larger than LIMIT on its own is not kept (it
    would push out every other one and then stay), and the slot's older entry goes."""
    path = _path(slot)
    if path is None:
        return
    head = {"key": key, "parts": [[fmt, len(data), hashlib.sha256(data).hexdigest()] for fmt, data in result.items()]}
    entry = json.dumps(head).encode("utf-8") + b"\n" + b"".join(result.values())
    if len(entry) > LIMIT:
        discard(path)
        return
    try:
        before = os.stat(path).st_size  # the slot's entry it replaces
    except OSError:
        before = None
    # the cache grows only by a new entry or a larger one: a render of what was rendered
    # before, the usual case, leaves it as large as it was, and the folder is not looked
    # through again (what another process's entries added, its own pruning removes)
    if store(path, entry) and (before is None or len(entry) > before):
        prune_cache(path.parent, LIMIT, keep=path)
