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

import functools
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

import diagrams
from diagrams import Cluster, Diagram, Edge, Node
from graphviz import nohtml, quoting

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
    step_tooltip as theme_step_tooltip,
)
from diagramgen.ids import generated_id
from diagramgen.markdown import escape
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
    return escape(s).replace("\\", "\\\\").replace("\n", "<BR/>")


# Diagrams are read in docs columns about 1000 pixels wide: short lines keep boxes narrow
# (and the drawing closer to the published 16:9), so the smallest text stays readable.
LABEL_WIDTH = 20  # characters per line of a component label before it wraps
CAPABILITY_WIDTH = 22
TITLE_WIDTH = 100  # characters per line of the title (22 pt) before it wraps
SMALL_TEXT = 12  # points: capabilities, band icons' names, flow labels, the legend
LABEL_TEXT = 12  # points: a component's label (bold)
AREA_TEXT = 13  # points: an area's title (bold), an overlay's caption
MARK_TEXT = 15  # points: the legend's squares and circle
TITLE_TEXT = 22  # points: the diagram's title
WAS_TEXT = 9  # points: "was N" beside a renumbered step in an overlay
# The fonts of a page's text as Graphviz's text layout asks Pango for them: the Graphviz
# server makes them ready before its first run (graphvizserver.run), so that no run
# opens and prepares them again. A size left out here is only slower to draw.
TEXT_FONTS = tuple(f"{FONT} {size}" for size in sorted({SMALL_TEXT, LABEL_TEXT, AREA_TEXT, MARK_TEXT, TITLE_TEXT}))


def wrapped(s: str, width: int) -> str:
    """Long text as several lines (at spaces; a long word is broken only when it has to),
    so one long label cannot stretch the whole diagram."""
    lines = []
    for part in s.split("\n"):
        lines += textwrap.wrap(part, width, break_long_words=True, break_on_hyphens=False) or [""]
    return "\n".join(lines)


def plain(s: str) -> str:
    """Text for a plain DOT string attribute (an id): never read as HTML.

    Graphviz unescapes such a string twice (once when reading the DOT string, once when
    expanding ``\\N``, ``\\G`` ... for the output), so a literal backslash takes four.
    Graphviz passes character entities in these strings through to SVG, so ``&`` is
    written as ``&amp;`` to keep ``&lt;`` meaning the four characters it is. Quotes are
    escaped by the graphviz library's quoting.
    """
    # a line break becomes Graphviz's \n escape: the DOT source then has one statement
    # per line whatever the text holds
    return nohtml(s.replace("&", "&amp;").replace("\\", "\\\\\\\\").replace("\r\n", "\n")
                  .replace("\n", "\\n"))


