"""Stage 3: turn a model into a Graphviz scene through the `diagrams` library.

This is the only module that imports ``diagrams``. It builds the library's Diagram,
Cluster, Node and Edge objects without letting the library render or write anything:
the diagram context is set and reset here, node ids come from the YAML ids (so output
is stable), clusters get unique ids (the library would merge clusters of equal label),
and the result is the DOT source as a string.

Each flow is drawn as ``from -> (n) -> to``: the dark numbered circle is a small node
on the edge itself, so a step's number can never drift away from its edge. Flows of
one step that share an endpoint share one circle (a fan-out or fan-in).
"""
from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import diagrams
from diagrams import Cluster, Diagram, Edge, Node
from graphviz import nohtml

from diagramgen import ids
from diagramgen.draw.theme import (
    AREA_BORDER,
    AREA_FILL,
    BADGE,
    BAND_TINT,
    EDGE,
    FONT,
    INK,
    MUTED,
    OVERLAY_STYLE,
    OVERLAY_UNCHANGED_BADGE,
    PROVENANCE_STYLE,
    component_tooltip,
    step_tooltip,
)
from diagramgen.ids import generated_id
from diagramgen.model import Architecture, Component, Flow, Step
from diagramgen.model.iconfiles import IconError, icon_path
from diagramgen.model.schema import PROVENANCES
from diagramgen.model.settings import NEUTRAL_LEGEND

ICON_PX = 44  # size of the icon cell of a component, in points
BAND_ICON_PX = ICON_PX - 8  # size of the icon cell in a band row
# the largest side of an icon as drawn (the cell less its padding: 3 and 1 points a side)
ICON_DRAWN = {"node": ICON_PX - 6, "band": BAND_ICON_PX - 2}


def icon_sizes(arch: Architecture) -> dict:
    """``{icon file: largest drawn size in points}`` for the icons the diagram shows, so
    their embedded versions can be prepared while Graphviz lays the graph out."""
    out: dict = {}
    for c in arch.components:
        try:
            path = icon_path(c.icon)
        except IconError:
            continue
        size = ICON_DRAWN["band" if is_flat_band(arch, c.area) else "node"]
        out[path] = max(out.get(path, 0), size)
    return out


def text(s: str) -> str:
    """Escape user text for an HTML-like Graphviz label.

    Markup characters become entities, and each backslash is doubled: Graphviz expands
    ``\\N``, ``\\G``, ``\\l`` ... inside HTML-like labels too, and reads ``\\\\`` as one
    literal backslash.
    """
    return html.escape(s, quote=True).replace("\\", "\\\\").replace("\n", "<BR/>")


# Diagrams are read in docs columns about 1000 pixels wide: short lines keep boxes narrow
# (and the drawing closer to the published 16:9), so the smallest text stays readable.
LABEL_WIDTH = 20  # characters per line of a component label before it wraps
CAPABILITY_WIDTH = 22
SMALL_TEXT = 12  # points: capabilities, band icons' names, flow labels, the legend


def wrapped(s: str, width: int) -> str:
    """Long text as several lines (at spaces; a long word is broken only when it has to),
    so one long label cannot stretch the whole diagram."""
    lines = []
    for part in s.split("\n"):
        lines += textwrap.wrap(part, width, break_long_words=True, break_on_hyphens=False) or [""]
    return "\n".join(lines)


def attr(s: str) -> str:
    """Escape user text for an attribute inside an HTML-like label (TOOLTIP, ...)."""
    return html.escape(s, quote=True).replace("\\", "\\\\").replace("\n", "&#10;")


def plain(s: str) -> str:
    """User text for a plain DOT string attribute (tooltip, id): never read as HTML.

    Graphviz unescapes a tooltip twice (once when reading the DOT string, once when
    expanding ``\\N``, ``\\G`` ... for the output), so a literal backslash takes four.
    Graphviz passes character entities in these strings through to SVG, so ``&`` is
    written as ``&amp;`` to keep ``&lt;`` meaning the four characters it is. Quotes are
    escaped by the graphviz library's quoting.
    """
    # a line break becomes Graphviz's \n escape: the DOT source then has one statement
    # per line whatever the text holds, which the diff overlay relies on (build_overlay)
    return nohtml(s.replace("&", "&amp;").replace("\\", "\\\\\\\\").replace("\r\n", "\n")
                  .replace("\n", "\\n"))


