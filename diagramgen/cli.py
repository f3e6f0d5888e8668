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
    from .render import RenderError, WriteError, render_architecture, write_outputs

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
        try:
            written = write_outputs(out_dir, files_out)
        except WriteError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        for path in written:
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
