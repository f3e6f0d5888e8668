"""The command line: a thin shell over the library (parse options, call, print, exit)."""
from __future__ import annotations

import json
import os
import sys

import click

from diagramgen import __version__
from diagramgen.diagnostics import term
from diagramgen.model.project import load_all

EXIT_OK, EXIT_ERROR = 0, 1


def json_line(value) -> str:
    """One JSON object on one line, whatever its text holds: non-ASCII stays readable, but
    line and paragraph separators (U+2028, U+2029, U+0085), which some readers split
    lines on, and lone surrogates are written as \\u escapes."""
    text = json.dumps(value, ensure_ascii=False)
    return "".join(c if c not in "\u2028\u2029\x85" and not 0xD800 <= ord(c) <= 0xDFFF
                   else f"\\u{ord(c):04x}" for c in text)


def _print_diagnostics(diags) -> None:
    for d in diags:
        click.echo(str(d), err=True)


def _formats(value: str) -> tuple:
    from diagramgen.draw.render import FORMATS

    chosen = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise click.BadParameter(f"choose from {', '.join(FORMATS)} (comma-separated), got '{value}'")
    return chosen


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="diagramgen")
def main() -> None:
    """Reference architectures as code.

    Architecture files (YAML) in architectures/ are validated and rendered to
    diagrams whose numbered edges are the Dataflow steps. An optional diagramgen.yaml
    in the folder diagramgen runs in adds the repository's own component kinds and
    the wording of the generated pages.
    """


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True))
def validate(files) -> None:
    """Check architecture files and report every problem.

    FILES default to every architectures/*.yaml. Problems print as
    path:line:col: error|warning: message. Exit status 1 on any error.

    Example: diagramgen validate architectures/premium.yaml
    """
    loaded = load_all(files)
    if not files and loaded.ok:  # the groups of diagramgen.yaml name architectures of the folder
        from diagramgen.docs.overview import OverviewError, resolve
        from diagramgen.model.settings import current

        try:
            resolve(current(), loaded.models)
        except OverviewError as exc:
            loaded.diagnostics += exc.diagnostics
    _print_diagnostics(loaded.diagnostics)
    errors = sum(d.is_error for d in loaded.diagnostics)
    warnings = len(loaded.diagnostics) - errors
    click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(EXIT_ERROR if errors else EXIT_OK)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Directory to write the diagrams into.")
@click.option("--format", "formats", default="png,svg,html", show_default=True,
              help="Output formats, comma-separated (png, svg, html: the offline viewer, pdf: for print).")
@click.option("--steps/--no-steps", default=True, show_default=True,
              help="Also write the step view steps/<id>.svg: open steps/<id>.svg#step-N to see step N emphasised.")
@click.option("--step-png", is_flag=True, help="Also write one PNG per step, steps/<id>-step-N.png (implies --steps).")
@click.option("--force", is_flag=True,
              help="Render every architecture, even those whose inputs did not change.")
@click.option("-j", "--jobs", type=click.IntRange(0, 64), default=0, show_default=True,
              help="Architectures rendered at once (0: one per core).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--progress/--no-progress", default=None,
              help="One line per architecture with its time (default: on when stderr is a terminal).")
