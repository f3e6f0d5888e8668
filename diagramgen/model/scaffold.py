"""Starting a new architecture file: from a minimal template or a copy of an existing file.

:func:`new_architecture` returns the file's path and text; :func:`check_new` validates
that text where it will live (its includes resolve relative to that folder);
:func:`missing_schemas` the JSON Schemas its editor line points at, where the repository
has none yet. Writing the files is the caller's job, without ever overwriting one (see
the ``new`` command).
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional

from diagramgen.diagnostics import ERROR, Diagnostic, DiagramgenError, Pos, has_errors
from diagramgen.model import loader
from diagramgen.model.loader import LoadError, load
from diagramgen.model.project import load_all
from diagramgen.model.schema import ID_PATTERN

SCHEMA_DIR = Path("schema")
SCHEMA_PATH = SCHEMA_DIR / "architecture.schema.json"
SCHEMA_LINE = "# yaml-language-server: $schema="

# The minimal template: a header (products, legend, assumptions and includes come from
# diagramgen.yaml's `new:`, neutral without it), then two components and two steps.
HEADER = """\
{schema_line}
# {title}
# Start here: describe the scenario, then list the areas, the components and the
# numbered dataflow steps. `diagramgen schema` describes every key, `diagramgen kinds`
# lists the component kinds.
id: {id}
title: {title_yaml}
scenario: I want to ...  # the "I want to ..." sentence of the scenario
products: {products}
summary:
  - One sentence per point of the architecture.
"""

# The body: three areas, three components and two steps, as a neutral example to replace.
AREAS = """\
areas:
  - id: people
    label: People
  - id: apps
    label: Applications
  - id: data
    label: Data
"""

LAYOUT = """\
layout:
  columns:  # left to right; areas in one list share a column
    - [people]
    - [apps]
    - [data]
"""

COMPONENTS = """\
components:
  - id: requester
    kind: customer  # `diagramgen kinds` lists every kind
    label: Users
    area: people
    description: The people who start the process.
  - id: app
    kind: power_apps
    area: apps
    description: The app in which they do the work.
  - id: store
    kind: dataverse
    area: data
    description: Keeps the records the app works on.
dataflow:
  - step: 1
    text: Users open the app and enter a request.
    flows:
      - {from: requester, to: app}
  - step: 2
    text: The app saves the request as a record.
    flows:
      - {from: app, to: store}
"""


def _flow(value) -> str:
    if isinstance(value, str):
        return yaml_scalar(value)
    import yaml

    return yaml.safe_dump(value, default_flow_style=True, width=1 << 20, allow_unicode=True,
                          sort_keys=False).strip()


def template(arch_id: str, title: str, directory, settings) -> str:
    """The text of a new architecture from the template, with ``settings`` (repository
    settings) giving its products, legend, assumptions and includes."""
    # the comment line must stay one line: YAML also breaks lines at CR, NEL, U+2028/9
    one_line = re.sub("[\r\n\x85\u2028\u2029]+", " ", title)
    out = HEADER.format(schema_line=schema_line(directory), id=arch_id, title=one_line,
                        title_yaml=yaml_scalar(title), products=_flow(list(settings.new_products)))
    if settings.new_azure_foundation is not None:
        out += ("assumptions:\n  azure_foundation: "
                f"{'true' if settings.new_azure_foundation else 'false'}  # picks the foundation paragraph "
                "of diagramgen.yaml\n")
    if settings.new_legend:
        out += "legend:\n" + "".join(f"  {p}: {yaml_scalar(t)}\n" for p, t in settings.new_legend)
    # a folder without the fragments (a new file written elsewhere) gets a file of its own
    includes = tuple(i for i in settings.new_include or ()
                     if (Path(directory) / (i["file"] if isinstance(i, dict) else i)).is_file())
    if includes:
        out += ("include:\n  # Parts shared with the other architectures, declared once in fragments/.\n"
                "  # 'standalone: true' draws a fragment's components without flows and without\n"
                "  # warnings; remove it once your dataflow uses them.\n")
        out += "".join(f"  - {_flow(i)}\n" for i in includes)
        # the included areas join the diagram in declaration order; add a layout to place them
        body = AREAS + COMPONENTS
    else:
        body = AREAS + LAYOUT + COMPONENTS
    return out + body


def _fail(message: str, code: str, path: str = "") -> DiagramgenError:
    return DiagramgenError([Diagnostic(Pos(path or "diagramgen new"), ERROR, message, code)])


def yaml_scalar(value: str) -> str:
    """``value`` as a one-line YAML scalar, quoted only where YAML needs it."""
    import yaml

    return yaml.safe_dump([value], default_flow_style=True, width=1 << 20, allow_unicode=True).strip()[1:-1]


def normalize_id(arch_id: str) -> str:
    """Architecture ids use '_'; 'self-service' is accepted and becomes 'self_service'."""
    out = arch_id.strip().replace("-", "_")
    if not re.fullmatch(ID_PATTERN, out) or len(out) > 64:
        raise _fail(f"'{arch_id}' is not a valid architecture id: use lower-case letters, digits "
                    "and '_' (or '-'), starting with a letter", "DG701")
    return out


def file_for(arch_id: str, directory) -> Path:
    """The file an id lives in, by the project's convention: ``contact_center`` -> ``contact-center.yaml``."""
    return Path(directory) / (arch_id.replace("_", "-") + ".yaml")


