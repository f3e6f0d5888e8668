"""The frozen model every later stage works from (render, docs, check-docs, diff)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .diagnostics import Pos


@dataclass(frozen=True)
class Area:
    id: str
    label: str
    parent: Optional[str]
    band: bool
    pos: Pos = field(compare=False)


@dataclass(frozen=True)
class Component:
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
    src: str
    dst: str
    both: bool = False
    pos: Pos = field(default=Pos(""), compare=False)
    label: str = ""  # a short tag drawn on the arrow ("" for none)

    @property
    def key(self) -> str:
        return f"{self.src}-{self.dst}"


@dataclass(frozen=True)
class Step:
    number: int
    text: str
    flows: tuple
    subject: tuple = ()
    pos: Pos = field(default=Pos(""), compare=False)

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
class Architecture:
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
    steps: tuple
    columns: tuple  # ((area id, ...), ...) left to right
    path: str
    sources: tuple = ()  # every file read (the architecture file and its fragments)
    default_legend: tuple = ()  # ((provenance, text), ...) of diagramgen.yaml, where `legend` says nothing

    def legend_text(self, provenance: str, neutral: dict) -> str:
        """The legend text of a provenance: the architecture's, diagramgen.yaml's, or ``neutral``'s."""
        return {**neutral, **dict(self.default_legend), **dict(self.legend)}.get(provenance, provenance)

    def area(self, area_id: str) -> Area:
        return next(a for a in self.areas if a.id == area_id)

    def component(self, comp_id: str) -> Component:
        return next(c for c in self.components if c.id == comp_id)

    def children(self, area_id: Optional[str]) -> list:
        return [a for a in self.areas if a.parent == area_id]

    def components_in(self, area_id: str) -> list:
        return [c for c in self.components if c.area == area_id]

    @property
    def flows(self) -> list:
        return [f for s in self.steps for f in s.flows]

    def stats(self) -> dict:
        return {"id": self.id, "file": self.path, "title": self.title, "areas": len(self.areas),
                "components": len(self.components), "steps": len(self.steps), "flows": len(self.flows)}
