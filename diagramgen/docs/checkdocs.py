"""Check a hand-written Markdown page's Dataflow list against an architecture.

The page is parsed with a CommonMark parser (markdown-it-py); the check never looks at
raw lines. A Dataflow section is a heading whose text is "Dataflow" (or "Data flow") up to
the next heading of the same or a higher level; its ordered lists (and lettered bullet
lists), those of every such section in page order, map to the sequences (parse_dataflow).
Each list item is compared with the step of the same number:

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
are not part of an item's text; link text and inline code are. An HTML tag that breaks the
line or sets its content apart (``<br>``, ``<sup>``) separates the words on either side.
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

from markdown_it import MarkdownIt

from diagramgen.diagnostics import ERROR, Diagnostic, Failure, Pos
from diagramgen.model import Architecture, Component

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
WORD = re.compile(r"[^\W_]+")
SECTION_NAMES = {"dataflow", "data flow"}
HTML_TAG = re.compile(r"</?\s*([A-Za-z][A-Za-z0-9-]*)")
WORD_BREAKING_TAGS = frozenset(
    "br hr img p div li ul ol dl dt dd table tr td th sup sub blockquote details summary "
    "h1 h2 h3 h4 h5 h6 pre input button iframe video audio".split())
# "A.", "B)", "(C)", in capitals or not: how a bullet list letters its items
LETTERED = re.compile(r"\s*(?:[A-Za-z]{1,3}[.)]|\([A-Za-z]{1,3}\))\s")


@dataclass(frozen=True)
class Item:
    """One list item: its 1-based source line, its plain text (with the text of the lists
    nested in it) and the items of those nested lists."""

    line: int
    text: str
    nested: tuple = ()
    end: int = 0  # the last source line of the item (with its nested lists)


@dataclass(frozen=True)
class OList:
    """One top-level ordered list of the Dataflow section."""

    line: int
    items: tuple

    @property
    def nested(self) -> tuple:
        return tuple(n for it in self.items for n in it.nested)


@dataclass(frozen=True)
class Section:
    """The Dataflow section of a page: where its heading is and its ordered lists."""

    heading_line: int
    lists: tuple  # OList, in page order
    # the ordered lists as CommonMark splits them, before a list that continues the
    # numbers of the one before it is joined to it (``lists`` when nothing was joined)
    split: Optional[tuple] = None

    def unjoined(self) -> Section:
        return Section(self.heading_line, self.split if self.split is not None else self.lists)

    @property
    def list_line(self) -> int:
        """Line of the first ordered list (0 when the section has none)."""
        return self.lists[0].line if self.lists else 0

    @property
    def items(self) -> tuple:
        """The top-level items of the first list (what the check read before sequences)."""
        return self.lists[0].items if self.lists else ()


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
        elif child.type == "html_inline":
            # a tag that breaks the line or sets its content apart ("Studio<br>provides",
            # "Studio<sup>1</sup>") ends a word; "<b>Data</b>verse" stays one word
            tag = HTML_TAG.match(child.content)
            if tag and tag.group(1).lower() in WORD_BREAKING_TAGS:
                parts.append(" ")
    return "".join(parts)


def _items(tokens: list, start: int) -> tuple:
    """The items of the list opened at ``tokens[start]``, and the index after its close."""
    depth = tokens[start].level
    close = tokens[start].type.replace("_open", "_close")
    items: list = []
    i = start + 1
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == close and tok.level == depth:
            break
        if tok.type == "list_item_open" and tok.level == depth + 1:
            line, end, parts, nested = tok.map[0] + 1, tok.map[1], [], []
            i += 1
            while not (tokens[i].type == "list_item_close" and tokens[i].level == depth + 1):
                t = tokens[i]
                if t.type in ("ordered_list_open", "bullet_list_open") and t.level == depth + 2:
                    sub, i = _items(tokens, i)
                    nested += sub
                    parts += [x.text for x in sub]
                    continue
                if t.type == "inline":
                    parts.append(_inline_text(t))
                i += 1
            items.append(Item(line, " ".join(parts), tuple(nested), end))
        i += 1
    return tuple(items), i + 1


def _line(tok) -> int:
    """The 1-based line a block token starts on (markdown-it maps every block token)."""
    return tok.map[0] + 1 if tok.map else 1


def parse_dataflow(markdown: str) -> Optional[Section]:
    """Find the Dataflow section and its top-level ordered lists; None when there is no
    such heading. The section ends at the next heading of the same or a higher level; a
    page with more than one heading "Dataflow" (one per sequence, or one left empty)
    gives the lists of all of them, in page order. An ordered list whose first number
    continues the one before it (``4.`` after a list of ``1.`` to ``3.``, split by an
    unindented paragraph, note or table) is that list continued, as it reads."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    heading_line, level = 0, 0
    lists: list = []
    split: list = []
    prev_end = None  # the number after the last item of the previous ordered list
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open":
            if level and int(tok.tag[1]) <= level:
                level = 0  # the section ends; another Dataflow heading may open one
            if not level and tokens[i + 1].type == "inline" and \
                    " ".join(words(_inline_text(tokens[i + 1]))) in SECTION_NAMES:
                level = int(tok.tag[1])
                heading_line = heading_line or _line(tok)
            i += 1
            continue
        if level and tok.type in ("ordered_list_open", "bullet_list_open") and tok.level == 0:
            items, i = _items(tokens, i)
            if tok.type == "ordered_list_open":
                start = int(tok.attrs.get("start", 1))
                split.append(OList(_line(tok), items))
                if start > 1 and start == prev_end and lists:
                    lists[-1] = OList(lists[-1].line, lists[-1].items + items)
                else:
                    lists.append(OList(_line(tok), items))
                prev_end = start + len(items)
            # a bullet list whose items all start with a letter ("A.", "**B.**", "c)", "(D)"):
            # Markdown cannot letter an ordered list, so lettered steps are written that
            # way (as the generated pages do)
            elif all(LETTERED.match(it.text) for it in items):
                lists.append(OList(_line(tok), items))
                split.append(lists[-1])
                prev_end = None
            continue
        i += 1
    if not heading_line:
        return None
    return Section(heading_line, tuple(lists), tuple(split) if len(split) != len(lists) else None)


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


