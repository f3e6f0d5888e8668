"""The frozen model every later stage works from (render, docs, check-docs, diff)."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

from diagramgen.diagnostics import Pos
from diagramgen.ids import step_anchor


@dataclass(frozen=True)
class Area:
    """An area of the diagram, the box its components are drawn in: inside ``parent``
    (None at the top level), or a full-width platform band when ``band`` is true."""

    id: str
    label: str
    parent: Optional[str]
    band: bool
    pos: Pos = field(compare=False)


@dataclass(frozen=True)
class Component:
    """One component: its kind, label, area, provenance and icon file, and what the
    docs show of it; ``standalone`` means drawn without flows on purpose."""

    id: str
    kind: str
    label: str
    area: str
    provenance: str
    icon: str
    description: str = ""
    capabilities: tuple = ()
    aliases: tuple = ()
    standalone: bool = False
    pos: Pos = field(default=Pos(""), compare=False)


@dataclass(frozen=True)
class Flow:
    """One arrow of a step, from ``src`` to ``dst`` (both ways when ``both``)."""

    src: str
    dst: str
    both: bool = False
    pos: Pos = field(default=Pos(""), compare=False)
    label: str = ""  # a short tag drawn on the arrow ("" for none)

    @property
    def key(self) -> str:
        return f"{self.src}-{self.dst}"


def top_area(parent_of, area_id: str) -> str:
    """The top-level area holding ``area_id`` (itself when it has no parent);
    ``parent_of``: {area id: its parent's id or None}."""
    parent = parent_of.get(area_id)
    while parent:
        area_id, parent = parent, parent_of.get(parent)
    return area_id


def letters(n: int) -> str:
    """The letter label of position ``n`` (1-based): A..Z, then AA, AB, ..."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(ord("A") + r) + out
    return out


@dataclass(frozen=True)
class Step:
    """One step of a dataflow sequence. ``number`` is its position in its sequence (1..N);
    ``sequence`` is "" for the main dataflow, else the id of one of ``sequences``, and
    ``label`` the text of its badge there ("" means the number)."""

    number: int
    text: str
    flows: tuple
    subject: tuple = ()
    pos: Pos = field(default=Pos(""), compare=False)
    sequence: str = ""
    label: str = ""

    @property
    def badge(self) -> str:
        """What its numbered circle shows: the number, or the letter of a lettered sequence."""
        return self.label or str(self.number)

    @property
    def key(self) -> str:
        """Unique within the architecture: "3" for the main dataflow, "integration-a" for
        step A of the sequence ``integration``. Ids, classes and anchors are ``step-KEY``."""
        return f"{self.sequence}-{self.badge.lower()}" if self.sequence else str(self.number)

    @property
    def anchor(self) -> str:
        return step_anchor(self.key)

    @property
    def name(self) -> str:
        """How messages name it: "step 3", or "step A of integration"."""
        return f"step {self.badge} of {self.sequence}" if self.sequence else f"step {self.number}"

    @property
    def components(self) -> tuple:
        """Component ids the step is about: its declared subject, else its flows' endpoints."""
        if self.subject:
            return self.subject
        seen: dict = {}
        for f in self.flows:
            seen.setdefault(f.src, None)
            seen.setdefault(f.dst, None)
        return tuple(seen)


@dataclass(frozen=True)
class Sequence:
    """A dataflow sequence: the main one (id "") or one of the file's ``sequences``."""

    id: str
    title: str
    numbering: str  # numbers | letters
    steps: tuple


@dataclass(frozen=True)
class DocsCheck:
    """How check-docs reads the page: ``items`` is auto | top | nested (which list items
    are steps); ``names`` is main | all (what an item must name)."""

    items: str = "auto"
    names: str = "main"


@dataclass(frozen=True)
class Architecture:
    """A validated architecture file (with the fragments it includes): everything the
    later stages read."""

    id: str
    title: str
    scenario: str
    products: tuple
    summary: tuple
    azure_foundation: Optional[bool]  # None: the architecture does not say
    assumption_notes: tuple
    legend: tuple  # ((provenance, text), ...)
    docs_page: str
    areas: tuple  # in declaration order, parents before children
    components: tuple
    steps: tuple  # every step: the main dataflow's first, then each further sequence's
    columns: tuple  # ((area id, ...), ...) left to right
    path: str
    sources: tuple = ()  # every file read (the architecture file and its fragments)
    default_legend: tuple = ()  # ((provenance, text), ...) of diagramgen.yaml, where `legend` says nothing
    column_pos: tuple = field(default=(), compare=False)  # ((area id, Pos of its entry in `columns`), ...)

    def legend_text(self, provenance: str, neutral: dict) -> str:
        """The legend text of a provenance: the architecture's, diagramgen.yaml's, or ``neutral``'s."""
        return {**neutral, **dict(self.default_legend), **dict(self.legend)}.get(provenance, provenance)
    dataflow_title: str = ""  # the main sequence's title ("" when the file names none)
    extra_sequences: tuple = ()  # ((id, title, numbering), ...) beyond the main dataflow
    docs_check: DocsCheck = DocsCheck()

    @property
    def sequences(self) -> tuple:
        """The main dataflow, then the further sequences, each with its steps."""
        out = [Sequence("", self.dataflow_title, "numbers", tuple(s for s in self.steps if not s.sequence))]
        for sid, title, numbering in self.extra_sequences:
            out.append(Sequence(sid, title, numbering, tuple(s for s in self.steps if s.sequence == sid)))
        return tuple(out)

    @property
    def main_steps(self) -> tuple:
        return tuple(s for s in self.steps if not s.sequence)

    # Look-ups by id through indexes built once (the model is frozen), so that code
    # walking every component or area stays linear in the size of the architecture.
    @cached_property
    def _areas_by_id(self) -> dict:
        return {a.id: a for a in self.areas}

    @cached_property
    def _components_by_id(self) -> dict:
        return {c.id: c for c in self.components}

    @cached_property
    def _children_of(self) -> dict:
        out: dict = {}
        for a in self.areas:
            out.setdefault(a.parent, []).append(a)
        return out

    @cached_property
    def _components_of(self) -> dict:
        out: dict = {}
        for c in self.components:
            out.setdefault(c.area, []).append(c)
        return out

    def area(self, area_id: str) -> Area:
        return self._areas_by_id[area_id]

    def component(self, comp_id: str) -> Component:
        return self._components_by_id[comp_id]

    def top_area(self, area_id: str) -> str:
        """The top-level area holding ``area_id`` (itself when it is one)."""
        return top_area(self._parent_of, area_id)

    @cached_property
    def _parent_of(self) -> dict:
        return {a.id: a.parent for a in self.areas}

    def children(self, area_id: Optional[str]) -> list:
        return list(self._children_of.get(area_id, ()))

    def components_in(self, area_id: str) -> list:
        return list(self._components_of.get(area_id, ()))

    @property
    def flows(self) -> list:
        return [f for s in self.steps for f in s.flows]

    def stats(self) -> dict:
        return {"id": self.id, "file": self.path, "title": self.title, "areas": len(self.areas),
                "components": len(self.components), "steps": len(self.steps), "flows": len(self.flows),
                "sequences": len(self.sequences)}
