"""The benchmark behind `make bench`: prints a table and writes bench/results.md.

Every figure is measured here, in one run on one machine, and reported next to its
target. Times are medians of several runs (wall clock). Nothing here is asserted by the
test suite: speed lives in this benchmark only.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.plain_diagrams import script_for  # noqa: E402
from bench.synth import synthesize  # noqa: E402
from diagramgen import scene  # noqa: E402
from diagramgen.project import load_all  # noqa: E402

PY = sys.executable
CLI = [PY, "-m", "diagramgen"]


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run(cmd, cwd=None, env=None) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(map(str, cmd))}\n{proc.stderr}")
    return proc


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    dot = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
            f"Python {platform.python_version()}, {dot}")


# --- (a) full render against the floor and the plain `diagrams` way -------------------
def bench_full(runs: int) -> list:
    loaded = load_all([], default_dir=str(ROOT / "architectures"))
    models = loaded.models
    work = Path(tempfile.mkdtemp(prefix="bench-a-"))
    dots = []
    for m in models:
        p = work / f"{m.id}.dot"
        p.write_text(scene.build(m), encoding="utf-8")
        dots.append(p)
        (work / f"{m.id}.py").write_text(script_for(m), encoding="utf-8")

    def floor():
        for p in dots:
            run(["dot", "-Tsvg", "-o", str(p.with_suffix(".svg")), "-Tpng", "-o", str(p.with_suffix(".png")), str(p)])

    def plain():
        for m in models:
            run([PY, f"{m.id}.py"], cwd=work)

    out = work / "out"

    def ours():  # what `make` renders: PNG, self-contained SVG, viewer and step views
        run(CLI + ["render", "--force", "--quiet", "--steps", "--out", str(out)], cwd=ROOT)

    def ours_two():  # the same two formats as the floor and the plain scripts
        run(CLI + ["render", "--force", "--quiet", "--format", "png,svg", "--no-steps", "--out", str(out)], cwd=ROOT)

    # interleave the measurements so that load on the machine affects all alike
    samples: dict = {"floor": [], "plain": [], "ours": [], "two": []}
    for _ in range(runs):
        for name, fn in (("floor", floor), ("plain", plain), ("ours", ours), ("two", ours_two)):
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)
    t_floor, t_plain, t_ours, t_two = (statistics.median(samples[k]) for k in ("floor", "plain", "ours", "two"))
    shutil.rmtree(work, ignore_errors=True)
    return [
        ("(a) full render as make does it (png, svg, viewer, step views)", f"{t_ours:.3f} s", "", ""),
        ("(a) render of png + svg only", f"{t_two:.3f} s", "", ""),
        ("(a) floor: one dot -Tsvg -Tpng per architecture, one after another", f"{t_floor:.3f} s", "", ""),
        ("(a) plain diagrams scripts, one per architecture", f"{t_plain:.3f} s", "", ""),
        ("(a) full render / floor", f"{t_ours / t_floor:.2f}x", "<= 1.15x", ok(t_ours / t_floor <= 1.15)),
        ("(a) png + svg render / floor", f"{t_two / t_floor:.2f}x", "<= 1.15x", ok(t_two / t_floor <= 1.15)),
        ("(a) full render / plain diagrams", f"{t_ours / t_plain:.2f}x", "<= 0.60x", ok(t_ours / t_plain <= 0.6)),
    ]


# --- (b) make with nothing changed, and after changing one architecture -------------
def bench_make(runs: int) -> list:
    make = ["make", "--no-print-directory"]
    run(make, cwd=ROOT)  # a full make first
    t_noop = median_time(lambda: run(make, cwd=ROOT), runs)
    target = ROOT / "architectures" / "premium.yaml"
    original = target.read_bytes()
    try:
        target.write_bytes(original + b"# benchmark edit\n")
        t0 = time.perf_counter()
        out = run(make + ["RENDER_FLAGS=--progress"], cwd=ROOT)
        t_one = time.perf_counter() - t0
        rendered = [l.split(":")[0] for l in out.stderr.splitlines() if ": rendered " in l]
        os.utime(target)  # touch only: the content is what the cache compares
        out_touch = run(make + ["RENDER_FLAGS=--progress"], cwd=ROOT)
        touched = [l.split(":")[0] for l in out_touch.stderr.splitlines() if ": rendered " in l]
    finally:
        target.write_bytes(original)
        run(make, cwd=ROOT)
    return [
        ("(b) make, nothing changed", f"{t_noop:.3f} s", "< 0.2 s", ok(t_noop < 0.2)),
        ("(b) make after changing premium.yaml", f"{t_one:.2f} s, re-rendered {len(rendered)}: "
         f"{', '.join(rendered)}", "exactly 1", ok(rendered == ["premium"])),
        ("(b) make after a bare touch (same content)", f"re-rendered {len(touched)}", "", ""),
    ]


# --- (d) diff of two 400-component models --------------------------------------------
def bench_diff(runs: int) -> list:
    from bench.synth import mutate
    from diagramgen.diff import diff_architectures
    from diagramgen.validate import load_architecture

    work = Path(tempfile.mkdtemp(prefix="bench-d-"))
    a, b = work / "a.yaml", work / "b.yaml"
    text = synthesize(400, seed=1)
    a.write_text(text, encoding="utf-8")
    b.write_text(mutate(text, 0.05), encoding="utf-8")
    old, _ = load_architecture(a)
    new, _ = load_architecture(b)
    t_diff = median_time(lambda: diff_architectures(old, new), runs)
    t_cli = median_time(lambda: subprocess.run(CLI + ["diff", str(a), str(b)], capture_output=True), runs)
    shutil.rmtree(work, ignore_errors=True)
    return [
        ("(d) diff of two 400-component models (5 % changed)", f"{t_diff:.3f} s", "< 0.5 s", ok(t_diff < 0.5)),
        ("(d) the same through the CLI (load both, diff, print)", f"{t_cli:.3f} s", "", ""),
    ]


# --- (c) scale -------------------------------------------------------------------------
SCALE_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[3])
from diagramgen.loader import load
from diagramgen.schema import check
from diagramgen.validate import load_architecture
from diagramgen.render import render_architecture
path = sys.argv[1]
t0 = time.perf_counter(); doc = load(path); check(doc.root, path); t1 = time.perf_counter()
import diagramgen.loader
diagramgen.loader._parse_cached.cache_clear()  # measure the whole load, parse included
t1 = time.perf_counter(); model, diags = load_architecture(path); t2 = time.perf_counter()
assert model is not None, [str(d) for d in diags]
files = render_architecture(model, ("svg", "png")); t3 = time.perf_counter()
self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"validate": t1 - t0, "build": (t2 - t1), "render": t3 - t2,
                  "py_mb": self_kb / 1024, "dot_mb": child_kb / 1024, "n": int(sys.argv[2])}))
"""


