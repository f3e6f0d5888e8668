"""Stage 1: read a YAML file into a tree of nodes that remember their positions.

Only plain data is accepted: the file is composed with PyYAML's safe loader into its
node graph (never constructed into Python objects), and anything that is not plain
data is an error with its position: custom tags (``!!python/...``), anchors and aliases
(which also rules out "billion laughs" alias bombs), duplicate keys in one mapping,
nesting deeper than ``MAX_DEPTH``, more than ``MAX_NODES`` values, files over ``MAX_BYTES``, bytes that are not UTF-8.

Where PyYAML has libyaml, a well-formed file is parsed by libyaml (C) and composed by
PyYAML's composer (_compose_fast); anything else takes the pure-Python path, which
gives every diagnostic.

PyYAML is imported when the first file is parsed (_pyyaml), not with this module:
importing it costs about 12 ms of CPU, which a command whose inputs all come from the
disk cache (model/stored.py) does not spend. Its node classes (``loader.MappingNode``,
``ScalarNode``, ``SequenceNode``, ``Node``) are names of this module from then on, and
asking for one earlier imports PyYAML: code that checks nodes has nodes, so PyYAML is
imported already.
"""
from __future__ import annotations

import codecs
import functools
import hashlib
import os
import re
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, Union

from diagramgen.diagnostics import ERROR, Diagnostic, Pos

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_NODES = 100_000  # values (scalars, lists, mappings) in one file: 2,000 components and 2,000 steps need ~60,000

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"
_PLAIN_TAGS = {STR, INT, FLOAT, BOOL, NULL, MAP, SEQ, TIMESTAMP}

if TYPE_CHECKING:
    import yaml
    from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_NODE_CLASSES = ("Node", "ScalarNode", "SequenceNode", "MappingNode")


def __getattr__(name: str) -> Any:
    """PyYAML's node classes, which this module defines when PyYAML is first imported."""
    if name in _NODE_CLASSES:
        _pyyaml()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def pos_of(path: str, node: Node) -> Pos:
    """Where a node starts, and ends (the position just after its last character)."""
    m, e = node.start_mark, node.end_mark
    if e is None:
        return Pos(path, m.line + 1, m.column + 1)
    return Pos(path, m.line + 1, m.column + 1, e.line + 1, e.column + 1)


@dataclass(frozen=True)
class Document:
    """A YAML file composed into nodes: the path it is shown by and its root node."""

    path: str  # as given / as shown in diagnostics
    root: Node


class LoadError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic
        super().__init__(str(diagnostic))


def _fail(path: str, line: int, col: int, message: str, code: str) -> LoadError:
    return LoadError(Diagnostic(Pos(path, line, col), ERROR, message, code))


def _fail_at(path: str, node: Node, message: str, code: str) -> LoadError:
    """A LoadError spanning a node."""
    return LoadError(Diagnostic(pos_of(path, node), ERROR, message, code))


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    """The line and column of a byte offset, the column counted in characters as in
    every other diagnostic (each invalid byte counts as one; a UTF-8 BOM not at all)."""
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    prefix = data[start:offset]
    if start == 0 and prefix.startswith(codecs.BOM_UTF8):
        prefix = prefix[len(codecs.BOM_UTF8):]
    return line, len(prefix.decode("utf-8", "replace")) + 1


