"""The command line: a thin shell over the library (parse options, call, print, exit)."""
from __future__ import annotations

import json
import os
import sys

import click

from diagramgen import __version__, commands
from diagramgen.commands import EXIT_ERROR, EXIT_OK
from diagramgen.diagnostics import Failure, term


def json_line(value) -> str:
    """One JSON object on one line, whatever its text holds: non-ASCII stays readable, but
    line and paragraph separators (U+2028, U+2029, U+0085), which some readers split
    lines on, and lone surrogates are written as \\u escapes."""
    text = json.dumps(value, ensure_ascii=False)
    return "".join(c if c not in "\u2028\u2029\x85" and not 0xD800 <= ord(c) <= 0xDFFF
                   else f"\\u{ord(c):04x}" for c in text)


def _print_diagnostics(diags) -> None:
    commands.print_diagnostics(diags, click.echo)


class _Commands(click.Group):
    """The command group; the one place a Failure ends a command: its diagnostics (an
    invalid diagramgen.yaml, a group naming what does not exist) or ``error: message``
    are printed, and the exit status is 1."""

    def invoke(self, ctx: click.Context):
        from diagramgen.draw.graphvizserver import session

        try:
            with session():  # the command's Graphviz runs share one Graphviz process
                return super().invoke(ctx)
        except Failure as exc:
            sys.exit(commands.report_failure(exc, click.echo))


def _end(status: int) -> None:
    """End the command with ``status`` unless it is 0 (then it returns, as commands do)."""
    if status:
        sys.exit(status)


def _formats(value: str) -> tuple:
    try:
        return commands.parse_formats(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object per problem on stdout (path, severity, code, message, start and end "
                   "line and column) instead of text.")
def validate(files, as_json) -> None:
    """Check architecture files and report every problem.

    FILES default to every architectures/*.yaml. Problems print as
    path:line:col: error|warning: message [CODE]; the README lists every code. Exit
    status 1 on any error.

    Example: diagramgen validate architectures/premium.yaml

    Example: diagramgen validate --json
    """
    from diagramgen.docs.overview import check_groups
    from diagramgen.model.project import load_all

    loaded = load_all(files)
    # the groups of diagramgen.yaml name architectures of the folder
    diags = loaded.diagnostics + (check_groups(loaded.models) if not files and loaded.ok else [])
    errors = sum(d.is_error for d in diags)
    if as_json:
        for d in diags:
            click.echo(json_line(d.as_json()))
    else:
        _print_diagnostics(diags)
        click.echo(f"{errors} error(s), {len(diags) - errors} warning(s)", err=True)
    sys.exit(EXIT_ERROR if errors else EXIT_OK)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--out", "out_dir", default=commands.RENDER_OUT, show_default=True, type=click.Path(file_okay=False),
              help="Directory to write the diagrams into.")
@click.option("--format", "formats", default=commands.RENDER_FORMATS, show_default=True,
              help="Output formats, comma-separated (png, svg, html: the offline viewer, pdf: for print).")
@click.option("--steps/--no-steps", default=True, show_default=True,
              help="Also write the step view steps/<id>.svg: open steps/<id>.svg#step-N to see step N emphasised.")
@click.option("--step-png", is_flag=True, help="Also write one PNG per step, steps/<id>-step-N.png (implies --steps).")
@click.option("--force", is_flag=True,
              help="Render every architecture, even those whose inputs did not change, each laid out by "
                   "Graphviz again (no kept layout).")
@click.option("-j", "--jobs", type=click.IntRange(0, 64), default=0, show_default=True,
              help="Architectures rendered at once (0: one per core).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--progress/--no-progress", default=None,
              help="One line per architecture with its time, and whether Graphviz's output was a kept "
                   "layout (default: on when stderr is a terminal).")
def render(files, out_dir, formats, steps, step_png, force, jobs, quiet, progress) -> None:
    """Render architecture diagrams: PNG, self-contained SVG and an offline HTML viewer.

    Every file is validated first; on any error nothing is written. Architectures whose
    inputs (architecture file, fragments, catalog, diagramgen.yaml, icons, tool version,
    options) have
    not changed since the last render into DIR are skipped, by content hash recorded in
    DIR/manifest.json; --force renders them anyway. What Graphviz wrote is kept and
    taken again for the same Graphviz input (an edit of a step's text or a description
    needs no new layout); --force always lays out.

    Example: diagramgen render architectures/premium.yaml --out build --format svg --no-steps

    Example: diagramgen render --format png,svg,html,pdf
    """
    try:
        chosen = _formats(formats)
    except click.BadParameter as exc:
        raise click.UsageError(str(exc)) from None
    step_formats = ("svg", "png") if step_png else ("svg",) if steps else ()
    _end(commands.render(click.echo, files, out_dir, chosen, step_formats, force=force, jobs=jobs, quiet=quiet,
                         progress=progress))


