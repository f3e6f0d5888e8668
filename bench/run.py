"""The benchmark behind `make bench`: prints a table and writes bench/results.md.

Every figure is measured here, in one run on one machine, and reported next to its
target. How it compares:

- Equal work. The floor is the Graphviz work diagramgen itself does for the same
  picture, on the very inputs it gives Graphviz (render.graphviz_runs, which run_dot
  uses too): one ``dot -Tsvg -Tpng`` per architecture, and for an architecture with
  foundation bands its two runs, ``dot -Tjson`` (the layout without the bands) and
  ``neato -n2 -Tsvg -Tpng`` (the whole drawn with the positions set). The floor runs with
  the same parallelism as diagramgen (as many architectures at once as diagramgen runs
  layouts), and once more with both sides pinned to one core (``taskset -c 0``). Where
  the PNG row library is built (diagramgen/draw/_pngrows.c), the runs that write PNG
  have it preloaded in the floor as in diagramgen; the same runs without it (Graphviz
  writing its PNG as it does alone) are a reference row. The
  old floor, one ``dot -Tsvg -Tpng`` of diagramgen's first DOT per architecture, is kept
  as a separate row for reference: for banded architectures it is not the picture
  diagramgen draws. The plain-`diagrams` comparison renders, through the `diagrams`
  library, the DOT diagramgen's last Graphviz run draws (bench/plain_diagrams.py; with
  the ``neato -n2`` engine where that run is neato), one script per architecture, with
  the same parallelism.
- Whole processes. Each command is a fresh process tree, as a user runs it; CPU time is
  the children's rusage (user + system, every process of the tree), wall time is the
  clock.
- Medians of interleaved runs: the contenders take turns within each round (in reverse
  order every other round), so load from other users of the machine falls on all alike;
  a first round, not counted, warms the caches. The load average (``uptime``) is
  recorded before and after each part.

Nothing here is asserted by the test suite: speed lives in this benchmark only.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
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
from bench.realistic import realistic  # noqa: E402
from diagramgen.draw.render import png_rows_library  # noqa: E402

PY = sys.executable
CLI = [PY, "-m", "diagramgen"]
JOBS = os.cpu_count() or 1  # diagramgen's default: one layout per core
PIN = ["taskset", "-c", "0"] if shutil.which("taskset") else None
LOADS: list = []  # (part, load before, load after)


def load_avg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


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


# each Graphviz run a process of its own, as before diagramgen/draw/graphvizserver.py
PROCESS_PER_RUN = {**os.environ, "DIAGRAMGEN_GRAPHVIZ_SERVER": "0"}


def measure(cmd, cwd=None, stdin: bytes = b"", check: bool = True, terminal: bool = False, env=None) -> dict:
    """Run one command as a whole process tree: wall seconds, CPU seconds of every process
    in it (children's rusage), exit status. ``terminal``: its stderr is a terminal (a
    pseudo-terminal read by a thread of this process), as for someone who runs it in a
    shell, so that it prints what it prints there (render's progress lines). ``env``: its
    environment (default this process's)."""
    if terminal:
        return _measure_on_terminal(cmd, cwd, stdin, check)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return _measured(cmd, check, proc.returncode, proc.stdout, proc.stderr, wall, before, after)


def _measured(cmd, check: bool, rc: int, out: bytes, err: bytes, wall: float, before, after) -> dict:
    if check and rc != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(map(str, cmd))}\n"
                         f"{err.decode('utf-8', 'replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "rc": rc, "out": out, "err": err}


def _measure_on_terminal(cmd, cwd, stdin: bytes, check: bool) -> dict:
    import pty
    import threading

    main_fd, sub_fd = pty.openpty()
    chunks: list = []

    def drain() -> None:  # until the last writer has closed the terminal
        while True:
            try:
                chunk = os.read(main_fd, 65536)
            except OSError:  # EIO: no writer left
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=cwd, input=stdin, stdout=subprocess.PIPE, stderr=sub_fd)
    finally:
        os.close(sub_fd)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reader.join(timeout=60)
    os.close(main_fd)
    err = b"".join(chunks).replace(b"\r\n", b"\n")
    return _measured(cmd, check, proc.returncode, proc.stdout, err, wall, before, after)


def interleaved(contenders: dict, rounds: int) -> dict:
    """``{name: (median wall, median cpu)}``: each round runs every contender once, in turn,
    in the given order in even rounds and the reverse order in odd ones (so that no
    contender always follows the same one). A first round, not counted, warms the caches
    (files read, disk caches of diagramgen and fontconfig) for all alike."""
    samples: dict = {k: [] for k in contenders}
    names = list(contenders)
    for name in names:
        contenders[name]()
    for k in range(rounds):
        for name in (names if k % 2 == 0 else names[::-1]):
            samples[name].append(contenders[name]())
    return {k: (statistics.median(s["wall"] for s in v), statistics.median(s["cpu"] for s in v))
            for k, v in samples.items()}


