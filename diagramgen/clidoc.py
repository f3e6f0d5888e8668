"""The README's CLI reference, generated from the click commands (``make readme-cli``)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

START = "<!-- cli-reference:start: generated from the commands by `make readme-cli`; do not edit by hand -->"
END = "<!-- cli-reference:end -->"
WIDTH = 88


def cli_reference(group: click.Group) -> str:
    """Markdown: the group's help, then each command's ``--help`` text, by name."""
    top = click.Context(group, info_name="diagramgen", terminal_width=WIDTH, max_content_width=WIDTH,
                        **group.context_settings)
    parts = ["```", group.get_help(top), "```"]
    for name in sorted(group.commands):
        cmd = group.commands[name]
        ctx = click.Context(cmd, parent=top, info_name=name, **cmd.context_settings)
        parts += ["", f"### diagramgen {name}", "", "```", cmd.get_help(ctx), "```"]
    return "\n".join(parts) + "\n"


def with_reference(readme: str, reference: str) -> str:
    """``readme`` with the text between the markers replaced by ``reference``."""
    if START not in readme or END not in readme:
        raise ValueError(f"README has no {START} ... {END} markers")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{reference}{END}{tail}"


def main(argv=None) -> int:
    from diagramgen.cli import main as cli
    from diagramgen.files import write_atomic

    path = Path((argv or sys.argv[1:] or ["README.md"])[0])
    text = path.read_text(encoding="utf-8")
    new = with_reference(text, cli_reference(cli))
    if new != text:
        write_atomic(path, new.encode("utf-8"))
        print(f"updated the CLI reference in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
