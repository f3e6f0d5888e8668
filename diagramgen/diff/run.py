"""The ``diff`` command's work: load both sides, compare them, make the report and the
overlay images. It returns what to write and print; the command line writes it."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from diagramgen.diagnostics import DiagramgenError, Failure
from diagramgen.diff import report as R
from diagramgen.diff.compare import DiffResult, diff_architectures, diff_sets

IMAGE_FORMATS = (".svg", ".png")


class DiffError(Failure):
    """A failure with one message: git cannot give a revision, or dot cannot draw."""


@dataclass(frozen=True)
class Sides:
    """Both sides of a diff: ``{path: model}`` each, and how the report names them."""

    old: dict
    new: dict
    base: str
    head: str


@dataclass(frozen=True)
class Outcome:
    """What a diff gives the command: the comparison, its report and the overlay images."""

    result: DiffResult
    report: str  # in the format asked for
    images: tuple  # ((path, bytes), ...): an overlay image per changed architecture


def load_sides(files, base: Optional[str] = None, head: Optional[str] = None) -> Sides:
    """Two architecture files (``base`` None: ``files`` is OLD, NEW), or the architectures
    of two git revisions (``head`` None: the working tree; ``files``: which ones, default
    every architecture on either side). Raises DiagramgenError with every error found
    on either side, DiffError when git fails."""
    if base is None:
        from diagramgen.model.validate import load_architecture

        models, errors = [], []
        for f in files:
            model, diags = load_architecture(f)
            errors += [d for d in diags if d.is_error]
            models.append(model)
        if errors:
            raise DiagramgenError(errors)
        return Sides({files[1]: models[0]}, {files[1]: models[1]}, files[0], files[1])
    from diagramgen.diff.revisions import GitError, compare, relative_paths, repo_root

    try:
        root = repo_root()
        old, new = compare(root, base, head, relative_paths(root, files))
    except GitError as exc:
        raise DiffError(str(exc)) from None
    if not (old.ok and new.ok):
        raise DiagramgenError(old.diagnostics + new.diagnostics)
    return Sides(old.models, new.models, base, head or "working tree")


def image_paths(template: str, ids: list) -> dict:
    """``{architecture id: image path}``: '{id}' in ``template`` replaced, else the path
    itself for one architecture and ``name-<id>.ext`` for several."""
    if "{id}" in template:
        return {i: template.replace("{id}", i) for i in ids}
    if len(ids) == 1:
        return {ids[0]: template}
    p = Path(template)
    return {i: str(p.with_name(f"{p.stem}-{i}{p.suffix}")) for i in ids}


def overlay_images(sides: Sides, result: DiffResult, template: str) -> dict:
    """``{architecture id: (path, bytes)}``: the overlay diagram of each changed
    architecture, in the format the path's suffix names. Raises DiffError."""
    from diagramgen.diff.overlay import overlay_image
    from diagramgen.draw.render import RenderError

    changed = [a for a in result.architectures if a.changed]
    targets = image_paths(template, [a.id for a in changed])
    out = {}
    try:
        for a in changed:
            path = targets[a.id]
            # a renamed file's old model is under its old path (two files: under the new one)
            old = sides.old.get(a.old_path) if a.old_path in sides.old else sides.old.get(a.path)
            data = overlay_image(old, sides.new.get(a.path), f"{sides.base} \u2192 {sides.head}",
                                 Path(path).suffix.lower()[1:])
            out[a.id] = (path, data)
    except RenderError as exc:
        raise DiffError(str(exc)) from None
    return out


def image_links(images: dict, image_link: Optional[str], output: Optional[str]) -> dict:
    """``{architecture id: link}`` for the Markdown report: ``image_link`` with '{id}'
    replaced (a link as the user wrote it), else the image's path relative to the report
    (``output``) or as given, as a URL path: a space, a parenthesis or any other
    character that would end or break a Markdown link is percent-encoded."""
    from urllib.parse import quote

    if image_link:
        return {i: image_link.replace("{id}", i) for i in images}
    if output:
        folder = os.path.dirname(os.path.abspath(output))
        return {i: quote(Path(os.path.relpath(path, folder)).as_posix()) for i, (path, _) in images.items()}
    return {i: quote(Path(path).as_posix()) for i, (path, _) in images.items()}


def run(files, base: Optional[str] = None, head: Optional[str] = None, fmt: str = "text",
        image: Optional[str] = None, image_link: Optional[str] = None, output: Optional[str] = None,
        paint: Optional[Callable] = None) -> Outcome:
    """Everything ``diagramgen diff`` makes: the comparison (load_sides' arguments), the
    report in ``fmt`` (text, markdown, json; ``paint`` colours text), and with ``image``
    the overlay images, which a Markdown report links (image_links). Nothing is written."""
    sides = load_sides(files, base, head)
    if base is None:
        path = next(iter(sides.new))
        result = DiffResult(sides.base, sides.head, (diff_architectures(sides.old[path], sides.new[path]),))
    else:
        result = diff_sets(sides.old, sides.new, sides.base, sides.head)
    images = overlay_images(sides, result, image) if image else {}
    if fmt == "json":
        report = R.render_json(result)
    elif fmt == "markdown":
        report = R.render_markdown(result, image_links(images, image_link, output))
    else:
        report = R.render_text(result, paint)
    return Outcome(result, report, tuple(images.values()))
