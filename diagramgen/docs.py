"""Generate Markdown pages from the model: one page per architecture, plus an index.

Pure functions returning text; the CLI writes the files. Pages are CommonMark with GFM
tables. Every piece of user text (titles, labels, descriptions, step text) goes through
:func:`md`, which escapes Markdown and HTML syntax, so a label such as ``a|b <x> [y]``
cannot open a link, a tag or a table cell. The only raw HTML in a page is the generated
comment at the top and the ``<a id="step-N"></a>`` anchors, one per Dataflow item.
"""
from __future__ import annotations

import re

from .model import Architecture, Component

PROVENANCE_NAMES = {
    "product": "Microsoft product of this scenario",
    "existing": "Sourced via the customer's existing CCaaS or CRM",
    "platform": "Microsoft platform",
}
_SPECIAL = re.compile(r"([\\`*_\[\]|<>&!#~])")
_LINE_START = re.compile(r"^(\d+)([.)])|^([-+=])")


def md(text: str) -> str:
    """User text as inline Markdown that renders literally, on one line."""
    text = " ".join(str(text).split())
    text = _SPECIAL.sub(r"\\\1", text)
    # at the start of a block, "1." or "-" would open a list
    return _LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}" if m.group(1) else f"\\{m.group(3)}", text)


def comment(text: str) -> str:
    """Text (a file path) for the inside of an HTML comment: it cannot close the comment
    or start markup. Anything beyond a plain path character is percent-encoded, as in a
    URL, so ``-->``, ``<`` and line breaks cannot appear."""
    from urllib.parse import quote

    return quote(str(text), safe="/._,+=@~ ").replace("--", "-%2D")