@main.command("list")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line instead of a table.")
def list_(files, as_json) -> None:
    """List architectures with their counts of areas, components, steps and flows.

    Example: diagramgen list --json
    """
    from diagramgen.model.project import load_all

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
    from diagramgen.docs.check import check_docs as check
    from diagramgen.docs.overview import resolve
    from diagramgen.model.settings import current

    if group_id and arch_file:
        raise click.UsageError("give --arch or --group, not both")
    from diagramgen.model.project import load_all

    loaded = load_all([arch_file] if arch_file else [])
    if not loaded.ok:
        _print_diagnostics(loaded.diagnostics)
        sys.exit(EXIT_ERROR)
    groups = resolve(current(), loaded.models) if not arch_file else []
    errors = 0
    for page in check(docs, loaded.models, groups, arch_given=bool(arch_file), group_id=group_id):
        _print_diagnostics(page.diagnostics)
        errors += sum(d.is_error for d in page.diagnostics)
        if page.ok:
            click.echo(term(page.ok))
    sys.exit(EXIT_ERROR if errors else EXIT_OK)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--out", "out_dir", default=commands.DOCS_OUT, show_default=True,
              type=click.Path(file_okay=False), help="Directory to write the pages into.")
@click.option("--images", "image_dir", default=commands.DOCS_IMAGES, show_default=True, type=click.Path(file_okay=False),
              help="Directory holding the rendered diagrams (copied into OUT/diagrams/).")
@click.option("--links", default=commands.DOCS_LINKS, show_default=True, metavar="STYLE",
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
    from diagramgen.publish import site

    try:
        links = site.check_links(links)
    except ValueError as exc:
        raise click.UsageError(f"--links: {exc}") from None
    _end(commands.docs(click.echo, files, out_dir, image_dir, links, manifest_path))


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
    from diagramgen.publish.outputs import check_outputs as check

    loaded, diags = check(manifest_path, files)
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
    from pathlib import Path

    from diagramgen.diff.run import IMAGE_FORMATS, run
    from diagramgen.files import write_atomic

    if image and Path(image).suffix.lower() not in IMAGE_FORMATS:
        raise click.UsageError(f"--image must end in .svg or .png, got '{image}'")
    if base is None and (head is not None or len(files) != 2):
        raise click.UsageError("give OLD.yaml NEW.yaml, or --base REV [--head REV] [FILES]")
    done = run(files, base, head, fmt, image=image, image_link=image_link, output=output,
               paint=None if output else _diff_style)
    for path, data in done.images:
        if write_atomic(Path(path), data):  # an image already there as it is: not written, not listed
            click.echo(f"wrote {term(path)}", err=True)
    if output:
        if write_atomic(Path(output), done.report.encode("utf-8")):
            click.echo(f"wrote {term(output)}", err=True)
    if not output:
        click.echo(done.report, nl=False)
    sys.exit(EXIT_ERROR if exit_code and done.result.changed else EXIT_OK)


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
    from diagramgen.model.schema import json_schema_text
    from diagramgen.model.settings import current
    from diagramgen.publish.outputs import schemas_to

    catalog = current().catalog
    if not write:
        click.echo(json_schema_text("fragment" if fragment else "architecture", catalog), nl=False)
        return
    for path in schemas_to("schema", catalog):
        click.echo(f"wrote {term(path)}")


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
    from diagramgen.docs import kinds as K
    from diagramgen.model.settings import current

    if page_path:
        _end(commands.kinds_page(click.echo, page_path))
        return
    catalog = current().catalog
    if as_json:
        for row in K.rows(catalog):
            click.echo(json_line(row))
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
    from diagramgen.model.scaffold import check_new, new_architecture
    from diagramgen.model.settings import current
    from diagramgen.publish.outputs import new_to

    settings = current()
    target, text = new_architecture(arch_id, title, directory, source)
    diags = check_new(target, text)
    _print_diagnostics(diags)
    if any(d.is_error for d in diags):
        click.echo(f"error: {term(target)} would not be valid; nothing written", err=True)
        sys.exit(EXIT_ERROR)
    for path in new_to(target, text, settings.catalog):
        click.echo(f"wrote {term(path)}")
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


def entry() -> None:
    """What the console script and ``python -m diagramgen`` run (__main__.main): the
    command, then an exit that skips the interpreter's teardown when nothing can be lost
    (quickexit.py)."""
    from diagramgen.quickexit import run

    run(main)