def ok(cond: bool) -> str:
    return "yes" if cond else "NO"


def secs(wc) -> str:
    return f"{wc[0]:.3f} s wall, {wc[1]:.3f} s CPU"


# --- (a) the shipped architectures: equal work ------------------------------------------
def graphviz_floor(model, folder: Path, source=None, formats=("svg", "png")) -> Path:
    """Write into ``folder`` the Graphviz runs diagramgen makes to draw ``model`` as SVG
    and PNG (render.graphviz_runs: the same arguments, inputs and icon links), a shell
    script that runs them one after the other (``floor.sh``, the floor), and the DOT of
    the last run (``final.dot``, what the plain-diagrams script renders). Returns the
    script's path. ``source``: another DOT to draw (a migration overlay) in ``formats``."""
    import shlex

    from diagramgen.draw import scene
    from diagramgen.draw.render import graphviz_runs, png_environment

    folder.mkdir(parents=True, exist_ok=True)
    runs, _images = graphviz_runs(source or scene.build(model), list(formats), str(folder), dpi=96)
    lines = [f"cd {shlex.quote(str(folder))}"]
    env = png_environment() if "png" in formats else None
    for k, (args, data) in enumerate(runs):
        (folder / f"run{k}.dot").write_bytes(data)
        last = k == len(runs) - 1
        if last and env is not None:  # as run_dot runs it: with the PNG row library preloaded
            lines.append(f"export LD_PRELOAD={shlex.quote(env['LD_PRELOAD'])}")
        lines.append(("exec " if last else "") + " ".join(shlex.quote(a) for a in args)
                     + f" < run{k}.dot" + ("" if last else " > /dev/null"))
    (folder / "final.dot").write_bytes(runs[-1][1])
    (folder / "engine").write_text("neato" if len(runs) > 1 else "dot", encoding="utf-8")
    script = folder / "floor.sh"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # the same runs with Graphviz writing its PNG the way it does alone
    (folder / "stock.sh").write_text("\n".join(x for x in lines if not x.startswith("export LD_PRELOAD="))
                                     + "\n", encoding="utf-8")
    return script


# The targets of the speed comparison are set on the four contact-center reference
# architectures; every shipped architecture is measured as well, in a part of its own.
FOUR = ("premium", "enterprise", "contact_center", "copilot_service")


