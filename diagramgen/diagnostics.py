"""Diagnostics: what every stage reports instead of raising.

A diagnostic is a located message, printed as ``path:line:col: severity: message``
(the format compilers and editors understand). Lines and columns are 1-based.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Pos:
    """A position in a source file (1-based line and column)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.path}:{self.line}:{self.col}"
        if self.line:  # a line without a column (Markdown pages): path:line
            return f"{self.path}:{self.line}"
        return self.path


@dataclass(frozen=True)
class Diagnostic:
    pos: Pos
    severity: str
    message: str

    def __str__(self) -> str:
        # one line per problem, whatever text from the input the message quotes
        message = self.message.replace("\r", "\\r").replace("\n", "\\n")
        return f"{self.pos}: {self.severity}: {message}"

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
