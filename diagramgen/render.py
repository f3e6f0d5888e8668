"""Stage 4: lay out DOT source once with Graphviz and write every requested format.

One ``dot`` process lays the graph out once and emits all formats (``-Tsvg -o a.svg
-Tpng -o a.png -Tpdf -o a.pdf``). Files are written to temporary names in the output directory and
renamed into place, so a reader never sees a half-written file and a failed render
leaves the previous outputs untouched.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

FORMATS = ("svg", "png", "html", "pdf")  # html: the offline viewer (needs the SVG)
DEFAULT_FORMATS = ("svg", "png", "html")
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


def render_architecture(arch, formats=DEFAULT_FORMATS, dpi: int = 96, steps=()) -> dict:
    """Return ``{file name: bytes}`` for one architecture (nothing is written).

    ``<id>.svg`` is the self-contained SVG (svg.py), ``<id>.png`` and ``<id>.pdf`` dot's
    PNG and PDF of the same layout, ``<id>.html`` the offline viewer. ``steps`` names the formats of the per-step
    views (``("svg",)`` or ``("svg", "png")``; empty: none): ``steps/<id>-step-N.svg``
    (and ``.png``), with that step emphasised. Links to the docs page are relative:
    ``docs/<id>.md#step-N`` from the output directory.
    """
    return _finish(arch, run_dot(_source(arch), _dot_formats(formats, steps), dpi=dpi), formats, steps)


def _source(arch) -> str:
    from . import scene

    try:
        return scene.build(arch)
    except scene.IconError as exc:
        raise RenderError(f"{arch.path}: {exc}") from None


def _dot_formats(formats, steps) -> list:
    """What dot must write: PNG if asked for, SVG whenever anything is made from it."""
    need_svg = "svg" in formats or "html" in formats or bool(steps)
    return [f for f in ("svg", "png", "pdf") if f in formats or (f == "svg" and need_svg)]


_PDF_DATE = re.compile(rb"/CreationDate \(D:\d{14}Z?\)")


def stable_pdf(data: bytes) -> bytes:
    """dot's PDF (cairo) with its creation time replaced by a fixed one of the same length
    (the cross-reference offsets stay right), so the same input gives the same bytes."""
    return _PDF_DATE.sub(lambda m: b"/CreationDate (D:19700101000000" + (b"Z)" if m.group(0).endswith(b"Z)")
                                                                            else b")"), data)


def _finish(arch, data: dict, formats, steps) -> dict:
    """Everything made from dot's output: the docs-ready SVG, the viewer, the step views."""
    from . import svg, viewer

    wanted = [f for f in FORMATS if f in formats]
    out = {}
    try:
        page_svg = svg.self_contained(data["svg"], arch, docs_href=f"docs/{arch.id}.md") if "svg" in data else None
        if "svg" in wanted:
            out[f"{arch.id}.svg"] = page_svg
        if "png" in wanted:
            out[f"{arch.id}.png"] = data["png"]
        if "pdf" in wanted:
            out[f"{arch.id}.pdf"] = stable_pdf(data["pdf"])
        if "html" in wanted:
            page = viewer.build(arch, page_svg, png_name=f"{arch.id}.png" if "png" in wanted else None,
                                svg_name=f"{arch.id}.svg" if "svg" in wanted else None,
                                docs_href=f"docs/{arch.id}.md")
            out[f"{arch.id}.html"] = page.encode("utf-8")
        if steps:
            views = svg.step_views(page_svg, arch, f"docs/{arch.id}.md", f"../docs/{arch.id}.md")
            for s in arch.steps:
                one = views[s.key]
                out[f"steps/{arch.id}-{s.anchor}.svg"] = one
                if "png" in steps:
                    out[f"steps/{arch.id}-{s.anchor}.png"] = svg.to_png(one)
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


def render_many(models, formats=DEFAULT_FORMATS, steps=(), jobs: int = 0, dpi: int = 96):
    """Render several architectures; yield ``(model, {name: bytes}, seconds)`` in the
    order of ``models`` (any iterable; it is read to the end before the first result).
    Nothing is written.

    The dot layouts run as concurrent processes, up to ``jobs`` at once (default: one per
    core), while this process turns each finished layout into the docs-ready SVG, viewer
    and step views: layout and post-processing overlap, and nothing starts Python twice.
    """
    from concurrent.futures import ThreadPoolExecutor

    jobs = jobs or (os.cpu_count() or 1)
    dot_formats = _dot_formats(formats, steps)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        # each layout starts as soon as its model is there (``models`` may still be loading)
        submitted = [(m, pool.submit(run_dot, _source(m), dot_formats, dpi)) for m in models]
        if "svg" in dot_formats:  # while dot works: encode the icons the SVGs will embed
            from . import scene, svg

            svg.prepare_icons({(p, d) for m, _ in submitted for p, d in scene.icon_sizes(m).items()})
        last = time.perf_counter()
        try:
            for m, fut in submitted:
                files = _finish(m, fut.result(), formats, steps)
                now = time.perf_counter()
                yield m, files, now - last  # the time this architecture added
                last = now
        finally:
            for _, fut in submitted:
                fut.cancel()
