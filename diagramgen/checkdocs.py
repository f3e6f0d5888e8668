"""Check a hand-written Markdown page's Dataflow list against an architecture.

The page is parsed with a CommonMark parser (markdown-it-py); the check never looks at
raw lines. The Dataflow section is the first heading whose text is "Dataflow" (or "Data
flow"), and its list is the first ordered list before the next heading of the same or a
higher level. Each list item is compared with the step of the same number:

* the number of items must equal the number of steps;
* item N must mention every component step N is about (``Step.components``: the step's
  ``subject``, else the endpoints of its flows), by the component's label or one of its
  aliases (the component's own and its catalog kind's);
* an item that describes another step instead (it mentions all of that step's components
  but not all of its own) is reported as out of order; two such items that trade places
  are reported as a swap.

How a mention is matched: both the item text and the names are normalised (Unicode NFKC,
zero-width characters removed, case folded) and split into words (runs of letters and
digits); a name matches where its words appear consecutively in the item's words, so
line breaks, extra spaces and punctuation between words do not matter, and "CRM" does
not match inside "CRMs" or "ACRM". The last word of a name may carry a plural "s" or
"es" ("Agent workspace" matches "agent workspaces"). Link targets, HTML and code blocks
are not part of an item's text; link text and inline code are.
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

from markdown_it import MarkdownIt

from .diagnostics import ERROR, Diagnostic, Pos
from .model import Architecture, Component

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
WORD = re.compile(r"[^\W_]+")
SECTION_NAMES = {"dataflow", "data flow"}


@dataclass(frozen=True)
class Item:
    """One item of the Dataflow list: its 1-based source line and its plain text."""

    line: int
    text: str


@dataclass(frozen=True)
class Section:
    heading_line: int
    list_line: int  # 0 when the section has no ordered list
    items: tuple


def words(text: str) -> tuple:
    """Normalised words of a text (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).translate(ZERO_WIDTH).casefold()
    return tuple(WORD.findall(text))