def _n(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _and(parts) -> str:
    parts = [str(p) for p in parts]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def found(section: Section) -> str:
    """What the Dataflow section holds, for messages: "2 ordered lists (8 and 8 items; list 1
    has 1 item with 5 nested items)"."""
    counts = [len(x.items) for x in section.lists]
    out = (f"{_n(len(section.lists), 'ordered list')} ({_and(counts)} item{'' if counts == [1] else 's'}")
    for k, x in enumerate(section.lists, start=1):
        holders = [it for it in x.items if it.nested]
        if holders:
            out += (f"; list {k} has {_n(len(holders), 'item')} with "
                    f"{_n(len(x.nested), 'nested item')}")
    return out + ")"


def _pick(lst: OList, want: int, mode: str) -> tuple:
    """(items, "top" or "nested"): the items of a list that are steps."""
    if mode == "top" or (mode == "auto" and not lst.nested):
        return lst.items, "top"
    if mode == "nested":  # a list without nested items gives its own
        return (lst.nested, "nested") if lst.nested else (lst.items, "top")
    # auto: the level whose count fits; when neither does, the closer one (top on a tie)
    top, nested = len(lst.items), len(lst.nested)
    if top == want:
        return lst.items, "top"
    if nested == want or abs(nested - want) < abs(top - want):
        return lst.nested, "nested"
    return lst.items, "top"


def _choose(section: Section, arch: Architecture):
    """``[(list line, items, level)]`` per sequence, or None when the section holds fewer
    ordered lists than the architecture has sequences (and no list of sequences)."""
    seqs = arch.sequences
    mode = arch.docs_check.items
    lists = section.lists
    if len(lists) < len(seqs):
        # one list whose top-level items each hold one sequence's steps
        if (len(lists) == 1 and mode != "top" and len(lists[0].items) == len(seqs)
                and all(it.nested for it in lists[0].items)):
            return [(it.line, it.nested, "nested") for it in lists[0].items]
        return None
    return [(lst.line, *_pick(lst, len(q.steps), mode)) for q, lst in zip(seqs, lists)]


def _how(arch: Architecture, level: str) -> str:
    other = "nested" if level == "top" else "top"
    what = {"nested": "the items nested in the top-level ones", "top": "the top-level items"}
    return (f"the steps were read from {what[level]}; to read {what[other]}, set "
            f"'docs_check: {{items: {other}}}' in {arch.path}")


def check_page(markdown: str, arch: Architecture, doc: str) -> list:
    """Compare a page's Dataflow lists with the architecture's sequences; return diagnostics.

    ``doc`` is the page path shown in the diagnostics (``doc:line: error: ...``). The
    section's ordered lists map to the sequences in order (the main dataflow first); prose
    between them is fine, and lists beyond the sequences are not read.
    """
    def err(line: int, msg: str, code: str) -> Diagnostic:
        return Diagnostic(Pos(doc, max(line, 1)), ERROR, msg, code)

    section = parse_dataflow(markdown)
    if section is None:
        return [err(1, "no 'Dataflow' heading found", "DG410")]
    if not section.lists:
        return [err(section.heading_line, "the Dataflow section has no numbered list", "DG411")]
    seqs = arch.sequences
    if len(section.lists) < len(seqs) <= len(section.unjoined().lists):
        # numbers that run on from one sequence's list into the next one's
        section = section.unjoined()
    chosen = _choose(section, arch)
    if chosen is None:
        counts = _and(len(q.steps) for q in seqs)
        return [err(section.heading_line,
                    f"the Dataflow section has {found(section)}, but {arch.path} has {len(seqs)} "
                    f"sequences ({counts} steps): each sequence needs its own ordered list, in the "
                    "order of the file (main dataflow first; prose between the lists is fine)", "DG412")]
    several = len(seqs) > 1
    # say what the section holds when the count may come from its shape: nested items,
    # or more lists than sequences (a list split by an unindented paragraph)
    shaped = any(x.nested for x in section.lists)
    split = not shaped and len(section.lists) > len(seqs)
    diags: list = []
    for k, (q, (line, items, level)) in enumerate(zip(seqs, chosen), start=1):
        if several:
            whose = f"the main dataflow of {arch.path}" if not q.id else f"sequence '{q.id}' of {arch.path}"
            count_msg = (f"list {k} of the Dataflow section has {_n(len(items), 'item')}, but {whose} "
                         f"has {_n(len(q.steps), 'step')}")
        else:
            count_msg = f"the Dataflow list has {len(items)} item(s), but {arch.path} has {len(q.steps)} step(s)"
        if shaped and len(items) != len(q.steps):
            count_msg += f" (the section has {found(section)}; {_how(arch, level)})"
        elif split and len(items) != len(q.steps):
            count_msg += (f" (the section has {found(section)}, and list {k} was read for this sequence: "
                          "a paragraph, note or table between two items ends a list unless it is "
                          "indented under its item)")
        diags += _check_sequence(arch, q, items, line if level == "top" or not items else items[0].line,
                                 section.heading_line, count_msg, f" of list {k}" if several else "", doc)
    return sorted(diags, key=lambda d: d.pos.line)  # stable: on one line, in the order found


def main_components(step) -> tuple:
    """The components an item for ``step`` names under the default rule, one of which
    must be named: its subject when declared (then all of it); else the hub of its flows
    (the one end every flow shares, as in a fan-out or fan-in); else, when no single end
    is shared (one flow, or flows between unrelated components), every end of its flows."""
    if step.subject:
        return step.subject
    shared = set.intersection(*({f.src, f.dst} for f in step.flows)) if step.flows else set()
    if len(shared) == 1:
        return tuple(shared)
    return step.components


def _missing(arch: Architecture, text, step, names_mode: str) -> tuple:
    """Components of ``step`` the text should name but does not.

    ``all``: every component the step is about (its subject, else its flows' ends).
    ``any``: every component of its subject when it declares one; else at least one end
    of its flows (all of them are reported when it names none).
    ``main`` (the default): as ``any``, but when the step's flows share one end (its hub),
    that one must be named.
    """
    comps = step.components
    named = text if isinstance(text, dict) else named_in(arch, text)
    miss = tuple(c for c in comps if c not in named)
    if names_mode == "all" or step.subject:
        return miss
    if names_mode == "main":
        main = main_components(step)
        if len(main) == 1:
            return tuple(c for c in main if c in miss)
    return miss if len(miss) == len(comps) else ()


def _matches(ws: tuple, needle: tuple) -> list:
    """Start indexes where the words of a name occur in the words of a text."""
    n = len(needle)
    if not n:
        return []
    *head, last = needle
    return [i for i in range(len(ws) - n + 1)
            if list(ws[i:i + n - 1]) == head and ws[i + n - 1] in (last, last + "s", last + "es")]


def name_index(arch: Architecture) -> dict:
    """Every name of every component, normalised once and filed under the words a match
    starts with: ``{word or (word, word): [(rank, component id, words of the name)]}``.
    A one-word name is filed under its word and its plural forms ("+s", "+es"), a longer
    one under its first two words (the second in its plural forms too when it is the
    last); ``rank`` keeps the order of the components and of their names."""
    index: dict = {}
    rank = 0
    for c in arch.components:
        for n in names(c):
            form = words(n)
            if len(form) == 1:
                keys = [form[0], form[0] + "s", form[0] + "es"]
            elif len(form) == 2:
                keys = [(form[0], form[1] + tail) for tail in ("", "s", "es")]
            else:
                keys = [form[:2]] if form else []
            for key in keys:
                index.setdefault(key, []).append((rank, c.id, form))
            rank += 1
    return index


def named_in(arch: Architecture, text: str, index: Optional[dict] = None) -> dict:
    """``{component id: set of the spans naming it}`` in a text. A match inside a longer
    match of another component does not count ("Dynamics 365 Sales" inside "Copilot in
    Dynamics 365 Sales agent", "Service Bus" inside "Service Bus topic").

    ``index`` is name_index(arch), built once for many texts: the text is normalised
    once and a name is tried only where the words it starts with occur."""
    if index is None:
        index = name_index(arch)
    ws = words(text)
    hits: list = []  # (rank, start, end, component id)
    for i, w in enumerate(ws):
        hits += [(rank, i, i + 1, cid) for rank, cid, _ in index.get(w, ())]
        for rank, cid, form in index.get(ws[i:i + 2], ()) if i + 1 < len(ws) else ():
            n = len(form)
            if n == 2:
                hits.append((rank, i, i + 2, cid))
                continue
            last = form[-1]
            if ws[i + 2:i + n - 1] == form[2:-1] and i + n <= len(ws) and ws[i + n - 1] in (last, last + "s", last + "es"):
                hits.append((rank, i, i + n, cid))
    hits.sort()
    found = [(a, b, cid) for _, a, b, cid in hits]  # by component, name, then position
    out: dict = {}
    for a, b, cid in found:
        if any(x <= a and b <= y and (y - x) > (b - a) and other != cid for x, y, other in found):
            continue
        out.setdefault(cid, set()).add((a, b))
    return out


def _wrong(arch: Architecture, steps: tuple, j: int, named: dict, everywhere: Optional[set] = None,
           order: Optional[dict] = None) -> tuple:
    """``(foreign, unnamed)`` when an item for step ``j`` names more components of the
    sequence's other steps (that take no part in step ``j``) than of its own step, and
    leaves out some of its own: a wrong component in place of the right one. A name that
    also names one of the step's own components (a shared alias) is no evidence. Steps
    with a declared subject are exempt: the subject says what the item must name.
    ``everywhere`` (the components of all the steps) and ``order`` (component id: its
    position in the architecture) may be given, computed once for many calls."""
    step = steps[j]
    if step.subject:
        return (), ()
    if everywhere is None:
        everywhere = {c for s in steps for c in s.components}
    if order is None:
        order = {c.id: k for k, c in enumerate(arch.components)}
    own = set(step.components)
    elsewhere = everywhere - own  # step j's own components are all in ``own``
    own_spans = {sp for c in own for sp in named.get(c, ())}
    foreign = tuple(sorted((c for c, spans in named.items() if c in elsewhere and spans - own_spans),
                           key=order.__getitem__))
    unnamed = tuple(c for c in step.components if c not in named)
    if foreign and unnamed and len(foreign) > len(own) - len(unnamed):
        return foreign, unnamed
    return (), ()


def _matrices(arch: Architecture, steps: tuple, items: tuple, mode: str) -> tuple:
    """(named, missing, full): the components each item names; missing[i][j], what item i
    leaves out that step j requires (see _missing); full[i][j], every component of step j
    that item i does not name.

    Each item is normalised and matched once (name_index); an item's row differs from the
    one of an item naming nothing only at the steps that involve a component it names, so
    only those are computed."""
    index = name_index(arch)
    named = [named_in(arch, it.text, index) for it in items]
    steps_of: dict = {}
    for j, s in enumerate(steps):
        for c in s.components:
            steps_of.setdefault(c, []).append(j)
    none_missing = [_missing(arch, {}, s, mode) for s in steps]
    none_full = [s.components for s in steps]
    missing, full = [], []
    for found_i in named:
        row_m, row_f = list(none_missing), list(none_full)
        for j in {j for c in found_i for j in steps_of.get(c, ())}:
            row_m[j] = _missing(arch, found_i, steps[j], mode)
            row_f[j] = _missing(arch, found_i, steps[j], "all")
        missing.append(row_m)
        full.append(row_f)
    return named, missing, full


def _pair_items(arch: Architecture, seq, items: tuple, missing: list, full: list, lines: tuple,
                count_msg: str, of_list: str, err) -> tuple:
    """(pairs of item and step indexes, diagnostics): one to one when the counts agree,
    else the best alignment with the extra items and the steps without an item."""
    steps = seq.steps
    if len(items) == len(steps):
        return [(k, k) for k in range(len(items))], []
    list_line, heading_line = lines
    diags = [err(list_line, count_msg, "DG413")]
    pairs, extra_items, lost_steps = _align(missing, full, len(items), len(steps))
    where = f"sequence '{seq.id}' of {arch.path}" if seq.id else arch.path
    for i in extra_items:
        diags.append(err(items[i].line, f"item {i + 1}{of_list} matches no step of {where} "
                                        "(an extra item, or one whose step was removed)", "DG414"))
    for j in lost_steps:
        prev = max((items[i].line for i, jj in pairs if jj < j), default=heading_line)
        diags.append(err(prev, f"{steps[j].name} has no item in the Dataflow list "
                               f"(expected after line {prev}; it is about "
                               f"{_label_list(arch, steps[j].components)})", "DG415"))
    return pairs, diags


def _check_sequence(arch: Architecture, seq, items: tuple, list_line: int, heading_line: int,
                    count_msg: str, of_list: str, doc: str) -> list:
    def err(line: int, msg: str, code: str) -> Diagnostic:
        return Diagnostic(Pos(doc, max(line, 1)), ERROR, msg, code)

    steps = seq.steps
    mode = arch.docs_check.names
    named, missing, full = _matrices(arch, steps, items, mode)
    pairs, diags = _pair_items(arch, seq, items, missing, full, (list_line, heading_line), count_msg, of_list, err)
    item_of = {j: i for i, j in pairs}
    everywhere = {c for s in steps for c in s.components}
    order = {c.id: k for k, c in enumerate(arch.components)}
    wrong = {j: _wrong(arch, steps, j, named[i], everywhere, order) if mode == "main" else ((), ())
             for i, j in pairs}
    bad = {j for i, j in pairs if missing[i][j] or wrong[j][0]}

    def described(i: int, j: int) -> Optional[int]:
        """The other step item i describes (all its components named) in place of step j."""
        others = [jj for jj in item_of if jj != j and not full[i][jj] and jj in bad]
        # the most specific step first (most components), then the nearest one
        return min(others, key=lambda jj: (-len(steps[jj].components), abs(jj - j)), default=None)

    def label(j: int) -> str:
        return steps[j].badge

    of_seq = f" of {seq.id}" if seq.id else ""
    reported: set = set()
    for i, j in pairs:
        if j not in bad or j in reported:
            continue
        line = items[i].line
        other = described(i, j)
        if other is not None and described(item_of[other], other) == j:
            reported.add(other)
            diags.append(err(line, f"steps {label(j)} and {label(other)}{of_seq} are swapped: the item at line "
                                   f"{line} describes step {label(other)} and the item at line "
                                   f"{items[item_of[other]].line} describes step {label(j)}", "DG416"))
        elif other is not None:
            diags.append(err(line, f"{steps[j].name}: the item at line {line} describes step {label(other)} "
                                   f"instead (it does not mention {_label_list(arch, missing[i][j] or full[i][j])}); "
                                   "the items are out of order", "DG417"))
        elif missing[i][j]:
            diags.append(err(line, f"{steps[j].name}: the item does not mention "
                                   f"{_label_list(arch, missing[i][j])}, which the step is about "
                                   f"(accepted names: {_accepted(arch, missing[i][j])})", "DG418"))
        else:
            foreign, unnamed = wrong[j]
            diags.append(err(line, f"{steps[j].name}: the item names {_label_list(arch, foreign)}, which "
                                   f"the step does not involve, but not {_label_list(arch, unnamed)}: a wrong "
                                   "component? (if the item is right, declare the step's 'subject')", "DG419"))
    return diags


def _accepted(arch: Architecture, ids) -> str:
    return "; ".join(", ".join(names(arch.component(i))) for i in ids)


def _align(missing: list, full: list, n_items: int, n_steps: int):
    """Align items to steps in order (longest run of full matches, then partial ones).

    Returns ``(pairs, unmatched items, unmatched steps)``; pairs are (item, step) indexes.
    """
    # dynamic programming over (items, steps): the most matches kept in order, an item
    # that names everything its step is about counting more than one that passes
    def pair_score(i: int, j: int) -> float:
        if not full[i][j]:
            return 2.0
        if not missing[i][j]:
            return 1.0
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


class PageError(Failure):
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
    return next((m for m in models if (p := page_path(m)) and os.path.realpath(p) == real), None)

