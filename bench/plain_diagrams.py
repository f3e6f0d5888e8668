"""The "plain diagrams way" on the same graph: one script per architecture, run as its own
process, that renders diagramgen's own DOT through the `diagrams` library.

``script_for(dot_path, name)`` returns Python source that imports ``diagrams`` (as any
user script does), opens ``Diagram(..., outformat=["png", "svg"])``, puts diagramgen's
DOT statements in place of the ones the library would have generated, and lets the
library render: one ``dot`` run per format, as `diagrams` does. So the graph (clusters,
icons, step circles, capability boxes, routing attributes) is exactly the one diagramgen
lays out; only the way of running Graphviz and what is made from its output differ
(diagramgen lays out once for both formats, then embeds the icons into a self-contained
SVG, which the plain script does not do).
"""
from __future__ import annotations

import re


def dot_body(dot: str) -> list:
    """The statements of a DOT graph (between its first line and its closing brace)."""
    lines = dot.rstrip().splitlines(keepends=True)
    assert re.match(r"^(strict )?digraph\b", lines[0]) and lines[-1].strip() == "}", "unexpected DOT"
    return [line if line.endswith("\n") else line + "\n" for line in lines[1:-1]]


def script_for(dot_path: str, name: str, dpi: int = 96) -> str:
    return "\n".join([
        "import graphviz",
        "from diagrams import Diagram",
        f"body = open({dot_path!r}, encoding='utf-8').read().rstrip().splitlines(keepends=True)[1:-1]",
        f"with Diagram('', filename={name!r}, show=False, outformat=['png', 'svg']) as d:",
        "    d.dot = graphviz.Digraph(name=d.dot.name, filename=d.dot.filename)",
        f"    d.dot.body[:] = ['\\tgraph [dpi={dpi}]\\n'] + [l if l.endswith('\\n') else l + '\\n' for l in body]",
        "",
    ])