def read_text(path: Union[str, Path], shown: str | None = None) -> str:
    """Read a source file as UTF-8 text, or raise LoadError with a position.

    Problems with the file as a whole (a directory, too big, unreadable) are reported at
    line 1, column 1, so every diagnostic has the same ``path:line:col:`` shape.
    """
    shown = shown or str(path)
    p = Path(path)
    if p.is_dir():
        raise _fail(shown, 1, 1, "is a directory, expected a YAML file", "DG101")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise _fail(shown, 1, 1, f"cannot read file: {exc.strerror or exc}", "DG101") from None
    if not p.is_file():
        raise _fail(shown, 1, 1, "is not a regular file, expected a YAML file", "DG101")
    if size > MAX_BYTES:
        raise _fail(shown, 1, 1, f"file is {size} bytes, over the limit of {MAX_BYTES} bytes", "DG102")
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _fail(shown, 1, 1, f"cannot read file: {exc.strerror or exc}", "DG101") from None
    if len(data) > MAX_BYTES:  # grew since stat()
        raise _fail(shown, 1, 1, f"file is over the limit of {MAX_BYTES} bytes", "DG102")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise _fail(shown, 1, 1, "UTF-16 text (the file starts with a UTF-16 byte order mark), "
                                 "expected UTF-8: save the file as UTF-8", "DG103")
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _line_col(data, nul)
        raise _fail(shown, line, col, "binary file (contains a NUL byte), expected YAML text", "DG103")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data, exc.start)
        raise _fail(shown, line, col, f"invalid UTF-8 byte 0x{data[exc.start]:02x}: "
                                      "architecture files must be UTF-8 text", "DG103") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    note_read(shown, os.path.realpath(p), hashlib.sha256(data).hexdigest())
    return text


# {shown path: (real path, SHA-256 of the bytes)} of each source file as this process last
# read it (read_text), or as a kept model was checked against it (model/stored.py): what
# a model made from those files was made from, for caches keyed on it
_READ: dict = {}


def note_read(shown: str, real: str, digest: str) -> None:
    _READ[shown] = (real, digest)


def last_read(shown: str):
    """(real path, SHA-256) of ``shown`` as last read, or None."""
    return _READ.get(shown)


# {id(model): (a weak reference to it, ((real path, SHA-256) of each of its sources))}:
# the bytes each model was made from, taken when it was made. A file read again later
# (another load, a check that it is unchanged) changes last_read, not what an earlier
# model was made from; the caches keyed on a model's files (the render cache, the docs
# pages, the kept models) record these.
_MADE_FROM: dict = {}


def note_model(model) -> None:
    """Record that ``model`` was made from its sources as they were last read."""
    read = tuple(_READ.get(s) for s in model.sources)
    if any(r is None for r in read):
        return
    key = id(model)

    def gone(_ref, key=key) -> None:
        _MADE_FROM.pop(key, None)

    _MADE_FROM[key] = (weakref.ref(model, gone), read)


def made_from(model):
    """((real path, SHA-256) of each of ``model``'s sources, in order) as they were
    read to make it (note_model), or None when that is not known."""
    hit = _MADE_FROM.get(id(model))
    return hit[1] if hit is not None and hit[0]() is model else None


class _Reject(Exception):
    def __init__(self, mark, message: str, code: str):
        self.mark, self.message, self.code = mark, message, code


def _innermost_open_flow(text: str) -> Optional[tuple]:
    """``(mark, "sequence" | "mapping")`` of the last '[' or '{' that ``text`` opens and
    does not close, as PyYAML's scanner reads it, or None."""
    yaml = _pyyaml()[0]
    opened: list = []
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken)):
                opened.append((token.start_mark,
                               "sequence" if isinstance(token, yaml.FlowSequenceStartToken) else "mapping"))
            elif isinstance(token, (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken)) and opened:
                opened.pop()
    except yaml.YAMLError:
        pass
    return opened[-1] if opened else None


