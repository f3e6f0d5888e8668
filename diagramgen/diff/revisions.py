"""Architectures as they were at a git revision (or as they are in the working tree).

A revision's ``architectures/`` folder and the built-in catalog (``diagramgen/model/catalog.yaml``,
earlier ``diagramgen/catalog.yaml``) are exported with
``git archive`` into a temporary directory, so includes (fragments) and the catalog are
read exactly as they were at that revision, by the same validator as always. Diagnostics
name the revision: ``main:architectures/premium.yaml:12:5: error: ...``.
"""
from __future__ import annotations

import io
import os
import subprocess
import tarfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from diagramgen.diagnostics import ERROR, Diagnostic, DiagramgenError, Failure, Pos, has_errors
from diagramgen.files import scratch_folder
from diagramgen.model.catalog import Catalog, default_catalog, load_catalog
from diagramgen.model.validate import load_architecture

ARCH_DIR = "architectures"
CATALOG = "diagramgen/model/catalog.yaml"
OLD_CATALOG = "diagramgen/catalog.yaml"  # where revisions before the stage packages keep it
SETTINGS = "diagramgen.yaml"
WORKTREE = None  # the "revision" meaning the files on disk


class GitError(Failure):
    pass


def git(root, *args: str) -> bytes:
    try:
        proc = subprocess.run(["git", "-C", os.fspath(root), *args], capture_output=True, timeout=120)
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from None
    if proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {' '.join(args)}: {msg[-1] if msg else f'exit status {proc.returncode}'}")
    return proc.stdout


def repo_root(start=".") -> Path:
    return Path(git(start, "rev-parse", "--show-toplevel").decode().strip())


def rev_exists(root, rev: str) -> bool:
    try:
        git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        return True
    except GitError:
        return False


@dataclass
class Side:
    """The architectures of one revision: ``{repo-relative path: model}`` and diagnostics."""

    label: str
    models: dict = field(default_factory=dict)
    diagnostics: list = field(default_factory=list)
    files: list = field(default_factory=list)  # the architecture files found (loaded or not)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def _export(root: Path, rev: str, dest: Path) -> list:
    """Extract ``architectures/``, the catalog and the repository settings of ``rev``
    under ``dest``, with the icons the settings' kinds name.

    Only regular files and folders are extracted: a symbolic link committed in the
    revision is never followed or recreated. Returns the paths of the links skipped."""
    present = [p for p in (ARCH_DIR, CATALOG, OLD_CATALOG, SETTINGS)
               if git(root, "ls-tree", "--name-only", rev, "--", p).strip()]
    if SETTINGS in present:  # the repository kinds' icons, wherever they are
        listed = git(root, "ls-tree", "-r", "--name-only", rev).decode("utf-8", "replace").splitlines()
        present += [p for p in listed if p.lower().endswith((".png", ".svg")) and not p.startswith(
            ("output/", ARCH_DIR + "/", "diagramgen/", "tests/"))]
    if not present:
        return []
    data = git(root, "archive", "--format=tar", rev, "--", *present)
    skipped = []
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = []
        for m in tar.getmembers():
            if (m.isfile() or m.isdir()) and not os.path.isabs(m.name) and ".." not in Path(m.name).parts:
                members.append(m)
            else:
                skipped.append(m.name)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(dest, members=members, filter="data")
        else:  # Python < 3.11.4: the members are checked above
            tar.extractall(dest, members=members)
    return skipped


def _files(base: Path, wanted: Optional[list]) -> list:
    if wanted is not None:
        return [p for p in wanted if (base / p).is_file()]
    d = base / ARCH_DIR
    return sorted(f"{ARCH_DIR}/{p.name}" for p in list(d.glob("*.yaml")) + list(d.glob("*.yml")))


def _catalog(base: Path, prefix: str) -> Catalog:
    name = next((n for n in (CATALOG, OLD_CATALOG) if (base / n).is_file()), None)
    if name is None:
        return default_catalog()
    path, shown = base / name, prefix + name
    try:
        return load_catalog(path)
    except DiagramgenError as exc:
        # name the catalog as the revision has it, not by its temporary path
        raise DiagramgenError([replace(d, pos=replace(d.pos, path=shown))
                               for d in exc.diagnostics]) from None


def _load_dir(base: Path, prefix: str, label: str, wanted: Optional[list]) -> Side:
    from diagramgen.model.settings import load_settings

    side = Side(label)
    try:
        catalog = _catalog(base, prefix)
        settings = load_settings(os.fspath(base), catalog, shown=prefix + SETTINGS)
    except DiagramgenError as exc:
        side.diagnostics += exc.diagnostics
        return side
    side.files = _files(base, wanted)
    for rel in side.files:
        model, diags = load_architecture(base / rel, shown=prefix + rel, settings=settings)
        side.diagnostics += [d for d in diags if d.is_error]
        if model is not None:
            side.models[rel] = model
    return side


def load_side(root: Path, rev: Optional[str], wanted: Optional[list] = None) -> Side:
    """Load the architectures of ``rev`` (None: the working tree) in repository ``root``.

    ``wanted``: repo-relative paths to load (missing ones are skipped: they are added or
    removed on the other side); default every ``architectures/*.yaml``.
    """
    if rev is WORKTREE:
        return _load_dir(Path(root), "", "working tree", wanted)
    if not rev_exists(root, rev):
        raise GitError(f"unknown revision '{rev}'")
    # kept until the process ends: the models' custom icons are files in it, drawn later
    # by the diff's overlay
    tmp = scratch_folder("diagramgen-rev-")
    links = _export(Path(root), rev, tmp)
    side = _load_dir(tmp, f"{rev}:", rev, wanted)
    side.diagnostics += [Diagnostic(Pos(f"{rev}:{name}", 1, 1), ERROR, "is a symbolic link in this revision; "
                                    "links are not followed, commit the file itself", "DG112")
                         for name in links]
    return side


def relative_paths(root: Path, paths) -> list:
    """Repo-relative forms of paths given on the command line (relative to the cwd)."""
    out = []
    for p in paths:
        rel = os.path.relpath(os.path.realpath(p), os.path.realpath(root))
        out.append(Path(rel).as_posix())
    return out


def compare(root: Path, base: str, head: Optional[str], files=()) -> tuple:
    """Load both revisions and return ``(old Side, new Side)``.

    ``files`` are repo-relative; by default every architecture present on either side.
    """
    outside = [p for p in files if p.split("/")[0] == ".."]  # never looked for beside a revision's export
    wanted = [p for p in files if p not in outside] or None
    old, new = load_side(root, base, wanted), load_side(root, head, wanted)
    # a file named on the command line that is on neither side is a mistake (a typo, a
    # file of another repository), not an empty diff
    head_name = "the working tree" if head is WORKTREE else head
    new.diagnostics += [Diagnostic(Pos(p, 1, 1), ERROR, f"cannot read file: {where}", "DG101") for p, where in
                        [(p, f"is outside the git repository {root}") for p in outside]
                        + [(p, f"is neither in {base} nor in {head_name}") for p in wanted or ()
                           if p not in old.files and p not in new.files]]
    if not files and not old.files and not new.files and old.ok and new.ok:  # diagramgen runs in the wrong place
        new.diagnostics.append(Diagnostic(Pos(ARCH_DIR), ERROR, f"no architecture files (*.yaml) in {base} nor in "
                                          f"{head_name}; run diagramgen in the project folder", "DG114"))
    return old, new
