"""An architecture's docs page and the diagrams beside it, taken as they are when they
were made before from the same inputs.

`docs` makes every architecture's page and its diagrams (publish/site.assets: the SVG
relinked, the viewer built again) at each run, though after an edit of one architecture
the others come out as they were. What they are made from is known and small: the
architecture's docs inputs (its files, diagramgen.yaml, the catalog and the code that
makes pages, manifest.inputs), the tool, the link style and the diagrams render wrote
(their hashes). ``page_key`` hashes all of that; the icon disk cache (cache.cache_dir)
keeps one entry per page and docs folder: that hash when the page was last made, and
the names, hashes and sizes of the files made (``remember``). ``made_before`` gives those
files back when the page's inputs are still the same and each file still holds exactly
what was made: read from the docs folder, or, where its hash is known for the file as
it stats now (publish/filehashes.py), not read at all (files.Unchanged). Nothing else is
kept: an entry is a short list of hashes, and without the cache
(``DIAGRAMGEN_CACHE_DIR=``) every page is made again, with the same bytes.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
from typing import Optional

from diagramgen.cache import SETTLED_NS, cache_dir, installed_version, pillow_version
from diagramgen.files import store
from diagramgen.model import loader
from diagramgen.publish import manifest as M

FOLDER = "docs-pages"  # in the cache folder
VERSION = 3  # of the key and the entries


def page_key(arch, image_dir: str, out_dir: str, links: str) -> Optional[tuple]:
    """(the name of the entry of ``arch``'s page in ``out_dir``, the hash of everything
    the page and its diagrams are made from), or None when there is no cache or
    render's SVG is missing (the page is made, and the missing diagram reported, as
    without a cache). One entry per page and folder: the page as it was last made."""
    if cache_dir() is None:
        return None
    diagrams: dict = {}
    for ext in ("svg", "png", "pdf"):
        path = os.path.join(image_dir, f"{arch.id}.{ext}")
        try:
            diagrams[ext] = M.output_sha256(path)
        except OSError:
            if ext == "svg":
                return None
            diagrams[ext] = None
    # what the model was made from, as its files were read (loader.made_from; "inputs"
    # records the same bytes): a file saved after the load is not what the page was made
    # from, and the next run's key differs; the page names the file as given ("path")
    read = loader.made_from(arch)
    if read is None:
        return None
    parts = {"version": VERSION, "id": arch.id, "inputs": M.inputs(arch, "docs"), "tool": M.tool(),
             "links": links, "diagrams": diagrams, "libraries": _libraries(), "path": str(arch.path),
             "read": [r[1] for r in read]}
    name = json.dumps([VERSION, arch.id, os.path.realpath(out_dir), os.getcwd()])
    return (hashlib.sha256(name.encode("utf-8")).hexdigest(),
            hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest())


@functools.lru_cache(maxsize=1)
def _libraries() -> dict:
    """The versions of the libraries that serialise the copied SVG and the viewer."""
    out: dict = {}
    for name in ("lxml",):
        try:
            out[name] = installed_version(name)
        except Exception:  # pragma: no cover - a dependency
            out[name] = None
    return out



def _files_made(folder: str, key: tuple, sized: bool = False) -> Optional[list]:
    """The ``[[name, hash], ...]`` of the entry ``key`` names in the cache's ``folder``,
    when it was made from the inputs ``key`` holds; else None. ``sized``: entries of
    the pages, ``[[name, hash, size], ...]``."""
    where = cache_dir()
    try:
        with open(where / folder / f"{key[0]}.json", "rb") as fh:  # type: ignore[operator]
            made = json.loads(fh.read())
        if made["inputs"] != key[1]:
            return None
        entry = made["files"]
    except (OSError, TypeError, ValueError, KeyError):
        return None
    width = 3 if sized else 2
    if not (isinstance(entry, list) and entry and all(
            isinstance(e, list) and len(e) == width and all(isinstance(x, str) for x in e[:2])
            and (not sized or (type(e[2]) is int and e[2] >= 0)) for e in entry)):
        return None
    return entry

def made_before(key: Optional[tuple], out_dir: str) -> Optional[dict]:
    """``{name relative to the docs folder: bytes}`` of the files made last from the
    inputs ``key`` (page_key) names, in the order they were made, read from ``out_dir``;
    None when the page was last made from other inputs, or never, or a file is missing
    or holds anything else than what was made.

    A file is not read when it is a regular file (mode 644) of the size made whose hash
    is known for it as it stats now (publish/filehashes.py): it is given as a
    files.Unchanged, which write_outputs leaves as it is. After an edit of one
    architecture, the pages and diagrams of all the others (megabytes) are then only
    looked at."""
    from diagramgen.files import unchanged

    if key is None:
        return None
    entry = _files_made(FOLDER, key, sized=True)
    if entry is None:
        return None
    out: dict = {}
    for name, digest, size in entry:
        path = os.path.join(out_dir, name)
        # as made (its size with it: a checkout that turned a text's line ends into CRLF
        # makes it longer, though its output_sha256 is the same)
        kept, st = unchanged(path, size)
        if kept is not None and M.known_output_sha256(path, st) == digest:
            out[name] = kept
            continue
        try:
            data, now = M.read_output(path)
        except OSError:
            return None
        # the bytes as they were made: a text output whose line ends a checkout turned
        # into CRLF hashes the same (output_sha256) but is made again
        if now != digest or (M.text_output(name) and b"\r\n" in data):
            return None
        out[name] = data
    return out


def remember(key: Optional[tuple], files: dict, folder: str = FOLDER) -> None:
    """Keep, for the page ``key`` (page_key) names, the names and hashes of ``files``
    (``{name: bytes}``, as made from its inputs). A cache that cannot be written is no
    error. ``folder``: KINDS_FOLDER for the kinds page (kinds_key), whose files are
    kept with the SHA-256 of their very bytes."""
    where = cache_dir()
    if key is None or where is None:
        return
    if folder == FOLDER:  # made_before's: with the size of each file
        files_made = [[name, M.output_digest(name, data), len(data)] for name, data in files.items()]
    else:
        files_made = [[name, hashlib.sha256(data).hexdigest()] for name, data in files.items()]
    entry = {"inputs": key[1], "files": files_made}
    store(where / folder / f"{key[0]}.json", json.dumps(entry).encode("utf-8"))


# --- the kinds page ---------------------------------------------------------------------
KINDS_FOLDER = "kinds-page"  # in the cache folder


def kinds_key(page_path, catalog) -> Optional[tuple]:
    """(the name of the entry of the kinds page at ``page_path``, the hash of everything
    it and its icons are made from: the kinds of ``catalog`` as listed, the hash of the
    PNG each icon's thumbnail is made from, the thumbnails' size and Pillow's version, the
    docs' code and the tool), or None without a cache or when an icon cannot be found
    (the page is then made, and the problem reported, as without a cache)."""
    if cache_dir() is None:
        return None
    try:
        from diagramgen.docs.kinds import THUMB_PX, rows
        from diagramgen.model.iconfiles import icon_path

        table = rows(catalog)
        # the bytes of the PNG each thumbnail is made from (an SVG icon's is drawn into
        # a temporary folder: by content, not by where it is)
        icons = [M.sha256_file(icon_path(catalog[r["id"]].icon)) for r in table]
        parts = {"version": VERSION, "rows": table, "icons": icons, "size": THUMB_PX, "pillow": pillow_version(),
                 "code": M.code_inputs("docs"), "tool": M.tool()}
    except Exception:  # made without the cache, which reports it
        return None
    return _kinds_entry_name(page_path), hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def _kinds_entry_name(page_path) -> str:
    """The name of the entry of the kinds page at ``page_path`` (and of its record)."""
    name = json.dumps([VERSION, "kinds", os.path.realpath(page_path), os.getcwd()])
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def kinds_unchanged(key: Optional[tuple], out_dir: str) -> Optional[list]:
    """The paths (files.output_path of ``out_dir`` and each name, in the order they were
    made) of the kinds page and its icons as made last from the inputs ``key`` (kinds_key) names, when
    each is still a regular file (mode 644, as files.write_outputs leaves it) with
    exactly the bytes made, none reached through a link; else None. Nothing is read
    but the files' hashes (publish/filehashes.py keeps them between runs)."""
    from diagramgen.files import WriteError, output_path

    if key is None:
        return None
    entry = _files_made(KINDS_FOLDER, key)
    if entry is None:
        return None
    folders: set = set()
    paths = []
    for name, digest in entry:
        try:
            path = output_path(out_dir, name, folders)
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o644:
                return None
            known = M.known_sha256(path, st)  # a regular file: lstat is its stat
            if (known if known is not None else M.sha256_file(path)) != digest:
                return None
        except (OSError, WriteError):
            return None
        paths.append(path)
    return paths


# The kinds page's check made cheap: kinds_key resolves and hashes the icon of every kind
# and kinds_unchanged looks up the hash of every file made (some 130 files, about 4 ms
# of CPU in `make` after an edit). What that full check found is recorded beside the
# entry: the hash of the kinds as listed with the code and versions (what kinds_key
# hashes, but the icons' bytes, with the versions of the libraries that draw them), the
# icon files it resolved and the files it found made, each with what os.stat said of it. While the same kinds stat the same files as they
# did, long enough after their last change (SETTLED_NS, as publish/filehashes.py takes a
# file to be unchanged), the files made are taken as they are without the full check.


def _kinds_quick_key(catalog) -> str:
    from diagramgen.docs.kinds import THUMB_PX, rows

    table = rows(catalog)
    parts = [VERSION, table, [catalog[r["id"]].icon for r in table], THUMB_PX, pillow_version(),
             M.code_inputs("docs"), M.tool(), _version("diagrams"), _version("cairosvg")]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def _version(package: str) -> Optional[str]:
    """The installed version of ``package`` (the library whose icons are drawn; CairoSVG,
    which draws an SVG icon's PNG), or None."""
    try:
        return installed_version(package)
    except Exception:
        return None


def _seen_path(name: str):
    return cache_dir() / KINDS_FOLDER / f"{name}.seen.json"  # type: ignore[operator]


def _icon_seen(st) -> list:
    # not the status-change time: render links the icons where dot runs, which changes it
    return [st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev]


def _output_seen(st) -> list:
    return [st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def kinds_seen(page_path, catalog) -> Optional[list]:
    """The paths kinds_unchanged gave last time for the kinds page at ``page_path``, when
    the kinds of ``catalog`` are listed as they were then and every icon file and every
    file made stats as it did (see above); else None (the full check decides)."""
    if cache_dir() is None:
        return None
    try:
        with open(_seen_path(_kinds_entry_name(page_path)), "rb") as fh:
            seen = json.loads(fh.read())
        if seen["quick"] != _kinds_quick_key(catalog):
            return None
        for path, was in seen["icons"]:
            if _icon_seen(os.stat(path)) != was:
                return None
        paths = []
        for path, was in seen["outputs"]:
            if _output_seen(os.lstat(path)) != was:
                return None
            paths.append(path)
    except (OSError, ValueError, TypeError, KeyError, RecursionError):
        return None
    from pathlib import Path

    return [Path(p) for p in paths] if paths else None


def kinds_remember_seen(key: Optional[tuple], catalog, paths: list) -> None:
    """Record what the full check of the kinds page found: its made files ``paths``
    (kinds_unchanged), and the icon files of ``catalog``'s kinds, each as it stats now,
    when each last changed more than SETTLED_NS ago (else nothing is recorded: the next
    run checks in full)."""
    import time

    if key is None or cache_dir() is None:
        return
    try:
        from diagramgen.docs.kinds import rows
        from diagramgen.model.iconfiles import icon_source

        now = time.time_ns()
        icons = []
        for r in rows(catalog):  # the file each icon is drawn from (an SVG, not its PNG)
            path = str(icon_source(catalog[r["id"]].icon))
            st = os.stat(path)
            if st.st_mtime_ns + SETTLED_NS >= now:
                return
            icons.append([path, _icon_seen(st)])
        outputs = []
        for path in paths:
            st = os.lstat(path)
            if max(st.st_mtime_ns, st.st_ctime_ns) + SETTLED_NS >= now:
                return
            outputs.append([str(path), _output_seen(st)])
        seen = {"quick": _kinds_quick_key(catalog), "icons": icons, "outputs": outputs}
    except Exception:  # a kind whose icon cannot be found: nothing recorded
        return
    store(_seen_path(key[0]), json.dumps(seen).encode("utf-8"))

