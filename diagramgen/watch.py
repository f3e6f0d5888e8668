"""Watch mode: re-validate and re-render architectures when their files change.

:class:`Watcher` holds what one batch of changes needs (which files each architecture
read, which ones failed last time) and :meth:`Watcher.handle` processes one batch: it
is the whole loop body, testable without watching real files. :func:`run` feeds it the
batches that ``watchfiles`` reports. Like the ``render`` command, it writes the outputs
through :func:`diagramgen.files.write_outputs`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from diagramgen.diagnostics import ERROR, Diagnostic, DiagramgenError, Failure, Pos, sort_key
from diagramgen.model.catalog import CATALOG_PATH, default_catalog
from diagramgen.model.project import load_all
from diagramgen.model.settings import SETTINGS_FILE, current, forget as forget_settings
from diagramgen.model.validate import architecture_files

YAML_SUFFIXES = (".yaml", ".yml")
ICON_SUFFIXES = (".png", ".svg")


@dataclass(frozen=True)
class Message:
    """A line watch prints: on stdout, or on stderr for an error."""

    text: str
    error: bool = False  # printed on stderr


def _real(path) -> str:
    return os.path.realpath(os.fspath(path))


@dataclass
class Watcher:
    """What watch renders, and what it has learnt of the files between saves."""

    files: tuple = ()                 # as given on the command line; empty: every DEFAULT_DIR/*.yaml
    out_dir: str = "output"
    formats: tuple = ("png", "svg", "html")
    steps: tuple = ("svg",)           # formats of the per-step views, as `make` renders them
    default_dir: str = "architectures"
    catalog_path: str = str(CATALOG_PATH)
    deps: dict = field(default_factory=dict)   # architecture file -> real paths it read
    failed: set = field(default_factory=set)   # architecture files whose last run failed
    ids: dict = field(default_factory=dict)    # architecture file -> its id, when it last loaded

    def targets(self) -> list:
        return architecture_files(self.files, self.default_dir)

    def watch_paths(self) -> list:
        """Folders to watch (recursively: fragments sit below the architectures), the
        catalog, diagramgen.yaml and the folders of the repository kinds' icons."""
        dirs = {os.path.dirname(_real(f)) for f in self.files} if self.files else {_real(self.default_dir)}
        dirs |= {os.path.dirname(_real(self.catalog_path))} | {os.path.dirname(p) for p in self._kind_icons()}
        if os.path.exists(SETTINGS_FILE):
            dirs.add(_real(SETTINGS_FILE))
        return sorted(dirs)

    def _kind_icons(self) -> set:
        """Real paths of the icon files of diagramgen.yaml's kinds."""
        try:
            catalog = current().catalog
        except DiagramgenError:
            return set()
        return {k.icon for k in catalog.kinds.values() if os.path.isabs(k.icon)}

    def _global(self) -> set:
        """Files whose change may affect every architecture."""
        return {_real(self.catalog_path), _real(SETTINGS_FILE)} | self._kind_icons()

    def relevant(self, path: str) -> bool:
        """A change worth a look: an architecture file or fragment, a global file, a file
        an architecture read; while an architecture fails, any icon outside the output
        folder too (the one whose error stopped it is no longer among its files)."""
        real = _real(path)
        return (path.endswith(YAML_SUFFIXES) or real in self._global()
                or any(real in d for d in self.deps.values())
                or (bool(self.failed) and path.lower().endswith(ICON_SUFFIXES)
                    and not real.startswith(os.path.join(_real(self.out_dir), ""))))

    def affected(self, changed: Optional[Iterable[str]]) -> list:
        """The architecture files to redo for a batch of changed paths (None: all of them)."""
        targets = self.targets()
        if changed is None:
            return targets
        changed = {_real(p) for p in changed if self.relevant(p)}
        if any(p.lower().endswith(ICON_SUFFIXES) for p in changed):
            forget_settings()  # the repository kinds' icons are checked with the settings
        if changed & self._global():
            default_catalog.cache_clear()
            return targets
        return [t for t in targets
                if t in self.failed or t not in self.deps or self.deps[t] & changed or _real(t) in changed]

    def handle(self, changed: Optional[Iterable[str]] = None) -> list:
        """Process one batch of changed paths; return the messages to print."""
        from diagramgen.draw import layoutcache
        from diagramgen.publish.outputs import render_to

        todo = self.affected(changed)
        if not todo:
            return []
        layoutcache.look_again()  # Graphviz or the fonts may have changed since the last save
        out: list = []
        loaded = load_all(todo)
        # ids name the outputs: one also used by a file not redone now (a copy saved
        # beside it) is an error, as `validate` reports it, not an overwrite of its outputs
        targets = set(self.targets())
        others = {p: i for p, i in self.ids.items() if p not in todo and p in targets}
        clashes = [Diagnostic(Pos(m.path, 1, 1), ERROR, f"architecture id '{m.id}' is also used by {p}", "DG306")
                   for m in loaded.models for p, i in others.items() if i == m.id]
        diags = sorted(loaded.diagnostics + clashes, key=sort_key)
        out += [Message(str(d), d.is_error) for d in diags]
        refused = {d.pos.path for d in diags if d.is_error and d.code == "DG306"}
        models = [m for m in loaded.models if m.path not in refused]
        rendered = {m.path for m in models}
        for path in todo:
            if path not in rendered:
                self.failed.add(path)
                self.deps.pop(path, None)
                self.ids.pop(path, None)
                out.append(Message(f"{path}: not rendered; fix the errors above and save again", True))
        for m in models:
            self.ids[m.path] = m.id
            # its files, and the repository icons it draws (a component's own or its kind's)
            self.deps[m.path] = {_real(s) for s in m.sources} | {c.icon for c in m.components
                                                                  if os.path.isabs(c.icon)}
            try:
                # the same path as `render` and `make`: cache, write, manifest, clean-up
                result = render_to(self.out_dir, [m.path], self.formats, self.steps, jobs=1)
            except Failure as exc:
                self.failed.add(m.path)
                text = str(exc)  # a render error may name the file already
                out.append(Message(f"{m.path}: error: {text.removeprefix(f'{m.path}: ')}", True))
                continue
            self.failed.discard(m.path)
            out += [Message(str(d)) for d in result.diagnostics]
            written = result.written  # new or changed: an output left as it was is not listed
            if result.cached or not written:  # up to date, or drawn again as it was
                out.append(Message(f"{m.path}: no change to its outputs"))
            out += [Message(f"wrote {p}") for p in written]
            if any(p.name == f"{m.id}.html" for p in written):
                out.append(Message(f"reload {os.path.join(self.out_dir, m.id + '.html')} in the browser "
                                   "to see the change"))
        return out


def run(watcher: Watcher, echo: Callable[[Message], None], stop_event=None) -> None:
    """Render once, then after every batch of saves, until Ctrl-C (or ``stop_event`` is set)."""
    import logging

    import watchfiles

    logging.getLogger("watchfiles").setLevel(logging.ERROR)  # its own Ctrl-C notice
    for msg in watcher.handle(None):
        echo(msg)
    ready = False
    # yield_on_timeout: an empty batch every second, the first one telling that the
    # watch is in place (saves from then on are seen).
    for changes in watchfiles.watch(*watcher.watch_paths(), watch_filter=lambda _c, p: watcher.relevant(p),
                                    stop_event=stop_event, raise_interrupt=False,
                                    yield_on_timeout=True, rust_timeout=1000):
        if not ready:
            ready = True
            echo(Message("watching " + ", ".join(watcher.watch_paths()) + " (Ctrl-C to stop)"))
        if changes:
            for msg in watcher.handle(path for _change, path in changes):
                echo(msg)
