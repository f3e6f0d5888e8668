"""The command line: a thin shell over the library (parse options, call, print, exit)."""
from __future__ import annotations

import json
import sys

import click

from . import __version__
from .project import load_all

EXIT_OK, EXIT_ERROR = 0, 1


def _print_diagnostics(diags) -> None:
    for d in diags:
        click.echo(str(d), err=True)


def _formats(value: str) -> tuple:
    from .render import FORMATS

    chosen = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise click.BadParameter(f"choose from {', '.join(FORMATS)} (comma-separated), got '{value}'")
    return chosen


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="diagramgen")
def main() -> None:
    """Contact-center reference architectures as code.

    Architecture files (YAML) in architectures/ are validated and rendered to
    diagrams whose numbered edges are the Dataflow steps.
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
    _print_diagnostics(loaded.diagnostics)
    errors = sum(d.is_error for d in loaded.diagnostics)
    warnings = len(loaded.diagnostics) - errors
    click.echo(f"{errors} error(s), {warnings} warning(s)", err=True)
    sys.exit(EXIT_ERROR if errors else EXIT_OK)


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True))
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Directory to write the diagrams into.")
@click.option("--format", "formats", default="png,svg", show_default=True,
              help="Output formats, comma-separated (png, svg).")
def render(files, out_dir, formats) -> None:
    """Render architecture diagrams (PNG and SVG).

    Every file is validated first; on any error nothing is written.

    Example: diagramgen render architectures/premium.yaml --out build --format svg
    """
    from .render import RenderError, render_architecture, write_outputs

    try:
        chosen = _formats(formats)
    except click.BadParameter as exc:
        raise click.UsageError(str(exc)) from None
    loaded = load_all(files)
    _print_diagnostics(loaded.diagnostics)
    if not loaded.ok:
        sys.exit(EXIT_ERROR)
    try:
        results = [(m, render_architecture(m, chosen)) for m in loaded.models]
    except RenderError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_ERROR)
    for model, files_out in results:
        for path in write_outputs(out_dir, files_out):
            click.echo(f"wrote {path}")


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
            click.echo(json.dumps(s, ensure_ascii=False))
        else:
            click.echo(f"{s['id']:<14} {s['areas']:>2} areas {s['components']:>3} components "
                       f"{s['steps']:>3} steps {s['flows']:>3} flows  {s['file']}  {s['title']}")


@main.command()
@click.option("--fragment", is_flag=True, help="The schema of fragment files (architectures/fragments/) instead.")
def schema(fragment) -> None:
    """Print the JSON Schema of architecture files, for editors and CI.

    The schema is generated from the same declarations the validator uses, with the
    catalog's component kinds as an enum. The committed copies are
    schema/architecture.schema.json and schema/fragment.schema.json (make schema).

    Example: diagramgen schema --fragment > schema/fragment.schema.json
    """
    from .schema import json_schema_text

    click.echo(json_schema_text("fragment" if fragment else "architecture"), nl=False)


@main.command()
@click.argument("arch_id", metavar="ID")
@click.option("--title", required=True, help="Title of the new architecture.")
@click.option("--from", "source", type=click.Path(exists=True, dir_okay=False),
              help="Copy this architecture file (comments kept) instead of the minimal template.")
@click.option("--dir", "directory", default="architectures", show_default=True,
              type=click.Path(file_okay=False), help="Folder to create the file in.")
def new(arch_id, title, source, directory) -> None:
    """Start a new architecture file, valid from the first save.

    Writes DIR/ID.yaml (with '-' for '_' in the file name) from a minimal template that
    uses the shared fragments, or from a copy of an existing file with its id and title
    replaced. Never overwrites a file.

    Example: diagramgen new self_service --title "Self service with Copilot Studio"
    """
    from .diagnostics import DiagramgenError
    from .scaffold import check_new, new_architecture

    try:
        target, text = new_architecture(arch_id, title, directory, source)
    except DiagramgenError as exc:
        _print_diagnostics(exc.diagnostics)
        sys.exit(EXIT_ERROR)
    diags = check_new(target, text)
    _print_diagnostics(diags)
    if any(d.is_error for d in diags):
        click.echo(f"error: {target} would not be valid; nothing written", err=True)
        sys.exit(EXIT_ERROR)
    try:
        with open(target, "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        click.echo(f"{target}: error: already exists; diagramgen new never overwrites a file", err=True)
        sys.exit(EXIT_ERROR)
    click.echo(f"wrote {target}")
    click.echo("next: edit its scenario, areas, components and dataflow steps, then\n"
               f"  diagramgen validate {target}\n"
               f"  diagramgen watch {target}     # re-renders into output/ on every save")


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", default="output", show_default=True, type=click.Path(file_okay=False),
              help="Directory to write the diagrams into.")
@click.option("--format", "formats", default="png,svg", show_default=True,
              help="Output formats, comma-separated (png, svg).")
def watch(files, out_dir, formats) -> None:
    """Re-validate and re-render architectures on every save.

    Renders once, then again whenever an architecture file, a fragment it includes or
    the catalog changes; prints the problems or the files written, and keeps running
    after an invalid save. Ctrl-C stops it. Open the PNG or SVG in a viewer that
    reloads changed files to see the diagram update.

    Example: diagramgen watch architectures/premium.yaml --format svg
    """
    from .watch import Watcher, run

    try:
        chosen = _formats(formats)
    except click.BadParameter as exc:
        raise click.UsageError(str(exc)) from None
    watcher = Watcher(files=tuple(files), out_dir=out_dir, formats=chosen)
    try:
        run(watcher, lambda m: click.echo(m.text, err=m.error))
    except KeyboardInterrupt:
        pass
    click.echo("stopped")