def code(text: str, table: bool = True) -> str:
    """Text as one inline code span that shows it literally: the fence is one backtick
    longer than the longest run of backticks inside, line breaks and other controls show
    as escapes, and (in a table cell) ``|`` is escaped so it cannot end the cell."""
    from .diagnostics import term

    text = term(text)
    if table:
        text = text.replace("|", "\\|")
    runs = re.findall(r"`+", text)
    fence = "`" * (max((len(r) for r in runs), default=0) + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def page_name(arch: Architecture) -> str:
    return f"{arch.id}.md"


def _join(parts) -> str:
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _layout(arch: Architecture) -> tuple:
    """(columns left to right, each a list of Areas; bands drawn as a row along the bottom).

    Follows the scene: a band whose components all stand alone is drawn under the
    diagram; every other area sits in its layout column.
    """
    from .scene import is_flat_band

    bottom = [a for a in arch.areas if a.parent is None and is_flat_band(arch, a.id)]
    cols = [[arch.area(aid) for aid in col if arch.area(aid) not in bottom and arch.area(aid).parent is None]
            for col in arch.columns]
    return [c for c in cols if c], bottom


def _area_order(arch: Architecture) -> list:
    """Areas in the diagram's reading order: columns left to right (children after their
    parent), then the bands along the bottom, then anything not placed."""
    cols, bands = _layout(arch)
    order: list = []

    def add(area) -> None:
        if area not in order:
            order.append(area)
            for child in arch.children(area.id):
                add(child)

    for a in [a for col in cols for a in col] + bands + list(arch.areas):
        add(a)
    return order


def _flowing(arch: Architecture) -> list:
    """Components with at least one flow, in reading order."""
    used = {x for f in arch.flows for x in (f.src, f.dst)}
    return [c for a in _area_order(arch) for c in arch.components_in(a.id) if c.id in used]


def alt_text(arch: Architecture) -> str:
    """A description of what the diagram shows, generated from the model."""
    cols, bands = _layout(arch)
    flowing = _flowing(arch)
    key = [c.label for c in flowing if c.provenance == "product" and c.area not in ("customers",)][:8]
    others = len(arch.components) - len(flowing)
    parts = [f"Architecture diagram: {arch.title}."]
    n_areas = sum(len(col) for col in cols)
    parts.append(f"{n_areas} areas in {len(cols)} columns, from left to right: "
                 + "; ".join(", ".join(a.label for a in col) for col in cols) + ".")
    if bands:
        parts.append(f"A row along the bottom: {_join(a.label for a in bands)}.")
    if key:
        parts.append(f"Key components: {_join(key)}.")
    parts.append(f"{len(arch.steps)} numbered dataflow steps connect {len(flowing)} components "
                 "with arrows, each arrow carrying its step number"
                 + (f"; {others} further component{' is' if others == 1 else 's are'} shown without arrows."
                    if others else "."))
    return " ".join(parts)


def _flow_summary(arch: Architecture, step) -> str:
    """The step's flows as 'A → B, C; D ↔ E', grouped by source."""
    groups: dict = {}
    for f in step.flows:
        groups.setdefault((f.src, f.both), []).append(f.dst)
    label = lambda cid: md(arch.component(cid).label)  # noqa: E731
    return "; ".join(f"{label(src)} {'↔' if both else '→'} {', '.join(label(d) for d in dsts)}"
                     for (src, both), dsts in groups.items())


def _steps_of(arch: Architecture, comp: Component) -> list:
    return [s.number for s in arch.steps
            if comp.id in s.components or any(comp.id in (f.src, f.dst) for f in s.flows)]


def _area_title(arch: Architecture, area) -> str:
    names = [area.label]
    while area.parent:
        area = arch.area(area.parent)
        names.insert(0, area.label)
    return " / ".join(names)


def page(arch: Architecture, image_base: str = "..", index: str = "index.md") -> str:
    """The Markdown page of one architecture.

    ``image_base`` is the directory of the rendered diagrams relative to the page.
    """
    legend = dict(arch.legend)
    img = f"{image_base.rstrip('/')}/{arch.id}" if image_base else arch.id
    out = [f"<!-- Generated by diagramgen from {comment(arch.path)}; edit that file, then run make docs. -->", "",
           f"# {md(arch.title)}", "",
           f"**Scenario:** {md(arch.scenario)}", "",
           f"**Microsoft products:** {md(', '.join(arch.products))}", ""]
    out += [f"- {md(s)}" for s in arch.summary]
    out += ["", "## Architecture", "",
            f"![{md(alt_text(arch))}]({img}.svg)", "",
            f"The numbered circles on the arrows are the steps of the Dataflow below. "
            f"Download the diagram as [SVG]({img}.svg) or [PNG]({img}.png).", "",
            "## Dataflow", ""]
    for s in arch.steps:
        marker = f"{s.number}. "
        pad = " " * len(marker)
        out.append(f'{marker}<a id="step-{s.number}"></a>{md(s.text)}\\')
        line = f"{pad}*Flows:* {_flow_summary(arch, s)}"
        extra = [c for c in s.components if all(c not in (f.src, f.dst) for f in s.flows)]
        if extra:
            line += f"\\\n{pad}*Also about:* {', '.join(md(arch.component(c).label) for c in extra)}"
        out += [line, ""]
    out += ["## Components", ""]
    for area in _area_order(arch):
        comps = arch.components_in(area.id)
        if not comps:
            continue
        out += [f"### {md(_area_title(arch, area))}", "",
                "| Component | Provenance | What it does | Steps |", "|---|---|---|---|"]
        for c in comps:
            what = md(c.description)
            if c.capabilities:
                what += (" " if what else "") + f"Capabilities: {md(', '.join(c.capabilities))}."
            steps = ", ".join(f"[{n}](#step-{n})" for n in _steps_of(arch, c)) or "none (context)"
            prov = md(legend.get(c.provenance, PROVENANCE_NAMES.get(c.provenance, c.provenance)))
            out.append(f"| {md(c.label)} | {prov} | {what} | {steps} |")
        out.append("")
    out += ["## Assumptions", ""]
    if arch.azure_foundation:
        out.append("This architecture assumes the core capabilities of Microsoft Azure (compute, storage, "
                   "identity, security, management and compliance); the Azure band of the diagram shows "
                   "them as concrete services.")
    else:
        out.append("This architecture does **not** assume the core capabilities of Microsoft Azure; the "
                   "diagram shows Azure only as the cloud the Microsoft services run on, if at all.")
    out.append("")
    out += [f"- {md(n)}" for n in arch.assumption_notes]
    if arch.assumption_notes:
        out.append("")
    out += ["## Related", "", f"- [All contact-center reference architectures]({index})", ""]
    return "\n".join(out)


def index_page(archs) -> str:
    """The overview: scenario, Microsoft products and a link to each architecture's page."""
    out = ["<!-- Generated by diagramgen from architectures/*.yaml; run make docs to update. -->", "",
           "# Contact-center reference architectures", "",
           "Choose the scenario closest to yours. Each page shows the diagram, its numbered "
           "Dataflow steps and the components, all generated from one architecture file.", "",
           "| Scenario | Microsoft products | Reference architecture | Steps |", "|---|---|---|---|"]
    for a in archs:
        out.append(f"| {md(a.scenario)} | {md(', '.join(a.products))} | [{md(a.title)}]({page_name(a)}) "
                   f"| {len(a.steps)} |")
    out.append("")
    return "\n".join(out)
