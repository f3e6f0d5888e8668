"""Writing and deleting files: the one module of the package that does.

Outputs: every output is written through a temporary file beside its target and renamed
into place, so a reader never sees a half-written file and a failed run leaves the
previous outputs untouched; every removal checks it removes a regular file inside the
output folder. Temporary files left by a killed writer are cleaned up by the next run.

Scratch: the icon disk cache (``store``), the temporary folders Graphviz and git exports
work in (``temporary_folder``, ``scratch_folder``) and what a killed process left of them
(``left_by_dead_writers``, ``remove_dead_writers_folders``).

The stages decide what to write (``publish/`` for outputs); they write through here.
Imports nothing of the package but ``diagnostics``.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import stat
import tempfile
import threading
from pathlib import Path
from typing import NamedTuple

from diagramgen.diagnostics import Failure

TMP_SUFFIX = ".tmp"


class WriteError(Failure):
    """An output file could not be written; no output file was changed."""

    def __init__(self, path, reason: str):
        super().__init__(f"cannot write {path}: {reason}", Path(path))
        self.path, self.reason = Path(path), reason


def output_path(out_dir, name, checked: set | None = None) -> Path:
    """Where output ``name`` (a relative name such as ``steps/a-step-1.svg``) goes under
    ``out_dir``, or WriteError when it would leave ``out_dir``: an absolute name, a ``..``
    part, or a folder on the way that is a symbolic link (or not a folder). ``out_dir``
    itself may be a link; nothing below it is followed. Every write and every removal of
    an output goes through here. ``checked``: the folders (under this ``out_dir``) found
    fine by earlier calls of one pass over many outputs, not looked at again."""
    relative = Path(name)  # parsed once (a Path joined to a Path is not parsed again)
    parts = relative.parts
    base = Path(out_dir)
    path = base / relative
    if not parts or relative.is_absolute() or any(p in ("..", ".") for p in parts):
        raise WriteError(path, "not a name inside the output folder")
    if checked is not None and parts[:-1] in checked:
        return path
    here = base
    for part in parts[:-1]:
        here = here / part
        if os.path.islink(here):
            raise WriteError(path, f"{here} is a symbolic link; diagramgen does not write or remove "
                                   "through links inside the output folder")
        if os.path.lexists(here) and not os.path.isdir(here):
            raise WriteError(path, f"{here} is not a folder")
    if checked is not None:
        checked.add(parts[:-1])
    return path


def _lstat(path: Path):
    """``os.lstat(path)`` (links not followed), None when nothing is there; any other
    failure is a WriteError."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WriteError(path, exc.strerror or str(exc)) from None


def _safe_target(path: Path) -> None:
    """Refuse to replace what is not a regular file: a link, a device, a folder ..."""
    st = _lstat(path)
    if st is None:
        return
    if stat.S_ISLNK(st.st_mode):
        raise WriteError(path, "is a symbolic link; remove it first, diagramgen only replaces regular files")
    if not stat.S_ISREG(st.st_mode):
        raise WriteError(path, "is not a regular file; diagramgen only replaces regular files")


_STALE_TMP = re.compile(r"^\..+\.(\d+)\.[A-Za-z0-9_]+\.tmp$")


def _tmp_prefix(path: Path) -> str:
    """Temporary files are named ``.NAME.PID.RANDOM.tmp`` beside their target: the
    process id tells a later run whether the writer is still alive."""
    return f".{path.name}.{os.getpid()}."


def clean_stale_temporaries(folder) -> list:
    """Remove temporary files in ``folder`` left by a writer that no longer runs (killed
    with SIGKILL, or the machine stopped); return their paths. A writer still running,
    such as a second render at the same time, keeps its files."""
    removed = []
    for e in left_by_dead_writers(folder, _STALE_TMP, folders=False):
        try:
            os.unlink(e.path)
            removed.append(e.path)
        except OSError:
            pass
    return removed


