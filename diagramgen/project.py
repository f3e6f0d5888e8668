"""Working on a set of architecture files: load them all, collect every diagnostic."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Optional

from .catalog import Catalog
from .diagnostics import has_errors, sort_key
from .validate import architecture_files, check_unique_ids, load_architecture


@dataclass
class Loaded:
    models: list = field(default_factory=list)
    diagnostics: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def load_all(paths: Iterable = (), catalog: Optional[Catalog] = None,
             default_dir: str = "architectures") -> Loaded:
    out = Loaded()
    for path in architecture_files(paths, default_dir):
        model, diags = load_architecture(path, catalog)
        out.diagnostics += diags
        if model is not None:
            out.models.append(model)
    out.diagnostics += check_unique_ids(out.models)
    out.diagnostics.sort(key=sort_key)
    return out