def component_label(c: Component, icon: Path, colours: Optional[tuple] = None, dashed: bool = False) -> str:
    """A component's HTML-like label: icon, bold label, capability boxes. ``colours``
    (fill, border, ink) default to the component's provenance colours."""
    fill, border, ink = colours or (*PROVENANCE_STYLE[c.provenance], INK)
    rows = [
        f'<TR><TD FIXEDSIZE="TRUE" WIDTH="{ICON_PX}" HEIGHT="{ICON_PX}"><IMG SRC="{text(str(icon))}" '
        f'SCALE="TRUE"/></TD></TR>',
        f'<TR><TD><FONT POINT-SIZE="{LABEL_TEXT}" COLOR="{ink}"><B>{text(wrapped(c.label, LABEL_WIDTH))}</B></FONT></TD></TR>',
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


def title_row(title: str) -> str:
    """The title's row of the title table: a long title wraps, its lines flush left, so
    that it cannot stretch the diagram (and shrink its text at docs width)."""
    lines = wrapped(title, TITLE_WIDTH)
    balign = ' BALIGN="LEFT"' if "\n" in lines else ""
    return f'<TR><TD ALIGN="LEFT"{balign}><FONT POINT-SIZE="{TITLE_TEXT}" COLOR="{INK}">{text(lines)}</FONT></TD></TR>'


def title_label(arch: Architecture) -> str:
    """The title with the legend under it. The legend is one line of text (coloured
    squares and a dark circle): table cells would be stretched to the title's width."""
    used = []
    for c in arch.components:
        if c.provenance not in used:
            used.append(c.provenance)
    entries = [f'<FONT COLOR="{PROVENANCE_STYLE[p][1]}" POINT-SIZE="{MARK_TEXT}">&#9632;</FONT>'
               f' {text(arch.legend_text(p, NEUTRAL_LEGEND))}'
               for p in PROVENANCES if p in used]
    if len(arch.sequences) > 1:
        entries.append(f'<FONT COLOR="{BADGE}" POINT-SIZE="{MARK_TEXT}">&#9679;</FONT> Dataflow step (a number: '
                       f'{text(arch.dataflow_title or "main dataflow")}; a letter: '
                       f'{text(arch.sequences[1].title)})')
    else:
        entries.append(f'<FONT COLOR="{BADGE}" POINT-SIZE="{MARK_TEXT}">&#9679;</FONT> Dataflow step (the number on each edge)')
    legend = "&#160;&#160;&#160;&#160;".join(entries)
    return ('<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">'
            + title_row(arch.title) +
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{SMALL_TEXT}" COLOR="{INK}">{legend}</FONT></TD></TR></TABLE>>')


# What the DOT has where a tooltip goes: the same for every part. Graphviz wraps a part
# with a tooltip in an <a> that svg.self_contained unwraps, writing the part's <title>
# from the model (svg.component_title, svg.step_title); the text itself is never drawn.
# So text that only shows when pointed at (a description, a step's text) does not reach
# Graphviz: an edit of it leaves the Graphviz input as it was, and render.run_dot can
# take the layout made before (draw/layoutcache.py).
TOOLTIP_STAND_IN = "-"


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


# graphviz's quoting of names and attribute values, as the library writes it, with each
# plain string's quoted form remembered: a diagram quotes the same few names, fonts and
# colours thousands of times, and quoting was a third of build()'s time. Only the DOT
# writers of build()'s own graphs use it (_remembered_quoting).
_graphviz_quote = getattr(quoting.quote, "__wrapped__", quoting.quote)  # less its check of positional arguments


@functools.lru_cache(maxsize=8192)
def _quoted(s: str) -> str:
    return _graphviz_quote(s)


def _quote(identifier: str) -> str:
    # a nohtml() string equals the plain one but is quoted differently: never remembered
    return _quoted(identifier) if type(identifier) is str else _graphviz_quote(identifier)


def _quote_edge(identifier: str) -> str:
    """graphviz's quote_edge: ``node[:port[:compass]]``, each part quoted as needed."""
    node, _, rest = identifier.partition(":")
    parts = [_quote(node)]
    if rest:
        port, _, compass = rest.partition(":")
        parts.append(_quote(port))
        if compass:
            parts.append(compass)
    return ":".join(parts)


def _attr_list(label: Optional[str] = None, kwargs=None, attributes=None) -> str:
    """graphviz's attr_list: `` [label=... k=v ...]`` (a plain dict's items sorted), or ""."""
    out = [f"label={_quote(label)}"] if label is not None else []
    for mapping in (kwargs, attributes):
        if mapping:
            items = mapping.items() if hasattr(mapping, "items") else mapping
            if type(mapping) is dict:
                items = sorted(items)
            out += [f"{_quote(k)}={_quote(v)}" for k, v in items if v is not None]
    return f" [{' '.join(out)}]" if out else ""


def _remembered_quoting(graph) -> None:
    """Make a graphviz graph (the diagram's or a cluster's) write its DOT with the
    quoting above: the same text as the library's own."""
    graph._quote, graph._quote_edge, graph._attr_list = _quote, _quote_edge, _attr_list


def layout_cost(arch: Architecture) -> int:
    """The estimate of how hard the diagram is to lay out (see MAX_LAYOUT_COST)."""
    return len(arch.components) * sum(len(s.flows) for s in arch.steps)


def build(arch: Architecture, style: Optional[Style] = None) -> str:
    """Return the DOT source of the architecture diagram; with a ``style`` (the overlay
    of a diff), its parts in the colours the style gives them."""
    d = Diagram(
        name="", filename=arch.id, direction="LR", curvestyle="curved", outformat="svg", show=False,
        graph_attr={
            "pad": "0.06", "nodesep": "0.22", "ranksep": "0.2", "splines": "polyline",
            "fontname": FONT, "label": title_label(arch) if style is None else overlay_title(arch, style.caption),
            "labelloc": "t", "labeljust": "l",
            "newrank": "true", "compound": "true", "outputorder": "edgesfirst",
            "bgcolor": "white", "id": plain(ids.diagram_id(arch.id)),
            **(LARGE_LAYOUT_LIMITS if layout_cost(arch) > LARGE_LAYOUT else {}),
        },
        node_attr={"fontname": FONT, "shape": "plain", "fixedsize": "false", "width": "0", "height": "0",
                   "style": "", "labelloc": "c", "imagescale": "false"},
        edge_attr={"fontname": FONT, "color": EDGE, "penwidth": "1.4", "arrowsize": "0.7"},
    )
    _remembered_quoting(d.dot)
    previous_diagram = diagrams.getdiagram()
    previous_cluster = diagrams.getcluster()
    diagrams.setdiagram(d)
    diagrams.setcluster(None)
    try:
        nodes = _place(arch, style)
        _connect(arch, nodes, style)
        _columns(arch, d)
        return d.dot.source
    finally:
        diagrams.setcluster(previous_cluster)
        diagrams.setdiagram(previous_diagram)


def band_table(arch: Architecture, area_id: str) -> str:
    """A band of components without flows, as one row of icon cells (an HTML table); the
    band's cluster draws its box and its title."""
    a = arch.area(area_id)
    comps = arch.components_in(area_id)
    cells = "".join(
        f'<TD ID="{text(ids.component_id(c.id))}" TOOLTIP="{TOOLTIP_STAND_IN}" HREF="#{text(ids.component_id(c.id))}" '
        f'CELLPADDING="2"><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">'
        f'<TR><TD FIXEDSIZE="TRUE" WIDTH="{BAND_ICON_PX}" HEIGHT="{BAND_ICON_PX}"><IMG SRC="{text(str(icon_path(c.icon)))}" '
        f'SCALE="TRUE"/></TD></TR>'
        + (f'<TR><TD><FONT POINT-SIZE="{SMALL_TEXT}" COLOR="{INK}">{text(c.label)}</FONT></TD></TR>' if c.label != a.label else "")
        + '</TABLE></TD>'
        for c in comps)
    return f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="2"><TR>{cells}</TR></TABLE>'


def band_tint(arch: Architecture, area_id: str) -> str:
    """A band's background: the tint of its components' provenance when they share one
    (the existing CRM's band is green like the published diagrams draw it), else grey."""
    kinds = {c.provenance for c in arch.components_in(area_id)}
    return BAND_TINT[kinds.pop()] if len(kinds) == 1 else BAND_TINT["platform"]


def foundation_bands(arch: Architecture) -> list:
    """The band areas drawn full width under the diagram, top to bottom: every top-level
    band (``band: true``, no nested areas) except one listed in a layout column after an
    ordinary area, which stays in that column under it. The bands with flows come first,
    so that no flow has to cross a band to reach its own."""
    kept = set()
    for column in arch.columns:
        below_an_area = False
        for aid in column:
            if not arch.area(aid).band:
                below_an_area = True
            elif below_an_area:
                kept.add(aid)
    out = [a.id for a in arch.areas
           if a.band and a.parent is None and not arch.children(a.id) and a.id not in kept]
    return sorted(out, key=lambda aid: all(without_flows(arch, c) for c in arch.components_in(aid)))


def without_flows(arch: Architecture, c: Component) -> bool:
    """Whether ``c`` is drawn alone: marked ``standalone`` and the end of no flow (the
    mark only silences the warning about an unused component, so a flow may still reach
    a component that has it)."""
    return c.standalone and all(c.id not in (f.src, f.dst) for f in arch.flows)


def is_flat_band(arch: Architecture, area_id: str) -> bool:
    """A foundation band whose components all stand alone is drawn as one row of icons."""
    comps = arch.components_in(area_id)
    return bool(comps) and all(without_flows(arch, c) for c in comps) and area_id in foundation_bands(arch)


BAND_PREFIX = "band_"  # generated_id(BAND_PREFIX + area id): the node of a flat band's icons


def _place(arch: Architecture, overlay: Optional[Style] = None) -> dict:
    """Create a cluster per area (flat bands excepted) and a node per component."""
    nodes: dict = {}

    bands = foundation_bands(arch)

    def area(area_id: str) -> None:
        a = arch.area(area_id)
        style = {
            "label": f'<<B>{text(a.label)}</B>>', "labelloc": "t", "fontname": FONT, "fontsize": str(AREA_TEXT),
            "fontcolor": INK,
            "style": "rounded,filled" if not a.band else "filled", "pencolor": AREA_BORDER,
            "bgcolor": band_tint(arch, a.id) if a.band else AREA_FILL, "margin": "8",
            "id": plain(ids.area_id(a.id)),
            **(overlay.area_attrs(arch, a.id) if overlay else {}),
        }
        if area_id in bands:  # placed under the diagram after the layout (draw/bands.py)
            style.update({"labeljust": "l", "class": "band"})
        with Cluster(a.id, graph_attr=style) as cluster:
            _remembered_quoting(cluster.dot)
            if is_flat_band(arch, a.id):
                Node(f"<{band_table(arch, a.id)}>", nodeid=generated_id(BAND_PREFIX + a.id),
                     id=plain(f"band-{a.id}"))
                return
            for c in arch.components_in(a.id):
                look = overlay.component_look(c.id) if overlay else ()
                nodes[c.id] = Node(component_label(c, icon_path(c.icon), *look), nodeid=c.id,
                                   tooltip=TOOLTIP_STAND_IN, id=plain(ids.component_id(c.id)))
            # a wide fan (3+ flows) that stays inside this area gets its circle inside it
            # too, so the circle cannot land on the area's border or title
            for step, b in inside.get(a.id, ()):
                nodes[b.id] = _badge_node(step, b, overlay)
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
    order = [a for a in order if a not in bands] + bands
    for area_id in order:
        area(area_id)
    return nodes


def step_tooltip(step: Step, style: Optional[Style] = None) -> str:
    """What a step's circle says when pointed at: its number (in an overlay, also its
    old number or that it was removed) and its text."""
    return theme_step_tooltip(step, style.step_name(step) if style else None)


def badge_size(label: str) -> tuple:
    """(diameter in inches, font size) of a circle: one or two characters as always; three
    or four (step 100 or 2000, or AAA) in a wider circle with the same font, which holds
    the widest label 2000 steps allow ("BWW") with 2 points to spare each side."""
    return ("0.28", str(SMALL_TEXT)) if len(label) <= 2 else ("0.5", str(SMALL_TEXT))


def _badge_node(step: Step, b: Badge, style: Optional[Style] = None) -> Node:
    shown = style.circle_text(step) if style else step.badge
    size, font = badge_size(shown)
    attrs = {"style": "filled", "fillcolor": BADGE, "color": BADGE, "fontcolor": "white", "fontsize": font,
             "width": size, "height": size, "fixedsize": "true", "margin": "0",
             "tooltip": TOOLTIP_STAND_IN, "id": plain(b.id), "class": f"step {step.anchor}"}
    if style:
        attrs.update(style.circle_attrs(step))
    return Node(shown, nodeid=b.id, shape="circle", **attrs)


def _home_area(arch: Architecture, b: Badge) -> Optional[str]:
    """The area all of a circle's flows stay in, if there is one."""
    ends = {b.hub} | {f.dst if b.hub_is_src else f.src for f in b.flows}
    areas = {arch.component(x).area for x in ends}
    return areas.pop() if len(areas) == 1 else None


FLOW_LABEL_SIZE = SMALL_TEXT  # points: the size of capability text, smaller than component labels


def flow_label(flow: Flow, shown: Optional[str] = None) -> dict:
    """Edge attributes that draw a flow's label, if it has one.

    The label is an external label (``xlabel``) of the flow's own edge: the segment
    between the circle and the flow's other end, which no other flow shares. Graphviz
    places external labels after the layout, beside the edge and clear of nodes, so a
    label neither moves anything nor covers the step number. A plain ``label`` would
    take part in the layout (a label node in the middle of the edge) and made ``dot``
    fail on dense clustered graphs.
    """
    shown = flow.label if shown is None else shown
    if not shown:
        return {}
    return {"fontname": FONT, "fontsize": str(FLOW_LABEL_SIZE), "fontcolor": EDGE,
            # the cell's padding keeps the text clear of the circle and the arrow
            "xlabel": f'<<TABLE BORDER="0" CELLBORDER="0" CELLPADDING="3" CELLSPACING="0"><TR><TD>'
                      f'<B>{text(shown)}</B></TD></TR></TABLE>>'}


def column_index(arch: Architecture) -> dict:
    """``{component id: its layout column, 0 = leftmost}`` for components in a column
    (through their top-level area); areas left out of the columns come after the last."""
    top = {a.id: arch.top_area(a.id) for a in arch.areas}
    col = {aid: i for i, column in enumerate(arch.columns) for aid in column}
    bands = foundation_bands(arch)
    out = {}
    for c in arch.components:
        root = top[c.area]
        if root in bands:
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


def _connect(arch: Architecture, nodes: dict, style: Optional[Style] = None) -> None:
    """The flows, each through its circle. A flow that runs against the layout columns
    (from a column to one on its left) is written the other way round with its arrow
    reversed: dot then need not break a cycle with the invisible edges that hold the
    columns in place, and the drawing keeps the declared column order."""
    column = column_index(arch)

    def backward(src: str, dst: str) -> bool:
        return src in column and dst in column and column[dst] < column[src]

    for step in arch.steps:
        for b in badges(step):
            circle = nodes.get(b.id) or _badge_node(step, b, style)
            hub_node = nodes[b.hub]
            both = b.flows[0].both
            cls = f"flow {step.anchor}"
            back = [backward(f.src, f.dst) for f in b.flows]
            against = sum(back) * 2 > len(back)  # where the circle sits: with most of its flows
            own = [_flow_edge(step, f, style) for f in b.flows]  # each flow's own segment
            shared = style.shared_edge_attrs(step, b.flows) if style else {}  # the hub's segment
            if b.hub_is_src:
                _link(hub_node, circle, against, False, both, **{"class": cls}, arrowhead="none",
                      id=plain(f"{step.anchor}-{b.hub}-{b.id}"), **shared)
                for f, bk, attrs in zip(b.flows, back, own):
                    _link(circle, nodes[f.dst], against and bk, True, False, **{"class": cls},
                          id=plain(f"{step.anchor}-{f.key}"), **attrs)
            else:
                for f, bk, attrs in zip(b.flows, back, own):
                    _link(nodes[f.src], circle, against and bk, False, both, **{"class": cls},
                          id=plain(f"{step.anchor}-{f.key}"), **attrs)
                _link(circle, hub_node, against, True, False, **{"class": cls},
                      id=plain(f"{step.anchor}-{b.id}-{b.hub}"), **shared)


def _flow_edge(step: Step, f: Flow, style: Optional[Style]) -> dict:
    """The attributes of a flow's own edge: its label, and in an overlay its colours."""
    if style is None:
        return flow_label(f)
    label = flow_label(f, style.flow_labels.get((step.key, f.src, f.dst)))
    return {**label, **style.edge_attrs(style.flow_status(step, f), labelled=bool(label))}


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
    bands = foundation_bands(arch)

    def first(area_id: str) -> Optional[str]:
        if area_id in bands:
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
    members = [ids for ids in ([c.id for a in col if a not in bands for c in _all_components(arch, a)]
                               for col in arch.columns) if ids]
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
        if a.id in bands:
            continue
        anchor = None
        for c in arch.components_in(a.id):
            if not c.standalone:
                anchor = c.id
            elif anchor:
                d.dot.body.append(f'\t{{rank=same; "{anchor}"; "{c.id}"}}\n')


# --- overlay of a diff -------------------------------------------------------------------
# The overlay draws a union model (diff/overlay.py) with the same build() as every diagram,
# given a Style: the status of each part picks its colours while the DOT is written. Only
# colours, dashes and texts beside the parts change, never a size, so the overlay is laid
# out exactly like the plain diagram of the union model.
ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"
QUIET_BADGE = OVERLAY_UNCHANGED_BADGE  # the circle of a step that did not change at all


@dataclass(frozen=True)
class Style:
    """How build() draws the overlay of a diff: each part's status (added, removed,
    changed; a part not named is unchanged) in OVERLAY_STYLE's colours instead of the
    provenance colours, removed parts dashed, and the texts the overlay shows instead of
    the model's. Step keys are Step.key; flows are named ``(step key, from, to)``."""

    caption: str = ""  # under the title, above the diff's legend
    components: Mapping[str, str] = field(default_factory=dict)  # component id -> status
    areas: Mapping[str, str] = field(default_factory=dict)  # area id -> status
    steps: Mapping[str, str] = field(default_factory=dict)  # step key -> status
    flows: Mapping[tuple, str] = field(default_factory=dict)  # (step key, from, to) -> status
    circles: Mapping[str, str] = field(default_factory=dict)  # step key -> its circle's text, if not the badge
    was: Mapping[str, str] = field(default_factory=dict)  # step key -> its old badge, where it moved
    flow_labels: Mapping[tuple, str] = field(default_factory=dict)  # (step key, from, to) -> label shown

    def flow_status(self, step: Step, f: Flow) -> str:
        return self.flows.get((step.key, f.src, f.dst), UNCHANGED)

    def component_look(self, component_id: str) -> tuple:
        """``(colours, dashed)`` for component_label."""
        status = self.components.get(component_id, UNCHANGED)
        fill, border, ink, _ = OVERLAY_STYLE[status]
        return (fill, border, ink), status == REMOVED

    def area_attrs(self, arch: Architecture, area_id: str) -> dict:
        """Cluster attributes of a changed area (a flat band keeps its look)."""
        status = self.areas.get(area_id, UNCHANGED)
        if status == UNCHANGED or is_flat_band(arch, area_id):
            return {}
        return {"pencolor": OVERLAY_STYLE[status][1], "penwidth": "2",
                "style": "rounded,filled,dashed" if status == REMOVED else "rounded,filled"}

    def edge_attrs(self, status: str, labelled: bool = False) -> dict:
        """An edge in its status's colour, thicker when it changed; a label takes its colour."""
        colour = OVERLAY_STYLE[status][3]
        out = {"color": colour, "penwidth": "1.2" if status == UNCHANGED else "2.2"}
        if labelled:
            out["fontcolor"] = colour
        if status == REMOVED:
            out["style"] = "dashed"
        return out

    def shared_edge_attrs(self, step: Step, flows) -> dict:
        """The edge between a circle and the endpoint its flows share: their status when
        they agree, else changed."""
        statuses = {self.flow_status(step, f) for f in flows}
        return self.edge_attrs(statuses.pop() if len(statuses) == 1 else CHANGED)

    def circle_text(self, step: Step) -> str:
        return self.circles.get(step.key, step.badge)

    def step_name(self, step: Step) -> str:
        """How a step's tooltip names it: "4 (was 3)", "3 (removed)"."""
        if self.steps.get(step.key) == REMOVED:
            return f"{step.badge} (removed)"
        was = self.was.get(step.key)
        return f"{step.badge} (was {was})" if was else step.badge

    def circle_attrs(self, step: Step) -> dict:
        """A circle in its status's colour (grey when nothing about the step changed); a
        moved step's old badge beside it, as an external label that Graphviz places after
        the layout, so the circle keeps its size and the layout its shape."""
        status = self.steps.get(step.key, UNCHANGED)
        was = self.was.get(step.key)
        fill = OVERLAY_STYLE[status][3] if status != UNCHANGED else BADGE if was else QUIET_BADGE
        out = {"fillcolor": fill, "color": fill}
        if was:
            out["xlabel"] = f'<<FONT POINT-SIZE="{WAS_TEXT}" COLOR="{fill}">was {text(was)}</FONT>>'
        if status == REMOVED:
            out["style"] = "filled,dashed"
        return out


def overlay_title(arch: Architecture, caption: str) -> str:
    """Title, caption and the diff legend as one line of text (see title_label)."""
    entries = [f'<FONT COLOR="{OVERLAY_STYLE[st][1]}" POINT-SIZE="{MARK_TEXT}">{"&#9633;" if st == REMOVED else "&#9632;"}'
               f'</FONT> {st}' for st in (ADDED, REMOVED, CHANGED, UNCHANGED)]
    entries.append(f'<FONT COLOR="{BADGE}" POINT-SIZE="{MARK_TEXT}">&#9679;</FONT> new step number, '
                   f'<FONT POINT-SIZE="{WAS_TEXT}">was N</FONT> beside it where it changed, &#8722;N: old step N, removed')
    legend = "&#160;&#160;&#160;&#160;".join(entries)
    return ('<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">'
            + title_row(arch.title)
            + (f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{AREA_TEXT}" COLOR="{MUTED}">{text(caption)}</FONT></TD></TR>'
               if caption else "") +
            f'<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="{SMALL_TEXT}" COLOR="{INK}">{legend}</FONT></TD></TR></TABLE>>')