def write_atomic(path: str | os.PathLike[str], data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file in the same directory; True
    when it was written, False when ``path`` already held exactly ``data`` (a regular
    file, mode 644) and was left as it is.

    Raises WriteError (never a bare OSError) when ``path`` is a link, a device or any
    other non-regular file, or cannot be written; nothing is changed then."""
    path = Path(path)
    _safe_target(path)
    if _holds(path, data):
        return False
    staged: list = []
    try:
        tmp = _stage(path, data, staged)
        _safe_target(path)
        os.replace(tmp, path)
        staged.clear()
    except OSError as exc:
        raise WriteError(path, exc.strerror or str(exc)) from None
    finally:
        _discard(staged)
    return True


def _stage(path: Path, data: bytes, staged: list) -> str:
    """Write ``data`` to a new temporary file beside ``path`` (making its folders) and
    return its name; the name is added to ``staged`` as soon as the file exists, so the
    caller's clean-up (``_discard``) removes it whatever fails after."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path), suffix=TMP_SUFFIX, dir=path.parent)
    staged.append(tmp)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)
    return tmp


def _discard(staged: list) -> None:
    """Remove the temporary files still named in ``staged`` (those renamed are gone)."""
    for tmp in staged:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def remove_output(out_dir, name) -> None:
    """Remove the output ``name`` under ``out_dir`` (see output_path); a missing file is
    no error. Raises WriteError for anything but a regular file reached without links."""
    path = output_path(out_dir, name)
    st = _lstat(path)
    if st is None:
        return
    if not stat.S_ISREG(st.st_mode):
        raise WriteError(path, "is not a regular file; only files diagramgen wrote are removed")
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise WriteError(path, exc.strerror or str(exc)) from None


class Unchanged:
    """What write_outputs is given instead of the bytes of an output found unchanged
    without reading it (publish/reuse.made_before): the file as ``os.lstat`` saw it
    then, a regular file of mode 644. write_outputs leaves such a file as it is while it
    still stats the same, and refuses (a WriteError, nothing written) when it does not:
    it changed while the command ran, and the bytes it should hold are not at hand."""

    __slots__ = ("seen",)

    def __init__(self, st):
        self.seen = _identity(st)

    def holds(self, path) -> bool:
        st = _lstat(path)
        return st is not None and _identity(st) == self.seen


def _identity(st) -> tuple:
    """What tells a file from the same file changed: its type and mode, size, times and
    inode (as git's index and publish/filehashes.py take them)."""
    return st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev


def unchanged(path, size: int):
    """An Unchanged for the file at ``path`` when it is a regular file of mode 644 and
    ``size`` bytes, with its ``os.lstat`` (for the caller to tell its content by); else
    (None, None)."""
    try:
        st = os.lstat(path)
    except OSError:
        return None, None
    if not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o644 or st.st_size != size:
        return None, None
    return Unchanged(st), st


