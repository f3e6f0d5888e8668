"""Text as Markdown that shows it literally: the escaping every generated page uses.

Pages are Markdown that reads the same in CommonMark (GitHub, markdown-it) and in
Python-Markdown (MkDocs), with pipe tables. :func:`md` writes each Markdown or HTML
special character of user text as an HTML character reference (``&amp;``, ``&lt;``,
``&#42;``, ...) rather than a backslash escape, which Python-Markdown does not know for
all of them; :func:`code` makes an inline code span; :func:`comment` makes text safe
inside an HTML comment. Used by the docs pages and the diff reports; imports nothing of
the package but ``diagnostics``.
"""
from __future__ import annotations

import re

from diagramgen.diagnostics import term

# Characters with a meaning in CommonMark, GFM or Python-Markdown (and its common
# extensions: ~~ strike, {: attribute lists}, ^^ insert); each is
# written as a numeric character reference, which both render as the character itself.
_SPECIAL = re.compile(r"[\\`*_\[\]|<>&!#~{}^]")
_NAMED = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_LINE_START = re.compile(r"^(\d+)([.)])|^([-+=])")


def escape(s: str, quote: bool = True) -> str:
    """``html.escape(s, quote)``: the same replacements (``&``, ``<``, ``>``, and with
    ``quote`` both quotes), without importing ``html``, whose table of 2,000-odd named
    entities costs every command that loads it about 2 ms and is of no use here."""
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return s.replace('"', "&quot;").replace("'", "&#x27;") if quote else s


def md(text: str) -> str:
    """User text as inline Markdown that renders literally, on one line."""
    text = " ".join(str(text).split())
    text = _SPECIAL.sub(lambda m: _NAMED.get(m.group(0)) or f"&#{ord(m.group(0))};", text)
    # at the start of a block, "1." or "-" would open a list
    return _LINE_START.sub(lambda m: f"{m.group(1)}&#{ord(m.group(2))};" if m.group(1)
                           else f"&#{ord(m.group(3))};", text)


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
    text = term(text)
    if table:
        text = text.replace("|", "\\|")
    runs = re.findall(r"`+", text)
    fence = "`" * (max((len(r) for r in runs), default=0) + 1)
    pad = " " if text.startswith(("`", " ")) or text.endswith(("`", " ")) or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"
