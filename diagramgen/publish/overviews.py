"""The manifest's record of the group overview pages (``overview`` in manifest.json).

``docs/overview.py`` writes the group and migration pages; this module records what
each group's pages were made from, names the pages a group no longer makes and says
which groups are out of date, as ``manifest.py`` does for the architectures' outputs.
"""
from __future__ import annotations

import json
import os
import re

from diagramgen.diagnostics import ERROR, Diagnostic, Pos
from diagramgen.docs.overview import FOLDER, Resolved
from diagramgen.publish import manifest as M

# --- manifest ------------------------------------------------------------------------

OUTPUT_NAME = re.compile(rf"docs/{FOLDER}/[a-z][a-z0-9_]*(?:-to-[a-z][a-z0-9_]*)?\.(?:md|svg)\Z")


def inputs(group: Resolved) -> dict:
    """Every input of a group's pages: its architectures' docs inputs, and the render
    inputs (icons) of the two ends of each migration."""
    out: dict = {}
    for a, _ in group.members:
        out.update(M.inputs(a, "docs"))
    for pair in group.migrations:
        for a in pair:
            out.update(M.inputs(a, "render"))
    return dict(sorted(out.items()))


def record(manifest: dict, groups, written: dict) -> dict:
    """A copy of ``manifest`` whose ``overview`` entry lists each group's inputs and its
    outputs (``written``: ``{group id: [names relative to the manifest's folder]}``)."""
    new = json.loads(json.dumps(manifest)) if manifest else {"format": M.FORMAT, "architectures": {}}
    new["overview"] = {g.id: {"inputs": inputs(g), "tool": M.tool(), "outputs": sorted(written.get(g.id, []))}
                       for g in groups}
    return new


def _entries(manifest: dict) -> dict:
    raw = manifest.get("overview")
    if not isinstance(raw, dict):
        return {}
    out = {}
    for gid, rec in raw.items():
        if (isinstance(gid, str) and isinstance(rec, dict) and isinstance(rec.get("inputs", {}), dict)
                and isinstance(rec.get("outputs", []), list)
                and all(isinstance(o, str) for o in rec.get("outputs", []))):
            out[gid] = rec
    return out


def leftovers(manifest: dict, written: dict) -> list:
    """Outputs the manifest lists for a group that are not written again (a migration
    dropped from the settings, a group removed); only names this module makes."""
    out = []
    for gid, rec in _entries(manifest).items():
        stay = set(written.get(gid, []))
        out += [o for o in rec.get("outputs", []) if o not in stay and OUTPUT_NAME.match(o)]
    keep = {o for names in written.values() for o in names}
    return sorted(set(out) - keep)


def stale(manifest: dict, groups, manifest_path: str) -> list:
    """One diagnostic per group whose pages are out of date or never made, and per group
    the manifest lists that the settings no longer declare."""
    base = os.path.dirname(manifest_path)
    entries = _entries(manifest)
    diags = []
    for g in groups:
        rec = entries.get(g.id)
        if rec is None:
            diags.append(Diagnostic(Pos(manifest_path), ERROR, f"overview of group '{g.id}' was never "
                                    f"generated; run \"{M.REGENERATE}\"", "DG603"))
            continue
        now, then = inputs(g), rec.get("inputs", {})
        changed = [k for k in now if then.get(k) != now[k]] + [k for k in then if k not in now]
        if rec.get("tool") != M.tool():
            changed.append("tool version")
        missing = [o for o in rec.get("outputs", []) if not os.path.exists(os.path.join(base, o))]
        problems = ([f"changed {', '.join(changed)}"] if changed else []) + (
            [f"missing {', '.join(missing)}"] if missing else [])
        if problems:
            diags.append(Diagnostic(Pos(manifest_path), ERROR, f"overview of group '{g.id}' is out of date ("
                                    + "; ".join(problems) + f"); run \"{M.REGENERATE}\"", "DG603"))
    for gone in sorted(set(entries) - {g.id for g in groups}):
        diags.append(Diagnostic(Pos(manifest_path), ERROR, f"overview of group '{gone}': the settings no longer "
                                "declare this group, but its pages are still listed; regenerate with make", "DG605"))
    return diags
