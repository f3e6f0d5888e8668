"""Generate Markdown pages from the model: one page per architecture, plus an index.

Pure functions returning text; the CLI writes the files. Pages are Markdown that reads
the same in CommonMark (GitHub, markdown-it) and in Python-Markdown (MkDocs), with
pipe tables. Every piece of user text (titles, labels, descriptions, step text) goes
through :func:`diagramgen.markdown.md`, which writes each Markdown or HTML special character as an HTML
character reference (``&amp;``, ``&lt;``, ``&#42;``, ...) rather than a backslash escape,
which Python-Markdown does not know for all of them: a label such as ``a|b <x> [y]``
cannot open a link, a tag or a table cell, and no stray backslash shows. The raw HTML in
a page is the generated comment at the top, the ``<a id="step-N"></a>`` anchors (one per
Dataflow item), the ``<br>`` line breaks inside Dataflow items and the "Diagram
description" ``<details>`` block, whose text is HTML-escaped.
"""
from __future__ import annotations

from diagramgen import ids
from diagramgen.draw.columns import drawn_areas, laid_out_columns
from diagramgen.draw.render import DEFAULT_FORMATS
from diagramgen.markdown import comment, escape, md
from diagramgen.model import Architecture, Component
from diagramgen.model.settings import NEUTRAL_LEGEND, Settings

# legend texts where neither the architecture nor diagramgen.yaml gives one
ASSETS = "diagrams"  # folder, beside the pages, of the diagrams and viewers they show
MAX_ALT = 249  # characters of an image's alt text; the full description is on the page


def page_name(arch: Architecture) -> str:
    return ids.page_name(arch.id)


def _join(parts) -> str:
    parts = list(parts)
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _layout(arch: Architecture, drawn: dict | None = None) -> tuple:
    """(columns left to right, each a list of Areas top to bottom; bands drawn as rows
    along the bottom).

    Follows the scene: a foundation band (scene.foundation_bands) is drawn full width
    under the diagram; every other area sits in its layout column. With ``drawn`` (drawn_areas of
    the rendered diagram), the columns and the areas in each are put in the order they
    were drawn in, left to right and top to bottom.
    """
    from diagramgen.draw.scene import foundation_bands

    bottom = [arch.area(a) for a in foundation_bands(arch)]
    cols = [[arch.area(aid) for aid in col] for col in laid_out_columns(arch)]
    if drawn and all(a.id in drawn for col in cols for a in col):
        cols = [sorted(col, key=lambda a: drawn[a.id][1]) for col in cols]
        cols.sort(key=lambda col: min(drawn[a.id][0] for a in col))
    return cols, bottom


def _area_order(arch: Architecture, drawn: dict | None = None) -> list:
    """Areas in the diagram's reading order: columns left to right (children after their
    parent), then the bands along the bottom, then anything not placed; with ``drawn``,
    in the order they were drawn (see _layout)."""
    cols, bands = _layout(arch, drawn)
    order: list = []

    def add(area) -> None:
        if area not in order:
            order.append(area)
            for child in arch.children(area.id):
                add(child)

    for a in [a for col in cols for a in col] + bands + list(arch.areas):
        add(a)
    return order


def _flowing(arch: Architecture, drawn: dict | None = None) -> list:
    """Components with at least one flow, in reading order."""
    used = {x for f in arch.flows for x in (f.src, f.dst)}
    return [c for a in _area_order(arch, drawn) for c in arch.components_in(a.id) if c.id in used]


def description(arch: Architecture, drawn: dict | None = None) -> str:
    """A full description of what the diagram shows, generated from the model and, given
    ``drawn`` (drawn_areas of the rendered diagram), from where its areas were drawn (shown
    on the page as the "Diagram description"; the image's alt text is :func:`alt_text`)."""
    cols, bands = _layout(arch, drawn)
    flowing = _flowing(arch, drawn)
    key = [c.label for c in flowing if c.provenance == "product" and c.area not in ("customers",)][:8]
    others = len(arch.components) - len(flowing)
    parts = [f"Architecture diagram: {arch.title}."]
    n_areas = sum(len(col) for col in cols)
    stacked = any(len(col) > 1 for col in cols)
    parts.append(f"{_count(n_areas, 'area')} in {_count(len(cols), 'column')}, from left to right"
                 + (" (areas of one column from top to bottom)" if stacked else "") + ": "
                 + "; ".join(", ".join(a.label for a in col) for col in cols) + ".")
    if len(bands) == 1:
        parts.append(f"A band along the bottom: {bands[0].label}.")
    elif bands:
        parts.append(f"{len(bands)} bands stacked along the bottom, from top to bottom: "
                     f"{_join(a.label for a in bands)}.")
    if key:
        parts.append(f"Key components: {_join(key)}.")
    several = len(arch.sequences) > 1
    one = len(arch.steps) == 1
    parts.append(f"{_step_counts(arch)} dataflow step{'' if one else 's'} connect{'s' if one else ''} "
                 f"{_count(len(flowing), 'component')} with arrows, "
                 + ("each arrow carrying its step's number or letter" if several
                    else "each arrow carrying its step number")
                 + (f"; {others} further component{' is' if others == 1 else 's are'} shown without arrows."
                    if others else "."))
    labelled = [(s, f) for s in arch.steps for f in s.flows if f.label]
    if labelled:
        parts.append(f"Labelled arrow{'s' if len(labelled) > 1 else ''}: " + "; ".join(
            f"{arch.component(f.src).label} {'↔' if f.both else '→'} {arch.component(f.dst).label} "
            f"({f.label}, step {s.badge})" for s, f in labelled) + ".")
    # one line: on the page it sits inside an HTML block, which a blank line would end
    # (what follows would be read as Markdown)
    return " ".join(" ".join(parts).split())


