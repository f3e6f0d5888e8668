"""Rendering a set of architectures into an output directory, as `render` and `make` do.

This is the one place that writes diagrams: it validates every file, skips what the
manifest says is up to date, renders the rest (render.render_many), writes all of it
only when everything rendered (files.write_outputs), records the manifest, and removes
outputs that are no longer made. Callers get a RenderRun back and may follow along
through two callbacks; the CLI prints, this module does not.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Optional

from diagramgen.draw.render import DEFAULT_FORMATS, DEFAULT_STEP_FORMATS, FORMATS, render_many
from diagramgen.model.project import Loaded, load_each
from diagramgen.publish.files import WriteError, remove_output, write_outputs
from diagramgen.publish.manifest import leftovers, read, up_to_date, update_file


@dataclass
class RenderRun:
    loaded: Loaded
    rendered: list = field(default_factory=list)  # [(model, [paths written])]
    cached: list = field(default_factory=list)  # models whose outputs were up to date
    removed: list = field(default_factory=list)  # outputs no longer made, deleted
    not_removed: list = field(default_factory=list)  # [(path, reason)]
    manifest: Optional[str] = None  # the manifest written, if any


def render_to(out_dir: str, files=(), formats=DEFAULT_FORMATS, steps=DEFAULT_STEP_FORMATS, force: bool = False, jobs: int = 0,
              on_validated: Optional[Callable[[Loaded, list], None]] = None,
              on_rendered: Optional[Callable[[object, int, float], None]] = None) -> RenderRun:
    """Render ``files`` (default: every architecture) into ``out_dir``.

    ``on_validated(loaded, cached)`` is called once every file is loaded (before any
    output exists); ``on_rendered(model, n_files, seconds)`` after each architecture is
    rendered. When a file has an error, nothing is rendered or written and the run's
    ``loaded.ok`` is False. Raises render.RenderError or files.WriteError, having
    written nothing in the first case and no partial file in the second.
    """
    manifest_path = os.path.join(out_dir, "manifest.json")
    options = {"formats": [f for f in FORMATS if f in formats], "steps": list(steps)}
    manifest = read(manifest_path)
    run = RenderRun(Loaded())

    def todo():  # files load one by one; each layout starts while the next file loads
        for m in load_each(run.loaded, files):
            if force or not up_to_date(manifest, m, "render", out_dir, options):
                yield m
            else:
                run.cached.append(m)

    reported = False

    def validated() -> bool:
        nonlocal reported
        if not reported:
            reported = True
            if on_validated:
                on_validated(run.loaded, run.cached)
        return run.loaded.ok

    results = []  # every architecture is rendered before anything is written
    try:
        for model, files_out, secs in render_many(todo(), formats, steps, jobs=jobs):
            if not validated():
                return run
            results.append((model, files_out))
            if on_rendered:
                on_rendered(model, len(files_out), secs)
    except Exception:
        if not validated():  # a file had an error: that is the answer, not the render failure
            return run
        raise
    if not validated():
        return run
    # one write for every architecture: a full disk part way changes no output at all
    written = write_outputs(out_dir, {name: data for _, files_out in results for name, data in files_out.items()})
    by_name = dict(zip([name for _, f in results for name in f], written))
    for model, files_out in results:
        run.rendered.append((model, [by_name[name] for name in files_out]))
    # outputs no longer made: views of deleted steps, and the files of architectures
    # that are gone (known only when every architecture was loaded: no FILES given)
    gone = set() if files else set(manifest.get("architectures", {})) - {m.id for m in run.loaded.models}
    stale = leftovers(manifest, "render", {m.id: list(f) for m, f in results}, out_dir, gone)
    if run.rendered or gone:
        update_file(manifest_path, "render", run.rendered, options, gone)
        run.manifest = manifest_path
    for name in stale:
        try:
            remove_output(out_dir, name)
            run.removed.append(os.path.join(out_dir, name))
        except WriteError as exc:
            run.not_removed.append((os.path.join(out_dir, name), exc.reason))
    return run
