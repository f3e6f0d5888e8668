"""The disk cache of encoded icons and the version look-up its keys use.

Shared by the stages that encode icons (``model.iconfiles`` rasterises SVG icons,
``draw.svg`` embeds PNG ones) and by ``publish.manifest``, which records the versions of
the tools that shaped the outputs. Imports nothing of the package at import (files.py
when it stores an icon).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Optional

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A file that stats as it did is taken to hold the bytes it held (as git's index does)
# only when its last change was longer ago than this when it was read: the coarsest file
# times in use, so that two writes within one tick of a file system's clock cannot go
# unseen (publish/filehashes.py, and what the draw and publish modules remember by stat).
SETTLED_NS = 2_000_000_000


def cache_dir() -> Optional[Path]:
    """Where encoded icons are kept between runs: $DIAGRAMGEN_CACHE_DIR (empty: no disk
    cache), else $XDG_CACHE_HOME/diagramgen, else ~/.cache/diagramgen. Asked for once
    per file hash looked up (hundreds of times per `make`), so the answer is kept for
    the variables it was made from."""
    environ = os.environ
    key = (environ.get("DIAGRAMGEN_CACHE_DIR"), environ.get("XDG_CACHE_HOME"), environ.get("HOME"),
           environ.get("USERPROFILE"))
    if key not in _cache_dirs:
        _cache_dirs.clear()
        _cache_dirs[key] = _cache_dir(key[0], key[1])
    return _cache_dirs[key]


_cache_dirs: dict = {}


def _cache_dir(env: Optional[str], xdg: Optional[str]) -> Optional[Path]:
    if env is not None:
        return Path(env) if env else None
    base = xdg or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "diagramgen"


def cached_png(cached: Optional[Path], make) -> bytes:
    """The PNG stored at ``cached`` (a content-addressed name) when there is one, else
    ``make()``'s, stored there for the next run: written under a temporary name and
    renamed, so a reader never sees half a file. With no cache (None, or a folder that
    cannot be read or written) the result is the same, only made again."""
    if cached is not None:
        try:
            png = cached.read_bytes()
            if png.startswith(PNG_SIGNATURE):
                return png
        except OSError:
            pass
    png = make()
    if cached is not None:
        # here, not at the top: this module is read before the package's dataclasses
        # are made (methodcache.install), and files.py brings diagnostics.py's
        from diagramgen.files import store

        store(cached, png)  # no cache, same result
    return png


@functools.cache
def source_digest(module_file: str) -> bytes:
    """The SHA-256 of a module's source file (its ``__file__``), read once per process:
    part of the key of what that module's code puts in the disk cache, so that an entry
    made by other code (an edited checkout, a new version with the same version
    number) is not taken for this code's. An unreadable file gives the empty string:
    the key then names no code at all, and the entry is made again."""
    import hashlib

    try:
        with open(module_file, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest().encode()
    except OSError:
        return b""


@functools.cache
def pillow_version() -> str:
    """Pillow's version (PIL.__version__), for the keys of what Pillow made: read from its
    installed metadata (installed_version), as importing PIL costs more."""
    return installed_version("PIL", "Pillow")


def installed_version(package: str, dist: Optional[str] = None) -> str:
    """The installed version of ``package`` (the distribution ``dist`` that provides it,
    where its name is another: "PyYAML" for yaml), from the name of its .dist-info folder
    beside it (importing importlib.metadata costs more than a render's whole manifest),
    else from importlib.metadata. The package itself is not imported."""
    import importlib.util

    spec = importlib.util.find_spec(package)
    if spec is not None and spec.origin:
        infos = _dist_infos(str(Path(spec.origin).resolve().parent.parent))
        for name in dict.fromkeys((dist.lower().replace("-", "_"), dist) if dist else (package,)):
            found = [n for n in infos if n.startswith(name + "-")]
            if len(found) == 1:
                return found[0][len(name) + 1:-len(".dist-info")]
    from importlib.metadata import version

    return version(dist or package)


@functools.cache
def _dist_infos(site: str) -> tuple:
    """The names of the .dist-info folders in ``site``, listed once per process."""
    try:
        return tuple(sorted(n for n in os.listdir(site) if n.endswith(".dist-info")))
    except OSError:
        return ()
