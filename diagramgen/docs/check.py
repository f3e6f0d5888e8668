"""check-docs over a set of pages: which page is checked against what (an architecture's
docs_page against the architecture, a group's overview_page against the group), pages
skipped with a note, and the outcome of each (docs/checkdocs.py and docs/overview.py do
the checks themselves)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from diagramgen.diagnostics import ERROR, NOTE, Diagnostic, Failure, Pos
from diagramgen.docs import overview
from diagramgen.docs.checkdocs import PageError, architecture_for, check_page, page_path, read_page


@dataclass(frozen=True)
class PageCheck:
    """What check-docs found for one page: its diagnostics, or (``ok``) the line saying
    that it matches."""

    diagnostics: tuple = ()
    ok: str = ""


def check_docs(docs, models, groups, arch_given: bool = False, group_id: Optional[str] = None) -> list:
    """Check hand-written pages against the architectures ``models`` and the resolved
    ``groups`` of diagramgen.yaml; return a PageCheck per page, in order.

    ``docs``: the pages to check (a group's overview page, checked against the group; or
    the docs_page of an architecture). With ``arch_given`` every page is checked against
    ``models[0]``; with ``group_id`` against that group (Failure when there is no such
    group). With no ``docs``: every architecture's docs_page and every group's
    overview_page, a page whose file is absent (or a URL) skipped with a note.
    """
    if group_id and group_id not in {g.id for g in groups}:
        known = ", ".join(g.id for g in groups) or "none"
        raise Failure(f"diagramgen.yaml declares no group '{group_id}' (groups: {known})")
    out: list = []
    jobs: list = []

    def problem(path: str, severity, message: str, code: str) -> None:
        out.append(PageCheck((Diagnostic(Pos(path), severity, message, code),)))

    if docs:
        for doc in docs:
            group = next(g for g in groups if g.id == group_id) if group_id else \
                None if arch_given else overview.group_for(doc, groups)
            target = group if group is not None else models[0] if arch_given else architecture_for(doc, models)
            if not os.path.lexists(doc):  # a mistyped path: said as such, mapped or not
                problem(doc, ERROR, "no such file", "DG401")
            elif target is None:
                problem(doc, ERROR, "no architecture has this page as its docs_page; pass --arch FILE", "DG403")
            else:
                jobs.append((doc, target))
    else:
        for m in models:
            page = page_path(m)
            if page is None:
                if m.docs_page:  # a URL: a published page, not a file this command reads
                    problem(m.docs_page, NOTE, f"skipped, a URL is not checked ({m.path} maps to it)", "DG404")
                continue
            if not os.path.exists(page):  # present but not a regular file: read_page says so
                problem(page, NOTE, f"skipped, the page is absent ({m.path} maps to it)", "DG405")
                continue
            jobs.append((page, m))
        for g in groups:
            if not g.overview_page:
                continue
            if not os.path.exists(g.overview_page):
                problem(g.overview_page, NOTE, f"skipped, the page is absent (the overview_page of group {g.id})",
                        "DG405")
                continue
            jobs.append((g.overview_page, g))
    for doc, target in jobs:
        try:
            text = read_page(doc)
        except PageError as exc:
            problem(doc, ERROR, exc.message, "DG402")
            continue
        if isinstance(target, overview.Resolved):
            diags = overview.check_overview(text, target, doc)
            ok = f"ok {doc} (the {len(target.members)} architectures of group {target.id})"
        else:
            diags = check_page(text, target, doc)
            ok = f"ok {doc} ({len(target.steps)} steps of {target.path})"
        out.append(PageCheck(tuple(diags), "" if diags else ok))
    return out