def component_label(c: Component, icon: Path, colours: Optional[tuple] = None, dashed: bool = False) -> str:
    """A component's HTML-like label: icon, bold label, capability boxes. ``colours``
    (fill, border, ink) default to the component's provenance colours."""
    fill, border, ink = colours or (*PROVENANCE_STYLE[c.provenance], INK)
    rows = [
        f'<TR><TD FIXEDSIZE="TRUE" WIDTH="{ICON_PX}" HEIGHT="{ICON_PX}"><IMG SRC="{text(str(icon))}" '
        f'SCALE="TRUE"/></TD></TR>',
        f'<TR><TD><FONT POINT-SIZE="12" COLOR="{ink}"><B>{text(wrapped(c.label, LABEL_WIDTH))}</B></FONT></TD></TR>',
    ]
    if c.capabilities:
        caps = "".join(
            f'<TR><TD BGCOLOR="white" COLOR="{border}" BORDER="1" STYLE="rounded" CELLPADDING="2">'
            # a no-break space each side: browsers may set the text a little wider than
            # Graphviz measured it, and it must not touch the box
            f'<FONT POINT-SIZE="{SMALL_TEXT}" COLOR="{ink}">&#160;{text(wrapped(cap, CAPABILITY_WIDTH))}&#160;</FONT></TD></TR>'
            for cap in c.capabilities)
        rows.append(f'<TR><TD><TABLE BORDER="0" CELLSPACING="2" CELLPADDING="0">{caps}</TABLE></TD></TR>')
    return (f'<<TABLE BORDER="1" COLOR="{border}" BGCOLOR="{fill}" STYLE="{"rounded,dashed" if dashed else "rounded"}" '
            f'CELLBORDER="0" CELLSPACING="1" CELLPADDING="3">{"".join(rows)}</TABLE>>')


