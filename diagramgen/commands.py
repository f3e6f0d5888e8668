"""The bodies of the commands `make` runs (render, docs, kinds --page): call the
library, print what it did, return the exit status. They take an ``echo(text, err=False,
nl=True)`` to print with; nothing here imports click.

cli.py parses the command line and calls these with click.echo. makeall.py, when
`make` passes no options of its own, calls them directly with ``plain_echo`` and the
defaults below, which are the command line's: the same calls, the same messages, and
click is not imported at all (about 9 ms of CPU in `make` after an edit).
"""
from __future__ import annotations

import os
import sys

from diagramgen.diagnostics import Failure, term

EXIT_OK, EXIT_ERROR = 0, 1

# the command line's defaults (cli.py's options are declared with these)
RENDER_OUT = "output"
RENDER_FORMATS = "png,svg,html"
DOCS_OUT = os.path.join("output", "docs")
DOCS_IMAGES = "output"
DOCS_LINKS = "dir"
KINDS_PAGE = "output/docs/kinds.md"  # the page `make` writes


def plain_echo(text: str, err: bool = False, nl: bool = True) -> None:
    """click.echo for text: to stdout (``err``: stderr), a newline after it unless ``nl``
    is false, flushed."""
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{text}\n" if nl else text)
    stream.flush()


def parse_formats(value: str) -> tuple:
    """The formats of a ``--format`` value (comma-separated, case and repeats ignored, in
    the order given); ValueError naming the choices when one is unknown or none is given."""
    from diagramgen.draw.render import FORMATS

    chosen = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise ValueError(f"choose from {', '.join(FORMATS)} (comma-separated), got '{value}'")
    return chosen


def print_diagnostics(diags, echo) -> None:
    for d in diags:
        echo(str(d), err=True)


def report_failure(exc: Failure, echo) -> int:
    """Print a command's Failure (its diagnostics: an invalid diagramgen.yaml, a group
    naming what does not exist; or ``error: message``) and return the exit status."""
    if exc.diagnostics:
        print_diagnostics(exc.diagnostics, echo)
    else:
        echo(f"error: {term(exc.message)}", err=True)
    return EXIT_ERROR


def render(echo, files=(), out_dir: str = RENDER_OUT, formats=None, step_formats: tuple = ("svg",),
           force: bool = False, jobs: int = 0, quiet: bool = False, progress=None) -> int:
    """`diagramgen render` with its options parsed: ``formats`` as parse_formats gives
    them (None: the default ones), ``step_formats`` () for --no-steps and ("svg", "png")
    for --step-png."""
    from diagramgen.draw.render import stopped_by_signals
    from diagramgen.publish.outputs import render_to

    show = not quiet and (progress if progress is not None else sys.stderr.isatty())

    def validated(loaded, cached) -> None:
        print_diagnostics(loaded.diagnostics, echo)
        if loaded.ok and show:
            for m in cached:
                echo(f"{m.id}: up to date", err=True)

    def rendered(model, n_files, secs, kept) -> None:
        if show:
            how = " (kept layout)" if kept else ""
            echo(f"{model.id}: rendered {n_files} file(s) in {secs:.2f} s{how}", err=True)

    chosen = formats if formats is not None else parse_formats(RENDER_FORMATS)
    with stopped_by_signals():  # SIGTERM: no dot left running, no temporary files left
        run = render_to(out_dir, files, chosen, step_formats, force=force, jobs=jobs, on_validated=validated,
                        on_rendered=rendered)
    if not run.loaded.ok:
        return EXIT_ERROR
    if show:
        if run.manifest:
            echo(f"wrote {term(run.manifest)}", err=True)
        for path in run.removed:
            echo(f"removed {term(path)}", err=True)
    for path, reason in run.not_removed:
        echo(f"warning: cannot remove {term(path)}: {term(reason)}", err=True)
    if not quiet:  # the drawing's warnings (draw/columns.py)
        print_diagnostics(run.diagnostics, echo)
        echo(f"rendered {len(run.rendered)} architecture(s), {len(run.cached)} up to date, into {term(out_dir)}")
    return EXIT_OK


def docs(echo, files=(), out_dir: str = DOCS_OUT, image_dir: str = DOCS_IMAGES, links: str = DOCS_LINKS,
         manifest_path=None) -> int:
    """`diagramgen docs` with its options parsed (``links`` checked: site.check_links)."""
    from diagramgen.publish.outputs import docs_to

    run = docs_to(out_dir, image_dir, links, files, manifest_path,
                  on_validated=lambda diags: print_diagnostics(diags, echo))
    if run.error:
        echo(f"error: {term(run.error)}", err=True)
    if not run.ok:
        return EXIT_ERROR
    for path in run.written:
        echo(f"wrote {term(path)}")
    if run.manifest:
        echo(f"wrote {term(run.manifest)}")
    for path in run.removed:
        echo(f"removed {term(path)}")
    for path, reason in run.not_removed:
        echo(f"warning: cannot remove {term(path)}: {term(reason)}", err=True)
    return EXIT_OK


def kinds_page(echo, page_path: str = KINDS_PAGE) -> int:
    """`diagramgen kinds --page PATH`: the catalog page and its icons, and one line on
    what was written."""
    from diagramgen.model.settings import current
    from diagramgen.publish.outputs import kinds_page_to

    written, n_icons = kinds_page_to(page_path, current().catalog)
    echo(kinds_summary(page_path, written, n_icons))
    return EXIT_OK


def kinds_summary(page_path, written, n_icons: int) -> str:
    """One line for kinds --page: what was written (the page, how many icons) and how
    many of the files were left as they were."""
    from pathlib import Path

    folder = Path(page_path).parent / "kinds"
    page_written = written.paths[0] in written.changed  # the page comes first, then its icons
    icons = len(written.changed) - page_written
    unchanged = len(written.paths) - len(written.changed)
    if not written.changed:
        return f"{term(page_path)} and {n_icons} icons in {term(folder)}: unchanged"
    parts = ([term(page_path)] if page_written else []) + ([f"{icons} icon{'s' if icons != 1 else ''} in {term(folder)}"] if icons else [])
    return f"wrote {' and '.join(parts)}" + (f" ({unchanged} unchanged)" if unchanged else "")