def render(files, out_dir, formats, steps, step_png, force, jobs, quiet, progress) -> None:
    """Render architecture diagrams: PNG, self-contained SVG and an offline HTML viewer.

    Every file is validated first; on any error nothing is written. Architectures whose
    inputs (architecture file, fragments, catalog, diagramgen.yaml, icons, tool version,
    options) have
    not changed since the last render into DIR are skipped, by content hash recorded in
    DIR/manifest.json; --force renders them anyway.

    Example: diagramgen render architectures/premium.yaml --out build --format svg --no-steps

    Example: diagramgen render --format png,svg,html,pdf
    """
    from diagramgen.draw.render import RenderError, stopped_by_signals
    from diagramgen.publish.files import WriteError
    from diagramgen.publish.outputs import render_to

    try:
        chosen = _formats(formats)
    except click.BadParameter as exc:
        raise click.UsageError(str(exc)) from None
    step_formats = ("svg", "png") if step_png else ("svg",) if steps else ()
    show = not quiet and (progress if progress is not None else sys.stderr.isatty())

    def validated(loaded, cached) -> None:
        _print_diagnostics(loaded.diagnostics)
        if loaded.ok and show:
            for m in cached:
                click.echo(f"{m.id}: up to date", err=True)

    def rendered(model, n_files, secs) -> None:
        if show:
            click.echo(f"{model.id}: rendered {n_files} file(s) in {secs:.2f} s", err=True)

    try:
        with stopped_by_signals():  # SIGTERM: no dot left running, no temporary files left
            run = render_to(out_dir, files, chosen, step_formats, force=force, jobs=jobs,
                            on_validated=validated, on_rendered=rendered)
    except (RenderError, WriteError) as exc:
        click.echo(f"error: {term(exc)}", err=True)
        sys.exit(EXIT_ERROR)
    if not run.loaded.ok:
        sys.exit(EXIT_ERROR)
    if show:
        if run.manifest:
            click.echo(f"wrote {term(run.manifest)}", err=True)
        for path in run.removed:
            click.echo(f"removed {term(path)}", err=True)
    for path, reason in run.not_removed:
        click.echo(f"warning: cannot remove {term(path)}: {term(reason)}", err=True)
    if not quiet:
        click.echo(f"rendered {len(run.rendered)} architecture(s), {len(run.cached)} up to date, into {term(out_dir)}")


@main.command("list")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line instead of a table.")
def list_(files, as_json) -> None:
    """List architectures with their counts of areas, components, steps and flows.

    Example: diagramgen list --json
    """
    loaded = load_all(files)
    if not loaded.ok:
        _print_diagnostics(loaded.diagnostics)
        sys.exit(EXIT_ERROR)
    for m in loaded.models:
        s = m.stats()
        if as_json:
            click.echo(json_line(s))
        else:
            click.echo(f"{s['id']:<14} {s['areas']:>2} areas {s['components']:>3} components "
                       f"{s['steps']:>3} steps {s['flows']:>3} flows  {term(s['file'])}  {term(s['title'])}")


@main.command("check-docs")
@click.argument("docs", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--arch", "arch_file", type=click.Path(dir_okay=False),
              help="Architecture file to check against (default: the one whose docs_page is DOC).")
@click.option("--group", "group_id", metavar="GROUP",
              help="Check DOCS as the overview page of this group of diagramgen.yaml (default: the group "
                   "whose overview_page is DOC).")
