"""Layout figures of every architecture, against their targets: prints a table and
writes bench/layout-results.md (part of `make bench`).

Each architecture is rendered in memory with the current code (nothing in output/ is
read or written) and measured by diagramgen.draw.quality: edges through boxes and through
areas, crossings, edges drawn on top of each other, the longest edge against the
drawing's diagonal, and the smallest text when the diagram is shown 1000 pixels wide.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diagramgen.draw import quality  # noqa: E402
from diagramgen.draw.render import render_architecture  # noqa: E402
from diagramgen.model.project import load_all  # noqa: E402

COLUMNS = [  # (quality field, heading, format)
    ("node_overlaps", "edges through boxes", "{}"),
    ("area_intrusions", "area intrusions", "{}"),
    ("crossings", "crossings", "{}"),
    ("edge_overlaps", "edges on top of each other", "{}"),
    ("longest_edge", "longest edge / diagonal", "{:.2f}"),
    ("total_edge_length", "all edges / diagonal", "{:.1f}"),
    ("smallest_text_px", "smallest text at 1000 px", "{:.1f} px"),
    ("width_pt", "width pt", "{:.0f}"),
    ("height_pt", "height pt", "{:.0f}"),
]


def target_text(name: str) -> str:
    limit = quality.TARGETS.get(name)
    if limit is None:
        return ""
    if name == "smallest_text_px":
        return f"≥ {limit:g} px"
    return f"{limit:g}" if limit == 0 else f"≤ {limit:g}"


def measure_all(paths=()) -> list:
    """``[(architecture id, Quality)]`` for the architectures (default: all)."""
    loaded = load_all(paths)
    if not loaded.ok:
        raise SystemExit("; ".join(str(d) for d in loaded.diagnostics))
    out = []
    for m in sorted(loaded.models, key=lambda m: m.id):
        svg = render_architecture(m, ("svg",))[f"{m.id}.svg"]
        out.append((m.id, quality.measure(svg)))
    return out


def report(rows: list) -> str:
    head = "| architecture | " + " | ".join(h for _, h, _ in COLUMNS) + " |"
    lines = ["# Layout figures", "",
             "Written by `bench/layout.py` (`make bench`): every architecture rendered with the current",
             "code and measured by `diagramgen/draw/quality.py`. A figure in **bold** misses its target.", "",
             head, "|" + "---|" * (len(COLUMNS) + 1),
             "| *target* | " + " | ".join(target_text(n) for n, _, _ in COLUMNS) + " |"]
    misses = []
    for ident, q in rows:
        missed = {name for name, _, _ in quality.check(q, quality.TARGETS)}
        cells = []
        for name, _, fmt in COLUMNS:
            cell = fmt.format(getattr(q, name))
            cells.append(f"**{cell}**" if name in missed else cell)
        lines.append(f"| {ident} | " + " | ".join(cells) + " |")
        for name, value, _limit in quality.check(q, quality.TARGETS):
            misses.append(f"- {ident}: {name} {value:.2f} (target {target_text(name)})")
    lines += ["", "## Misses", ""] + (misses or ["None."])
    lines += ["", "## What was counted", ""]
    for ident, q in rows:
        if q.problems:
            lines.append(f"- {ident}: " + "; ".join(q.problems))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*", help="architecture files (default: all)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "layout-results.md"))
    args = ap.parse_args(argv)
    text = report(measure_all(args.files))
    Path(args.out).write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
