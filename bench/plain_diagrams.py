"""The "plain diagrams way" on the same graph: one script per architecture, run as its own
process, that renders the DOT diagramgen's last Graphviz run draws through the `diagrams`
library.

``script_for(dot_path, name, engine)`` returns Python source that imports ``diagrams``
(as any user script does), opens ``Diagram(..., outformat=["png", "svg"])``, puts the
DOT statements of ``dot_path`` in place of the ones the library would have generated,
and lets the library render: one Graphviz run per format, as `diagrams` does. The DOT is
the input of diagramgen's last Graphviz run (render.graphviz_runs): for an architecture
with foundation bands the whole diagram with every position set, which the script draws
with ``neato -n2`` as diagramgen does (``engine="neato"``); it runs in the folder of
``dot_path``, where that run found its icons. So the picture (clusters, icons, step
circles, capability boxes, routes) is exactly the one diagramgen draws; only the way of
running Graphviz and what is made from its output differ (diagramgen draws once for both
formats, after laying out and routing the bands, then embeds the icons into a
self-contained SVG, which the plain script does not do).
"""
from __future__ import annotations

import os
import re


def dot_body(dot: str) -> list:
    """The statements of a DOT graph (between its first line and its closing brace)."""
    lines = dot.rstrip().splitlines(keepends=True)
    assert re.match(r"^(strict )?digraph\b", lines[0]) and lines[-1].strip() == "}", "unexpected DOT"
    return [line if line.endswith("\n") else line + "\n" for line in lines[1:-1]]


def script_for(dot_path: str, name: str, dpi: int = 96, engine: str = "dot") -> str:
    folder = os.path.dirname(os.path.abspath(dot_path))
    lines = [
        "import functools, os",
        "import graphviz",
        "from diagrams import Diagram",
        f"os.chdir({folder!r})",
        f"body = open({dot_path!r}, encoding='utf-8').read().rstrip().splitlines(keepends=True)[1:-1]",
        f"with Diagram('', filename={name!r}, show=False, outformat=['png', 'svg']) as d:",
        f"    d.dot = graphviz.Digraph(name=d.dot.name, filename=d.dot.filename, engine={engine!r})",
    ]
    if engine == "neato":  # the positions are set: neato -n2 draws them as they are
        lines.append("    d.dot.render = functools.partial(graphviz.Digraph.render, d.dot, neato_no_op=2)")
    lines += [
        f"    d.dot.body[:] = ['\\tgraph [dpi={dpi}]\\n'] + [l if l.endswith('\\n') else l + '\\n' for l in body]",
        "",
    ]
    return "\n".join(lines)
