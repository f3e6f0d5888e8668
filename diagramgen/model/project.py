"""Working on a set of architecture files: load them all, collect every diagnostic."""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Optional

from diagramgen.diagnostics import ERROR, Diagnostic, Pos, has_errors, sort_key
from diagramgen.model.catalog import Catalog
from diagramgen.model.validate import architecture_files, check_unique_ids, load_architecture


@dataclass
class Loaded:
    """The models of the files that loaded, and the problems of every file."""

    models: list = field(default_factory=list)
    diagnostics: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def load_all(paths: Iterable = (), catalog: Optional[Catalog] = None,
             default_dir: str = "architectures") -> Loaded:
    out = Loaded()
    for _ in load_each(out, paths, catalog, default_dir):
        pass
    return out


def load_each(into: Loaded, paths: Iterable = (), catalog: Optional[Catalog] = None,
              default_dir: str = "architectures") -> Iterator:
    """Load files one by one, yielding each valid model as soon as it is built, so work on
    it can start while the rest load. Diagnostics collect in ``into``; they are complete
    (cross-file checks included, sorted) once the iterator is exhausted."""
    from diagramgen.model.settings import current_diagnostics

    settings_diags = current_diagnostics()
    if settings_diags:  # reported once, not once per architecture
        into.diagnostics += settings_diags
        return
    paths = list(paths)
    files = architecture_files(paths, default_dir)
    if not files and not paths:
        into.diagnostics.append(Diagnostic(Pos(default_dir), ERROR, "no architecture files (*.yaml) found here; "
                                           "run diagramgen in the project folder or name the files", "DG114"))
    for path in files:
        model, diags = _load(path, catalog)
        into.diagnostics += diags
        if model is not None:
            into.models.append(model)
            yield model
    into.diagnostics += check_unique_ids(into.models)
    into.diagnostics.sort(key=sort_key)


_reuse: Optional[dict] = None  # while reusing_models(): {real path: (settings, model, diags, {source: text})}


@contextlib.contextmanager
def reusing_models():
    """While inside, a file loaded again gives the model (and diagnostics) of its first
    load, as long as its text and its fragments' texts and the settings are the same:
    `make` runs render and then docs in one process, which both load every file."""
    global _reuse
    previous, _reuse = _reuse, {}
    try:
        yield
    finally:
        _reuse = previous


def _load(path, catalog):
    if catalog is not None:
        return load_architecture(path, catalog)
    if _reuse is None:
        return _load_kept(path)
    from diagramgen.model import loader
    from diagramgen.model.settings import current

    settings = current()
    key = os.path.realpath(path)
    hit = _reuse.get(key)
    if hit is not None and hit[0] is settings:
        # each source still holds the bytes the model was made from (not read again
        # after the load: a file saved meanwhile would be paired with the old model)
        if all(_read_digest(src) == read[1] for src, read in zip(hit[1].sources, hit[3])):
            return hit[1], hit[2]
    model, diags = _load_kept(path)
    made_from = loader.made_from(model) if model is not None else None
    if made_from is not None:
        _reuse[key] = (settings, model, diags, made_from)
    return model, diags


def _read_digest(src: str):
    """The SHA-256 of the bytes of ``src`` as read now, or None when it cannot be read
    (the file is then loaded, and its problem reported, as without the models kept)."""
    import hashlib

    try:
        with open(src, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


def _load_kept(path):
    """load_architecture, or the model kept in the disk cache when it was made from the
    same files by the same code (model/stored.py)."""
    from diagramgen.diagnostics import DiagramgenError
    from diagramgen.model import stored
    from diagramgen.model.settings import current

    try:
        settings = current()
    except DiagramgenError:
        return load_architecture(path)  # which reports the settings' problems
    key = stored.entry_key(path, settings)
    model = stored.stored(key, settings)
    if model is not None:
        return model, []
    model, diags = load_architecture(path, settings=settings)
    stored.keep(key, model, diags, settings)
    return model, diags
