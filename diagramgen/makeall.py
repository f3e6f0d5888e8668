"""What `make` runs: `diagramgen render --steps ARGS`, then `diagramgen docs`, then
`diagramgen kinds --page output/docs/kinds.md`, in one process, so they share one
start-up, one set of imports and the parsed files.

Usage: python -m diagramgen.makeall [render options]
The output and exit status are those of the two commands run one after the other;
a later command does not run when an earlier one fails.
"""
from __future__ import annotations

import sys

import click

from diagramgen.cli import main as cli


def run(render_args) -> int:
    for args in (["render", "--steps", *render_args], ["docs"],
                 ["kinds", "--page", "output/docs/kinds.md"]):
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


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
