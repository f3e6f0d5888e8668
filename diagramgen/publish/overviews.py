"""The manifest's record of the group overview pages (``overview`` in manifest.json).

``docs/overview.py`` writes the group and migration pages; this module records what
each group's pages were made from, names the pages a group no longer makes and says
which groups are out of date, as ``manifest.py`` does for the architectures' outputs.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Optional

from diagramgen.diagnostics import ERROR, Diagnostic, Pos
from diagramgen.docs.overview import FOLDER, Resolved, migration_name
from diagramgen.publish import manifest as M

# --- manifest ------------------------------------------------------------------------

OUTPUT_NAME = re.compile(rf"docs/{FOLDER}/[a-z][a-z0-9_]*(?:-to-[a-z][a-z0-9_]*)?\.(?:md|svg)\Z")


def inputs(group: Resolved) -> dict:
    """Every input of a group's pages: its architectures' docs inputs, the render
    inputs (icons) of the two ends of each migration, and the code of the overview
    pages (the docs' code and diff/, see manifest.code_files)."""
    out: dict = {}
    for a, _ in group.members:
        M.merge_inputs(out, M.inputs(a, "docs"))
    for pair in group.migrations:
        for a in pair:
            M.merge_inputs(out, M.inputs(a, "render"))
    out.update(M.code_inputs("overview"))
    return dict(sorted(out.items()))


def migration_key(old, new) -> str:
    """One hash of everything a migration's page and overlay are made from: the render
    and docs inputs of both architectures (their files, the icons, diagramgen.yaml,
    which names the group and its members) and the overview pages' code."""
    out: dict = {}
    for a in (old, new):
        M.merge_inputs(out, M.inputs(a, "render"))
        M.merge_inputs(out, M.inputs(a, "docs"))
    out.update(M.code_inputs("overview"))
    return hashlib.sha256(json.dumps(sorted(out.items())).encode("utf-8")).hexdigest()


def record(manifest: dict, groups, written: dict, base: Optional[str] = None, copy: bool = True) -> dict:
    """A copy of ``manifest`` whose ``overview`` entry lists each group's inputs and its
    outputs (``written``: ``{group id: [names relative to the manifest's folder]}``).

    With ``base`` (the manifest's folder, where the outputs were just written), each
    migration's files are recorded too, with their inputs (``migration_key``) and their
    SHA-256, so that the next run can take them as they are (``reusable``).
    ``copy=False``: ``manifest`` itself gets the entry and is returned (a manifest the
    caller owns, such as the one manifest.update_file has just read, need not be copied)."""
    if not manifest:
        new: dict = {"format": M.FORMAT, "architectures": {}}
    else:
        new = json.loads(json.dumps(manifest)) if copy else manifest
    records: dict = {}
    for g in groups:
        rec: dict = {"inputs": inputs(g), "tool": M.tool(), "outputs": sorted(written.get(g.id, []))}
        if base is not None:
            migrations = {}
            for old, new_arch in g.migrations:
                name = migration_name(old, new_arch)
                files = [o for o in rec["outputs"] if o.rsplit("/", 2)[-2:-1] == [FOLDER]
                         and o.rsplit("/", 1)[-1] in (f"{name}.md", f"{name}.svg")]
                if files:
                    migrations[name] = {"inputs": migration_key(old, new_arch),
                                        "output_hashes": {o: M.sha256_file(os.path.join(base, o)) for o in files}}
            rec["migrations"] = migrations
        records[g.id] = rec
    new["overview"] = records
    return new


def reusable(manifest: dict, base: str, pages_dir: str):
    """``previous(names, old, new)`` for docs/overview.pages: the files ``names``
    (relative to the pages folder ``pages_dir``, itself relative to the manifest's folder
    ``base``) as bytes, when the manifest recorded them for the migration from ``old`` to
    ``new`` made from the inputs it has now (``migration_key``) and each still has
    exactly the content recorded; else None."""
    made = _made(manifest)

    def previous(names, old, new):
        if not all(f"{pages_dir}/{n}" in made for n in names):
            return None
        key = migration_key(old, new)
        out = {}
        for n in names:
            rel = f"{pages_dir}/{n}"  # as the docs command records them
            if made[rel][0] != key:
                return None
            try:
                data, digest = M.read_file(os.path.join(base, rel))
            except OSError:
                return None
            if digest != made[rel][1]:
                return None
            out[n] = data
        return out

    return previous


def changed(manifest: dict, pages_dir: str):
    """``changed(old, new)``: whether the migration from ``old`` to ``new`` is to be
    made again, as far as ``manifest`` tells (its overlay is not recorded as made from
    the inputs it has now; ``reusable`` also compares the files themselves)."""
    made = _made(manifest)

    def wanted(old, new) -> bool:
        recorded = made.get(f"{pages_dir}/{FOLDER}/{migration_name(old, new)}.svg")
        return recorded is None or recorded[0] != migration_key(old, new)

    return wanted


def _made(manifest: dict) -> dict:
    """``{output name: (inputs key, sha256)}`` of the migrations' files ``manifest``
    records."""
    made: dict = {}
    for rec in _entries(manifest).values():
        migrations = rec.get("migrations")
        for m in (migrations.values() if isinstance(migrations, dict) else ()):
            if isinstance(m, dict) and isinstance(m.get("inputs"), str) and isinstance(m.get("output_hashes"), dict):
                for o, digest in m["output_hashes"].items():
                    if isinstance(o, str) and isinstance(digest, str):
                        made[o] = (m["inputs"], digest)
    return made


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