def missing_schemas(catalog) -> dict:
    """``{path: bytes}``: the schemas (``schema/architecture.schema.json`` and
    ``schema/fragment.schema.json`` of the current folder, with ``catalog``'s kinds) that
    the repository does not have yet, so that the line ``new`` writes at the top of a
    file resolves in the editor. Existing files are left alone (``diagramgen schema
    --write`` rewrites them)."""
    from diagramgen.model.schema import json_schema_text

    out = {}
    for name in ("architecture", "fragment"):
        path = SCHEMA_DIR / f"{name}.schema.json"
        if not os.path.lexists(path):
            out[path] = json_schema_text(name, catalog).encode("utf-8")
    return out


def schema_line(directory) -> str:
    rel = os.path.relpath(SCHEMA_PATH, os.fspath(directory) or ".")
    return SCHEMA_LINE + Path(rel).as_posix()


def _copy(source, arch_id: str, title: str, directory) -> str:
    """The source file's text with a new id and title, its comments kept."""
    try:
        doc = load(source)
    except LoadError as exc:
        raise DiagramgenError([exc.diagnostic]) from None
    text = Path(source).read_text(encoding="utf-8").lstrip("\ufeff")
    if not isinstance(doc.root, loader.MappingNode):
        raise _fail("expected a mapping (an architecture file)", "DG702", str(source))
    keys = {k.value: (k, v) for k, v in doc.root.value}
    if "id" not in keys or "title" not in keys:
        raise _fail("has no 'id' and 'title' to replace: is it an architecture file?", "DG702", str(source))
    edits = []
    for key, value in (("id", arch_id), ("title", yaml_scalar(title))):
        node = keys[key][1]
        span = text[node.start_mark.index:node.end_mark.index]
        edits.append((node.start_mark.index, node.end_mark.index, value + span[len(span.rstrip()):]))
    if "docs_page" in keys:  # it names the other architecture's page
        k, v = keys["docs_page"]
        end = text.find("\n", v.end_mark.index - 1)
        edits.append((k.start_mark.index, len(text) if end < 0 else end + 1, ""))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    lines = text.splitlines(keepends=True)
    if lines and lines[0].startswith(SCHEMA_LINE):
        lines = lines[1:]
    note = (f"# Copied from {Path(source).as_posix()} by `diagramgen new`: the comments below "
            "describe that architecture; review them.\n")
    return schema_line(directory) + "\n" + note + "".join(lines)


def new_architecture(arch_id: str, title: str, directory="architectures",
                     source: Optional[str] = None) -> tuple[Path, str]:
    """Plan a new architecture file: return its path and text (nothing is written).

    Raises DiagramgenError when the id is invalid, the file exists, or the id is taken.
    """
    arch_id = normalize_id(arch_id)
    if not title.strip():
        raise _fail("the title must not be empty", "DG703")
    target = file_for(arch_id, directory)
    if target.exists():
        raise _fail(f"{target} already exists; diagramgen new never overwrites a file "
                    "(pick another id, or edit that file)", "DG704")
    if Path(directory).is_dir():
        taken = {m.id: m.path for m in load_all([], default_dir=os.fspath(directory)).models}
        if arch_id in taken:
            raise _fail(f"architecture id '{arch_id}' is already used by {taken[arch_id]}", "DG705")
    if source:
        text = _copy(source, arch_id, title, directory)
    else:
        from diagramgen.model.settings import current

        text = template(arch_id, title, directory, current())
    return target, text


def check_new(target: Path, text: str) -> list:
    """Validate ``text`` as the file ``target`` (which need not exist yet); return its
    diagnostics. Nothing is written: includes resolve from ``target``'s folder as they will."""
    from diagramgen.model.validate import load_architecture

    _, diags = load_architecture(target, shown=str(target), text=text)
    return diags


__all__ = ["new_architecture", "check_new", "missing_schemas", "file_for", "has_errors"]
