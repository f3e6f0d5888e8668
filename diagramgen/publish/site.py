"""The docs folder as a self-contained site source: the pages and the diagrams they show.

``diagramgen docs`` writes, beside the pages, a folder ``diagrams/`` (docs.ASSETS) with
each architecture's SVG, PNG (and PDF, when rendered) and offline viewer, made from what
``render`` wrote. So the docs folder can be MkDocs' ``docs_dir`` as it is, or be copied
into an existing site: every link in it is relative and stays inside it.

The pages link their diagrams as files (``diagrams/premium.svg``), which both GitHub and
MkDocs resolve. The SVG and the viewer are static files, which no site generator rewrites,
so their links to a page are written for the way the site serves pages (``LINK_STYLES``,
or a template with ``{id}``, such as ``https://docs.example.org/architectures/{id}/``).
"""
from __future__ import annotations

import os
import re

from diagramgen.diagnostics import Failure
from diagramgen.docs.pages import ASSETS
from diagramgen.ids import docs_link

# how a site serves the page <id>.md
LINK_STYLES = {
    "dir": "{id}/",      # MkDocs' default (use_directory_urls: true): premium/
    "html": "{id}.html",  # MkDocs with use_directory_urls: false, most static generators
    "md": "{id}.md",     # the Markdown file itself: browsing the repository on GitHub
}
DEFAULT_LINKS = "dir"


class PublishError(Failure):
    pass


def check_links(links: str) -> str:
    """``links`` if it is a style name or a template holding ``{id}``; else ValueError."""
    if links in LINK_STYLES:
        return links
    if "{id}" not in links or re.search(r"[\s\"'<>\\]", links):
        raise ValueError(f"choose {', '.join(LINK_STYLES)} or a URL template with {{id}}, got '{links}'")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", links) and not re.match(r"^https?://", links):
        raise ValueError(f"a URL template must be relative or http(s), got '{links}'")
    return links


def page_href(links: str, arch_id: str, up: str = "../") -> str:
    """The link to the page of ``arch_id`` from a file one folder below the pages
    (``diagrams/``): a relative template gets ``up`` in front, an absolute one not."""
    url = LINK_STYLES.get(links, links).replace("{id}", arch_id)
    return url if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:|^/", url) else up + url


def assets(arch, image_dir: str, links: str = DEFAULT_LINKS) -> dict:
    """``{path relative to the docs folder: bytes}``: the diagrams of one page.

    Reads ``image_dir/<id>.svg`` (required) and ``.png``/``.pdf`` (copied when present);
    raises PublishError when the SVG is missing or is not render's output.
    """
    from diagramgen.draw import svg, viewer

    src = os.path.join(image_dir, f"{arch.id}.svg")
    try:
        with open(src, "rb") as fh:
            page_svg = fh.read()
    except OSError as exc:
        raise PublishError(f"cannot read {src} ({exc.strerror or exc}); run diagramgen render first") from None
    href = page_href(links, arch.id)
    try:
        site_svg = svg.relink(page_svg, docs_link(arch.id), href)
    except svg.SvgError as exc:
        raise PublishError(f"{src}: {exc}; render it again with diagramgen render --force") from None
    out = {f"{ASSETS}/{arch.id}.svg": site_svg}
    for ext in ("png", "pdf"):
        path = os.path.join(image_dir, f"{arch.id}.{ext}")
        if os.path.isfile(path):
            with open(path, "rb") as fh:
                out[f"{ASSETS}/{arch.id}.{ext}"] = fh.read()
    page = viewer.build(arch, site_svg, png_name=f"{arch.id}.png" if f"{ASSETS}/{arch.id}.png" in out else None,
                        svg_name=f"{arch.id}.svg", docs_href=href)
    out[f"{ASSETS}/{arch.id}.html"] = page.encode("utf-8")
    return out


def formats_of(files: dict, arch_id: str) -> tuple:
    """The formats among an architecture's assets (for docs.page)."""
    return tuple(ext for ext in ("svg", "png", "pdf", "html") if f"{ASSETS}/{arch_id}.{ext}" in files)
