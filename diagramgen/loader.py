"""Stage 1: read a YAML file into a tree of nodes that remember their positions.

Only plain data is accepted: the file is composed with PyYAML's safe loader into its
node graph (never constructed into Python objects), and anything that is not plain
data is an error with its position: custom tags (``!!python/...``), anchors and aliases
(which also rules out "billion laughs" alias bombs), duplicate keys in one mapping,
nesting deeper than ``MAX_DEPTH``, files over ``MAX_BYTES``, bytes that are not UTF-8.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import ERROR, Diagnostic, Pos

MAX_BYTES = 1_000_000
MAX_DEPTH = 40

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
_PLAIN_TAGS = {STR, INT, FLOAT, BOOL, NULL, MAP, SEQ, "tag:yaml.org,2002:timestamp"}


def pos_of(path: str, node: Node) -> Pos:
    m = node.start_mark
    return Pos(path, m.line + 1, m.column + 1)


@dataclass(frozen=True)
class Document:
    path: str  # as given / as shown in diagnostics
    root: Node


class LoadError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(str(diagnostic))


def _fail(path: str, line: int, col: int, message: str) -> LoadError:
    return LoadError(Diagnostic(Pos(path, line, col), ERROR, message))


def read_text(path: Union[str, Path], shown: str | None = None) -> str:
    """Read a source file as UTF-8 text, or raise LoadError with a position."""
    shown = shown or str(path)
    p = Path(path)
    if p.is_dir():
        raise _fail(shown, 0, 0, "is a directory, expected a YAML file")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise _fail(shown, 0, 0, f"cannot read file: {exc.strerror or exc}") from None
    if size > MAX_BYTES:
        raise _fail(shown, 0, 0, f"file is {size} bytes, over the limit of {MAX_BYTES} bytes")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise _fail(shown, 0, 0, f"cannot read file: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise _fail(shown, 0, 0, "binary file (contains NUL bytes), expected YAML text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise _fail(shown, line, col, f"invalid UTF-8 byte 0x{data[exc.start]:02x}") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def parse(text: str, path: str) -> Document:
    """Compose YAML text into a checked node tree, or raise LoadError."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{problem} ({exc.context})"
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        raise _fail(path, line, col, f"YAML syntax: {problem}") from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise _fail(path, 1, 1, f"YAML syntax: {exc}") from None
    except RecursionError:
        raise _fail(path, 1, 1, f"YAML nesting is too deep (limit {MAX_DEPTH} levels)") from None
    if root is None:
        raise _fail(path, 1, 1, "file is empty, expected a mapping")
    _check_plain(root, path)
    return Document(path, root)


def _check_plain(root: Node, path: str) -> None:
    """Reject anything beyond plain data, iteratively (no recursion limits)."""
    seen: set[int] = set()
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        where = node.start_mark
        if id(node) in seen:  # an alias composes to the node it names
            raise _fail(path, where.line + 1, where.column + 1,
                        "anchors and aliases are not supported; use 'include' to share parts")
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise _fail(path, where.line + 1, where.column + 1,
                        f"YAML nesting is too deep (limit {MAX_DEPTH} levels)")
        if node.tag not in _PLAIN_TAGS:
            raise _fail(path, where.line + 1, where.column + 1,
                        f"tag '{node.tag}' is not allowed: architecture files are plain data")
        if isinstance(node, MappingNode):
            keys: dict[str, Node] = {}
            for k, v in node.value:
                if isinstance(k, ScalarNode):
                    if k.value in keys and k.tag == keys[k.value].tag:
                        first = keys[k.value].start_mark.line + 1
                        raise _fail(path, k.start_mark.line + 1, k.start_mark.column + 1,
                                    f"duplicate key '{k.value}' (first at line {first})")
                    keys[k.value] = k
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        elif isinstance(node, SequenceNode):
            for item in node.value:
                stack.append((item, depth + 1))


def load(path: Union[str, Path], shown: str | None = None) -> Document:
    shown = shown or os.fspath(path)
    return parse(read_text(path, shown), shown)