def bench_equal(rounds: int, only=None, tag: str = "(a)") -> list:
    """Part (a) on the shipped architectures whose ids are in ``only`` (all when None);
    its rows start with ``tag``."""
    from diagramgen.draw import scene
    from diagramgen.model.project import load_all

    before = load_avg()
    models = [m for m in load_all([], default_dir=str(ROOT / "architectures")).models
              if only is None or m.id in only]
    if not models:
        return []
    files = [str(m.path) for m in models]
    work = Path(tempfile.mkdtemp(prefix="bench-a-"))
    names = []
    banded = []
    for m in models:
        (work / f"{m.id}.dot").write_text(scene.build(m), encoding="utf-8")
        graphviz_floor(m, work / m.id)
        if (work / m.id / "engine").read_text() == "neato":
            banded.append(m.id)
        (work / m.id / "plain.py").write_text(
            script_for(str(work / m.id / "final.dot"), f"plain_{m.id}", engine=(work / m.id / "engine").read_text()),
            encoding="utf-8")
        # for reference: the same graph as a plain diagrams script can draw it, every area
        # (foundation bands too) an ordinary cluster that dot lays out, once per format
        (work / m.id / "plain_dot.py").write_text(
            script_for(str(work / f"{m.id}.dot"), f"plain_dot_{m.id}", engine="dot"), encoding="utf-8")
        names.append(m.id)
    listing = "".join(f"{n}\n" for n in names).encode()
    n_runs = len(names) + len(banded)  # Graphviz runs of the floor: two for a banded architecture
    (work / "one.dot").write_text('digraph { a [label="Start" fontname="DejaVu Sans"] }\n', encoding="utf-8")
    # diagramgen's Graphviz runs per architecture (render.graphviz_runs), JOBS architectures at once
    floor_cmd = ["xargs", "-P", str(JOBS), "-I{}", "sh", "{}/floor.sh"]
    stock_cmd = ["xargs", "-P", str(JOBS), "-I{}", "sh", "{}/stock.sh"]  # Graphviz's own PNG writing
    # the old floor: one dot -Tsvg -Tpng of the first DOT (for banded architectures not what is drawn)
    old_floor_cmd = ["xargs", "-P", str(JOBS), "-I{}", "dot", "-Gdpi=96", "-Tsvg", "-o", "{}.svg",
                     "-Tpng", "-o", "{}.png", "{}.dot"]
    plain_cmd = ["xargs", "-P", str(JOBS), "-I{}", PY, "{}/plain.py"]
    plain_dot_cmd = ["xargs", "-P", str(JOBS), "-I{}", PY, "{}/plain_dot.py"]
    out = work / "out"
    two = CLI + ["render", "--force", "--quiet", "--format", "png,svg", "--no-steps", "--out", str(out)] + files
    full_render = CLI + ["render", "--force", "--quiet", "--steps", "--out", str(out)] + files
    full_docs = CLI + ["docs", "--out", str(out / "docs"), "--images", str(out)] + files

    def both(*cmds):
        rs = [measure(c, cwd=ROOT) for c in cmds]
        return {"wall": sum(r["wall"] for r in rs), "cpu": sum(r["cpu"] for r in rs)}

    contenders = {
        "floor": lambda: measure(floor_cmd, cwd=work, stdin=listing),
        "stock": lambda: measure(stock_cmd, cwd=work, stdin=listing),
        "two": lambda: measure(two, cwd=ROOT),
        "two_procs": lambda: measure(two, cwd=ROOT, env=PROCESS_PER_RUN),
        # what starting a Graphviz process costs, its fonts loaded: one per run of the floor
        "startups": lambda: measure(["xargs", "-I{}", "dot", "-Tsvg", "-o", "/dev/null", "one.dot"], cwd=work,
                                    stdin=b"".join(b"%d\n" % k for k in range(n_runs))),
        "full": lambda: both(full_render, full_docs),
        "plain": lambda: measure(plain_cmd, cwd=work, stdin=listing),
        "plain_dot": lambda: measure(plain_dot_cmd, cwd=work, stdin=listing),
        "old_floor": lambda: measure(old_floor_cmd, cwd=work, stdin=listing),
    }
    if PIN:
        contenders["floor_pinned"] = lambda: measure(PIN + floor_cmd, cwd=work, stdin=listing)
        contenders["two_pinned"] = lambda: measure(PIN + two, cwd=ROOT)
    r = interleaved(contenders, rounds)
    shutil.rmtree(work, ignore_errors=True)
    LOADS.append((f"{tag} {', '.join(names)}", before, load_avg()))
    fl, tw, fu, pl, of, pd = r["floor"], r["two"], r["full"], r["plain"], r["old_floor"], r["plain_dot"]
    st, tp, su = r["stock"], r["two_procs"], r["startups"]
    preload = "with" if png_rows_library() else "without (not built here)"
    rows = [
        (f"{tag} architectures: {', '.join(names)}", "", "", ""),
        (f"(a) floor: diagramgen's Graphviz runs per architecture (dot -Tsvg -Tpng; with bands dot -Tjson, "
         f"then neato -n2 -Tsvg -Tpng), {JOBS} architectures at once; banded: {', '.join(banded) or 'none'}; "
         f"{preload} the PNG row library, as diagramgen runs them", secs(fl), "", ""),
        ("(a) for reference: the same runs with Graphviz writing its PNG as it does alone (libpng's row "
         "filters)", secs(st), "", ""),
        ("(a) render png + svg (no viewer, no step views)", secs(tw), "", ""),
        ("(a) for reference: the same render with each Graphviz run a process of its own "
         "(DIAGRAMGEN_GRAPHVIZ_SERVER=0)", secs(tp), "", ""),
        (f"(a) for reference: starting Graphviz {n_runs} times, once per run of the floor (dot of a one-node "
         "graph: the process, its libraries and fonts)",
         secs(su), "", ""),
        ("(a) full render as make does it (render with viewer and step views, then docs)", secs(fu), "", ""),
        (f"(a) plain diagrams on the DOT of diagramgen's last Graphviz run, one script per architecture, "
         f"{JOBS} at once", secs(pl), "", ""),
        ("(a) png + svg render / floor, CPU", f"{tw[1] / fl[1]:.2f}x (wall {tw[0] / fl[0]:.2f}x)", "<= 1.3x",
         ok(tw[1] / fl[1] <= 1.3)),
        ("(a) for reference: png + svg render with a process per Graphviz run / floor, CPU",
         f"{tp[1] / fl[1]:.2f}x (wall {tp[0] / fl[0]:.2f}x)", "", ""),
        ("(a) for reference: what the png + svg render adds to the floor, CPU; with a process per Graphviz run",
         f"{(tw[1] - fl[1]) * 1000:.0f} ms; {(tp[1] - fl[1]) * 1000:.0f} ms", "", ""),
        ("(a) full render / floor, CPU", f"{fu[1] / fl[1]:.2f}x (wall {fu[0] / fl[0]:.2f}x)", "", ""),
        ("(a) png + svg render / plain diagrams, same graph, CPU", f"{tw[1] / pl[1]:.2f}x (wall {tw[0] / pl[0]:.2f}x)",
         "<= 0.85x", ok(tw[1] / pl[1] <= 0.85)),
        ("(a) full render / plain diagrams, same graph, CPU", f"{fu[1] / pl[1]:.2f}x (wall {fu[0] / pl[0]:.2f}x)", "", ""),
        ("(a) for reference: plain diagrams on the same graph as dot lays it out (every area, bands too, an "
         "ordinary cluster; a layout per format, as the library does): what a diagrams script can draw",
         secs(pd), "", ""),
        ("(a) for reference: png + svg render / that plain diagrams, CPU", f"{tw[1] / pd[1]:.2f}x (wall {tw[0] / pd[0]:.2f}x)",
         "", ""),
        ("(a) for reference: png + svg render / the same runs with Graphviz's own PNG writing, CPU",
         f"{tw[1] / st[1]:.2f}x (wall {tw[0] / st[0]:.2f}x)", "", ""),
        ("(a) for reference, the old floor: one dot -Tsvg -Tpng of the first DOT per architecture "
         "(for banded architectures not the picture drawn)", secs(of), "", ""),
        ("(a) for reference: png + svg render / old floor, CPU", f"{tw[1] / of[1]:.2f}x (wall {tw[0] / of[0]:.2f}x)",
         "", ""),
    ]
    if PIN:
        fp, tp = r["floor_pinned"], r["two_pinned"]
        rows += [
            ("(a) pinned to one core: floor", secs(fp), "", ""),
            ("(a) pinned to one core: png + svg render", secs(tp), "", ""),
            ("(a) pinned to one core: png + svg render / floor", f"{tp[0] / fp[0]:.2f}x wall, {tp[1] / fp[1]:.2f}x CPU",
             "<= 1.3x", ok(tp[1] / fp[1] <= 1.3)),
        ]
    return [(a.replace("(a)", tag, 1), b, c, d) for a, b, c, d in rows]


