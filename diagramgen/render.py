"""Stage 4: lay out DOT source once with Graphviz and write every requested format.

One ``dot`` process lays the graph out once and emits all formats (``-Tsvg -o a.svg
-Tpng -o a.png``). Files are written to temporary names in the output directory and
renamed into place, so a reader never sees a half-written file and a failed render
leaves the previous outputs untouched.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

FORMATS = ("svg", "png", "html")  # html: the offline viewer (needs the SVG)
INSTALL_HINT = ("Graphviz 'dot' was not found on PATH; install Graphviz "
                "(Debian/Ubuntu: apt-get install graphviz, macOS: brew install graphviz)")


class RenderError(Exception):
    pass


class WriteError(Exception):
    """An output file could not be written; no output file was changed."""

    def __init__(self, path, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(f"cannot write {path}: {reason}")


def dot_binary() -> str:
    exe = shutil.which("dot")
    if not exe:
        raise RenderError(INSTALL_HINT)
    return exe


def run_dot(source: str, formats, dpi: int = 96, timeout: float = 300) -> dict:
    """Lay out once and return ``{format: bytes}`` for each format."""
    exe = dot_binary()
    with tempfile.TemporaryDirectory(prefix="diagramgen-") as tmp:
        args = [exe, f"-Gdpi={dpi}"] if "png" in formats else [exe]
        outs = {}
        for fmt in formats:
            out = os.path.join(tmp, f"out.{fmt}")
            args += [f"-T{fmt}", "-o", out]
            outs[fmt] = out
        try:
            proc = subprocess.run(args, input=source.encode("utf-8"), capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RenderError(f"Graphviz dot took longer than {timeout:.0f} s and was stopped") from None
        except OSError as exc:
            raise RenderError(f"cannot run Graphviz dot: {exc}") from None
        if proc.returncode < 0:
            try:
                name = signal.Signals(-proc.returncode).name
            except ValueError:
                name = f"signal {-proc.returncode}"
            raise RenderError(f"Graphviz dot was killed by {name} before it finished; nothing was written")
        if proc.returncode != 0:
            msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = msg[-1] if msg else f"exit status {proc.returncode}"
            raise RenderError(f"Graphviz dot failed: {detail}")
        result = {}
        for fmt, out in outs.items():
            try:
                result[fmt] = Path(out).read_bytes()
            except OSError:
                raise RenderError(f"Graphviz dot wrote no {fmt} output") from None
        return result


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def render_architecture(arch, formats=FORMATS, dpi: int = 96, steps=()) -> dict:
    """Return ``{file name: bytes}`` for one architecture (nothing is written).

    ``<id>.svg`` is the self-contained SVG (svg.py), ``<id>.png`` dot's PNG of the same
    layout, ``<id>.html`` the offline viewer. ``steps`` names the formats of the per-step
    views (``("svg",)`` or ``("svg", "png")``; empty: none): ``steps/<id>-step-N.svg``
    (and ``.png``), with that step emphasised. Links to the docs page are relative: ``docs/<id>.md#step-N`` from the
    output directory.
    """
    from . import scene, svg, viewer

    try:
        source = scene.build(arch)
    except scene.IconError as exc:
        raise RenderError(f"{arch.path}: {exc}") from None
    wanted = [f for f in FORMATS if f in formats]
    need_svg = "svg" in wanted or "html" in wanted or steps
    data = run_dot(source, [f for f in ("svg", "png") if f in wanted or (f == "svg" and need_svg)], dpi=dpi)
    out = {}
    try:
        page_svg = svg.self_contained(data["svg"], arch, docs_href=f"docs/{arch.id}.md") if need_svg else None
        if "svg" in wanted:
            out[f"{arch.id}.svg"] = page_svg
        if "png" in wanted:
            out[f"{arch.id}.png"] = data["png"]
        if "html" in wanted:
            page = viewer.build(arch, page_svg, png_name=f"{arch.id}.png", svg_name=f"{arch.id}.svg",
                                docs_href=f"docs/{arch.id}.md")
            out[f"{arch.id}.html"] = page.encode("utf-8")
        if steps:
            views = svg.step_views(data["svg"], arch, docs_href=f"../docs/{arch.id}.md")
            for s in arch.steps:
                one = views[s.number]
                out[f"steps/{arch.id}-step-{s.number}.svg"] = one
                if "png" in steps:
                    out[f"steps/{arch.id}-step-{s.number}.png"] = svg.to_png(one)
    except svg.SvgError as exc:
        raise RenderError(f"{arch.path}: {exc}") from None
    return out


def write_outputs(out_dir, files: dict) -> list:
    """Write ``{name: bytes}`` under ``out_dir``; return the paths written.

    Every file is first written in full to a temporary name beside its target; only when
    all of them are written are they renamed into place. A write error (disk full,
    read-only directory) raises WriteError and leaves every previous output untouched.
    """
    staged: list = []
    try:
        for name, data in files.items():
            path = Path(out_dir) / name
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                staged.append((tmp, path))
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.chmod(tmp, 0o644)
            except OSError as exc:
                raise WriteError(path, exc.strerror or str(exc)) from None
        for tmp, path in staged:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise WriteError(path, exc.strerror or str(exc)) from None
        return [path for _, path in staged]
    finally:
        for tmp, _ in staged:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _render_one(job):
    arch, formats, steps, dpi = job
    t0 = time.perf_counter()
    files = render_architecture(arch, formats, dpi=dpi, steps=steps)
    return arch.id, files, time.perf_counter() - t0


def render_many(models, formats=FORMATS, steps=(), jobs: int = 0, dpi: int = 96):
    """Render several architectures, in parallel processes when there is more than one
    and more than one core; yield ``(model, {name: bytes}, seconds)`` as each finishes,
    in the order of ``models``. Nothing is written."""
    models = list(models)
    jobs = jobs or min(len(models), os.cpu_count() or 1)
    work = [(m, tuple(formats), tuple(steps), dpi) for m in models]
    by_id = {m.id: m for m in models}
    if jobs <= 1 or len(models) <= 1:
        for job in work:
            arch_id, files, secs = _render_one(job)
            yield by_id[arch_id], files, secs
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        for arch_id, files, secs in pool.map(_render_one, work):
            yield by_id[arch_id], files, secs