def check_docs(docs, arch_file, group_id) -> None:
    """Check the Dataflow list of hand-written Markdown pages against the architectures.

    With no DOCS, checks the docs_page of every architecture in architectures/, and the
    overview_page of every group of diagramgen.yaml (its table: one row per architecture
    of the group, with its products and a link to its docs_page); pages whose file is
    absent are skipped with a note. Drift prints as DOC:line: error: message. Exit
    status 1 on any drift.

    Example: diagramgen check-docs docs/premium.md --arch architectures/premium.yaml

    Example: diagramgen check-docs docs/overview.md --group contact_center
    """
    import os

    from diagramgen.docs import overview
    from diagramgen.docs.checkdocs import PageError, architecture_for, check_page, page_path, read_page

    if group_id and arch_file:
        raise click.UsageError("give --arch or --group, not both")
    loaded = load_all([arch_file] if arch_file else [])
    if not loaded.ok:
        _print_diagnostics(loaded.diagnostics)
        sys.exit(EXIT_ERROR)
    groups = _groups_or_exit(loaded.models) if not arch_file else []
    if group_id and group_id not in {g.id for g in groups}:
        known = ", ".join(g.id for g in groups) or "none"
        click.echo(f"error: diagramgen.yaml declares no group '{term(group_id)}' (groups: {term(known)})", err=True)
        sys.exit(EXIT_ERROR)
    jobs, errors = [], 0
    if docs:
        for doc in docs:
            group = next(g for g in groups if g.id == group_id) if group_id else \
                None if arch_file else overview.group_for(doc, groups)
            if group is not None:
                if not os.path.exists(doc):
                    click.echo(f"{term(doc)}: error: no such file", err=True)
                    errors += 1
                else:
                    jobs.append((doc, group))
                continue
            arch = loaded.models[0] if arch_file else architecture_for(doc, loaded.models)
            if arch is None:
                click.echo(f"{term(doc)}: error: no architecture has this page as its docs_page; "
                           "pass --arch FILE", err=True)
                errors += 1
            elif not os.path.exists(doc):
                click.echo(f"{term(doc)}: error: no such file", err=True)
                errors += 1
            else:
                jobs.append((doc, arch))
    else:
        for m in loaded.models:
            page = page_path(m)
            if page is None:
                if m.docs_page:  # a URL: a published page, not a file this command reads
                    click.echo(f"{term(m.docs_page)}: note: skipped, a URL is not checked ({term(m.path)} maps to it)", err=True)
                continue
            if not os.path.exists(page):  # present but not a regular file: read_page says so
                click.echo(f"{term(page)}: note: skipped, the page is absent ({term(m.path)} maps to it)", err=True)
                continue
            jobs.append((page, m))
        for g in groups:
            if not g.overview_page:
                continue
            if not os.path.exists(g.overview_page):
                click.echo(f"{term(g.overview_page)}: note: skipped, the page is absent (the overview_page of "
                           f"group {term(g.id)})", err=True)
                continue
            jobs.append((g.overview_page, g))
    for doc, arch in jobs:
        try:
            text = read_page(doc)
        except PageError as exc:
            click.echo(f"{term(doc)}: error: {term(exc)}", err=True)
            errors += 1
            continue
        if isinstance(arch, overview.Resolved):
            diags = overview.check_overview(text, arch, doc)
            _print_diagnostics(diags)
            errors += len(diags)
            if not diags:
                click.echo(f"ok {term(doc)} (the {len(arch.members)} architectures of group {term(arch.id)})")
            continue
        diags = check_page(text, arch, doc)
        _print_diagnostics(diags)
        errors += len(diags)
        if not diags:
            click.echo(f"ok {term(doc)} ({len(arch.steps)} steps of {term(arch.path)})")
    sys.exit(EXIT_ERROR if errors else EXIT_OK)


def _update_manifest(path: str, product: str, written, options=None, quiet: bool = False, drop_ids=()) -> None:
    """Record in the manifest at ``path`` what ``product`` outputs were written from."""
    from diagramgen.publish.manifest import update_file

    update_file(path, product, written, options, drop_ids)
    if not quiet:
        click.echo(f"wrote {term(path)}")


def _write_manifest(path: str, manifest: dict) -> None:
    from diagramgen.publish.files import WriteError, write_atomic
    from diagramgen.publish.manifest import dumps

    try:
        write_atomic(path, dumps(manifest).encode("utf-8"))
    except OSError as exc:
        raise WriteError(path, exc.strerror or str(exc)) from None
    click.echo(f"wrote {term(path)}")


def _groups_or_exit(models) -> list:
    """The groups of diagramgen.yaml with their architectures, or print what they name
    wrongly and exit 1."""
    from diagramgen.docs.overview import OverviewError, resolve

    try:
        return resolve(_settings_or_exit(), models)
    except OverviewError as exc:
        _print_diagnostics(exc.diagnostics)
        sys.exit(EXIT_ERROR)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--out", "out_dir", default=os.path.join("output", "docs"), show_default=True,
              type=click.Path(file_okay=False), help="Directory to write the pages into.")
