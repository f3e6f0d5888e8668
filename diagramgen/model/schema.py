"""The architecture file format, declared once.

The same declarations drive the structural checks of the validator (types, required
and unknown keys, allowed values, with positions from the YAML nodes) and the JSON
Schema that editors use (:func:`json_schema`). Semantic checks (references between
ids, step numbering) live in :mod:`diagramgen.model.validate`.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from diagramgen.diagnostics import ERROR, Diagnostic, Pos, closest, did_you_mean
from diagramgen.model import loader
from diagramgen.model.loader import BOOL, FLOAT, INT, NULL, STR, TIMESTAMP, pos_of

if TYPE_CHECKING:
    from yaml.nodes import Node

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
# For the JSON Schema: not blank, no control characters except tab and newline, and no
# bidirectional embedding, override or isolate controls (as Str.check).
TEXT_PATTERN = r"^(?!\s*$)[^\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"
# The same for one line of text: no tab or line break either.
LINE_PATTERN = r"^(?!\s*$)[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]*$"
# They can make a label display differently from what it says (e.g. U+202E reverses it).
BIDI_CONTROLS = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
# the first character a text may not hold: a control character other than line feed and
# tab (C0, DEL, C1), and the bidirectional controls (one regular expression each: a
# search in C, not a loop over the characters)
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
PROVENANCES = ("product", "existing", "platform")
INVALID = object()


class PStr(str):
    """A string that remembers where it was written."""

    pos: Pos

    def __new__(cls, value: str, pos: Pos):
        s = super().__new__(cls, value)
        s.pos = pos
        return s


class Rec(dict):
    """A checked mapping: values by key, plus the position of the mapping and of each key."""

    pos: Pos
    key_pos: dict

    def at(self, key: str) -> Pos:
        return self.key_pos.get(key, self.pos)


def describe(node: Node) -> str:
    if isinstance(node, loader.MappingNode):
        return "a mapping"
    if isinstance(node, loader.SequenceNode):
        return "a list"
    return {NULL: "nothing (null)", BOOL: f"true/false ({node.value})", INT: f"a number ({node.value})",
            FLOAT: f"a number ({node.value})",
            # YAML reads an unquoted 2024-01-31 as a date (editors, reading YAML 1.2, as text)
            TIMESTAMP: f"a date ({node.value}; quote it to make it text)",
            }.get(node.tag, f"a string ('{_short(node.value)}')")


def _short(s: str, n: int = 30) -> str:
    # line breaks stay: diagnostics show them as \n (diagnostics.term)
    return s if len(s) <= n else s[: n - 1] + "…"


@dataclass
class Ctx:
    """What a check needs besides the node: the file's path, for positions, and the
    list the problems are added to."""

    path: str
    diags: list

    def error(self, pos: Pos, message: str, code: str) -> None:
        self.diags.append(Diagnostic(pos, ERROR, message, code))


class Type:
    expected = "a value"
    doc = ""

    def check(self, node: Node, ctx: Ctx, what: str) -> Any:
        raise NotImplementedError

    def json(self) -> dict:
        raise NotImplementedError

    def mismatch(self, node: Node, ctx: Ctx, what: str):
        ctx.error(pos_of(ctx.path, node), f"{what} must be {self.expected}, got {describe(node)}", "DG201")
        return INVALID


@dataclass
class Str(Type):
    """A string: an optional pattern or list of allowed values, a maximum length."""

    pattern: str | None = None
    enum: tuple = ()
    max_len: int = 500
    doc: str = ""
    one_line: bool = False  # no line break or tab (text drawn on one line)
    hint: str = ""  # added to the too-long error: what to do instead

    @property
    def expected(self) -> str:  # type: ignore[override]
        return "a string"

    def check(self, node, ctx, what):
        if not isinstance(node, loader.ScalarNode) or node.tag != STR:
            return self.mismatch(node, ctx, what)
        value = node.value
        where = pos_of(ctx.path, node)
        if not value.strip():
            ctx.error(where, f"{what} must not be empty", "DG202")
            return INVALID
        if len(value) > self.max_len:
            ctx.error(where, f"{what} is {len(value)} characters long, over the limit of {self.max_len}"
                             + (f"; {self.hint}" if self.hint else ""), "DG203")
            return INVALID
        if self.one_line and any(c in value for c in "\n\r\t"):
            ctx.error(where, f"{what} must be one line of text, without line breaks or tabs", "DG204")
            return INVALID
        bad = _CONTROL.search(value)
        if bad is not None:
            ctx.error(where, f"{what} contains the control character U+{ord(bad.group()):04X}", "DG205")
            return INVALID
        bidi = _BIDI.search(value)
        if bidi is not None:
            ctx.error(where, f"{what} contains the bidirectional control character U+{ord(bidi.group()):04X}, "
                             "which can make text display differently from what it says", "DG206")
            return INVALID
        if self.enum and value not in self.enum:
            ctx.error(where, f"{what} must be one of {', '.join(self.enum)}, got '{_short(value)}'"
                      f"{did_you_mean(value, self.enum)}", "DG207")
            return INVALID
        if self.pattern and not re.fullmatch(self.pattern, value):  # "$" would allow a final newline
            ctx.error(where, f"{what} must be an id (lower-case letters, digits and '_', starting with "
                      f"a letter), got '{_short(value)}'", "DG208")
            return INVALID
        return PStr(value, where)

    def json(self):
        out: dict = {"type": "string", "minLength": 1, "maxLength": self.max_len}
        if self.enum:
            out["enum"] = list(self.enum)
        # The id pattern already rules out blanks and control characters.
        out["pattern"] = self.pattern or (LINE_PATTERN if self.one_line else TEXT_PATTERN)
        return out


@dataclass
class Int(Type):
    """A whole number from ``minimum`` to ``maximum``."""

    minimum: int = 1
    maximum: int = 999
    doc: str = ""
    expected = "a whole number"

    def check(self, node, ctx, what):
        if not isinstance(node, loader.ScalarNode) or node.tag != INT:
            return self.mismatch(node, ctx, what)
        text = node.value.replace("_", "")
        try:
            value = int(text, 0)
        except ValueError:
            try:
                value = int(text, 10)
            except ValueError:
                return self.mismatch(node, ctx, what)
        if not self.minimum <= value <= self.maximum:
            ctx.error(pos_of(ctx.path, node), f"{what} must be between {self.minimum} and {self.maximum}, got {value}", "DG209")
            return INVALID
        return value

    def json(self):
        return {"type": "integer", "minimum": self.minimum, "maximum": self.maximum}


_TRUE = ("true", "yes", "on", "y")


@dataclass
class Letter(Type):
    """The label of a step in a lettered sequence: A, B, ... Z, AA, AB, ..."""

    doc: str = ""
    expected = "upper-case letters (A, B, C ...)"

    def check(self, node, ctx, what):
        if isinstance(node, loader.ScalarNode) and node.tag == STR and re.fullmatch(r"[A-Z]{1,3}", node.value):
            return PStr(node.value, pos_of(ctx.path, node))
        return self.mismatch(node, ctx, what)

    def json(self):
        return {"type": "string", "pattern": "^[A-Z]{1,3}$"}


@dataclass
class Bool(Type):
    """true or false (and the other spellings YAML reads as a boolean)."""

    doc: str = ""
    expected = "true or false"

    def check(self, node, ctx, what):
        # an explicit tag (!!bool "maybe") can put any text under the bool tag
        if not isinstance(node, loader.ScalarNode) or node.tag != BOOL:
            return self.mismatch(node, ctx, what)
        if node.value.lower() not in _TRUE + ("false", "no", "off", "n"):
            ctx.error(pos_of(ctx.path, node), f"{what} must be true or false, got '{_short(node.value)}' "
                                              "tagged !!bool", "DG210")
            return INVALID
        return node.value.lower() in _TRUE

    def json(self):
        return {"type": "boolean"}


@dataclass
class Seq(Type):
    """A list of ``item`` values, with a minimum and maximum length."""

    item: Type
    min_items: int = 0
    max_items: int = 2000
    doc: str = ""

    @property
    def expected(self):
        return "a list"

    def check(self, node, ctx, what):
        if not isinstance(node, loader.SequenceNode):
            return self.mismatch(node, ctx, what)
        if len(node.value) < self.min_items:
            ctx.error(pos_of(ctx.path, node), f"{what} needs at least {self.min_items} item(s)", "DG211")
            return INVALID
        if len(node.value) > self.max_items:
            ctx.error(pos_of(ctx.path, node), f"{what} has {len(node.value)} items, over the limit of {self.max_items}", "DG212")
            return INVALID
        out = [self.item.check(child, ctx, f"{what}[{i + 1}]") for i, child in enumerate(node.value)]
        return [v for v in out if v is not INVALID]

    def json(self):
        out = {"type": "array", "items": self.item.json(), "maxItems": self.max_items}
        if self.min_items:
            out["minItems"] = self.min_items
        return out


@dataclass
class F:
    """A field of an object type."""

    type: Type
    required: bool = False
    doc: str = ""


@dataclass
class Obj(Type):
    """A mapping with the keys ``fields`` names (no others)."""

    name: str
    fields: dict = field(default_factory=dict)
    doc: str = ""

    @property
    def expected(self):
        return f"a mapping ({self.name})"

    def check(self, node, ctx, what):
        if not isinstance(node, loader.MappingNode):
            return self.mismatch(node, ctx, what)
        rec = Rec()
        rec.pos = pos_of(ctx.path, node)
        rec.key_pos = {}
        suggested: set = set()
        for knode, vnode in node.value:
            kpos = pos_of(ctx.path, knode)
            if not isinstance(knode, loader.ScalarNode) or knode.tag != STR:
                ctx.error(kpos, f"keys in {self.name} must be strings, got {describe(knode)}", "DG213")
                continue
            key = knode.value
            spec = self.fields.get(key)
            if spec is None:
                ctx.error(kpos, f"unknown key '{_short(key)}' in {self.name}{did_you_mean(key, self.fields)}", "DG214")
                # a misspelt required key is one problem, not also a missing one
                suggested.add(closest(key, [k for k in self.fields if k not in rec.key_pos]))
                continue
            value = spec.type.check(vnode, ctx, f"'{key}'")
            rec.key_pos[key] = kpos
            if value is not INVALID:
                rec[key] = value
            else:
                rec[key] = INVALID
        for key, spec in self.fields.items():
            if spec.required and key not in rec.key_pos:
                if key not in suggested:
                    ctx.error(rec.pos, f"{self.name} is missing the required key '{key}'", "DG215")
                rec[key] = INVALID
        if any(v is INVALID for v in rec.values()):
            rec.invalid = True
        return rec

    def json(self):
        props = {}
        for key, spec in self.fields.items():
            sub = spec.type.json()
            if spec.doc:
                sub = {**sub, "description": spec.doc}
            props[key] = sub
        out = {"type": "object", "properties": props, "additionalProperties": False}
        req = [k for k, s in self.fields.items() if s.required]
        if req:
            out["required"] = req
        return out


@dataclass
class Either(Type):
    """A string or a mapping (for shorthand forms such as ``include: [file.yaml]``)."""

    scalar: Type
    mapping: Type
    doc: str = ""

    @property
    def expected(self):
        return f"{self.scalar.expected} or {self.mapping.expected}"

    def check(self, node, ctx, what):
        if isinstance(node, loader.MappingNode):
            return self.mapping.check(node, ctx, what)
        if isinstance(node, loader.ScalarNode):
            return self.scalar.check(node, ctx, what)
        return self.mismatch(node, ctx, what)

    def json(self):
        return {"anyOf": [self.scalar.json(), self.mapping.json()]}


@dataclass
class Ref(Type):
    """A reference to a named type, for recursion (areas inside areas)."""

    name: str
    resolve: Callable[[], Type] = None  # type: ignore[assignment]

    @property
    def expected(self):
        return self.resolve().expected

    def check(self, node, ctx, what):
        return self.resolve().check(node, ctx, what)

    def json(self):
        return {"$ref": f"#/$defs/{self.name}"}


def is_valid(value: Any) -> bool:
    return value is not INVALID and not getattr(value, "invalid", False)


# --- the format -------------------------------------------------------------------

ID = Str(pattern=ID_PATTERN, max_len=64)
TEXT = Str(max_len=300)
LONG_TEXT = Str(max_len=1000)
PROVENANCE = Str(enum=PROVENANCES)
# a flow's label is drawn on its arrow, so it stays short and on one line
FLOW_LABEL = Str(max_len=40, one_line=True,
                 hint="a flow label is a short tag drawn on the arrow (such as HTTPS); say more in the step's text")
KIND_NAME = Str(max_len=64)  # checked against the catalog by the validator; an enum in the JSON Schema

FLOW = Obj("flow", {
    "from": F(ID, True, "Component id where the data comes from."),
    "to": F(ID, True, "Component id where the data goes."),
    "both": F(Bool(), False, "The flow goes both ways (arrow heads at both ends)."),
    "label": F(FLOW_LABEL, False, "A short tag drawn on the arrow, such as HTTPS or Connector "
               "(one line, at most 40 characters)."),
})

STEP = Obj("step", {
    "step": F(Int(maximum=2000), True, "The step number; steps are numbered 1..N in order."),
    "text": F(LONG_TEXT, True, "What happens in this step, in one or two sentences."),
    "flows": F(Seq(FLOW, min_items=1), True, "The edges this step draws; they all carry its number."),
    "subject": F(Seq(ID), False, "Components a docs page's item for this step must mention "
                 "(default: the endpoints of its flows)."),
})

COMPONENT = Obj("component", {
    "id": F(ID, True, "Unique id, used in flows and as the stable node id."),
    "kind": F(Ref("component_kind", lambda: KIND_NAME), True, "Component kind from the catalog; gives the icon and defaults."),
    "label": F(TEXT, False, "Display label (default: the kind's label)."),
    "area": F(Ref("area_id", lambda: ID), False, "Area id (default: the kind's default area)."),
    "provenance": F(PROVENANCE, False, "product: the scenario's product; existing: what the customer "
                    "already has and keeps; platform: a shared platform."),
    "description": F(LONG_TEXT, False, "One sentence on what the component does here."),
    "capabilities": F(Seq(TEXT, max_items=12), False, "Small capability boxes shown under the label."),
    "aliases": F(Seq(TEXT), False, "Other names prose may use for this component."),
    "standalone": F(Bool(), False, "Shown without flows on purpose (no unused-component warning)."),
    "icon": F(Str(max_len=300), False, "A custom PNG icon instead of the kind's: a path relative to the file "
              "that declares the component, inside the architecture folder."),
})

_AREA_FIELDS: dict = {}
AREA = Obj("area", _AREA_FIELDS)
_AREA_FIELDS.update({
    "id": F(ID, True, "Unique area id."),
    "label": F(TEXT, True, "Display label of the area."),
    "band": F(Bool(), False, "A platform band drawn along the bottom (Dataverse, Azure, ...)."),
    "areas": F(Seq(Ref("area", lambda: AREA)), False, "Nested areas."),
})

INCLUDE = Either(Str(max_len=300), Obj("include", {
    "file": F(Str(max_len=300), True, "Fragment path, relative to the including file."),
    "provenance": F(PROVENANCE, False, "Provenance for the fragment's components that set none."),
    "standalone": F(Bool(), False, "Draw the fragment's components without flows (no unused warnings)."),
}))

LEGEND = Obj("legend", {p: F(TEXT, False, f"Legend text for provenance '{p}'.") for p in PROVENANCES})

ASSUMPTIONS = Obj("assumptions", {
    "azure_foundation": F(Bool(), False, "Whether the page assumes the core Azure capabilities "
                          "(compute, storage, identity, security, management, compliance); its paragraph "
                          "comes from diagramgen.yaml (docs.foundation). Absent: no paragraph."),
    "notes": F(Seq(LONG_TEXT), False, "Further assumptions, one sentence each."),
})

LETTERED_STEP = Obj("step", {**STEP.fields, "step": F(Letter(), True, "The step's letter; steps are "
                                                   "lettered A, B, C ... in order.")})

SEQUENCE = Obj("sequence", {
    "id": F(ID, True, "Sequence id; names its steps' anchors and views (step-ID-a, ...)."),
    "title": F(TEXT, True, "Title of the sequence, shown above its list on the docs page."),
    "dataflow": F(Seq(LETTERED_STEP, min_items=1), True, "The sequence's steps, lettered A, B, C ... in order."),
})

DOCS_CHECK = Obj("docs_check", {
    "items": F(Str(enum=("auto", "top", "nested")), False, "Which items of the page's Dataflow lists are "
               "steps: top (the top-level items), nested (the items nested in them; a list without nested "
               "items gives its own), auto (the default: per list, the level whose count fits the sequence, "
               "else the closer one)."),
    "names": F(Str(enum=("main", "any", "all")), False, "What each item must name: main (the default: "
               "the step's subject, or else at least one end of its flows and no other step's component "
               "in place of one of its own), any (the subject, or else at least one end of its flows) or "
               "all (the subject, or else every end of its flows)."),
})

LAYOUT = Obj("layout", {
    "columns": F(Seq(Seq(ID, min_items=1)), False, "Areas from left to right; areas in one inner list "
                 "share a column."),
})

ARCHITECTURE = Obj("architecture", {
    "id": F(ID, True, "Unique architecture id; names the output files."),
    "title": F(TEXT, True, "Title shown on the diagram and the docs page."),
    "scenario": F(LONG_TEXT, True, "The 'I want to ...' sentence of the scenario."),
    "products": F(Seq(TEXT, min_items=1), True, "The product(s) of the scenario."),
    "summary": F(Seq(LONG_TEXT), False, "Summary bullets."),
    "assumptions": F(ASSUMPTIONS, False, "What the architecture assumes."),
    "legend": F(LEGEND, False, "Legend texts by provenance."),
    "docs_page": F(Str(max_len=300), False, "The hand-written docs page that describes this architecture."),
    "include": F(Seq(INCLUDE), False, "Fragments whose areas and components this file uses."),
    "areas": F(Seq(AREA), False, "Areas (clusters), in reading order."),
    "components": F(Seq(COMPONENT), False, "Components (nodes)."),
    "dataflow": F(Seq(STEP, min_items=1), True, "Numbered steps, 1..N."),
    "dataflow_title": F(TEXT, False, "Title of the main dataflow, shown above its list when there are "
                        "further sequences."),
    "sequences": F(Seq(SEQUENCE, max_items=1), False, "A further dataflow sequence beside the main one "
                   "(e.g. an integration flow), lettered A, B, C ... so that its circles cannot be "
                   "read as main steps."),
    "docs_check": F(DOCS_CHECK, False, "How check-docs reads the docs_page."),
    "layout": F(LAYOUT, False, "Layout hints."),
})

FRAGMENT = Obj("fragment", {
    "include": ARCHITECTURE.fields["include"],
    "areas": ARCHITECTURE.fields["areas"],
    "components": ARCHITECTURE.fields["components"],
})


def check(root: Node, path: str, kind: Obj = ARCHITECTURE) -> tuple[Rec | Any, list]:
    ctx = Ctx(path, [])
    value = kind.check(root, ctx, "the file")
    return value, ctx.diags


LINK_SCHEMES = ("http", "https")


def check_link(value, what: str) -> list:
    """A link field is a relative path or an http(s) URL: no javascript:, data:, file: ...,
    no absolute path. A relative path may leave the repository (``../shared/...``): the
    page is only ever read, by check-docs, never written or linked."""
    if not isinstance(value, PStr):
        return []
    if os.path.isabs(str(value).strip()):
        return [Diagnostic(value.pos, ERROR, f"'{what}' must be a relative path or an http(s) URL, "
                                             "not an absolute path", "DG216")]
    m = re.match(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):", value)
    if m and m.group(1).lower() not in LINK_SCHEMES:
        return [Diagnostic(value.pos, ERROR, f"'{what}' must be a relative path or an http(s) URL, "
                                             f"not a '{m.group(1).lower()}:' link", "DG216")]
    return []



def json_schema(kind: Obj, title: str, catalog) -> dict:
    """The JSON Schema of an architecture file (or, with ``kind=FRAGMENT``, of a fragment).

    Generated from the declarations above; the catalog (``model.catalog.Catalog``: the
    packaged one, or a repository's from its settings) gives the ``enum`` of component
    kinds and example area ids, so editors can complete them.
    """
    kinds = sorted(catalog.kinds)
    out: dict = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title}
    out.update(kind.json())
    out["$defs"] = {
        "area": AREA.json(),
        "component_kind": {**KIND_NAME.json(), "enum": kinds,
                           "enumDescriptions": [catalog.kinds[k].label for k in kinds]},
        "area_id": {**ID.json(), "examples": sorted({k.area for k in catalog.kinds.values()})},
    }
    return out


SCHEMA_TITLES = {"architecture": "diagramgen architecture file", "fragment": "diagramgen fragment file"}


def json_schema_text(name: str, catalog) -> str:
    """The schema as the committed ``schema/NAME.schema.json`` holds it (stable key order)."""
    import json

    kind = {"architecture": ARCHITECTURE, "fragment": FRAGMENT}[name]
    return json.dumps(json_schema(kind, SCHEMA_TITLES[name], catalog), indent=2, ensure_ascii=False) + "\n"