def _syntax_message(exc: yaml.MarkedYAMLError, text: Optional[str] = None) -> tuple:
    """A clearer message and the best position for a PyYAML syntax error (``text``: the
    document, to find the bracket a file ends inside)."""
    problem = (exc.problem or exc.context or "invalid YAML").strip()
    context = (exc.context or "").strip()
    mark = exc.problem_mark or exc.context_mark
    cmark = exc.context_mark
    if "'\\t'" in problem or "\t" in problem:
        return mark, "YAML syntax: a tab character cannot indent or start a value; use spaces"
    if "quoted scalar" in context and cmark is not None:
        return cmark, "YAML syntax: this quoted string is never closed"
    if "another document" in problem:
        return mark, "YAML syntax: a second document ('---' or '...') is not allowed: one architecture per file"
    if problem.startswith("mapping values are not allowed"):
        return mark, ("YAML syntax: unexpected ':' here (check the indentation of this line, "
                      "or quote a value that contains ': ')")
    if problem.startswith("could not find expected ':'"):
        return cmark or mark, "YAML syntax: expected 'key: value' here: the ':' after the key is missing"
    if context == "while parsing a flow node" and text is not None:  # a file that ends inside [ or {
        opened = _innermost_open_flow(text)
        if opened is not None:
            cmark, context = opened[0], f"while parsing a flow {opened[1]}"
    if cmark is not None and context.startswith("while parsing a flow "):
        opener, closer = ("[", "]") if "sequence" in context else ("{", "}")
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the end"
        return cmark, (f"YAML syntax: this '{opener}' is not closed: expected ',' or '{closer}' before {where}")
    if problem.startswith("expected '<document start>'"):
        return mark, "YAML syntax: content after the end of the document ('...'): one architecture per file"
    found = re.search(r"but found '(.+)'$", problem)
    if found and found.group(1) in ("]", "}", ","):
        return mark, f"YAML syntax: unexpected '{found.group(1)}' here: it closes or continues no '[' or '{{' list"
    if cmark is not None and problem.startswith("expected <block end>"):
        return mark, (f"YAML syntax: wrong indentation: this line does not fit the block started at line "
                      f"{cmark.line + 1}, column {cmark.column + 1}")
    message = f"YAML syntax: {problem}"
    if context:
        at = ""
        if cmark is not None and mark is not None and (cmark.line, cmark.column) != (mark.line, mark.column):
            at = f" started at line {cmark.line + 1}, column {cmark.column + 1}"
        message += f" ({context}{at})"
    return mark, message