# --- (b) make: nothing changed, one architecture edited, code edited ----------------------
def _migrations_of(arch_id: str) -> list:
    """(from, to) of every migration of the repository's groups (diagramgen.yaml, as the
    package reads it) that involves ``arch_id``."""
    from diagramgen.model.settings import current

    return [(str(old), str(new)) for g in current().groups for old, new, _pos in g.migrations
            if arch_id in (old, new)]


def _edited(original: bytes, k: int) -> bytes:
    """An architecture file with the text of its first dataflow step changed: a real edit
    (the model, its DOT, its page and the migration pages made from it change), not a
    comment that leaves the model as it was."""
    text = original.decode("utf-8")
    start = text.index("\n    text: ", text.index("\ndataflow:"))
    end = text.index("\n", start + 1)
    return (text[:end] + f" Edited for the benchmark, round {k}." + text[end:]).encode("utf-8")


def _relabelled(original: bytes, k: int) -> bytes:
    """An architecture file with its first component's label changed (one is added where
    it has none): an edit that is drawn, so its diagram is laid out again."""
    text = original.decode("utf-8")
    start = text.index("\n  - id: ", text.index("\ncomponents:"))
    end = text.find("\n  - ", start + 1)
    end = len(text) if end < 0 else end
    block = text[start:end]
    line = block.find("\n    label: ")
    if line < 0:
        first = block.index("\n", 1)
        block = block[:first] + f"\n    label: Relabelled {k}" + block[first:]
    else:
        eol = block.find("\n", line + 1)
        eol = len(block) if eol < 0 else eol
        block = block[:eol] + f" {k}" + block[eol:]
    return (text[:start] + block + text[end:]).encode("utf-8")