@click.option("--images", "image_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Directory holding the rendered diagrams (copied into OUT/diagrams/).")
@click.option("--links", default="dir", show_default=True, metavar="STYLE",
              help="How the diagrams and viewers link to a page: dir (MkDocs: premium/), html "
                   "(premium.html), md (premium.md, for GitHub) or a URL template with {id}.")
@click.option("--manifest", "manifest_path", default=None,
              help="Manifest to record the pages' inputs in [default: IMAGES/manifest.json when the "
                   "pages go to IMAGES/docs, else none].")
def docs(files, out_dir, image_dir, links, manifest_path) -> None:
    """Generate one Markdown page per architecture, plus index.md.

    Each page has the title, scenario, summary, the diagram with a short alt text and a
    full description, the Dataflow steps (anchors step-1, step-2, ...), the components
    by area and the assumptions. OUT/diagrams/ gets each diagram and viewer, made from
    IMAGES, so OUT is a complete MkDocs docs_dir. index.md always lists every
    architecture in architectures/, also when FILES names only some. Wording (index
    title, intro, footer, the foundation paragraph) comes from diagramgen.yaml. Run
    render first. Nothing is written on errors.

    Example: diagramgen docs --out output/docs --links html
    """
    from diagramgen.docs import overview, pages as docgen
    from diagramgen.draw.render import DEFAULT_FORMATS, RenderError
    from diagramgen.ids import DOCS_FOLDER
    from diagramgen.publish import overviews, site as publish
    from diagramgen.publish.files import WriteError, remove_output, write_outputs
    from diagramgen.publish.manifest import leftovers, read

    try:
        links = publish.check_links(links)
    except ValueError as exc:
        raise click.UsageError(f"--links: {exc}") from None
    loaded = load_all(files)
    _print_diagnostics(loaded.diagnostics)
    if not loaded.ok:
        sys.exit(EXIT_ERROR)
    everyone = load_all() if files else loaded  # the index lists every architecture
    if not everyone.ok:
        _print_diagnostics([d for d in everyone.diagnostics if d not in loaded.diagnostics])
        click.echo("error: index.md lists every architecture, and one has errors; nothing written", err=True)
        sys.exit(EXIT_ERROR)
    listed = {os.path.realpath(m.path): m for m in everyone.models + loaded.models}
    groups = _groups_or_exit(everyone.models)  # before anything is read or written
    def drawn(m):  # the rendered diagram, for a description that follows the drawing
        try:
            with open(os.path.join(image_dir, f"{m.id}.svg"), "rb") as fh:
                return fh.read()
        except OSError:
            return None

    files_out: dict = {}
    made: list = []
    try:
        for m in loaded.models:
            assets = publish.assets(m, image_dir, links)
            name = docgen.page_name(m)
            files_out[name] = docgen.page(m, formats=publish.formats_of(assets, m.id), svg=drawn(m)).encode("utf-8")
            files_out.update(assets)
            made.append((m, [os.path.join(out_dir, n) for n in [name, *assets]]))
    except publish.PublishError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    pages_in_output = os.path.normpath(out_dir) == os.path.normpath(os.path.join(image_dir, DOCS_FOLDER))
    if manifest_path is None and pages_in_output:
        manifest_path = os.path.join(image_dir, "manifest.json")
    before = read(manifest_path) if manifest_path else {}
    base = os.path.dirname(manifest_path) if manifest_path else ""
    pages_dir = os.path.relpath(out_dir, base).replace(os.sep, "/") if manifest_path else ""
    try:
        files_out.update(overview.pages(groups, _settings_or_exit(),
                                        lambda i: publish.formats_of(files_out, i) if f"{i}.md" in files_out
                                        else DEFAULT_FORMATS,
                                        previous=overviews.reusable(before, base, pages_dir) if manifest_path else None))
    except RenderError as exc:
        click.echo(f"error: {term(exc)}", err=True)
        sys.exit(EXIT_ERROR)
    compared = [(g.title, g.page) for g in groups]
    files_out["index.md"] = docgen.index_page(list(listed.values()), compared=compared).encode("utf-8")
    try:
        if pages_in_output:
            # pages inside the output folder: written from there, so a docs/ that is a
            # link to another folder is refused rather than followed
            written = write_outputs(image_dir, {f"{DOCS_FOLDER}/{n}": b for n, b in files_out.items()})
        else:
            written = write_outputs(out_dir, files_out)
        for path in written:
            click.echo(f"wrote {term(path)}")
        if manifest_path:
            gone = set() if files else set(before.get("architectures", {})) - {m.id for m in loaded.models}
            _update_manifest(manifest_path, "docs", made,
                             drop_ids=gone, quiet=True)
            by_group = {g.id: [f"{pages_dir}/{n}" for n in files_out
                               if n == g.page or any(n.startswith(f"{overview.FOLDER}/{overview.migration_name(*p)}.")
                                                     for p in g.migrations)] for g in groups}
            _write_manifest(manifest_path, overviews.record(read(manifest_path), groups, by_group, base))
            old_pages = overviews.leftovers(before, by_group)
            for name in leftovers(before, "docs", {}, base, gone) + old_pages:
                try:
                    remove_output(base, name)
                    click.echo(f"removed {term(os.path.join(base, name))}")
                except WriteError as exc:
                    click.echo(f"warning: cannot remove {term(exc.path)}: {term(exc.reason)}", err=True)
    except WriteError as exc:
        click.echo(f"error: {term(exc)}", err=True)
        sys.exit(EXIT_ERROR)


