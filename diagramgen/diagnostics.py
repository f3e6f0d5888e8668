"""Diagnostics: what every stage reports instead of raising.

A diagnostic is a located message, printed as ``path:line:col: severity: message``
(the format compilers and editors understand). Lines and columns are 1-based.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Iterable, Sequence

ERROR = "error"
WARNING = "warning"

# Characters that must not reach a terminal or a CI log as they are: C0 and C1 controls
# (escape sequences can retitle a terminal or hide text), line and paragraph separators,
# bidirectional controls, byte-order marks and lone surrogates (which cannot be encoded).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069"
                          "\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(m) -> str:
    c = m.group()
    return _NAMED.get(c) or (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")


def term(text) -> str:
    """Text as one printable line for a terminal or a CI log: every control character,
    line separator, bidirectional control and lone surrogate is shown as an escape
    (``\\n``, ``\\x1b``, ``\\u2028``). A line cannot start with ``::`` (a GitHub
    Actions workflow command) either: such text gets ``./`` in front. Every path or
    name the command line prints goes through here."""
    out = _UNPRINTABLE.sub(_escape_char, str(text))
    return "./" + out if out.startswith("::") else out


@dataclass(frozen=True, order=True)
class Pos:
    """A position in a source file (1-based line and column)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        path = term(self.path)
        if self.line and self.col:
            return f"{path}:{self.line}:{self.col}"
        if self.line:  # a line without a column (Markdown pages): path:line
            return f"{path}:{self.line}"
        return path


@dataclass(frozen=True)
class Diagnostic:
    pos: Pos
    severity: str
    message: str

    def __str__(self) -> str:
        # one line per problem, whatever text from the input the message quotes
        return f"{self.pos}: {self.severity}: {term(self.message)}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


class DiagramgenError(Exception):
    """Raised by library entry points when input is invalid.

    Carries every diagnostic found, so callers can print them all at once.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diags)


def closest(word: str, choices: Iterable[str]):
    """The choice closest to ``word``, or None when none is close."""
    match = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return match[0] if match else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest choice, or ``""``."""
    match = closest(word, choices)
    return f" (did you mean '{match}'?)" if match else ""


def sort_key(d: Diagnostic):
    return (d.pos.path, d.pos.line, d.pos.col, d.message)