def bench_make(rounds: int) -> list:
    before = load_avg()
    make = ["make", "--no-print-directory"]
    measure(make, cwd=ROOT)  # bring output/ up to date first
    noop = statistics.median(measure(make, cwd=ROOT)["wall"] for _ in range(rounds))
    target = ROOT / "architectures" / "premium.yaml"
    original = target.read_bytes()
    from diagramgen.model.validate import load_architecture

    work = Path(tempfile.mkdtemp(prefix="bench-b-"))
    model, _ = load_architecture(target)
    floor_cmd = ["sh", str(graphviz_floor(model, work / "premium"))]  # premium's Graphviz runs
    # and, for reference, those of everything that edit draws again: premium and the
    # overlays of the migrations from or to it (group pages, SVG only)
    redrawn = [str(work / "premium" / "floor.sh")]
    from diagramgen.model.project import load_all

    by_id = {m.id: m for m in load_all([], default_dir=str(ROOT / "architectures")).models}
    for k, (old, new) in enumerate(_migrations_of("premium")):
        from diagramgen.diff.overlay import overlay_source

        src = overlay_source(by_id[old], by_id[new])
        redrawn.append(str(graphviz_floor(None, work / f"overlay{k}", source=src, formats=("svg",))))
    redrawn_cmd = ["sh", "-c", " && ".join(f"sh {p}" for p in redrawn)]
    edits, drawn, floors, redraws, rendered = [], [], [], [], set()

    def run_make():  # as in a shell: render prints a line for each architecture it renders
        r = measure(make, cwd=ROOT, terminal=True)
        rendered.add(tuple(sorted(ln.split(":")[0] for ln in r["err"].decode().splitlines() if ": rendered " in ln)))
        return r

    try:
        for k in range(rounds):
            # as a writer works: a drawn edit (laid out again), then an edit of step text
            # on top of it (the layout made for the drawn edit is taken again)
            relabelled = _relabelled(original, k)
            target.write_bytes(relabelled)
            drawn.append(run_make())
            target.write_bytes(_edited(relabelled, k))
            edits.append(run_make())
            floors.append(measure(floor_cmd))
            redraws.append(measure(redrawn_cmd))
        target.write_bytes(original)
        measure(make, cwd=ROOT)  # back to the committed content
        os.utime(target)  # touch only: the content is what the cache compares
        touched = measure(make, cwd=ROOT, terminal=True)
        n_touched = sum(": rendered " in ln for ln in touched["err"].decode().splitlines())
        code = ROOT / "diagramgen" / "docs" / "checkdocs.py"  # code that cannot change a diagram
        code_text = code.read_bytes()
        try:
            code.write_bytes(code_text + b"# benchmark edit\n")
            r_code = measure(make, cwd=ROOT, terminal=True)
        finally:
            code.write_bytes(code_text)
        n_code = sum(": rendered " in ln for ln in r_code["err"].decode().splitlines())
    finally:
        target.write_bytes(original)
        measure(make, cwd=ROOT)
        shutil.rmtree(work, ignore_errors=True)
    LOADS.append(("(b) make", before, load_avg()))
    e_wall = statistics.median(r["wall"] for r in edits)
    e_cpu = statistics.median(r["cpu"] for r in edits)
    d_wall = statistics.median(r["wall"] for r in drawn)
    d_cpu = statistics.median(r["cpu"] for r in drawn)
    f_wall = statistics.median(r["wall"] for r in floors)
    f_cpu = statistics.median(r["cpu"] for r in floors)
    r_wall = statistics.median(r["wall"] for r in redraws)
    r_cpu = statistics.median(r["cpu"] for r in redraws)
    which = ", ".join(sorted({x for t in rendered for x in t}))
    return [
        ("(b) make, nothing changed", f"{noop:.3f} s wall", "< 0.2 s", ok(noop < 0.2)),
        ("(b) make after editing premium.yaml: the label of its first component (drawn: laid out again)",
         f"{d_wall:.2f} s wall, {d_cpu:.2f} s CPU", "", ""),
        ("(b) then the text of its first step (not drawn: the layout just made is taken again)",
         f"{e_wall:.2f} s wall, {e_cpu:.2f} s CPU", "", ""),
        ("(b) architectures re-rendered by those edits", which, "only premium", ok(rendered == {("premium",)})),
        ("(b) premium's floor (its Graphviz runs, as in (a))", f"{f_wall:.2f} s wall, {f_cpu:.2f} s CPU", "", ""),
        # wall is what a writer waits for; CPU adds up the work of every thread and process
        ("(b) the drawn edit: make minus premium's floor, wall", f"{d_wall - f_wall:.3f} s wall",
         "<= 0.25 s", ok(d_wall - f_wall <= 0.25)),
        ("(b) the drawn edit: make minus premium's floor, CPU", f"{d_cpu - f_cpu:.3f} s CPU",
         "<= 0.25 s", ok(d_cpu - f_cpu <= 0.25)),
        ("(b) the text edit: make minus premium's floor, wall", f"{e_wall - f_wall:.3f} s wall",
         "<= 0.25 s", ok(e_wall - f_wall <= 0.25)),
        ("(b) the text edit: make minus premium's floor, CPU", f"{e_cpu - f_cpu:.3f} s CPU",
         "<= 0.25 s", ok(e_cpu - f_cpu <= 0.25)),
        (f"(b) for reference: the Graphviz runs of all the drawn edit draws again (premium, and the overlays "
         f"of its {len(redrawn) - 1} migration(s) on the group pages)", f"{r_wall:.2f} s wall, {r_cpu:.2f} s CPU",
         "", ""),
        ("(b) for reference: the drawn edit minus those runs",
         f"{d_wall - r_wall:.2f} s wall, {d_cpu - r_cpu:.2f} s CPU", "", ""),
        ("(b) make after a bare touch (same content)", f"re-rendered {n_touched}", "0", ok(n_touched == 0)),
        ("(b) make after editing code that draws nothing (checkdocs.py)",
         f"re-rendered {n_code}, {r_code['wall']:.2f} s wall", "0", ok(n_code == 0)),
    ]