@main.command("check-outputs")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--manifest", "manifest_path", default=os.path.join("output", "manifest.json"), show_default=True,
              help="Manifest written by render and docs.")
def check_outputs(files, manifest_path) -> None:
    """Check that the diagrams and pages were regenerated after their inputs changed.

    Compares content hashes of each architecture's inputs (its file and fragments,
    diagramgen.yaml, the icons, the code files that shape each output) and of every
    output file with those the manifest recorded, and the diagramgen that made them
    (its version) with this one.
    Prints one line for outputs made by another diagramgen, one per stale architecture
    and one per missing or changed output file, each with the command to run; exit
    status 1 if anything is out of date.

    Example: diagramgen check-outputs --manifest output/manifest.json
    """
    from diagramgen.publish.manifest import DEFAULT_RENDER_OPTIONS, REGENERATE, loads, stale

    loaded = load_all(files)
    if not loaded.ok:
        _print_diagnostics(loaded.diagnostics)
        sys.exit(EXIT_ERROR)
    try:
        with open(manifest_path, encoding="utf-8") as fh:
            manifest = loads(fh.read())
    except (OSError, ValueError) as exc:
        click.echo(f"{term(manifest_path)}: error: cannot read the manifest ({term(exc)}); "
                   f'run "{REGENERATE}"', err=True)
        sys.exit(EXIT_ERROR)
    diags = stale(manifest, loaded.models, manifest_path, render_options=DEFAULT_RENDER_OPTIONS,
                  complete=not files)
    if not files:  # the groups' pages are made from every architecture
        from diagramgen.publish.overviews import stale as stale_groups

        diags += stale_groups(manifest, _groups_or_exit(loaded.models), manifest_path)
    _print_diagnostics(diags)
    if not diags:
        click.echo(f"ok: outputs of {len(loaded.models)} architecture(s) are up to date")
    sys.exit(EXIT_ERROR if diags else EXIT_OK)


_DIFF_COLOURS = {"added": "green", "removed": "red", "changed": "yellow"}


def _diff_style(t: str, status: str) -> str:
    if status == "header":
        return click.style(t, bold=True)
    colour = _DIFF_COLOURS.get(status)
    return click.style(t, fg=colour) if colour else t


