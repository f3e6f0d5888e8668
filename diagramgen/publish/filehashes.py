"""File hashes remembered between runs, each with the file's size, times and inode.

The render cache's test, the docs pages' reuse (publish/reuse.py) and the manifest's
records hash the same files at every run: after an edit of one architecture, the
outputs of all the others (megabytes of SVG, PNG and viewers) and the package's code,
though none of them changed. Here each hash is kept, in the disk cache
(cache.cache_dir(), ``file-hashes/``), with what ``os.stat`` said of the file when
it was read: its size, modification and status-change times (ns), inode and device.
A file that stats the same is taken to hold the same bytes, as git's index does.

The entries are kept in one file per working folder (the name is a hash of its path),
so that a run reads the entries of the project it runs in, not those of every checkout
and temporary folder the cache has seen. The file is text, one entry a line (``kind
path``, a tab, then the numbers and the hash separated by spaces), read into a table of
lines at the first look-up; a line is taken apart only when its file is looked up. A
path holding a tab or a line break is not kept.

A file changed twice within one tick of the file system's clock can keep its size and
times, so an entry is only kept when the file's last change (its modification and
status-change times) was more than ``GRANULARITY_NS`` (2 s, the coarsest file times in
use) older than the moment its hash was taken: a later write gets later times. A file
hashed just after it was written is hashed again by the next run, and kept then.

Nothing here is needed: without the disk cache (``DIAGRAMGEN_CACHE_DIR=``), or with an
unreadable file of entries, every file is hashed, with the same hashes.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import threading
import time
from pathlib import Path
from typing import Optional

from diagramgen.cache import SETTLED_NS

FOLDER = "file-hashes"  # in the disk cache: one file of entries per working folder
OLD_FILE = "file-hashes.json"  # where version 1 kept them all (removed at the first save)
HEADER = "diagramgen file hashes 2\n"
GRANULARITY_NS = SETTLED_NS
LIMIT = 20000  # entries of one file; beyond that only those of this run are kept
TIDY_FROM = 2000  # entries of one file; beyond that those of folders now gone are dropped
# On Windows st_ctime is the creation time, not the time of the last change, so a file
# rewritten with the same size and modification time would stat as before: nothing is
# kept or used there.
TRUSTED = sys.platform != "win32"

_now = time.time_ns  # the moment a hash is taken (tests move it)
_lock = threading.Lock()
_memory: Optional[dict] = None  # "kind path": "size mtime_ns ctime_ns inode device digest"
_memory_file = None  # the file _memory was read from
_used: set = set()  # keys looked up or recorded by this process
_dirty = False
_depth = 0  # of keeping()


def _stat_part(st) -> str:
    return f"{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino} {st.st_dev} "


def entries_file() -> Optional[Path]:
    """The file of entries of the working folder, in the disk cache; None without one."""
    from diagramgen.cache import cache_dir

    where = cache_dir()
    if where is None:
        return None
    try:
        here = os.getcwd()
    except OSError:  # the working folder was removed
        return None
    key = (where, here)
    if key not in _files:  # asked at every look-up: the name is made once per folder
        _files.clear()
        _files[key] = where / FOLDER / (
            hashlib.sha256(here.encode("utf-8", "surrogateescape")).hexdigest()[:32] + ".txt")
    return _files[key]


_files: dict = {}


def _load() -> dict:
    global _memory, _memory_file, _dirty
    where = entries_file()
    if _memory is None or where != _memory_file:  # read once, again where the file moved
        memory: dict = {}
        if where is not None:
            try:
                with open(where, "rb") as fh:
                    text = fh.read().decode("utf-8", "surrogateescape")
            except OSError:
                text = ""
            if text.startswith(HEADER):
                # "key\tvalue" lines; a line without a tab (a damaged file) is left out
                for line in text[len(HEADER):].split("\n"):
                    key, tab, value = line.partition("\t")
                    if tab:
                        memory[key] = value
        _memory, _memory_file, _dirty = memory, where, False
        _used.clear()
    return _memory


def known(kind: str, path: str, st) -> Optional[str]:
    """The hash of ``kind`` remembered for the file at ``path`` (absolute) when it
    statted as ``st`` (an os.stat_result); None when none is."""
    if not TRUSTED:
        return None
    key = f"{kind} {path}"
    entry = _load().get(key)
    if entry is None:
        return None
    part = _stat_part(st)
    digest = entry[len(part):]
    if not entry.startswith(part) or not digest or " " in digest:
        return None
    _used.add(key)
    return digest


def taken() -> int:
    """The moment, for ``remember``: read it before the file is opened."""
    return _now()


def remember(kind: str, path: str, st, digest: str, when: int) -> None:
    """Keep ``digest``, the hash of ``kind`` of the file at ``path`` (absolute) read
    after the moment ``when`` (``taken()``) from the file that statted as ``st`` (its
    fstat once opened), unless the file changed too shortly before for its times to
    tell a later change."""
    global _dirty
    if not TRUSTED or max(st.st_mtime_ns, st.st_ctime_ns) + GRANULARITY_NS >= when:
        return
    key = f"{kind} {path}"
    if "\t" in key or "\n" in key or "\n" in digest or " " in digest:  # not one line of the file
        return
    entry = _stat_part(st) + digest
    with _lock:
        memory = _load()
        _used.add(key)
        if memory.get(key) != entry:
            memory[key] = entry
            _dirty = True


@contextlib.contextmanager
def keeping():
    """While inside (the outermost one), hashes are remembered; on leaving, the new
    ones are written to the disk cache (once for a whole `make`)."""
    global _depth
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            save()


def save() -> bool:
    """Write the entries to the disk cache if any was added; True when written."""
    global _dirty
    from diagramgen.files import discard, store

    with _lock:
        where = entries_file()
        if not _dirty or _memory is None or where is None or where != _memory_file:
            return False
        files = _memory if len(_memory) <= TIDY_FROM else _without_vanished_folders(_memory)
        if len(files) > LIMIT:
            files = {k: v for k, v in files.items() if k in _used}
        _dirty = False
        data = HEADER + "\n".join(f"{k}\t{v}" for k, v in sorted(files.items()))
    written = store(where, data.encode("utf-8", "surrogateescape"))
    if written:
        discard(where.parent.parent / OLD_FILE)
    return written


def _without_vanished_folders(memory: dict) -> dict:
    """``memory`` without the entries, unused by this run, of files whose folder is gone
    (a temporary output folder, a removed checkout): one look at each folder."""
    there: dict = {}
    out = {}
    for key, value in memory.items():
        if key not in _used:
            folder = os.path.dirname(key.partition(" ")[2])
            if folder not in there:
                there[folder] = os.path.isdir(folder)
            if not there[folder]:
                continue
        out[key] = value
    return out


def forget() -> None:
    """Drop what this process read or added (the next look-up reads the disk cache)."""
    global _memory, _dirty
    with _lock:
        _memory, _dirty = None, False
        _used.clear()