# --- (b) make with more architectures: what each unchanged one adds to an edit --------------
MORE = 25  # architectures added to the second project


def _project_copy(folder: Path, extra: int) -> Path:
    """A copy of the repository's architectures and diagramgen.yaml in ``folder``, with
    ``extra`` more architectures: the field service one under other ids (in no group, as
    most of a large docs folder)."""
    shutil.copytree(ROOT / "architectures", folder / "architectures")
    shutil.copy(ROOT / "diagramgen.yaml", folder / "diagramgen.yaml")
    source = (ROOT / "architectures" / "field-service-sap.yaml").read_text(encoding="utf-8")
    for k in range(extra):
        text = re.sub(r"(?m)^id: .*$", f"id: more_{k}", source, count=1)
        (folder / "architectures" / f"more-{k}.yaml").write_text(text, encoding="utf-8")
    return folder


def bench_many(rounds: int) -> list:
    """make after a drawn edit of premium (as in (b), makeall run directly) in two copies
    of the project, one with MORE more architectures: the CPU each unchanged architecture
    adds to an edit."""
    before = load_avg()
    work = Path(tempfile.mkdtemp(prefix="bench-many-"))
    try:
        small, large = _project_copy(work / "small", 0), _project_copy(work / "large", MORE)
        cmd = [PY, "-m", "diagramgen.makeall"]
        originals = {p: (p / "architectures" / "premium.yaml").read_bytes() for p in (small, large)}
        for p in (small, large):
            measure(cmd, cwd=p)  # everything made once
        # as outputs are by the next edit: older than the file times can tell apart from a
        # later change (publish/filehashes.py), and hashed once since
        time.sleep(2.5)
        for p in (small, large):
            measure(cmd, cwd=p)
        k = [0]

        def edit_and_make(p, env=None):
            def run():
                k[0] += 1
                (p / "architectures" / "premium.yaml").write_bytes(_relabelled(originals[p], k[0]))
                return measure(cmd, cwd=p, env=env)
            return run

        r = interleaved({"small": edit_and_make(small), "large": edit_and_make(large),
                         "small_procs": edit_and_make(small, PROCESS_PER_RUN)}, rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    LOADS.append(("(b) make with more architectures", before, load_avg()))
    (sw, sc), (lw, lc), (pw, pc) = r["small"], r["large"], r["small_procs"]
    return [
        ("(b) make after a drawn edit of premium (makeall run directly), the project's 7 architectures",
         f"{sw:.3f} s wall, {sc:.3f} s CPU", "", ""),
        ("(b) for reference: the same with each Graphviz run a process of its own (DIAGRAMGEN_GRAPHVIZ_SERVER=0)",
         f"{pw:.3f} s wall, {pc:.3f} s CPU", "", ""),
        (f"(b) the same with {MORE} more architectures (the field service one under other ids)",
         f"{lw:.3f} s wall, {lc:.3f} s CPU", "", ""),
        ("(b) what each unchanged architecture adds to an edit",
         f"{(lw - sw) / MORE * 1000:.1f} ms wall, {(lc - sc) / MORE * 1000:.1f} ms CPU", "", ""),
    ]


# --- (c) scale: realistic architectures ---------------------------------------------------
SCALE_CHILD = r"""
import json, os, resource, sys, time
sys.path.insert(0, sys.argv[3])
path, out = sys.argv[1], sys.argv[2]
c0 = time.process_time()
from diagramgen.model.validate import load_architecture
model, diags = load_architecture(path)
validate_cpu = time.process_time() - c0
import diagramgen.model.loader
if hasattr(diagramgen.model.loader, "_parse_cached"):
    diagramgen.model.loader._parse_cached.cache_clear()
from diagramgen.cli import main
t0, c0 = time.perf_counter(), time.process_time()
k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
try:
    main(["render", "--force", "--quiet", "--out", out, path], standalone_mode=False)  # make's defaults
    code = 0
except SystemExit as exc:
    code = exc.code or 0
except Exception as exc:
    print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    code = 1
k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
wall = time.perf_counter() - t0
cpu = time.process_time() - c0 + (k1.ru_utime - k0.ru_utime) + (k1.ru_stime - k0.ru_stime)
written = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
print(json.dumps({"code": code, "validate": validate_cpu, "wall": wall, "cpu": cpu, "bytes": written,
                  "py_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "dot_mb": k1.ru_maxrss / 1024, "components": len(model.components),
                  "steps": len(model.steps)}))
"""


def bench_scale(sizes, seeds: int, bands: bool = False) -> tuple:
    """Render ``seeds`` realistic architectures of each size (with foundation bands when
    ``bands``); rows for the targets, the growth table's lines, the failures."""
    before = load_avg()
    work = Path(tempfile.mkdtemp(prefix="bench-c-"))
    rows, growth, failures = [], [], []
    tag = "(c) with foundation bands:" if bands else "(c)"
    for n in sizes:
        res = []
        for seed in range(1, seeds + 1):
            path = work / f"realistic_{n}_{seed}.yaml"
            path.write_text(realistic(n, seed, bands=bands), encoding="utf-8")
            out = work / f"out_{n}_{seed}"
            r = measure([PY, "-c", SCALE_CHILD, str(path), str(out), str(ROOT)], check=False)
            data = json.loads(r["out"].decode() or "{}") if r["rc"] == 0 else {}
            if r["rc"] != 0 or data.get("code"):
                failures.append(f"{n}/{seed}: {r['err'].decode().strip().splitlines()[-1:]}")
            if data:
                res.append(data)
            shutil.rmtree(out, ignore_errors=True)
        good = [d for d in res if not d["code"]]
        med = {k: statistics.median(d[k] for d in good) for k in good[0]} if good else {}
        growth.append((n, len(good), seeds, med, bands))
        rows.append((f"{tag} {n} components, {seeds} seeds: rendered with exit 0", f"{len(good)} of {seeds}",
                     f"{seeds} of {seeds}" if not bands else "", ok(len(good) == seeds) if not bands else ""))
    shutil.rmtree(work, ignore_errors=True)
    LOADS.append((f"{tag} scale", before, load_avg()))
    if 400 in sizes and not bands:
        med = next(g[3] for g in growth if g[0] == 400)
        if med:
            rows.append(("(c) 400 components: bytes a default render writes", f"{med['bytes'] / 1e6:.1f} MB",
                         "< 60 MB", ok(med["bytes"] < 60e6)))
    return rows, growth, failures


# --- (d) the cases that used to grow quadratically -----------------------------------------
QUAD_CHILD = r"""
import json, re, sys, time
sys.path.insert(0, sys.argv[1])
from bench.realistic import realistic
from diagramgen.model.validate import load_architecture
from diagramgen.docs.checkdocs import check_page
from diagramgen.diff.compare import diff_architectures
from diagramgen.draw import scene
import tempfile, os
work = tempfile.mkdtemp(prefix="bench-d-")
def load(text, name):
    p = os.path.join(work, name)
    open(p, "w", encoding="utf-8").write(text)
    t = time.process_time()
    m, d = load_architecture(p)
    assert m is not None, [str(x) for x in d]
    return m, time.process_time() - t
out = {}
# a page of 400+ steps: an architecture of 520 components has about 400
big, _ = load(realistic(520, 1), "steps.yaml")
page = "# Page\n\n## Dataflow\n\n" + "".join(
    f"{s.number}. " + ", then ".join(big.component(c).label for c in s.components) + ".\n" for s in big.steps)
t = time.process_time(); diags = check_page(page, big, "page.md"); out["checkdocs"] = time.process_time() - t
out["checkdocs_steps"] = len(big.steps); out["checkdocs_diags"] = len(diags)
# two 400-component models, every step text changed
text = realistic(400, 1)
a, _ = load(text, "a.yaml")
b, _ = load(re.sub(r"text: Step (\d+) moves (\w+) data along\.", r"text: In step \1 the \2 data goes on.", text), "b.yaml")
t = time.process_time(); d = diff_architectures(a, b); out["diff"] = time.process_time() - t
out["diff_steps"] = len(a.steps)
for n in (400, 800, 1600):
    m, _ = load(realistic(n, 1), f"build_{n}.yaml")
    t = time.process_time(); scene.build(m); out[f"build_{n}"] = time.process_time() - t
m, v = load(realistic(2000, 1, flows_per_component=2.0, max_steps=2000), "huge.yaml")
out["huge_validate"] = v; out["huge"] = [len(m.components), len(m.steps)]
print(json.dumps(out))
"""


def bench_quadratic() -> list:
    before = load_avg()
    d = json.loads(measure([PY, "-c", QUAD_CHILD, str(ROOT)])["out"].decode())
    LOADS.append(("(d) quadratic cases", before, load_avg()))
    b4, b8, b16 = d["build_400"], d["build_800"], d["build_1600"]
    return [
        (f"(d) check-docs of a {d['checkdocs_steps']}-step page (CPU, beyond loading)", f"{d['checkdocs']:.3f} s",
         "< 1 s", ok(d["checkdocs"] < 1)),
        (f"(d) diff of two 400-component models, all {d['diff_steps']} step texts changed (CPU)",
         f"{d['diff']:.3f} s", "< 1 s", ok(d["diff"] < 1)),
        ("(d) DOT building (scene.build), 400 / 800 / 1600 components (CPU)",
         f"{b4:.2f} / {b8:.2f} / {b16:.2f} s ({b16 / b4:.1f}x for 4x)", "about linear", ok(b16 / b4 < 6)),
        (f"(d) validate {d['huge'][0]} components and {d['huge'][1]} steps (CPU)", f"{d['huge_validate']:.2f} s",
         "validates", "yes"),
    ]


def table(rows) -> str:
    head = "| measure | value | target | met |\n|---|---|---|---|\n"
    return head + "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=7, help="interleaved rounds per comparison (median)")
    ap.add_argument("--sizes", default="50,100,200,400")
    ap.add_argument("--seeds", type=int, default=8, help="realistic architectures per size")
    ap.add_argument("--band-sizes", default="50,100,200,400",
                    help="sizes of the realistic architectures with foundation bands ('' for none)")
    ap.add_argument("--band-seeds", type=int, default=2, help="realistic architectures with bands per size")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results.md"))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    start = load_avg()
    t0 = time.perf_counter()
    rows = bench_equal(args.rounds, FOUR, "(a)")
    rows += bench_equal(args.rounds, None, "(a7)")
    rows += bench_make(args.rounds)
    rows += bench_many(args.rounds)
    scale_rows, growth, failures = bench_scale(sizes, args.seeds)
    rows += scale_rows
    band_sizes = [int(s) for s in args.band_sizes.split(",") if s]
    if band_sizes:
        band_rows, band_growth, band_failures = bench_scale(band_sizes, args.band_seeds, bands=True)
        rows += band_rows
        growth += band_growth
        failures += band_failures
    rows += bench_quadratic()
    took = time.perf_counter() - t0
    grow = "\n".join(
        f"| {n}{' with bands' if banded else ''} | {m['steps']:.0f} | {ok_n} of {of} | {m['validate'] * 1000:.0f} | {m['wall']:.2f} / {m['cpu']:.2f} | "
        f"{m['py_mb']:.0f} | {m['dot_mb']:.0f} | {m['bytes'] / 1e6:.1f} |"
        for n, ok_n, of, m, banded in growth if m)
    loads = "\n".join(f"- {part}: {a} before, {b} after" for part, a, b in LOADS)
    text = (
        "# Benchmark results\n\n"
        f"Machine: {machine()}.\n\n"
        f"Load average (1, 5, 15 min) at the start: {start}; per part:\n{loads}\n\n"
        f"Medians of {args.rounds} interleaved rounds, after one not counted, in reverse order every other "
        f"round (make: the same number of rounds, each a drawn edit then a text edit); whole processes; "
        "CPU is user + system time of every process of the command. The whole run took "
        f"{took:.0f} s.\n\n{table(rows)}\n"
        f"## Growth (bench/realistic.py, medians of {args.seeds} seeds per size, {args.band_seeds} with foundation "
        "bands; default render as make)\n\n"
        "| components | steps | exit 0 | validate ms CPU | render s wall / CPU | python MB | dot MB | MB written |\n"
        f"|---|---|---|---|---|---|---|---|\n{grow}\n"
        + (f"\nFailures: {'; '.join(failures)}\n" if failures else "")
        + "\nWhere a target is not met, README.md (\"Performance\") says where the time goes.\n")
    print(text)
    Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