def title_label(arch: Architecture) -> str:
    """The title with the legend under it. The legend is one line of text (coloured
    squares and a dark circle): table cells would be stretched to the title's width."""
    used = []
    for c in arch.components:
        if c.provenance not in used:
            used.append(c.provenance)
    entries = [f'<FONT COLOR="{PROVENANCE_STYLE[p][1]}" POINT-SIZE="15">&#9632;</FONT>'
               f' {text(arch.legend_text(p, NEUTRAL_LEGEND))}'
               for p in PROVENANCES if p in used]
    if len(arch.sequences) > 1:
        entries.append(f'<FONT COLOR="{BADGE}" POINT-SIZE="15">&#9679;</FONT> Dataflow step (a number: '
                       f'{text(arch.dataflow_title or "main dataflow")}; a letter: '
                       f'{text(arch.sequences[1].title)})')
    else:
        entries.append(f'<FONT COLOR="{BADGE}" POINT-SIZE="15">&#9679;</FONT> Dataflow step (the number on each edge)')
    legend = "&#160;&#160;&#160;&#160;".join(entries)
    return (f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">'
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="22" COLOR="{INK}">{text(arch.title)}</FONT></TD></TR>'
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{SMALL_TEXT}" COLOR="{INK}">{legend}</FONT></TD></TR></TABLE>>')


def tooltip(c: Component) -> str:
    return " | ".join(component_tooltip(c))


@dataclass(frozen=True)
class Badge:
    """One numbered circle: a step's flows that share an endpoint."""

    id: str  # its DOT node name and SVG id: generated_id("step1_from_customer")
    step: Step
    hub: str  # the shared endpoint
    hub_is_src: bool
    flows: tuple


def badges(step: Step) -> list:
    """Group a step's flows into badges: fan-outs share their source, fan-ins their target."""
    remaining = list(step.flows)
    out: list = []
    while remaining:
        f = remaining[0]
        same_src = [g for g in remaining if g.src == f.src and g.both == f.both]
        same_dst = [g for g in remaining if g.dst == f.dst and g.both == f.both]
        group, hub_is_src = (same_src, True) if len(same_src) >= len(same_dst) else (same_dst, False)
        hub = f.src if hub_is_src else f.dst
        # further sequences' circles start with "Step_" and the sequence's id, main ones with
        # "step"; generated_id puts them apart from every component id
        prefix = f"Step_{step.sequence}_{step.badge}" if step.sequence else f"step{step.number}"
        bid = generated_id(f"{prefix}_{'from' if hub_is_src else 'to'}_{hub}")
        if any(b.id == bid for b in out):  # same hub, other direction: a circle of its own
            bid += f"_{sum(b.id.startswith(bid) for b in out) + 1}"
        out.append(Badge(bid, step, hub, hub_is_src, tuple(group)))
        remaining = [g for g in remaining if g not in group]
    return out


# Graphviz's layout time grows much faster than the graph: 200 components joined by 600
# flows at random, or 50 joined by 3,000, take minutes. The estimate is the number of
# flows (each is a circle and two edges) and components x flows (the shipped
# architectures are under 600, a 400-component synthetic one near 320,000). Above
# LARGE_LAYOUT the crossing minimisation and network simplex get iteration limits (the
# layout is a little less tidy, the time bounded: under a minute for the worst random
# graphs within the limits); above MAX_LAYOUT_FLOWS or MAX_LAYOUT_COST render refuses.
LARGE_LAYOUT = 20_000
MAX_LAYOUT_FLOWS = 1_000
MAX_LAYOUT_COST = 350_000
LARGE_LAYOUT_LIMITS = {"mclimit": "0.05", "nslimit": "1", "nslimit1": "1", "searchsize": "10"}


def layout_cost(arch: Architecture) -> int:
    """The estimate of how hard the diagram is to lay out (see MAX_LAYOUT_COST)."""
    return len(arch.components) * sum(len(s.flows) for s in arch.steps)


def build(arch: Architecture) -> str:
    """Return the DOT source of the architecture diagram."""
    d = Diagram(
        name="", filename=arch.id, direction="LR", curvestyle="curved", outformat="svg", show=False,
        graph_attr={
            "pad": "0.06", "nodesep": "0.22", "ranksep": "0.2", "splines": "polyline",
            "fontname": FONT, "label": title_label(arch), "labelloc": "t", "labeljust": "l",
            "newrank": "true", "compound": "true", "outputorder": "edgesfirst",
            "bgcolor": "white", "id": plain(ids.diagram_id(arch.id)),
            **(LARGE_LAYOUT_LIMITS if layout_cost(arch) > LARGE_LAYOUT else {}),
        },
        node_attr={"fontname": FONT, "shape": "plain", "fixedsize": "false", "width": "0", "height": "0",
                   "style": "", "labelloc": "c", "imagescale": "false"},
        edge_attr={"fontname": FONT, "color": EDGE, "penwidth": "1.4", "arrowsize": "0.7"},
    )
    previous_diagram = diagrams.getdiagram()
    previous_cluster = diagrams.getcluster()
    diagrams.setdiagram(d)
    diagrams.setcluster(None)
    try:
        flat = [a.id for a in arch.areas if a.parent is None and is_flat_band(arch, a.id)]
        if flat:
            # Bands of components without flows are the bottom label of a wrapper cluster
            # that holds everything else, so they run along the bottom like the published
            # diagrams' platform bands.
            wrapper = {"label": bands_label(arch, flat), "labelloc": "b", "labeljust": "l",
                       "style": "solid", "pencolor": "white", "bgcolor": "white", "margin": "4",
                       "id": plain("bands")}
            with Cluster(generated_id("body"), graph_attr=wrapper):
                nodes = _place(arch)
                _connect(arch, nodes)
        else:
            nodes = _place(arch)
            _connect(arch, nodes)
        _columns(arch, d)
        return d.dot.source
    finally:
        diagrams.setcluster(previous_cluster)
        diagrams.setdiagram(previous_diagram)


def band_table(arch: Architecture, area_id: str) -> str:
    """A band of components without flows, as one row of icon cells (an HTML table)."""
    a = arch.area(area_id)
    comps = arch.components_in(area_id)
    fill, border = PROVENANCE_STYLE[comps[0].provenance]
    cells = "".join(
        f'<TD ID="{text(ids.component_id(c.id))}" TOOLTIP="{attr(tooltip(c))}" HREF="#{text(ids.component_id(c.id))}" '
        f'CELLPADDING="2"><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">'
        f'<TR><TD FIXEDSIZE="TRUE" WIDTH="{BAND_ICON_PX}" HEIGHT="{BAND_ICON_PX}"><IMG SRC="{text(str(icon_path(c.icon)))}" '
        f'SCALE="TRUE"/></TD></TR>'
        + (f'<TR><TD><FONT POINT-SIZE="{SMALL_TEXT}" COLOR="{INK}">{text(c.label)}</FONT></TD></TR>' if c.label != a.label else "")
        + '</TABLE></TD>'
        for c in comps)
    return (f'<TABLE BORDER="1" COLOR="{border}" BGCOLOR="{fill}" STYLE="rounded" CELLBORDER="0" '
            f'CELLSPACING="4" CELLPADDING="2" ID="{text(ids.area_id(a.id))}"><TR><TD ALIGN="LEFT" VALIGN="MIDDLE">'
            f'<FONT POINT-SIZE="13" COLOR="{INK}"><B>{text(a.label)}</B></FONT></TD>'
            f'<TD WIDTH="12"></TD>{cells}</TR></TABLE>')


def bands_label(arch: Architecture, band_ids: list) -> str:
    rows = "".join(f'<TR><TD ALIGN="LEFT">{band_table(arch, b)}</TD></TR>' for b in band_ids)
    return f'<<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="0">{rows}</TABLE>>'


def band_tint(arch: Architecture, area_id: str) -> str:
    """A band's background: the tint of its components' provenance when they share one
    (the existing CRM's band is green like the published diagrams draw it), else grey."""
    kinds = {c.provenance for c in arch.components_in(area_id)}
    return BAND_TINT[kinds.pop()] if len(kinds) == 1 else BAND_TINT["platform"]


def is_flat_band(arch: Architecture, area_id: str) -> bool:
    """A band whose components all stand alone is drawn as one row-shaped node."""
    a = arch.area(area_id)
    comps = arch.components_in(area_id)
    return a.band and not arch.children(area_id) and bool(comps) and all(c.standalone for c in comps)


def _place(arch: Architecture) -> dict:
    """Create a cluster per area (flat bands excepted) and a node per component."""
    nodes: dict = {}

    def area(area_id: str) -> None:
        a = arch.area(area_id)
        style = {
            "label": f'<<B>{text(a.label)}</B>>', "labelloc": "t", "fontname": FONT, "fontsize": "13",
            "fontcolor": INK,
            "style": "rounded,filled" if not a.band else "filled", "pencolor": AREA_BORDER,
            "bgcolor": band_tint(arch, a.id) if a.band else AREA_FILL, "margin": "8",
            "id": plain(ids.area_id(a.id)),
        }
        with Cluster(a.id, graph_attr=style):
            for c in arch.components_in(a.id):
                nodes[c.id] = Node(component_label(c, icon_path(c.icon)), nodeid=c.id,
                                   tooltip=plain(tooltip(c)), id=plain(ids.component_id(c.id)))
            # a wide fan (3+ flows) that stays inside this area gets its circle inside it
            # too, so the circle cannot land on the area's border or title
            for step, b in inside.get(a.id, ()):
                nodes[b.id] = _badge_node(step, b)
            for child in arch.children(a.id):
                area(child.id)

    inside: dict = {}  # area id -> [(step, circle)] of the wide fans that stay in it
    for step in arch.steps:
        for b in badges(step):
            if len(b.flows) >= 3:
                home = _home_area(arch, b)
                if home is not None:
                    inside.setdefault(home, []).append((step, b))
    order: list = [a for col in arch.columns for a in col if arch.area(a).parent is None]
    order += [a.id for a in arch.areas if a.parent is None and a.id not in order]
    for area_id in order:
        if not is_flat_band(arch, area_id):
            area(area_id)
    return nodes


def badge_size(label: str) -> tuple:
    """(diameter in inches, font size) of a circle: one or two characters as always; three
    or four (step 100 or 2000, or AAA) in a wider circle with the same font, which holds
    the widest label 2000 steps allow ("BWW") with 2 points to spare each side."""
    return ("0.28", str(SMALL_TEXT)) if len(label) <= 2 else ("0.5", str(SMALL_TEXT))


def _badge_node(step: Step, b: Badge) -> Node:
    size, font = badge_size(step.badge)
    return Node(step.badge, nodeid=b.id, shape="circle", style="filled", fillcolor=BADGE,
                color=BADGE, fontcolor="white", fontsize=font, width=size, height=size,
                fixedsize="true", margin="0", tooltip=plain(step_tooltip(step)),
                id=plain(b.id), **{"class": f"step {step.anchor}"})


def _home_area(arch: Architecture, b: Badge) -> Optional[str]:
    """The area all of a circle's flows stay in, if there is one."""
    ends = {b.hub} | {f.dst if b.hub_is_src else f.src for f in b.flows}
    areas = {arch.component(x).area for x in ends}
    return areas.pop() if len(areas) == 1 else None


FLOW_LABEL_SIZE = SMALL_TEXT  # points: the size of capability text, smaller than component labels


def flow_label(flow: Flow) -> dict:
    """Edge attributes that draw a flow's label, if it has one.

    The label is an external label (``xlabel``) of the flow's own edge: the segment
    between the circle and the flow's other end, which no other flow shares. Graphviz
    places external labels after the layout, beside the edge and clear of nodes, so a
    label neither moves anything nor covers the step number. A plain ``label`` would
    take part in the layout (a label node in the middle of the edge) and made ``dot``
    fail on dense clustered graphs.
    """
    if not flow.label:
        return {}
    return {"fontname": FONT, "fontsize": str(FLOW_LABEL_SIZE), "fontcolor": EDGE,
            # the cell's padding keeps the text clear of the circle and the arrow
            "xlabel": f'<<TABLE BORDER="0" CELLBORDER="0" CELLPADDING="3" CELLSPACING="0"><TR><TD>'
                      f'<B>{text(flow.label)}</B></TD></TR></TABLE>>'}


def column_index(arch: Architecture) -> dict:
    """``{component id: its layout column, 0 = leftmost}`` for components in a column
    (through their top-level area); areas left out of the columns come after the last."""
    top = {}
    for a in arch.areas:
        root = a
        while root.parent:
            root = arch.area(root.parent)
        top[a.id] = root.id
    col = {aid: i for i, column in enumerate(arch.columns) for aid in column}
    out = {}
    for c in arch.components:
        root = top[c.area]
        if is_flat_band(arch, root):
            continue
        out[c.id] = col.get(root, len(arch.columns))
    return out


def _link(tail: Node, head: Node, backward: bool, head_arrow: bool, tail_arrow: bool, **attrs) -> None:
    """An edge from ``tail`` to ``head``; ``backward`` writes it head -> tail with the
    arrows swapped, so that it runs with the columns for dot (see _connect)."""
    if backward:
        head.connect(tail, Edge(forward=tail_arrow, reverse=head_arrow, **attrs))
    else:
        tail.connect(head, Edge(forward=head_arrow, reverse=tail_arrow, **attrs))


def _connect(arch: Architecture, nodes: dict) -> None:
    """The flows, each through its circle. A flow that runs against the layout columns
    (from a column to one on its left) is written the other way round with its arrow
    reversed: dot then need not break a cycle with the invisible edges that hold the
    columns in place, and the drawing keeps the declared column order."""
    column = column_index(arch)

    def backward(src: str, dst: str) -> bool:
        return src in column and dst in column and column[dst] < column[src]

    for step in arch.steps:
        for b in badges(step):
            circle = nodes.get(b.id) or _badge_node(step, b)
            hub_node = nodes[b.hub]
            both = b.flows[0].both
            cls = f"flow {step.anchor}"
            back = [backward(f.src, f.dst) for f in b.flows]
            against = sum(back) * 2 > len(back)  # where the circle sits: with most of its flows
            if b.hub_is_src:
                _link(hub_node, circle, against, False, both, **{"class": cls}, arrowhead="none",
                      id=plain(f"{step.anchor}-{b.hub}-{b.id}"))
                for f, bk in zip(b.flows, back):
                    _link(circle, nodes[f.dst], against and bk, True, False, **{"class": cls},
                          id=plain(f"{step.anchor}-{f.key}"), **flow_label(f))
            else:
                for f, bk in zip(b.flows, back):
                    _link(nodes[f.src], circle, against and bk, False, both, **{"class": cls},
                          id=plain(f"{step.anchor}-{f.key}"), **flow_label(f))
                _link(circle, hub_node, against, True, False, **{"class": cls},
                      id=plain(f"{step.anchor}-{b.id}-{b.hub}"))


def _all_components(arch: Architecture, area_id: str) -> list:
    """The components of an area and of the areas nested in it."""
    out = list(arch.components_in(area_id))
    for child in arch.children(area_id):
        out += _all_components(arch, child.id)
    return out


def _columns(arch: Architecture, d: Diagram) -> None:
    """Hold areas in their declared columns: the first components of the areas of a column
    share one rank (declared in column order, which dot keeps top to bottom), and an
    invisible edge keeps each column left of the next.

    No invisible flat edge stacks the areas of a column: dot 2.43 loses such edges
    between clusters that share a rank ("Error: lost ... edge") once an architecture
    has a few dozen components, and then writes nothing."""
    def first(area_id: str) -> Optional[str]:
        if is_flat_band(arch, area_id):
            return None
        own = arch.components_in(area_id)
        if own:
            return own[0].id
        for child in arch.children(area_id):
            got = first(child.id)
            if got:
                return got
        return None

    reps = []
    for column in arch.columns:
        ids = [x for x in (first(a) for a in column) if x]
        if not ids:
            continue
        if len(ids) > 1:
            d.dot.body.append("\t{rank=same; " + " ".join(f'"{i}"' for i in ids) + "}\n")
        reps.append(ids[0])
    # Every component of a column stays left of every component of the next one, also
    # where flows run against the columns: an invisible point between two columns with
    # an invisible edge from each component of the left one and to each of the right one.
    # (An edge between the first components alone let the rest of an area drift right.)
    members = [ids for ids in ([c.id for a in col for c in _all_components(arch, a)
                                if not is_flat_band(arch, c.area)] for col in arch.columns) if ids]
    for i, (left, right) in enumerate(zip(members, members[1:])):
        gap = f"_column_gap_{i + 1}"
        d.dot.node(gap, label="", shape="point", style="invis", width="0", height="0", fixedsize="true")
        for x in left:
            d.dot.edge(x, gap, style="invis", weight="0")
        for x in right:
            d.dot.edge(gap, x, style="invis", weight="0")
    # A component without flows stays beside the component declared before it in its area,
    # instead of drifting to the first rank.
    for a in arch.areas:
        if is_flat_band(arch, a.id):
            continue
        anchor = None
        for c in arch.components_in(a.id):
            if not c.standalone:
                anchor = c.id
            elif anchor:
                d.dot.body.append(f'\t{{rank=same; "{anchor}"; "{c.id}"}}\n')
    # Platform bands in different columns form one row along the bottom.
    column_of = {a: i for i, col in enumerate(arch.columns) for a in col}
    bands = [a.id for a in arch.areas if a.band and a.parent is None and first(a.id)]
    for left, right in zip(bands, bands[1:]):
        if column_of.get(left, -1) != column_of.get(right, -2):
            d.dot.edge(first(left), first(right), style="invis", weight="2")


# --- overlay of a diff -------------------------------------------------------------------
# The overlay draws a union model (diff.union_model) with the ordinary build(), then
# restyles it: DOT lets a later attribute list override an earlier one (``a -> b [..] [..]``),
# a node statement repeated with attributes updates that node, and a cluster reopened by
# name updates that cluster. So the layout code above is shared untouched.
# OVERLAY_STYLE (theme.py): status -> (fill, border, text, edge)


def overlay_component_label(c: Component, icon: Path, status: str) -> str:
    """The component label in the diff's colours. The status shows as colour only (legend
    under the title): a row or a thicker border would change the node's size, and with it
    the layout the reviewer compares against."""
    fill, border, ink, _ = OVERLAY_STYLE[status]
    return component_label(c, icon, (fill, border, ink), dashed=status == "removed")[1:-1]


def overlay_title(arch: Architecture, caption: str) -> str:
    """Title, caption and the diff legend as one line of text (see title_label)."""
    entries = [f'<FONT COLOR="{OVERLAY_STYLE[st][1]}" POINT-SIZE="15">{"&#9633;" if st == "removed" else "&#9632;"}'
               f'</FONT> {st}' for st in ("added", "removed", "changed", "unchanged")]
    entries.append(f'<FONT COLOR="{BADGE}" POINT-SIZE="15">&#9679;</FONT> new step number, '
                   f'<FONT POINT-SIZE="9">was N</FONT> beside it where it changed, &#8722;N: old step N, removed')
    legend = "&#160;&#160;&#160;&#160;".join(entries)
    return (f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">'
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="22" COLOR="{INK}">{text(arch.title)}</FONT></TD></TR>'
            + (f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="13" COLOR="{MUTED}">{text(caption)}</FONT></TD></TR>'
               if caption else "") +
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{SMALL_TEXT}" COLOR="{INK}">{legend}</FONT></TD></TR></TABLE>>')


def build_overlay(union: Architecture, marks, caption: str = "") -> str:
    """DOT source of the overlay diagram of a diff.

    ``union`` and ``marks`` come from ``diff.union_model``: marks.components and
    marks.areas map ids to added/removed/changed/unchanged, marks.steps maps a step
    key (Step.key) to (status, badge text), marks.flows maps (step key, src, dst) to a status.
    """
    import re

    source = build(union)
    comps = {c.id: c for c in union.components}
    badge_of: dict = {}
    edge_status: dict = {}
    for step in union.steps:
        for b in badges(step):
            badge_of[b.id] = step
            sts = [marks.flows.get((step.key, f.src, f.dst), "unchanged") for f in b.flows]
            shared = sts[0] if len(set(sts)) == 1 else "changed"
            if b.hub_is_src:
                edge_status[(b.hub, b.id)] = shared
                edge_status.update({(b.id, f.dst): s for f, s in zip(b.flows, sts)})
            else:
                edge_status.update({(f.src, b.id): s for f, s in zip(b.flows, sts)})
                edge_status[(b.id, b.hub)] = shared
    area_style = {}
    for a in union.areas:
        st = marks.areas.get(a.id, "unchanged")
        if st != "unchanged" and not is_flat_band(union, a.id):
            dashed = "rounded,filled,dashed" if st == "removed" else "rounded,filled"
            area_style[a.id] = f'pencolor="{OVERLAY_STYLE[st][1]}" penwidth=2 style="{dashed}"'
    out = []
    cluster = None  # the cluster whose attribute line comes next
    for line in source.split("\n")[:-1] if source.endswith("\n") else source.split("\n"):
        line += "\n"  # split at line feeds only: U+2028 or U+0085 in text is not a line break
        opened = re.match(r"^\t*subgraph cluster_(\w+) \{", line)
        if opened:
            cluster = opened.group(1)
            out.append(line)
            continue
        if cluster is not None and re.match(r"^\t*graph \[", line):
            # restyle a changed area where it is declared: declaring it again later would
            # change the order Graphviz sees the clusters in, and with it the layout
            if cluster in area_style and line.endswith("]\n"):
                line = line[:-2] + " " + area_style[cluster] + "]\n"
            cluster = None
            out.append(line)
            continue
        cluster = None
        m = re.match(r"^\t+(\w+)(?: -> (\w+))? \[", line)
        extra = ""
        if m and line.endswith("]\n"):
            tail, head = m.group(1), m.group(2)
            if head and (head, tail) in edge_status and (tail, head) not in edge_status:
                tail, head = head, tail  # a flow written against the columns (_connect)
            if head and (tail, head) in edge_status:
                s = edge_status[(tail, head)]
                extra = f'color="{OVERLAY_STYLE[s][3]}" penwidth={1.2 if s == "unchanged" else 2.2}'
                if "xlabel=" in line:  # a flow's label takes its edge's colour
                    extra += f' fontcolor="{OVERLAY_STYLE[s][3]}"'
                if s == "removed":
                    extra += " style=dashed"
            elif not head and tail in comps:
                s = marks.components.get(tail, "unchanged")
                c = comps[tail]
                # replace the label in place: a second attribute list that sets the label
                # again makes Graphviz order the nodes differently (measured), moving them
                new_label = f"label=<{overlay_component_label(c, icon_path(c.icon), s)}>"
                line, n = re.subn(r"label=<<TABLE.*?</TABLE>>(?=[ \]])", lambda _: new_label, line, count=1)  # noqa: B023 (used at once)
                if not n:
                    extra = new_label
            elif not head and tail in badge_of:
                step = badge_of[tail]
                s, label = marks.steps.get(step.key, ("unchanged", step.badge))
                fill = BADGE if s == "unchanged" else OVERLAY_STYLE[s][3]
                if s == "unchanged" and label == step.badge:
                    fill = OVERLAY_UNCHANGED_BADGE
                # the circle keeps its size (and so the layout); an old number goes beside
                # it as an external label, which Graphviz places after the layout
                extra = f'fillcolor="{fill}" color="{fill}"'
                if label != step.badge:
                    was = label[len(step.badge):].strip(" ()")
                    extra += (f' xlabel=<<FONT POINT-SIZE="9" COLOR="{fill}">{text(was)}</FONT>>'
                              f' tooltip="{text(label)}"')
                if s == "removed":
                    extra += ' style="filled,dashed"'
        out.append(line[:-1] + f" [{extra}]\n" if extra else line)
    if out and out[-1].strip() == "}":
        closing = out.pop()
        out.append(f"\tgraph [label={overlay_title(union, caption)}]\n")
        out.append(closing)
    return "".join(out)
