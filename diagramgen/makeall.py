"""What `make` runs: `diagramgen render --steps ARGS`, then `diagramgen docs`, then
`diagramgen kinds --page output/docs/kinds.md`, in one process, so they share one
start-up, one set of imports and the parsed files.

Usage: python -m diagramgen.makeall [--stamp PATH] [render options]
The output and exit status are those of the commands run one after the other; a later
command does not run when an earlier one fails. ``--stamp PATH`` (`make` passes its
target, output/.made): ``PATH.started`` is made before anything is read and becomes
``PATH`` when every command succeeded, so the stamp has the time the run began (a file
saved meanwhile is newer, and the next `make` runs again); a failed run leaves no new
stamp. That is what the recipe did with `touch` and `mv`, without their two processes.
Without render options (the default `make`), the three commands are called directly
(commands.py, what the command line calls too) and click is not imported.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent  # the folder of the package's modules


def compile_package(folder=None) -> None:
    """Write the bytecode of the package's modules where it is missing or was made from
    other source, as pip does when it installs a package. Under PYTHONDONTWRITEBYTECODE
    an editable install (this repository's .venv) otherwise compiles every module it
    imports from source at every start, about 0.1 s of CPU per `make`. The check is
    Python's own (the source's modification time and size recorded in the bytecode's
    header): a stat of each module and a read of 16 bytes, about 1 ms for the package.
    Without that setting Python writes the bytecode itself, and nothing is done here.
    ``folder``: the package's by default."""
    if not sys.dont_write_bytecode:
        return
    import importlib.util
    import os

    stale = []
    for where, folders, names in os.walk(folder or PACKAGE):
        folders[:] = sorted(f for f in folders if f != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                source = os.path.join(where, name)
                if not _bytecode_current(source, importlib.util.cache_from_source(source)):
                    stale.append(source)
    if stale:
        import py_compile

        for source in stale:
            try:
                py_compile.compile(source, doraise=True)
            except (py_compile.PyCompileError, OSError):
                pass  # imported from source, as without this; an error shows where it is imported


def bytecode_folders(folder=None) -> None:
    """Make the folder the bytecode of each folder of modules of the package goes to
    (``__pycache__``) where it is missing. `make` lists the package's folders among the
    prerequisites of its stamp (a module removed or renamed changes its folder's time
    only), so this is done before the stamp is started: a __pycache__ made by the run
    (compile_package, or Python as it imports) would leave a package folder newer than
    the stamp, and the next `make` would run again. ``folder``: the package's by default."""
    import importlib.util
    import os

    from diagramgen.files import make_folder

    for where, folders, names in os.walk(folder or PACKAGE):
        folders[:] = [f for f in folders if f != "__pycache__"]
        if any(name.endswith(".py") for name in names):
            # (a read-only package: no bytecode is written either)
            make_folder(os.path.dirname(importlib.util.cache_from_source(os.path.join(where, "x.py"))))


def _bytecode_current(source: str, cached: str) -> bool:
    """Whether the bytecode file ``cached`` is the one Python would use for ``source``:
    this Python's magic number, and the source's modification time and size."""
    import importlib.util
    import os

    try:
        st = os.stat(source)
        with open(cached, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return (len(head) == 16 and head[:4] == importlib.util.MAGIC_NUMBER and head[4:8] == b"\0\0\0\0"
            and int.from_bytes(head[8:12], "little") == int(st.st_mtime) & 0xFFFFFFFF
            and int.from_bytes(head[12:16], "little") == st.st_size & 0xFFFFFFFF)


def run(render_args) -> int:
    from diagramgen.draw.graphvizserver import session
    from diagramgen.model.project import reusing_models
    from diagramgen.publish.manifest import remembering_inputs
    from diagramgen.publish.outputs import docs_overlays_ahead

    # docs reuses the models render validated, and the inputs hashed for them: the
    # render cache's test, the render records, the docs records and the migrations'
    # keys all hash the same files of the same models. The overlays docs will draw again
    # are drawn while render waits on dot (docs' defaults: the pages in output/docs).
    # The three commands' Graphviz runs share one Graphviz process (graphvizserver.py).
    with reusing_models(), remembering_inputs(), session():
        with docs_overlays_ahead(os.path.join("output", "docs"), "output") as rendered:
            if render_args or not _paths_accepted():
                return _run(render_args, rendered)
            return _run_defaults(rendered)


def _paths_accepted() -> bool:
    """Whether the command line would accept the paths its options name by default (a
    folder or nothing where a folder goes, no folder where the kinds page goes); when it
    would not, _run gives its usage error."""
    from diagramgen import commands

    return (all(not os.path.exists(p) or os.path.isdir(p)
                for p in (commands.RENDER_OUT, commands.DOCS_OUT, commands.DOCS_IMAGES))
            and not os.path.isdir(commands.KINDS_PAGE))


def _run_defaults(rendered=None) -> int:
    """The three commands with the command line's defaults, called directly
    (commands.py): the same calls and messages as _run's, without click."""
    from diagramgen import commands
    from diagramgen.diagnostics import Failure

    echo = commands.plain_echo
    steps = (lambda: commands.render(echo, step_formats=("svg",)),
             lambda: commands.docs(echo),
             lambda: commands.kinds_page(echo, commands.KINDS_PAGE))
    for i, step in enumerate(steps):
        if i == 1 and rendered is not None:
            rendered()
        try:
            status = step()
        except Failure as exc:
            status = commands.report_failure(exc, echo)
        except KeyboardInterrupt:  # as click ends a command on Ctrl-C
            echo("", err=True)
            echo("Aborted!", err=True)
            return 1
        if status:
            return status
    return 0


def _run(render_args, rendered=None) -> int:
    """The three commands through the command line (render's options are
    ``render_args``); ``rendered()`` is called once render has ended."""
    import click

    from diagramgen.cli import main as cli
    from diagramgen.commands import KINDS_PAGE

    for args in (["render", "--steps", *render_args], ["docs"], ["kinds", "--page", KINDS_PAGE]):
        if args[0] == "docs" and rendered is not None:
            rendered()
        try:
            cli.main(args, prog_name="diagramgen", standalone_mode=False)
        except SystemExit as exc:
            if exc.code:
                return exc.code if isinstance(exc.code, int) else 1
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        except click.Abort:
            click.echo("Aborted!", err=True)
            return 1
    return 0


def stamp_option(argv) -> tuple:
    """(the stamp's path or None, the other arguments) of ``--stamp PATH`` or
    ``--stamp=PATH`` given first."""
    if argv[:1] == ["--stamp"] and len(argv) > 1:
        return argv[1], argv[2:]
    if argv and argv[0].startswith("--stamp="):
        return argv[0][len("--stamp="):], argv[1:]
    return None, list(argv)


def main(argv) -> int:
    stamp, args = stamp_option(argv)
    if stamp is None:
        compile_package()
        return run(args)
    from diagramgen.diagnostics import Failure
    from diagramgen.files import finish_stamp, start_stamp

    ok = False
    bytecode_folders()  # before the stamp: a folder made during the run is newer than it
    try:
        started = start_stamp(stamp)  # before any architecture or code is read
    except Failure as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        compile_package()
        status = run(args)
        ok = status == 0
    finally:
        try:
            finish_stamp(started, stamp, ok)
        except Failure as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    from diagramgen.quickexit import run as run_and_end

    run_and_end(lambda: main(sys.argv[1:]))