def _image_paths(template: str, ids: list) -> dict:
    from pathlib import Path

    if "{id}" in template:
        return {i: template.replace("{id}", i) for i in ids}
    if len(ids) == 1:
        return {ids[0]: template}
    p = Path(template)
    return {i: str(p.with_name(f"{p.stem}-{i}{p.suffix}")) for i in ids}


@main.command("diff")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--base", metavar="REV", help="Git revision to compare from (then FILES are optional).")
@click.option("--head", metavar="REV", help="Git revision to compare to [default: the working tree].")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="Report format.")
@click.option("--output", type=click.Path(dir_okay=False), help="Write the report to this file instead of stdout.")
@click.option("--image", metavar="PATH", help="Write an overlay diagram (.svg or .png) per changed "
              "architecture; '{id}' in PATH is replaced by the architecture id.")
@click.option("--image-link", metavar="TEMPLATE", help="How Markdown links the images ('{id}' replaced) "
              "[default: the image path, relative to --output].")
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are differences, 0 when none.")
def diff_(files, base, head, fmt, output, image, image_link, exit_code) -> None:
    """Show what changed between two versions of architectures.

    Compare two files, or the architectures of two git revisions (FILES default to every
    architectures/*.yaml on either side, so added and removed files are reported).
    Steps are matched by their flows and text: an inserted step is reported as one
    insertion plus a renumbering.

    Example: diagramgen diff old.yaml new.yaml

    Example: diagramgen diff --base main --format markdown --image 'output/diff/{id}.png'
    """
    import os
    from pathlib import Path

    from diagramgen.diff import compare as D
    from diagramgen.diff.revisions import GitError, compare, relative_paths, repo_root
    from diagramgen.draw.render import RenderError, run_dot
    from diagramgen.model.validate import load_architecture
    from diagramgen.publish.files import WriteError, write_atomic

    if image and Path(image).suffix.lower() not in (".svg", ".png"):
        raise click.UsageError(f"--image must end in .svg or .png, got '{image}'")
    if base is None:
        if head is not None or len(files) != 2:
            raise click.UsageError("give OLD.yaml NEW.yaml, or --base REV [--head REV] [FILES]")
        sides, diags = [], []
        for f in files:
            m, ds = load_architecture(f)
            diags += [d for d in ds if d.is_error]
            sides.append(m)
        if diags:
            _print_diagnostics(diags)
            sys.exit(EXIT_ERROR)
        key = files[1]
        old_models, new_models = {key: sides[0]}, {key: sides[1]}
        base_label, head_label = files[0], files[1]
        result = D.DiffResult(base_label, head_label, (D.diff_architectures(*sides),))
    else:
        try:
            root = repo_root()
            old, new = compare(root, base, head, relative_paths(root, files))
        except GitError as exc:
            click.echo(f"error: {term(exc)}", err=True)
            sys.exit(EXIT_ERROR)
        if not (old.ok and new.ok):
            _print_diagnostics(old.diagnostics + new.diagnostics)
            sys.exit(EXIT_ERROR)
        old_models, new_models = old.models, new.models
        base_label, head_label = base, head or "working tree"
        result = D.diff_sets(old_models, new_models, base_label, head_label)

    images: dict = {}
    if image:
        changed = [a for a in result.architectures if a.changed]
        targets = _image_paths(image, [a.id for a in changed])
        try:
            for a in changed:
                key = a.path
                src = D.overlay_source(old_models.get(key), new_models.get(key), f"{base_label} \u2192 {head_label}")
                fmt_img = Path(targets[a.id]).suffix.lower()[1:]
                images[a.id] = (targets[a.id], run_dot(src, [fmt_img])[fmt_img])
        except RenderError as exc:
            click.echo(f"error: {term(exc)}", err=True)
            sys.exit(EXIT_ERROR)
    if fmt == "json":
        report = D.render_json(result)
    elif fmt == "markdown":
        links = {}
        for i, (path, _) in images.items():
            if image_link:
                links[i] = image_link.replace("{id}", i)
            else:
                links[i] = os.path.relpath(path, os.path.dirname(os.path.abspath(output))) if output else path
        report = D.render_markdown(result, links)
    else:
        report = D.render_text(result, None if output else _diff_style)
    try:
        for path, data in images.values():
            write_atomic(Path(path), data)
            click.echo(f"wrote {term(path)}", err=True)
        if output:
            write_atomic(Path(output), report.encode("utf-8"))
            click.echo(f"wrote {term(output)}", err=True)
    except WriteError as exc:
        click.echo(f"error: {term(exc)}", err=True)
        sys.exit(EXIT_ERROR)
    if not output:
        click.echo(report, nl=False)
    sys.exit(EXIT_ERROR if exit_code and result.changed else EXIT_OK)


