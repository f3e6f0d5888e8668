"""The "plain diagrams way": a script per architecture, as users of the library write it.

``script_for(arch)`` returns Python source that builds the same graph (clusters, icon
nodes, one labelled edge per flow) inside ``with Diagram(..., outformat=["png", "svg"])``,
which lays the graph out once per format and writes into the working directory. The
benchmark runs each script in its own process, as a user would.
"""
from __future__ import annotations

from diagramgen.model import Architecture
from diagramgen.scene import icon_path


def script_for(arch: Architecture) -> str:
    lines = [
        "from diagrams import Cluster, Diagram, Edge",
        "from diagrams.custom import Custom",
        "",
        f"with Diagram({arch.title!r}, filename={arch.id!r}, show=False, outformat=['png', 'svg'], "
        "direction='LR'):",
        "    n = {}",
    ]

    def area(area_id: str, indent: int) -> None:
        pad = " " * indent
        a = arch.area(area_id)
        lines.append(f"{pad}with Cluster({a.label!r}):")
        body = False
        for c in arch.components_in(a.id):
            lines.append(f"{pad}    n[{c.id!r}] = Custom({c.label!r}, {str(icon_path(c.icon))!r})")
            body = True
        for child in arch.children(a.id):
            area(child.id, indent + 4)
            body = True
        if not body:
            lines.append(f"{pad}    pass")

    for a in arch.areas:
        if a.parent is None:
            area(a.id, 4)
    for step in arch.steps:
        for f in step.flows:
            attrs = f"label={str(step.number)!r}" + (", dir='both'" if f.both else "")
            lines.append(f"    n[{f.src!r}] >> Edge({attrs}) >> n[{f.dst!r}]")
    return "\n".join(lines) + "\n"