def _tag(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


class _PyYAML(NamedTuple):
    yaml: Any            # the module
    careful: Any         # _Loader: the pure-Python composer that gives every diagnostic
    fast: Optional[Any]  # _FastLoader: libyaml's parser under PyYAML's composer; None without libyaml


@functools.cache
def _pyyaml() -> _PyYAML:
    """PyYAML and the loaders built on it, made when the first file is parsed; PyYAML's
    node classes become names of this module (see the module's docstring)."""
    import yaml
    import yaml.nodes

    globals().update({name: getattr(yaml.nodes, name) for name in _NODE_CLASSES})

    class _Loader(yaml.SafeLoader):
        """PyYAML's safe composer that refuses anchors, aliases and deep nesting as it goes.

        Checking while composing (instead of afterwards) keeps time and memory bounded: an
        alias bomb stops at its first anchor, and a deeply nested document stops at level
        MAX_DEPTH + 1 instead of running into Python's recursion limit.
        """

        def __init__(self, stream):
            super().__init__(stream)
            self._depth = 0
            self._nodes = 0

        def compose_node(self, parent, index):
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent):
                raise _Reject(event.start_mark, f"alias '*{event.anchor}' is not supported: "
                              "anchors and aliases are not allowed, use 'include' to share parts", "DG105")
            if getattr(event, "anchor", None) is not None:
                raise _Reject(event.start_mark, f"anchor '&{event.anchor}' is not supported: "
                              "anchors and aliases are not allowed, use 'include' to share parts", "DG105")
            self._depth += 1
            self._nodes += 1
            try:
                if self._nodes > MAX_NODES:
                    raise _Reject(event.start_mark, f"too many YAML values in one file (limit {MAX_NODES})", "DG108")
                if self._depth > MAX_DEPTH:
                    raise _Reject(event.start_mark, f"YAML nesting is too deep (limit {MAX_DEPTH} levels)", "DG108")
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    fast = None
    try:  # libyaml's parser, when PyYAML was built with it
        from yaml._yaml import CParser as _CParser
    except ImportError:  # pragma: no cover - PyYAML without libyaml
        _CParser = None  # type: ignore[assignment,misc]  # tested below; the stubs assume libyaml

    if _CParser is not None:
        class _FastLoader(yaml.composer.Composer, _CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
            """libyaml's parser (C) under PyYAML's composer: the same nodes, with the same
            positions and tags, for about a tenth of the time of the pure-Python scanner."""

            def __init__(self, stream):
                _CParser.__init__(self, stream)
                yaml.composer.Composer.__init__(self)
                yaml.constructor.SafeConstructor.__init__(self)
                yaml.resolver.Resolver.__init__(self)

            def compose_node(self, parent, index):
                event = self.peek_event()
                if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                    raise _Reject(event.start_mark, "anchor or alias", "DG105")  # _Loader says which
                return super().compose_node(parent, index)

        fast = _FastLoader

    return _PyYAML(yaml, _Loader, fast)


def _compose_fast(text: str) -> Node | None:
    """The node tree of a well-formed file, through libyaml; None for anything that needs
    the careful path (_Loader): a syntax error, an anchor or alias, more than MAX_NODES
    values or deeper than MAX_DEPTH. That path then gives the exact diagnostic, so every
    message and position is the same whichever path a file takes."""
    yaml, _, fast = _pyyaml()
    if fast is None:
        return None
    loader = fast(text)
    try:
        root = loader.get_single_node()
    except (yaml.YAMLError, RecursionError, _Reject):
        return None
    finally:
        loader.dispose()
    count, stack = 0, [(root, 1)] if root is not None else []
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            return None
        if isinstance(node, MappingNode):
            stack += [(x, depth + 1) for kv in node.value for x in kv]
        elif isinstance(node, SequenceNode):
            stack += [(x, depth + 1) for x in node.value]
    return root


def parse(text: str, path: str) -> Document:
    """Compose YAML text into a checked node tree, or raise LoadError."""
    yaml, careful, _ = _pyyaml()
    # libyaml, like PyYAML, counts U+0085, U+2028 and U+2029 as line breaks: such a file
    # takes the careful path, which counts lines as editors do (_editor_positions)
    root = None if _YAML_ONLY_BREAKS.search(text) else _compose_fast(text)
    if root is not None:
        _check_plain(root, path)
        return Document(path, root)
    loader = None
    try:
        loader = careful(text)
        root = loader.get_single_node()
    except _Reject as exc:
        line, col = _position(text, exc.mark.index) if _YAML_ONLY_BREAKS.search(text) else \
            (exc.mark.line, exc.mark.column)
        raise _fail(path, line + 1, col + 1, exc.message, exc.code) from None
    except yaml.MarkedYAMLError as exc:
        mark, message = _syntax_message(exc, text)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if mark and _YAML_ONLY_BREAKS.search(text):
            line, col = (x + 1 for x in _position(text, mark.index))
        raise _fail(path, line, col, message, "DG104") from None
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        line, col = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise _fail(path, line, col, f"the character U+{char:04X} is not allowed in a YAML file", "DG109") from None
    except yaml.YAMLError as exc:  # pragma: no cover - unmarked errors are rare
        raise _fail(path, 1, 1, f"YAML syntax: {exc}", "DG104") from None
    except RecursionError:  # pragma: no cover - the depth limit stops far earlier
        raise _fail(path, 1, 1, f"YAML nesting is too deep (limit {MAX_DEPTH} levels)", "DG108") from None
    finally:
        if loader is not None:
            loader.dispose()
    if root is None:
        raise _fail(path, 1, 1, "file is empty, expected a mapping", "DG111")
    if _YAML_ONLY_BREAKS.search(text):
        _editor_positions(root, text)
    _check_plain(root, path)
    return Document(path, root)


# PyYAML counts U+0085, U+2028 and U+2029 as line breaks; editors and other tools count
# only line feeds, so positions after such a character would point at the wrong line.
_YAML_ONLY_BREAKS = re.compile("[\x85\u2028\u2029]")


def _position(text: str, index: int) -> tuple:
    """(line, column), 0-based, of a character offset, counting only line feeds."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index), index - line_start


def _editor_positions(root: Node, text: str) -> None:
    """Give every node a start position counted the way editors count lines."""
    yaml = _pyyaml().yaml
    stack = [root]
    while stack:
        node = stack.pop()
        m = node.start_mark
        line, col = _position(text, m.index)
        node.start_mark = yaml.Mark(m.name, m.index, line, col, None, None)  # no buffer: pointer unused
        e = node.end_mark
        if e is not None:
            line, col = _position(text, e.index)
            node.end_mark = yaml.Mark(e.name, e.index, line, col, None, None)
        if isinstance(node, MappingNode):
            for k, v in node.value:
                stack += [k, v]
        elif isinstance(node, SequenceNode):
            stack += node.value


def _bad_char(value: str):
    """Why a scalar's text cannot be used, or None: lone surrogates (from escapes such as
    ``"\\ud83d"``, which cannot be written as UTF-8) and the noncharacters U+FFFE and
    U+FFFF, which no output file may hold."""
    m = _BAD_CHAR.search(value)
    if m is None:
        return None
    o = ord(m.group())
    if 0xD800 <= o <= 0xDFFF:
        return (f"the escape for U+{o:04X} is half of a surrogate pair, not a character: "
                "write the character itself (or its 8-digit \\U escape)")
    return f"the character U+{o:04X} is not allowed (a Unicode noncharacter)"


_BAD_CHAR = re.compile("[\ud800-\udfff\ufffe\uffff]")
_KEY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # C0 and C1 control characters


def _check_plain(root: Node, path: str) -> None:
    """Reject anything beyond plain data, iteratively (no recursion limits)."""
    seen: set[int] = set()
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:  # an alias composes to the node it names
            raise _fail_at(path, node, "anchors and aliases are not supported; use 'include' to share parts", "DG105")
        seen.add(id(node))
        if depth > MAX_DEPTH:
            raise _fail_at(path, node, f"YAML nesting is too deep (limit {MAX_DEPTH} levels)", "DG108")
        if node.tag not in _PLAIN_TAGS:
            raise _fail_at(path, node, f"tag '{_tag(node.tag)}' is not allowed: architecture files are plain data", "DG106")
        if isinstance(node, ScalarNode):
            bad = _bad_char(node.value)
            if bad:
                raise _fail_at(path, node, bad, "DG109")
        if isinstance(node, MappingNode):
            keys: dict[str, Node] = {}
            for k, v in node.value:
                if not isinstance(k, ScalarNode):
                    raise _fail_at(path, k,
                                "a key must be a plain name, not a list or mapping ('? [a, b]' or '? {a: b}')", "DG110")
                key_bad = _KEY_CONTROL.search(k.value)
                if key_bad is not None:
                    raise _fail_at(path, k,
                                f"key contains the control character U+{ord(key_bad.group()):04X}", "DG109")
                if isinstance(k, ScalarNode):
                    if k.value in keys and k.tag == keys[k.value].tag:
                        first = keys[k.value].start_mark.line + 1
                        raise _fail_at(path, k,
                                    f"duplicate key '{k.value}' (first at line {first})", "DG107")
                    keys[k.value] = k
                stack.append((k, depth + 1))
                stack.append((v, depth + 1))
        elif isinstance(node, SequenceNode):
            for item in node.value:
                stack.append((item, depth + 1))


@functools.lru_cache(maxsize=64)
def _parse_cached(text: str, path: str) -> Document:
    return parse(text, path)


def load(path: Union[str, Path], shown: str | None = None) -> Document:
    """Read and parse one file. A fragment included by several architectures is parsed
    once per process: parsed documents are cached by their text and shown path (the
    node tree is never modified after parsing)."""
    shown = shown or os.fspath(path)
    return _parse_cached(read_text(path, shown), shown)