def _holds(path: Path, data: bytes) -> bool:
    """True when ``path`` is a regular file of mode 644 whose content is ``data``."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or stat.S_IMODE(st.st_mode) != 0o644 or st.st_size != len(data):
            return False
        with open(path, "rb") as fh:
            return fh.read(len(data) + 1) == data
    except OSError:
        return False


class Written(NamedTuple):
    """What write_outputs did: ``paths``, every file it was given, in order (each holds
    its bytes now), and ``changed``, those of them it wrote (new, or with other content
    or mode before), in order; the others were left as they were."""
    paths: list
    changed: list


def write_outputs(out_dir, files: dict) -> Written:
    """Write ``{name: bytes}`` under ``out_dir``; return the paths of all of them and of
    those written (Written), in order.

    Every file is first written in full to a temporary name beside its target; only when
    all of them are written are they renamed into place. A write error (disk full,
    read-only directory) raises WriteError and leaves every previous output untouched.
    A file that already holds exactly ``bytes`` (a regular file, mode 644) is left as it
    is: `make` writes every docs page and the kinds page with its icons again, most of
    them unchanged, and comparing costs a twentieth of writing. An Unchanged instead of
    bytes: the file was found to hold what it should without being read, and is left as
    it is if it still stats as it did then.
    """
    staged: list = []  # temporary files made
    moves: list = []  # (temporary file, target, name)
    paths: list = []
    try:
        cleaned: set = set()
        folders: set = set()  # checked in this pass; each is checked again before a rename into it
        for name, data in files.items():
            path = output_path(out_dir, name, folders)
            _safe_target(path)
            paths.append(path)
            if type(data) is Unchanged:
                if data.holds(path):
                    continue
                raise WriteError(path, "it changed while the command ran; run it again")
            if _holds(path, data):
                continue
            if path.parent not in cleaned:
                cleaned.add(path.parent)
                clean_stale_temporaries(path.parent)
            try:
                moves.append((_stage(path, data, staged), path, name))
            except OSError as exc:
                raise WriteError(path, exc.strerror or str(exc)) from None
        for tmp, path, name in moves:
            output_path(out_dir, name)  # no folder on the way became a link meanwhile
            _safe_target(path)
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise WriteError(path, exc.strerror or str(exc)) from None
        return Written(paths, [path for _, path, _ in moves])
    finally:
        _discard(staged)


def create_new(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` as a new file at ``path``, making its folders; never replaces a file.

    The data is written in full to a temporary file beside ``path`` and then hard-linked
    to its name, so the file appears complete or not at all. Raises FileExistsError when
    ``path`` exists (even if it appeared meanwhile) and WriteError for any other failure."""
    path = Path(path)
    staged: list = []
    try:
        tmp = _stage(path, data, staged)
        try:
            os.link(tmp, path)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: exclusive create instead
            with open(path, "xb") as fh:
                fh.write(data)
    except FileExistsError:
        raise
    except OSError as exc:
        raise WriteError(path, exc.strerror or str(exc)) from None
    finally:
        _discard(staged)


