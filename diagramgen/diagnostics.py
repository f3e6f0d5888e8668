"""Diagnostics: what every stage reports instead of raising.

A diagnostic is a located message with a severity and a stable rule code, printed as
``path:line:col: severity: message [DG301]`` (the format compilers and editors
understand, the code last). Lines and columns are 1-based. Every code is listed in the
README's error list; tests/test_diagnostics.py keeps the two in step.

Problems outside the input (Graphviz missing or failing, a file that cannot be written,
git errors ...) are raised as :class:`Failure`, which the command line prints as
``error: message`` with exit status 1.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from os import PathLike
from typing import Iterable, Sequence, Union


class Severity(str, Enum):
    """How bad a diagnostic is: an error fails the command, a warning does not, a note
    only says what was done (e.g. a page skipped)."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


ERROR = Severity.ERROR
WARNING = Severity.WARNING
NOTE = Severity.NOTE

# Characters that must not reach a terminal or a CI log as they are: C0 and C1 controls
# (escape sequences can retitle a terminal or hide text), line and paragraph separators,
# bidirectional controls, byte-order marks and lone surrogates (which cannot be encoded).
# A pattern, not a compiled one: re compiles it on the first line printed (and keeps it),
# not on every start of a command that prints nothing.
_UNPRINTABLE = ("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069"
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
    out = re.sub(_UNPRINTABLE, _escape_char, str(text))
    return "./" + out if out.startswith("::") else out


@dataclass(frozen=True, order=True)
class Pos:
    """A position in a source file (1-based line and column), and where the value written
    there ends (``end_line``/``end_col``, the position just after it; 0 when unknown).
    The end takes no part in comparisons: two positions are equal where they start."""

    path: str
    line: int = 0
    col: int = 0
    end_line: int = field(default=0, compare=False)
    end_col: int = field(default=0, compare=False)

    @property
    def start(self) -> Pos:
        return Pos(self.path, self.line, self.col)

    @property
    def end(self) -> Pos:
        """Where the value ends; the start when that is not known."""
        if self.end_line:
            return Pos(self.path, self.end_line, self.end_col)
        return self.start

    def __str__(self) -> str:
        path = term(self.path)
        if self.line and self.col:
            return f"{path}:{self.line}:{self.col}"
        if self.line:  # a line without a column (Markdown pages): path:line
            return f"{path}:{self.line}"
        return path


CODE = re.compile(r"DG[1-9]\d\d")


@dataclass(frozen=True)
class Diagnostic:
    """A problem found in the input: where it starts (``pos``) and ends (``end``), how bad
    it is, what it says and the code of the rule it breaks (``DG`` and three digits, see
    the README's error list)."""

    pos: Pos
    severity: Severity
    message: str
    code: str

    def __str__(self) -> str:
        # one line per problem, whatever text from the input the message quotes
        return f"{self.pos}: {self.severity}: {term(self.message)} [{self.code}]"

    @property
    def start(self) -> Pos:
        return self.pos.start

    @property
    def end(self) -> Pos:
        return self.pos.end

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def as_json(self) -> dict:
        """The diagnostic as plain data: path, severity, code, message, start and end
        (``{"line", "col"}``, 1-based; 0 where the path has no line or column)."""
        return {"path": self.pos.path, "severity": self.severity.value, "code": self.code,
                "message": self.message,
                "start": {"line": self.start.line, "col": self.start.col},
                "end": {"line": self.end.line, "col": self.end.col}}


class Failure(Exception):
    """Something outside the input went wrong: Graphviz missing or failing, a file that
    cannot be written or read, a git error, SVG that dot got wrong. Carries a one-line
    message (and the path concerned, where there is one); the command line prints
    ``error: message`` and exits with status 1. Every operational error of the package
    is a Failure or a subclass of it.

    ``diagnostics`` is empty, except for :class:`DiagramgenError`, the failure of an
    entry point whose input is invalid, which carries the problems to print instead."""

    def __init__(self, message: str, path: Union[str, PathLike, None] = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.diagnostics: list = []


class DiagramgenError(Failure):
    """Raised by library entry points when input is invalid.

    Carries every diagnostic found, so callers can print them all at once.
    """

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        super().__init__("\n".join(str(d) for d in diagnostics))
        self.diagnostics = list(diagnostics)


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diags)


def closest(word: str, choices: Iterable[str]):
    """The choice closest to ``word``, or None when none is close."""
    import difflib  # only a misspelt name needs it: not imported by every command

    match = difflib.get_close_matches(word, sorted(set(choices)), n=1, cutoff=0.6)
    return match[0] if match else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest choice, or ``""``."""
    match = closest(word, choices)
    return f" (did you mean '{match}'?)" if match else ""


def sort_key(d: Diagnostic):
    return (d.pos.path, d.pos.line, d.pos.col, d.message)
