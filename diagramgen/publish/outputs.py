"""Rendering a set of architectures into an output directory, as `render` and `make` do.

This is the one place that writes diagrams: it validates every file, skips what the
manifest says is up to date, renders the rest (render.render_many), writes all of it
only when everything rendered (files.write_outputs), records the manifest, and removes
outputs that are no longer made. Callers get a RenderRun back and may follow along
through two callbacks; the CLI prints, this module does not.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Callable, Optional

from diagramgen.draw.render import DEFAULT_FORMATS, DEFAULT_STEP_FORMATS, FORMATS, render_many
from diagramgen.files import WriteError, remove_output, write_outputs
from diagramgen.model.project import Loaded, load_each
from diagramgen.publish.manifest import leftovers, read, remembering_inputs, up_to_date, update_file


@dataclass
class RenderRun:
    """What render_to did: what it loaded, rendered, wrote, kept and removed."""

    loaded: Loaded
    rendered: list = field(default_factory=list)  # [(model, [paths of its outputs])]
    written: list = field(default_factory=list)  # the outputs written (new or changed); the others were kept
    cached: list = field(default_factory=list)  # models whose outputs were up to date
    removed: list = field(default_factory=list)  # outputs no longer made, deleted
    not_removed: list = field(default_factory=list)  # [(path, reason)]
    manifest: Optional[str] = None  # the manifest, if it was written (changed)
    # warnings about the drawings (draw/columns.py: areas drawn out of their declared
    # column order), of the rendered architectures and of the up-to-date ones alike
    diagnostics: list = field(default_factory=list)


def render_to(out_dir: str, files=(), formats=DEFAULT_FORMATS, steps=DEFAULT_STEP_FORMATS, force: bool = False, jobs: int = 0,
              on_validated: Optional[Callable[[Loaded, list], None]] = None,
              on_rendered: Optional[Callable[[object, int, float, bool], None]] = None) -> RenderRun:
    """Render ``files`` (default: every architecture) into ``out_dir``.

    ``on_validated(loaded, cached)`` is called once every file is loaded (before any
    output exists); ``on_rendered(model, n_files, seconds, kept)`` after each
    architecture is rendered (``kept``: Graphviz's output was a kept layout, not laid out
    again). When a file has an error, nothing is rendered or written and the run's
    ``loaded.ok`` is False. Raises render.RenderError or files.WriteError, having
    written nothing in the first case and no partial file in the second.
    """
    with remembering_inputs():  # the cache test's hashes are the ones recorded
        return _render_to(out_dir, files, formats, steps, force, jobs, on_validated, on_rendered)


def _render_to(out_dir: str, files, formats, steps, force: bool, jobs: int, on_validated, on_rendered) -> RenderRun:
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
        for model, files_out, secs, kept in render_many(todo(), formats, steps, jobs=jobs, reuse=not force):
            if not validated():
                return run
            results.append((model, files_out))
            if on_rendered:
                on_rendered(model, len(files_out), secs, kept)
    except Exception:
        if not validated():  # a file had an error: that is the answer, not the render failure
            return run
        raise
    if not validated():
        return run
    drawn = _drawn(results, run.cached, out_dir, manifest)
    run.diagnostics = _layout_warnings(drawn)
    _write_rendered(run, results, out_dir, manifest, options, everything=not files,
                    drawn={m.id: d for m, d in drawn[:len(results)] if d is not None})
    return run


def _write_rendered(run: RenderRun, results: list, out_dir: str, manifest: dict, options: dict,
                    everything: bool, drawn: Optional[dict] = None) -> None:
    """Write every architecture's files at once (a full disk part way changes no output
    at all), record them in the manifest and remove the outputs no longer made: views of
    deleted steps and, when ``everything`` was loaded, the files of architectures that
    are gone."""
    written = write_outputs(out_dir, {name: data for _, files_out in results for name, data in files_out.items()})
    run.written = written.changed
    by_name = dict(zip([name for _, f in results for name in f], written.paths))
    for model, files_out in results:
        run.rendered.append((model, [by_name[name] for name in files_out]))
    gone = set(manifest.get("architectures", {})) - {m.id for m in run.loaded.models} if everything else set()
    stale = leftovers(manifest, "render", {m.id: list(f) for m, f in results}, out_dir, gone)
    if run.rendered or gone:
        manifest_path = os.path.join(out_dir, "manifest.json")
        if update_file(manifest_path, "render", run.rendered, options, gone, drawn):
            run.manifest = manifest_path
    for name in stale:
        try:
            remove_output(out_dir, name)
            run.removed.append(os.path.join(out_dir, name))
        except WriteError as exc:
            run.not_removed.append((os.path.join(out_dir, name), exc.reason))


def _drawn(results: list, cached: list, out_dir: str, manifest: dict) -> list:
    """``[(model, where its areas were drawn or None)]`` (draw/columns.drawn_areas): of
    each architecture rendered, read from the SVG just made; of an up-to-date one, as
    its render record holds it (the SVG it names is unchanged: up_to_date checked its
    hash) or, for a record that holds none, read from its SVG in ``out_dir``. None where
    there is no SVG, or an unreadable one (render --force rewrites it)."""
    from diagramgen.draw.columns import drawn_areas
    from diagramgen.publish.manifest import recorded_drawn

    def read(svg):
        try:
            return drawn_areas(svg) if svg else None
        except (SyntaxError, ValueError):  # ElementTree's ParseError is a SyntaxError
            return None

    out = [(m, read(files_out.get(f"{m.id}.svg"))) for m, files_out in results]
    for m in cached:
        drawn = recorded_drawn(manifest, m.id)
        if drawn is None:
            try:
                with open(os.path.join(out_dir, f"{m.id}.svg"), "rb") as f:
                    drawn = read(f.read())
            except OSError:
                pass
        out.append((m, drawn))
    return out


def _layout_warnings(drawn: list) -> list:
    """The column warnings (draw/columns.py) of each architecture of ``drawn`` (see
    _drawn), in the order of their files; none where it was not drawn."""
    from diagramgen.draw.columns import column_warnings

    out = []
    for m, where in sorted(drawn, key=lambda x: x[0].path):
        if where is not None:
            out += column_warnings(m, where)
    return out


@dataclass
class DocsRun:
    """What docs_to did: what it loaded and wrote or removed, or why it wrote nothing."""

    loaded: Loaded  # the architectures FILES name (every one when none is named)
    error: str = ""  # why nothing was written, beyond the diagnostics of the files
    written: list = field(default_factory=list)  # pages and assets written (new or changed)
    manifest: Optional[str] = None  # the manifest, if it was written (changed)
    removed: list = field(default_factory=list)  # pages and assets no longer made, deleted
    not_removed: list = field(default_factory=list)  # [(path, reason)]

    @property
    def ok(self) -> bool:
        return self.loaded.ok and not self.error


def docs_to(out_dir: str, image_dir: str, links: str, files=(), manifest_path: Optional[str] = None,
            on_validated: Optional[Callable[[list], None]] = None) -> DocsRun:
    """Write the Markdown pages of ``files`` (default: every architecture), index.md and
    the groups' overview pages into ``out_dir``, with the diagrams of ``image_dir``.

    ``on_validated(diagnostics)`` is called once the architectures are loaded, with
    their problems (before anything is written). When a file has an error, or one of the
    architectures index.md lists does, nothing is written and the run is not ``ok``.
    The manifest (``manifest_path``; by default ``image_dir``/manifest.json when the
    pages go to ``image_dir``/docs) records the pages' inputs; pages it lists that are
    no longer made are removed. Raises Failure (files.WriteError, site.PublishError,
    render.RenderError, an invalid diagramgen.yaml) having written nothing, or no
    partial file.
    """
    with remembering_inputs():  # the pages' and the group pages' records share inputs
        return _docs_to(out_dir, image_dir, links, files, manifest_path, on_validated)


def _docs_to(out_dir: str, image_dir: str, links: str, files, manifest_path: Optional[str], on_validated) -> DocsRun:
    from diagramgen.docs import overview, pages as docgen
    from diagramgen.ids import DOCS_FOLDER
    from diagramgen.model.settings import current
    from diagramgen.publish import overviews, site as publish

    run, everyone = _load_for_docs(files, on_validated)
    if not run.ok:
        return run
    loaded = run.loaded
    listed = {os.path.realpath(m.path): m for m in everyone.models + loaded.models}
    settings = current()
    groups = overview.resolve(settings, everyone.models)  # before anything is read or written
    inside = os.path.normpath(out_dir) == os.path.normpath(os.path.join(image_dir, DOCS_FOLDER))
    if manifest_path is None and inside:
        manifest_path = os.path.join(image_dir, "manifest.json")
    before = read(manifest_path) if manifest_path else {}
    # render's manifest: where it drew the areas of each SVG (manifest.recorded_drawn)
    rendered = os.path.join(image_dir, "manifest.json")
    drawings = before if manifest_path and os.path.normpath(manifest_path) == os.path.normpath(rendered) \
        else read(rendered)
    files_out, made = _architecture_pages(loaded.models, out_dir, image_dir, links, drawings)
    # migrations made before from the same inputs are taken as they are (overviews.reusable)
    previous = (overviews.reusable(before, os.path.dirname(manifest_path),
                                   os.path.relpath(out_dir, os.path.dirname(manifest_path)).replace(os.sep, "/"))
                if manifest_path else None)
    files_out.update(overview.pages(groups, settings,
                                    lambda i: publish.formats_of(files_out, i) if f"{i}.md" in files_out
                                    else DEFAULT_FORMATS, previous=previous))
    compared = [(g.title, g.page) for g in groups]
    files_out["index.md"] = docgen.index_page(list(listed.values()), compared=compared).encode("utf-8")
    if inside:
        # pages inside the output folder: written from there, so a docs/ that is a
        # link to another folder is refused rather than followed
        written = write_outputs(image_dir, {f"{DOCS_FOLDER}/{n}": b for n, b in files_out.items()})
    else:
        written = write_outputs(out_dir, files_out)
    run.written = written.changed
    if manifest_path:
        _record_docs(run, manifest_path, before, out_dir, made, groups, files_out, everything=not files)
    return run


@contextlib.contextmanager
def docs_overlays_ahead(out_dir: str, image_dir: str):
    """A context in which the migrations' overlays that docs_to(out_dir, image_dir) would
    make again (the manifest does not record them as made from the inputs they have now)
    are made in a background thread (docs/ahead.py), for a caller that runs render
    before docs_to (make): that thread begins when render starts a Graphviz run, or when
    the caller calls what the context gives (render has ended), and its dot runs overlap
    with render's. None are made ahead when an architecture or diagramgen.yaml has an
    error (docs_to then reports it, or is not run), or when the pages do not go to
    ``image_dir``/docs (the manifest that tells which are current is not there)."""
    import threading

    from diagramgen.docs.ahead import overlays_ahead
    from diagramgen.draw.render import signalling_runs
    from diagramgen.ids import DOCS_FOLDER
    from diagramgen.model.project import load_all

    begin = threading.Event()
    if os.path.normpath(out_dir) != os.path.normpath(os.path.join(image_dir, DOCS_FOLDER)):
        yield begin.set
        return
    loaded = load_all()  # here: the caller goes on with these models (model.project.reusing_models)
    if not loaded.ok:
        yield begin.set
        return

    def plan() -> tuple:  # in the background thread
        from diagramgen.docs import overview
        from diagramgen.model.settings import current
        from diagramgen.publish import overviews

        groups = overview.resolve(current(), loaded.models)
        wanted = overviews.changed(read(os.path.join(image_dir, "manifest.json")),
                                   os.path.relpath(out_dir, image_dir).replace(os.sep, "/"))
        # as docs/overview.pages makes them
        return overview.make_overlay_svg, [(old, new, overview.overlay_caption(g, old, new), overview.overlay_link(new))
                                           for g in groups for old, new in g.migrations if wanted(old, new)]

    with signalling_runs(begin), overlays_ahead(plan, begin):
        yield begin.set


def _load_for_docs(files, on_validated) -> tuple:
    """(the run, every architecture): the run is not ``ok`` when ``files`` or any
    architecture the index lists has an error."""
    from diagramgen.model.project import load_all

    loaded = load_all(files)
    run = DocsRun(loaded)
    everyone = load_all() if files else loaded  # the index lists every architecture
    diagnostics = list(loaded.diagnostics)
    if loaded.ok and not everyone.ok:
        diagnostics += [d for d in everyone.diagnostics if d not in loaded.diagnostics]
        run.error = "index.md lists every architecture, and one has errors; nothing written"
    if on_validated:
        on_validated(diagnostics)
    return run, everyone


def _architecture_pages(models, out_dir: str, image_dir: str, links: str, drawings: dict) -> tuple:
    """({name: bytes} of each architecture's page and the diagrams copied beside it,
    [(model, the paths written for it)]). ``drawings``: render's manifest, which holds
    where the areas of each SVG it wrote were drawn."""
    from diagramgen.docs import pages as docgen
    from diagramgen.draw.columns import drawn_areas
    from diagramgen.publish import reuse, site as publish
    from diagramgen.publish.manifest import recorded_drawn

    def drawn(m):  # where the rendered diagram has its areas, for a description that follows it
        try:
            with open(os.path.join(image_dir, f"{m.id}.svg"), "rb") as fh:
                svg = fh.read()
        except OSError:
            return None
        if not svg:
            return None
        where = recorded_drawn(drawings, m.id, svg)  # the SVG render recorded: not read again
        return drawn_areas(svg) if where is None else where

    files_out: dict = {}
    made: list = []
    for m in models:
        name = docgen.page_name(m)
        # made before from the same inputs (publish/reuse.py): taken as it is
        key = reuse.page_key(m, image_dir, out_dir, links)
        mine = reuse.made_before(key, out_dir)
        if mine is None or next(iter(mine)) != name:
            assets = publish.assets(m, image_dir, links)
            page = docgen.page(m, formats=publish.formats_of(assets, m.id), drawn=drawn(m)).encode("utf-8")
            mine = {name: page, **assets}
            reuse.remember(key, mine)
        files_out.update(mine)
        made.append((m, [os.path.join(out_dir, n) for n in mine]))
    return files_out, made


def _record_docs(run: DocsRun, manifest_path: str, before: dict, out_dir: str, made: list, groups,
                 files_out: dict, everything: bool) -> None:
    """Record the pages in the manifest (``before``: its content when the run began) and
    remove the pages it listed that are no longer made (``everything``: the run made
    every architecture's page, so a recorded one that is gone was removed)."""
    from diagramgen.docs import overview
    from diagramgen.publish import overviews

    gone = set(before.get("architectures", {})) - {m.id for m, _ in made} if everything else set()
    base = os.path.dirname(manifest_path)
    pages_dir = os.path.relpath(out_dir, base).replace(os.sep, "/")
    by_group = {g.id: [f"{pages_dir}/{n}" for n in files_out
                       if n == g.page or any(n.startswith(f"{overview.FOLDER}/{overview.migration_name(*p)}.")
                                             for p in g.migrations)] for g in groups}
    # the architectures' pages and the groups' pages recorded, and the file written once
    if update_file(manifest_path, "docs", made, None, gone,
                   then=lambda manifest: overviews.record(manifest, groups, by_group, base, copy=False)):
        run.manifest = manifest_path
    # the files of a page no longer made (a diagram's PNG that render no longer writes),
    # and every file of the architectures that are gone
    now = {m.id: [os.path.relpath(p, base).replace(os.sep, "/") for p in paths] for m, paths in made}
    for name in leftovers(before, "docs", now, base, gone) + overviews.leftovers(before, by_group):
        try:
            remove_output(base, name)
            run.removed.append(os.path.join(base, name))
        except WriteError as exc:
            run.not_removed.append((exc.path, exc.reason))


def kinds_page_to(page_path: str, catalog) -> tuple:
    """Write the Markdown page of the kinds of ``catalog`` and their icons (in kinds/
    beside it), and remove the icons of kinds no longer there. Returns (files.Written:
    every path and those written, the number of icons). Raises files.WriteError, having
    changed no file."""
    from pathlib import Path

    from diagramgen.docs import kinds as K
    from diagramgen.files import Written, output_path
    from diagramgen.publish import reuse

    folder = os.path.dirname(page_path) or "."
    # made before from the same inputs, and each file as it was made: left as it is
    # (found so by the full check, or by the record of the last one while nothing it
    # looked at changed: reuse.kinds_seen)
    kept = reuse.kinds_seen(page_path, catalog)
    key = None
    if kept is None or kept[0] != output_path(folder, Path(page_path).name):
        key = reuse.kinds_key(page_path, catalog)
        kept = reuse.kinds_unchanged(key, folder)
        if kept is not None:
            reuse.kinds_remember_seen(key, catalog, kept)
    if kept is not None and kept[0] == output_path(folder, Path(page_path).name):
        written, n_icons = Written(kept, []), len(kept) - 1
    else:
        text, icons = K.page(catalog)
        files = {Path(page_path).name: text.encode("utf-8"), **icons}
        written, n_icons = write_outputs(folder, files), len(icons)
        reuse.remember(key, files, reuse.KINDS_FOLDER)
    for old in K.leftover_icons(page_path, written.paths):
        remove_output(old.parent, old.name)
    return written, n_icons


def check_outputs(manifest_path: str, files=()) -> tuple:
    """Whether the outputs recorded in the manifest at ``manifest_path`` are those of
    the current inputs: (the architectures loaded, one diagnostic per problem). When an
    architecture file has an error only that is returned (``loaded.ok`` is False). The
    groups' overview pages are checked too when no FILES are named."""
    from diagramgen.model.project import load_all
    from diagramgen.publish.manifest import DEFAULT_RENDER_OPTIONS, stale

    loaded = load_all(files)
    if not loaded.ok:
        return loaded, list(loaded.diagnostics)
    manifest = _read_manifest(manifest_path)
    if not isinstance(manifest, dict):
        return loaded, [manifest]
    diags = stale(manifest, loaded.models, manifest_path, render_options=DEFAULT_RENDER_OPTIONS,
                  complete=not files)
    if not files:  # the groups' pages are made from every architecture
        from diagramgen.docs.overview import resolve
        from diagramgen.model.settings import current
        from diagramgen.publish.overviews import stale as stale_groups

        diags += stale_groups(manifest, resolve(current(), loaded.models), manifest_path)
    return loaded, diags


def _read_manifest(path: str):
    """The manifest at ``path`` (a dict), or the one diagnostic saying why it cannot be
    read: absent, a directory, empty, not UTF-8, not JSON (at its line and column), not
    a manifest, or one of a newer diagramgen."""
    import json

    from diagramgen.diagnostics import ERROR, Diagnostic, Pos
    from diagramgen.publish.manifest import REGENERATE, NewerManifest, loads

    run = f'run "{REGENERATE}"'
    pos = Pos(path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        text = data.decode("utf-8")
        if not text.strip():
            raise ValueError("the file is empty")
        return loads(text)
    except FileNotFoundError:
        why = "it does not exist: nothing was generated here yet, or --manifest names another file"
    except IsADirectoryError:
        why = "it is a directory"
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
    except UnicodeDecodeError:
        why = "not UTF-8 text"
    except NewerManifest as exc:
        return Diagnostic(pos, ERROR, f"outputs made by a newer diagramgen ({exc}); {run} to make them "
                                      "with this version", "DG602")
    except json.JSONDecodeError as exc:
        pos, why = Pos(path, exc.lineno, exc.colno), f"not JSON: {exc.msg}"
    except ValueError as exc:
        why = str(exc)
    return Diagnostic(pos, ERROR, f"cannot read the manifest ({why}); {run}", "DG601")


def schemas_to(folder: str, catalog) -> list:
    """Write the JSON Schemas of architecture and fragment files (with the kinds of
    ``catalog``) into ``folder``; return the paths of those written (a schema that is
    already there as it would be written is left as it is). Raises files.WriteError."""
    from pathlib import Path

    from diagramgen.files import write_atomic
    from diagramgen.model.schema import json_schema_text

    out = []
    for name in ("architecture", "fragment"):
        path = Path(folder) / f"{name}.schema.json"
        if write_atomic(path, json_schema_text(name, catalog).encode("utf-8")):
            out.append(path)
    return out


def new_to(target, text: str, catalog) -> list:
    """Write a new architecture file ``target`` (never over an existing file), after the
    schemas its first line names when the repository has none yet; return the paths
    written. Raises files.WriteError, or DiagramgenError when ``target`` exists."""
    from diagramgen.diagnostics import ERROR, Diagnostic, DiagramgenError, Pos
    from diagramgen.files import create_new, write_atomic
    from diagramgen.model.scaffold import missing_schemas

    written = []
    for path, data in missing_schemas(catalog).items():
        if write_atomic(path, data):
            written.append(path)
    try:
        create_new(target, text.encode("utf-8"))
    except FileExistsError:
        raise DiagramgenError([Diagnostic(Pos(str(target)), ERROR, "already exists; diagramgen new never "
                                          "overwrites a file", "DG704")]) from None
    written.append(target)
    return written