def _count(n: int, noun: str) -> str:
    """"1 area", "2 areas"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _step_counts(arch: Architecture) -> str:
    """"7 numbered", or "8 numbered and 8 lettered" for an architecture with a lettered sequence."""
    return " and ".join(f"{len(q.steps)} {'numbered' if not q.id else 'lettered'}" for q in arch.sequences)


def alt_text(arch: Architecture) -> str:
    """The image's alt text: short (at most MAX_ALT characters, read out each time a
    screen reader passes the image); it points to the full description on the page."""
    n_areas = sum(1 for a in arch.areas if a.parent is None)
    steps, comps = len(arch.steps), len(arch.components)
    tail = (f": {_step_counts(arch)} dataflow step{'s' if steps != 1 else ''} between {comps} "
            f"component{'s' if comps != 1 else ''} "
            f"in {_count(n_areas, 'area')}. Described in full under Diagram description.")
    title = " ".join(arch.title.split())
    room = MAX_ALT - len("Architecture diagram of ") - len(tail)
    if len(title) > room:
        title = title[:room - 1].rstrip() + "…"
    return f"Architecture diagram of {title}{tail}"


def _flow_summary(arch: Architecture, step) -> str:
    """The step's flows as 'A → B, C (HTTPS); D ↔ E', grouped by source; a flow's label
    follows its target in parentheses."""
    groups: dict = {}
    for f in step.flows:
        groups.setdefault((f.src, f.both), []).append(f)
    label = lambda cid: md(arch.component(cid).label)  # noqa: E731
    target = lambda f: label(f.dst) + (f" ({md(f.label)})" if f.label else "")  # noqa: E731
    return "; ".join(f"{label(src)} {'↔' if both else '→'} {', '.join(target(f) for f in flows)}"
                     for (src, both), flows in groups.items())


def _steps_of(arch: Architecture, comp: Component) -> list:
    return [s for s in arch.steps
            if comp.id in s.components or any(comp.id in (f.src, f.dst) for f in s.flows)]


def _area_title(arch: Architecture, area) -> str:
    names = [area.label]
    while area.parent:
        area = arch.area(area.parent)
        names.insert(0, area.label)
    return " / ".join(names)


def _circles_sentence(arch: Architecture) -> str:
    if len(arch.sequences) == 1:
        return "The numbered circles on the arrows are the steps of the Dataflow below."
    main, *rest = arch.sequences
    return ("The circles on the arrows are the steps of the Dataflow below: numbers for "
            f"{md(main.title or 'the main dataflow')}, letters for {md(rest[0].title)}.")


def _settings(settings):
    if settings is None:
        from diagramgen.model.settings import current

        return current()
    return settings


def page(arch: Architecture, image_base: str = ASSETS, index: str = "index.md",
         formats=DEFAULT_FORMATS, settings: Settings | None = None,
         svg: bytes | None = None, drawn: dict | None = None) -> str:
    """The Markdown page of one architecture.

    ``image_base`` is the directory of the diagrams relative to the page (by default the
    ``diagrams/`` folder that ``docs`` fills beside the pages); ``formats`` are the ones
    there besides the SVG: ``png`` and ``pdf`` are offered as downloads, ``html`` (the
    viewer) is linked from the page and from each Dataflow item (``<id>.html#step-N``);
    ``svg``, the rendered diagram, lets the description follow where areas were drawn
    (or ``drawn``, drawn_areas of it, when that is known already);
    ``settings`` (default: settings.current()) give the wording of the foundation
    paragraph and of the link to the index.
    """
    settings = _settings(settings)
    img = f"{image_base.rstrip('/')}/{arch.id}" if image_base else arch.id
    viewer = "html" in formats
    downloads = [f"[{f.upper()}]({img}.{f})" for f in ("svg", "png", "pdf") if f == "svg" or f in formats]
    out = [f"<!-- Generated by diagramgen from {comment(arch.path)}; edit that file, then run make docs. -->", "",
           f"# {md(arch.title)}", "",
           f"**Scenario:** {md(arch.scenario)}", "",
           f"**{md(settings.products_label)}:** {md(', '.join(arch.products))}", ""]
    out += [f"- {md(s)}" for s in arch.summary]
    out += ["", "## Architecture", "",
            f"![{md(alt_text(arch))}]({img}.svg)", "",
            "<details><summary>Diagram description</summary>",
            f"<p>{escape(description(arch, drawn if drawn is not None else drawn_areas(svg) if svg else None), quote=False)}</p>",
            "</details>", "",
            _circles_sentence(arch) + " "
            + (f"Open the [interactive diagram]({img}.html) to zoom and highlight a step, or download "
               if viewer else "Download ")
            + f"the diagram as {_join(downloads).replace(' and ', ' or ')}.", "",
            "## Dataflow", ""]
    out += _dataflow_section(arch, img, viewer)
    out += _components_section(arch)
    out += _assumptions_section(arch, settings)
    out += ["## Related", "", f"- [{md(settings.related_link)}]({index})", ""]
    return "\n".join(out)


def _dataflow_section(arch: Architecture, img: str, viewer: bool) -> list:
    """The lines of the Dataflow list: one item per step, with its anchor, flows, other
    components and (with the viewer) a link that highlights the step."""
    out: list = []
    several = len(arch.sequences) > 1
    for q in arch.sequences:
        if several:
            out += [f"### {md(q.title or 'Main dataflow')}", ""]
        for s in q.steps:
            # a lettered sequence is a bullet list whose items start with their letter in
            # bold: Markdown numbers ordered lists, it cannot letter them
            marker = f"{s.number}. " if not s.sequence else "- "
            pad = " " * len(marker)
            badge = f"**{s.badge}.** " if s.sequence else ""
            out.append(f'{marker}{badge}<a id="{s.anchor}"></a>{md(s.text)}<br>')
            line = f"{pad}*Flows:* {_flow_summary(arch, s)}"
            extra = [c for c in s.components if all(c not in (f.src, f.dst) for f in s.flows)]
            if extra:
                line += f"<br>\n{pad}*Also about:* {', '.join(md(arch.component(c).label) for c in extra)}"
            if viewer:
                line += f"<br>\n{pad}[Show step {s.badge} in the diagram]({img}.html#{s.anchor})"
            out += [line, ""]
    return out


def _components_section(arch: Architecture) -> list:
    """The lines of the Components section: a table per area, in the order drawn."""
    out = ["## Components", ""]
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
            steps = ", ".join(f"[{s.badge}](#{s.anchor})" for s in _steps_of(arch, c)) or "none (context)"
            prov = md(arch.legend_text(c.provenance, NEUTRAL_LEGEND))
            out.append(f"| {md(c.label)} | {prov} | {what} | {steps} |")
        out.append("")
    return out


def _assumptions_section(arch: Architecture, settings: Settings) -> list:
    """The Assumptions section (the foundation paragraph and the notes), if any."""
    foundation = {True: settings.foundation_assumed, False: settings.foundation_not_assumed,
                  None: ""}[arch.azure_foundation]
    out: list = []
    if foundation or arch.assumption_notes:
        out += ["## Assumptions", ""]
    if foundation:
        out += [md(foundation), ""]
    out += [f"- {md(n)}" for n in arch.assumption_notes]
    if arch.assumption_notes:
        out.append("")
    return out


def index_page(archs, settings: Settings | None = None, compared=()) -> str:
    """The overview: scenario, products and a link to each architecture's page, under the
    title, intro and footer of diagramgen.yaml (``settings``, default: settings.current());
    ``compared`` lists (title, page) of the groups' overview pages, linked after the table."""
    settings = _settings(settings)
    out = ["<!-- Generated by diagramgen from architectures/*.yaml; run make docs to update. -->", "",
           f"# {md(settings.index_title)}", ""]
    if settings.index_intro:
        out += [md(settings.index_intro), ""]
    out += [f"| Scenario | {md(settings.products_label)} | Reference architecture | Steps |", "|---|---|---|---|"]
    for a in sorted(archs, key=lambda a: (a.path, a.id)):
        out.append(f"| {md(a.scenario)} | {md(', '.join(a.products))} | [{md(a.title)}]({page_name(a)}) "
                   f"| {len(a.steps)} |")
    out.append("")
    if compared:
        out += ["## Comparing scenarios", ""]
        out += [f"- [{md(title)}]({page})" for title, page in compared]
        out.append("")
    if settings.index_footer:
        out += [md(settings.index_footer), ""]
    return "\n".join(out)