def _settings_or_exit():
    """The repository settings, or print their problems and exit 1."""
    from diagramgen.diagnostics import DiagramgenError
    from diagramgen.model.settings import current

    try:
        return current()
    except DiagramgenError as exc:
        _print_diagnostics(exc.diagnostics)
        sys.exit(EXIT_ERROR)


@main.command()
@click.option("--fragment", is_flag=True, help="The schema of fragment files (architectures/fragments/) instead.")
@click.option("--write", is_flag=True,
              help="Write schema/architecture.schema.json and schema/fragment.schema.json instead of printing.")
def schema(fragment, write) -> None:
    """Print the JSON Schema of architecture files, for editors and CI.

    The schema is generated from the same declarations the validator uses, with the
    component kinds (built-in and those of diagramgen.yaml) as an enum. --write writes
    both schemas into schema/ of the current folder, where architecture files point
    their editors (`diagramgen new` writes them when they are missing); run it again
    after changing the kinds of diagramgen.yaml or installing another diagramgen.

    Example: diagramgen schema --write
    """
    from pathlib import Path

    from diagramgen.model.schema import json_schema_text
    from diagramgen.publish.files import write_atomic

    catalog = _settings_or_exit().catalog
    if not write:
        click.echo(json_schema_text("fragment" if fragment else "architecture", catalog), nl=False)
        return
    for name in ("architecture", "fragment"):
        path = Path("schema") / f"{name}.schema.json"
        try:
            write_atomic(path, json_schema_text(name, catalog).encode("utf-8"))
        except OSError as exc:
            click.echo(f"error: cannot write {path}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_ERROR)
        click.echo(f"wrote {path}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per kind instead of a table.")
@click.option("--page", "page_path", type=click.Path(dir_okay=False),
              help="Write a Markdown catalog page with each kind's icon (icons go to kinds/ beside it).")
def kinds(as_json, page_path) -> None:
    """List the component kinds: built-in ones and those of diagramgen.yaml.

    Shows each kind's id, label, default area, provenance and source (built-in or
    repository). --page writes a Markdown page with every kind's icon, the icons as
    PNGs in a kinds/ folder beside the page.

    Example: diagramgen kinds --page output/docs/kinds.md
    """
    from pathlib import Path

    from diagramgen.docs import kinds as K
    from diagramgen.publish.files import WriteError, remove_output, write_outputs

    catalog = _settings_or_exit().catalog
    if page_path:
        text, icons = K.page(catalog)
        files_out = {Path(page_path).name: text.encode("utf-8"), **icons}
        try:
            written = write_outputs(os.path.dirname(page_path) or ".", files_out)
        except WriteError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        try:
            for old in K.leftover_icons(page_path, written):
                remove_output(old.parent, old.name)
        except WriteError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        click.echo(f"wrote {page_path} and {len(icons)} icons in {Path(page_path).parent / 'kinds'}")
        return
    if as_json:
        for row in K.rows(catalog):
            click.echo(json.dumps(row, ensure_ascii=False))
    else:
        click.echo(K.text_table(catalog), nl=False)


@main.command()
@click.argument("arch_id", metavar="ID")
@click.option("--title", required=True, help="Title of the new architecture.")
@click.option("--from", "source", type=click.Path(exists=True, dir_okay=False),
              help="Copy this architecture file (comments kept) instead of the minimal template.")
@click.option("--dir", "directory", default="architectures", show_default=True,
              type=click.Path(file_okay=False), help="Folder to create the file in.")
def new(arch_id, title, source, directory) -> None:
    """Start a new architecture file, valid from the first save.

    Writes DIR/ID.yaml (with '-' for '_' in the file name) from a minimal template, or
    from a copy of an existing file with its id and title replaced. The template's
    products, legend, assumptions and includes come from the `new:` section of
    diagramgen.yaml (neutral without it; the shared fragments when DIR has them). The
    file's first line points editors at schema/architecture.schema.json; when the
    folder has no schema/ files yet, they are written too (as `diagramgen schema
    --write` does). Never overwrites a file.

    Example: diagramgen new self_service --title "Self service with Copilot Studio"
    """
    from diagramgen.diagnostics import DiagramgenError
    from diagramgen.model.scaffold import check_new, missing_schemas, new_architecture
    from diagramgen.publish.files import WriteError, create_new, write_atomic

    settings = _settings_or_exit()
    try:
        target, text = new_architecture(arch_id, title, directory, source)
    except DiagramgenError as exc:
        _print_diagnostics(exc.diagnostics)
        sys.exit(EXIT_ERROR)
    diags = check_new(target, text)
    _print_diagnostics(diags)
    if any(d.is_error for d in diags):
        click.echo(f"error: {term(target)} would not be valid; nothing written", err=True)
        sys.exit(EXIT_ERROR)
    try:  # the schemas its first line names, for a repository that has none yet
        for path, data in missing_schemas(settings.catalog).items():
            write_atomic(path, data)
            click.echo(f"wrote {term(path)}")
    except WriteError as exc:
        click.echo(f"error: {term(exc)}", err=True)
        sys.exit(EXIT_ERROR)
    try:
        create_new(target, text.encode("utf-8"))
    except FileExistsError:
        click.echo(f"{term(target)}: error: already exists; diagramgen new never overwrites a file", err=True)
        sys.exit(EXIT_ERROR)
    except WriteError as exc:
        click.echo(f"error: {term(exc)}", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"wrote {term(target)}")
    click.echo("next: edit its scenario, areas, components and dataflow steps, then\n"
               f"  diagramgen validate {term(target)}\n"
               f"  diagramgen watch {term(target)}     # re-renders into output/ on every save")


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Directory to write the diagrams into.")
@click.option("--format", "formats", default="png,svg,html", show_default=True,
              help="Output formats, comma-separated (png, svg, html: the offline viewer, pdf: for print).")
def watch(files, out_dir, formats) -> None:
    """Re-validate and re-render architectures on every save.

    Renders once, then again whenever an architecture file, a fragment it includes or
    the catalog changes; prints the problems or the files written, and keeps running
    after an invalid save. Ctrl-C stops it. After each render it names the viewer page
    (DIR/<id>.html) to reload in the browser; the manifest in DIR is kept current.

    Example: diagramgen watch architectures/premium.yaml --format svg
    """
    from diagramgen.watch import Watcher, run

    try:
        chosen = _formats(formats)
    except click.BadParameter as exc:
        raise click.UsageError(str(exc)) from None
    watcher = Watcher(files=tuple(files), out_dir=out_dir, formats=chosen)
    try:
        run(watcher, lambda m: click.echo(term(m.text), err=m.error))
    except KeyboardInterrupt:
        pass
    click.echo("stopped")