def _inline_text(token) -> str:
    parts = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def parse_dataflow(markdown: str) -> Optional[Section]:
    """Find the Dataflow section and its ordered list; None when there is no such heading."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    start = level = None
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tokens[i + 1].type == "inline":
            name = " ".join(words(_inline_text(tokens[i + 1])))
            if name in SECTION_NAMES:
                start, level, heading_line = i + 3, int(tok.tag[1]), tok.map[0] + 1
                break
    if start is None:
        return None
    items: list = []
    list_line = 0
    depth = None
    current: Optional[list] = None
    for tok in tokens[start:]:
        if tok.type == "heading_open" and int(tok.tag[1]) <= level and depth is None:
            break
        if depth is None:
            if tok.type == "ordered_list_open":
                depth, list_line = tok.level, tok.map[0] + 1
            continue
        if tok.type == "ordered_list_close" and tok.level == depth:
            break
        if tok.type == "list_item_open" and tok.level == depth + 1:
            current = [tok.map[0] + 1, []]
            items.append(current)
        elif tok.type == "inline" and current is not None:
            current[1].append(_inline_text(tok))
    return Section(heading_line, list_line,
                   tuple(Item(line, " ".join(parts)) for line, parts in items))


def names(c: Component) -> tuple:
    """Every name a page may use for a component: its label, then its aliases."""
    return tuple(dict.fromkeys((c.label,) + tuple(c.aliases)))


def _contains(haystack: tuple, needle: tuple) -> bool:
    n = len(needle)
    if not n:
        return False
    *head, last = needle
    for i in range(len(haystack) - n + 1):
        if list(haystack[i:i + n - 1]) == head:
            w = haystack[i + n - 1]
            if w == last or w == last + "s" or w == last + "es":
                return True
    return False


def mentions(text: str, component: Component) -> bool:
    """True when the text names the component by its label or an alias (whole words)."""
    ws = words(text)
    return any(_contains(ws, words(n)) for n in names(component))


def _label_list(arch: Architecture, ids) -> str:
    return ", ".join(f"{arch.component(i).label} ({i})" for i in ids)


def check_page(markdown: str, arch: Architecture, doc: str) -> list:
    """Compare a page's Dataflow list with the architecture's steps; return diagnostics.

    ``doc`` is the page path shown in the diagnostics (``doc:line: error: ...``).
    """
    def err(line: int, msg: str) -> Diagnostic:
        return Diagnostic(Pos(doc, max(line, 1)), ERROR, msg)

    section = parse_dataflow(markdown)
    if section is None:
        return [err(1, "no 'Dataflow' heading found")]
    if not section.list_line:
        return [err(section.heading_line, "the Dataflow section has no numbered list")]
    items, steps = section.items, arch.steps
    # missing[i][j]: components of step j that item i does not mention
    missing = [[tuple(c for c in s.components if not mentions(it.text, arch.component(c)))
                for s in steps] for it in items]
    diags: list = []
    if len(items) != len(steps):
        diags.append(err(section.list_line, f"the Dataflow list has {len(items)} item(s), "
                                            f"but {arch.path} has {len(steps)} step(s)"))
        pairs, extra_items, lost_steps = _align(missing, len(items), len(steps))
        for i in extra_items:
            diags.append(err(items[i].line, f"item {i + 1} matches no step of {arch.path} "
                                            "(an extra item, or one whose step was removed)"))
        for j in lost_steps:
            prev = max((items[i].line for i, jj in pairs if jj < j), default=section.heading_line)
            diags.append(err(prev, f"step {j + 1} has no item in the Dataflow list "
                                   f"(expected after line {prev}; it is about "
                                   f"{_label_list(arch, steps[j].components)})"))
    else:
        pairs = [(k, k) for k in range(len(items))]
    item_of = {j: i for i, j in pairs}

    def described(i: int, j: int) -> Optional[int]:
        """The other step item i describes (all its components named) in place of step j."""
        others = [jj for jj in item_of if jj != j and not missing[i][jj] and missing[item_of[jj]][jj]]
        # the most specific step first (most components), then the nearest one
        return min(others, key=lambda jj: (-len(steps[jj].components), abs(jj - j)), default=None)

    reported: set = set()
    for i, j in pairs:
        if not missing[i][j] or j in reported:
            continue
        line = items[i].line
        other = described(i, j)
        if other is not None and missing[item_of[other]][other] and described(item_of[other], other) == j:
            reported.add(other)
            diags.append(err(line, f"steps {j + 1} and {other + 1} are swapped: the item at line {line} "
                                   f"describes step {other + 1} and the item at line "
                                   f"{items[item_of[other]].line} describes step {j + 1}"))
        elif other is not None:
            diags.append(err(line, f"step {j + 1}: the item at line {line} describes step {other + 1} "
                                   f"instead (it does not mention {_label_list(arch, missing[i][j])}); "
                                   "the items are out of order"))
        else:
            diags.append(err(line, f"step {j + 1}: the item does not mention "
                                   f"{_label_list(arch, missing[i][j])}, which the step is about "
                                   f"(accepted names: {_accepted(arch, missing[i][j])})"))
    return sorted(diags, key=lambda d: (d.pos.line, d.message))


def _accepted(arch: Architecture, ids) -> str:
    return "; ".join(", ".join(names(arch.component(i))) for i in ids)


def _align(missing: list, n_items: int, n_steps: int):
    """Align items to steps in order (longest run of full matches, then partial ones).

    Returns ``(pairs, unmatched items, unmatched steps)``; pairs are (item, step) indexes.
    """
    # dynamic programming over (items, steps): the most full matches kept in order
    def pair_score(i: int, j: int) -> float:
        if not missing[i][j]:
            return 2.0
        return 0.0

    best = [[0.0] * (n_steps + 1) for _ in range(n_items + 1)]
    for i in range(n_items - 1, -1, -1):
        for j in range(n_steps - 1, -1, -1):
            best[i][j] = max(best[i + 1][j], best[i][j + 1], pair_score(i, j) + best[i + 1][j + 1])
    pairs, i, j = [], 0, 0
    while i < n_items and j < n_steps:
        if pair_score(i, j) > 0 and best[i][j] == pair_score(i, j) + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j] and (n_items - i) > (n_steps - j):
            i += 1
        elif best[i][j] == best[i][j + 1] and (n_steps - j) > (n_items - i):
            j += 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    matched_i = {p[0] for p in pairs}
    matched_j = {p[1] for p in pairs}
    rest_i = [x for x in range(n_items) if x not in matched_i]
    rest_j = [x for x in range(n_steps) if x not in matched_j]
    # items and steps left over in the same gap are paired in order (a changed item)
    extra, lost = [], []
    for gap_i, gap_j in _gaps(pairs, rest_i, rest_j):
        k = min(len(gap_i), len(gap_j))
        pairs += list(zip(gap_i[:k], gap_j[:k]))
        extra += gap_i[k:]
        lost += gap_j[k:]
    return sorted(pairs), extra, lost


def _gaps(pairs: list, rest_i: list, rest_j: list):
    """Group unmatched items and steps by the gap between matched pairs they fall in."""
    bounds = sorted(pairs) + [(10 ** 9, 10 ** 9)]
    prev = (-1, -1)
    for b in bounds:
        gi = [x for x in rest_i if prev[0] < x < b[0]]
        gj = [x for x in rest_j if prev[1] < x < b[1]]
        if gi or gj:
            yield gi, gj
        prev = b


def is_url(page: str) -> bool:
    return "://" in page


MAX_PAGE_BYTES = 1_000_000


class PageError(Exception):
    pass


def read_page(path: str) -> str:
    """A docs page's text: a regular file (a link to one is followed, the page may live
    outside the repository), UTF-8, at most MAX_PAGE_BYTES. Raises PageError."""
    import stat

    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            raise PageError("is not a regular file")
        if st.st_size > MAX_PAGE_BYTES:
            raise PageError(f"the page is {st.st_size} bytes, over the limit of {MAX_PAGE_BYTES} bytes")
        with open(path, "rb") as fh:
            data = fh.read(MAX_PAGE_BYTES + 1)
    except OSError as exc:
        raise PageError(f"cannot read the page: {exc.strerror or exc}") from None
    if len(data) > MAX_PAGE_BYTES:
        raise PageError(f"the page is over the limit of {MAX_PAGE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PageError(f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def page_path(arch: Architecture) -> Optional[str]:
    """The architecture's docs page, resolved against the architecture file; None if unset."""
    if not arch.docs_page or is_url(arch.docs_page):
        return None
    return os.path.normpath(os.path.join(os.path.dirname(arch.path), arch.docs_page))


def architecture_for(doc: str, models) -> Optional[Architecture]:
    """The architecture whose ``docs_page`` is the given page (compared as real paths)."""
    real = os.path.realpath(doc)
    return next((m for m in models if page_path(m) and os.path.realpath(page_path(m)) == real), None)
