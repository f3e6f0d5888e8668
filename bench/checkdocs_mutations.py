"""How well check-docs tells a faithful page from a damaged one, measured on the real pages.

For every architecture whose docs_page is a readable file, it checks the unmodified page
(any error there is a false alarm) and many damaged copies of it, each made by one edit
of a Dataflow list item that is a step:

* swap: two neighbouring items of one list trade places (every such pair);
* delete: one item is removed (every item);
* replace: one component name in one item is replaced by another component's label
  (every name the check finds in every item, by every other component). Replacements by
  a component that takes part in the item's own step are counted apart: such an edit
  may leave the item true.

A copy is caught when check-docs reports at least one error. Each rule of
``docs_check: {names: ...}`` is measured on the same copies. Writes
bench/checkdocs-mutations.md and prints it.

    .venv/bin/python bench/checkdocs_mutations.py [--out FILE]
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diagramgen.docs.checkdocs import _choose, check_page, named_in, names, page_path, parse_dataflow  # noqa: E402
from diagramgen.model.project import load_all  # noqa: E402

RULES = ("main", "any", "all")


def _blocks(markdown: str, arch) -> list:
    """``[(sequence steps, [(first line, last line, item), ...])]`` for the items that are steps."""
    section = parse_dataflow(markdown)
    chosen = _choose(section, arch) if section else None
    if not chosen:
        return []
    return [(q.steps, [(it.line, it.end, it) for it in items]) for q, (_, items, _) in zip(arch.sequences, chosen)]


def _swap(lines: list, a, b) -> list:
    (a0, a1), (b0, b1) = (a[0] - 1, a[1]), (b[0] - 1, b[1])
    return lines[:a0] + lines[b0:b1] + lines[a1:b0] + lines[a0:a1] + lines[b1:]


def _name_pattern(name: str) -> re.Pattern:
    parts = [re.escape(w) for w in re.findall(r"[^\W_]+", name)]
    return re.compile(r"\b" + r"[\W_]+".join(parts) + r"\b", re.IGNORECASE)


def mutations(markdown: str, arch):
    """Yield ``(kind, damaged page)``; kind is swap, delete, replace or replace-own."""
    lines = markdown.split("\n")
    for steps, items in _blocks(markdown, arch):
        for k in range(len(items) - 1):
            yield "swap", "\n".join(_swap(lines, items[k], items[k + 1]))
        for first, last, _ in items:
            yield "delete", "\n".join(lines[:first - 1] + lines[last:])
        for k, (first, last, item) in enumerate(items):
            own = set(steps[k].components) if k < len(steps) else set()
            block = "\n".join(lines[first - 1:last])
            for cid in named_in(arch, item.text):
                comp = arch.component(cid)
                for name in names(comp):
                    m = _name_pattern(name).search(block)
                    if m:
                        break
                else:
                    continue
                for other in arch.components:
                    if other.id == cid:
                        continue
                    new_block = block[:m.start()] + other.label + block[m.end():]
                    kind = "replace-own" if other.id in own else "replace"
                    yield kind, "\n".join(lines[:first - 1] + new_block.split("\n") + lines[last:])


def measure(arch, markdown: str) -> dict:
    out = {}
    copies = list(mutations(markdown, arch))
    for rule in RULES:
        a = dataclasses.replace(arch, docs_check=dataclasses.replace(arch.docs_check, names=rule))
        base = {d.message for d in check_page(markdown, a, "page.md")}
        row = {"false alarms": len(base)}
        for kind in ("swap", "delete", "replace", "replace-own"):
            pages = [p for k, p in copies if k == kind]
            # where the unmodified page already fails, a copy counts as caught only when
            # it gets an error the unmodified page does not have
            row[kind] = (sum(bool({d.message for d in check_page(p, a, "page.md")} - base) for p in pages),
                         len(pages))
        out[rule] = row
    return out


def _rate(pair) -> str:
    caught, total = pair
    return f"{caught}/{total} ({100 * caught / total:.0f} %)" if total else "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "bench" / "checkdocs-mutations.md"))
    args = ap.parse_args()
    os.chdir(ROOT)
    loaded = load_all([])
    if not loaded.ok:
        print("the architectures do not validate", file=sys.stderr)
        return 1
    rows, totals = [], {r: {} for r in RULES}
    for arch in loaded.models:
        page = page_path(arch)
        if not page or not os.path.isfile(page):
            continue
        result = measure(arch, Path(page).read_text(encoding="utf-8"))
        for rule in RULES:
            r = result[rule]
            rows.append(f"| {arch.id} | {rule} | {r['false alarms']} | {_rate(r['swap'])} | {_rate(r['delete'])} "
                        f"| {_rate(r['replace'])} | {_rate(r['replace-own'])} |")
            for k, v in r.items():
                t = totals[rule].get(k, (0, 0) if k != "false alarms" else 0)
                totals[rule][k] = t + v if k == "false alarms" else (t[0] + v[0], t[1] + v[1])
    if not rows:
        print("no docs page found (the published pages live in ../shared)", file=sys.stderr)
        return 1
    for rule in RULES:
        r = totals[rule]
        rows.append(f"| **all pages** | {rule} | {r['false alarms']} | {_rate(r['swap'])} | {_rate(r['delete'])} "
                    f"| {_rate(r['replace'])} | {_rate(r['replace-own'])} |")
    text = "\n".join([
        "# check-docs against damaged copies of the real pages",
        "",
        "Written by `bench/checkdocs_mutations.py`. Each copy has one edit in a Dataflow list: "
        "two neighbouring items swapped, one item deleted, or one component name in one item "
        "replaced by another component's label (`replace`: a component that takes no part in "
        "the item's step; `replace own`: one that does, an edit that may leave the item true). "
        "A copy is caught when check-docs reports an error; false alarms are errors on the "
        "unmodified page (where there are some, a copy counts as caught only when it gets an error "
        "the unmodified page does not have). `rule` is `docs_check: {names: ...}`; `main` is the "
        "default.",
        "",
        "| architecture | rule | false alarms | swap | delete | replace | replace own |",
        "|---|---|---|---|---|---|---|",
        *rows, ""])
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