def bench_scale(sizes, runs: int) -> tuple:
    work = Path(tempfile.mkdtemp(prefix="bench-c-"))
    rows, curve = [], []
    for n in sizes:
        path = work / f"synth_{n}.yaml"
        path.write_text(synthesize(n, seed=1), encoding="utf-8")
        samples = [json.loads(run([PY, "-c", SCALE_CHILD, str(path), str(n), str(ROOT)]).stdout)
                   for _ in range(runs)]
        med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
        curve.append(med)
        vb = med["build"]  # load_architecture: parse, check and build the model in one pass
        rows.append((f"(c) {n} components: validate + model build", f"{vb:.3f} s",
                     "< 0.5 s" if n == 400 else "", ok(vb < 0.5) if n == 400 else ""))
        rows.append((f"(c) {n} components: render (svg + png)", f"{med['render']:.2f} s",
                     "< 30 s, no error" if n == 400 else "", ok(med["render"] < 30) if n == 400 else ""))
        rows.append((f"(c) {n} components: peak memory (python / dot)",
                     f"{med['py_mb']:.0f} / {med['dot_mb']:.0f} MB", "", ""))
    shutil.rmtree(work, ignore_errors=True)
    return rows, curve


def ok(cond: bool) -> str:
    return "yes" if cond else "NO"


def table(rows) -> str:
    head = "| measure | value | target | met |\n|---|---|---|---|\n"
    return head + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    ap.add_argument("--sizes", default="25,50,100,200,400")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results.md"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = bench_full(args.runs)
    rows += bench_make(args.runs)
    scale_rows, curve = bench_scale(sizes, max(1, args.runs // 2))
    rows += scale_rows
    rows += bench_diff(args.runs)
    growth = "\n".join(
        f"| {int(c['n'])} | {c['validate'] * 1000:.1f} | {c['build'] * 1000:.1f} | {c['render']:.2f} | "
        f"{c['py_mb']:.0f} | {c['dot_mb']:.0f} |" for c in curve)
    text = (f"# Benchmark results\n\nMachine: {machine()}\n\nMedians of {args.runs} runs "
            f"(scale: {max(1, args.runs // 2)} runs per size).\n\n{table(rows)}\n"
            "## Growth curve (synthetic architectures, seed 1)\n\n"
            "| components | parse + schema check ms | validate + model build ms | render s | python MB | dot MB |\n"
            f"|---|---|---|---|---|---|\n{growth}\n")
    print(text)
    Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