def left_by_dead_writers(folder, pattern, folders: bool) -> list:
    """Entries of ``folder`` (folders, or else regular files, never links) whose names
    ``pattern`` matches with a process id as its first group, where that process is not
    this one and no longer runs. A process of another user, or a number that is no
    process id, keeps its entries."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    out = []
    for e in entries:
        m = pattern.match(e.name)
        kind_ok = e.is_dir(follow_symlinks=False) if folders else e.is_file(follow_symlinks=False)
        if not m or not kind_ok or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            out.append(e)
        except (PermissionError, OverflowError, ValueError):
            pass
    return out


def remove_dead_writers_folders(folder, pattern) -> None:
    """Remove the folders in ``folder`` that ``left_by_dead_writers`` names (never
    through a link)."""
    for e in left_by_dead_writers(folder, pattern, folders=True):
        shutil.rmtree(e.path, ignore_errors=True)


@contextlib.contextmanager
def folder_locked(folder):
    """While inside, this process holds an exclusive lock on ``folder`` (``flock`` on the
    folder itself, so no lock file is left in it): two processes that read, change and
    write a file of one folder (render and docs updating one output folder's
    manifest.json) take turns instead of one losing the other's entries. Where no such
    lock is to be had (no ``fcntl``, as on Windows; a file system that refuses it),
    nothing is locked, as before."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    try:
        fd = os.open(os.fspath(folder) or ".", os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:
            pass
        yield
    finally:
        os.close(fd)  # which releases the lock


@contextlib.contextmanager
def temporary_folder(prefix: str):
    """A new temporary folder (its path as text), removed with everything in it on exit."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        yield tmp


def scratch_folder(prefix: str) -> Path:
    """A new temporary folder kept until the process ends, then removed."""
    path = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, path, True)
    return Path(path)


def link_or_copy(source, target) -> bool:
    """Make ``target`` a hard link to ``source``; where that cannot be (another file
    system, a file the user may not link to), a symbolic link; else a copy of it. False
    when none can be made. A hard link makes no new file: on some file systems it costs
    a thirtieth of a symbolic link's or a copy's time (about 10 microseconds of CPU
    against 350 on the ext4 of the benchmark's machine). A ``target`` that exists is
    removed first, never written through: it may be a link to another file."""
    try:
        if os.path.lexists(target):
            os.unlink(target)
    except OSError:
        return False
    try:
        os.link(source, target)
        return True
    except OSError:
        pass
    try:
        os.symlink(os.path.abspath(source), target)
        return True
    except OSError:
        try:
            shutil.copyfile(source, target)
            return True
        except OSError:
            return False


def make_folder(path) -> bool:
    """Make the folder ``path`` and its parents where missing; False (nothing raised)
    when it cannot be made."""
    try:
        os.makedirs(path, exist_ok=True)
        return True
    except OSError:
        return False


def store(path: Path, data: bytes) -> bool:
    """Write a cache entry: under a temporary name, then renamed, so a reader never sees
    half of it. A cache is optional: False (and nothing raised) when it cannot be written;
    what was written of it (a full disk) is then removed, not left to fill the cache."""
    # .NAME.PID.THREAD.tmp: one of its own for each writer; a killed one's is found by
    # clean_stale_temporaries (prune_cache)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            os.remove(tmp)
        except OSError:
            pass
        return False


def discard(path) -> bool:
    """Remove the file ``path`` of a cache if it is there; True when removed. Nothing
    raised when it cannot be (a cache is optional)."""
    try:
        os.remove(path)
        return True
    except OSError:
        return False


def mark_used(path: Path) -> None:
    """Set a cache entry's modification time to now: the entries least recently used are
    the first ones prune_cache removes. Nothing raised when it cannot be done."""
    try:
        os.utime(path)
    except OSError:
        pass


def prune_cache(folder: Path, limit: int, keep: Path) -> list:
    """Remove the entries of the cache ``folder`` least recently used (written or
    mark_used) until the rest hold at most ``limit`` bytes, never ``keep``; return the
    paths removed. Entries that vanish or cannot be removed meanwhile (another process
    pruning too) are passed over. What a writer killed while it stored an entry left of
    it is removed first."""
    removed = [Path(p) for p in clean_stale_temporaries(folder)]
    entries = []
    try:
        with os.scandir(folder) as it:
            for e in it:
                try:
                    if e.is_file(follow_symlinks=False) and not e.name.startswith("."):
                        st = e.stat(follow_symlinks=False)
                        entries.append((st.st_mtime_ns, e.name, st.st_size))
                except OSError:
                    continue
    except OSError:
        return []
    total = sum(size for _, _, size in entries)
    for _, name, size in sorted(entries):
        if total <= limit:
            break
        path = Path(folder) / name
        if path == keep:
            continue
        try:
            os.remove(path)
        except OSError:
            continue
        total -= size
        removed.append(path)
    return removed


def start_stamp(path) -> Path:
    """Make ``PATH.started``, an empty file whose time is now (making its folders,
    replacing one left by a failed run), and return its name: ``finish_stamp`` turns it
    into ``path``, which so keeps the time the work began (`make`'s stamp, output/.made:
    a source saved while the work runs is newer than it). Raises WriteError."""
    started = Path(f"{os.fspath(path)}.started")
    try:
        started.parent.mkdir(parents=True, exist_ok=True)
        with open(started, "wb"):
            pass
        os.utime(started)  # an empty file left by a failed run is truncated without a new time on some systems
    except OSError as exc:
        raise WriteError(started, exc.strerror or str(exc)) from None
    return started


def finish_stamp(started: Path, path, ok: bool) -> None:
    """After the work ``start_stamp`` began: when ``ok``, ``started`` becomes ``path``
    (with its time); else it is removed and ``path`` left as it was, so a failed run
    leaves no new stamp. Raises WriteError when the stamp cannot be put in place."""
    try:
        if ok:
            os.replace(started, path)
        else:
            os.unlink(started)
    except FileNotFoundError:
        if ok:
            raise WriteError(Path(path), f"{started} is gone; the stamp was not made") from None
    except OSError as exc:
        raise WriteError(Path(path), exc.strerror or str(exc)) from None
