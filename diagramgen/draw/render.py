"""Stage 4: lay out DOT source once with Graphviz and write every requested format.

One ``dot`` process lays the graph out once and emits all formats (``-Tsvg -o a.svg
-Tpng -o a.png -Tpdf -o a.pdf``). Files are written to temporary names in the output directory and
renamed into place, so a reader never sees a half-written file and a failed render
leaves the previous outputs untouched. A run that writes PNG has the library built
from _pngrows.c preloaded where there is one (png_environment): libpng then writes
unfiltered rows, the same pixels in fewer bytes and less time.
"""
from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from diagramgen.diagnostics import Failure
from diagramgen.files import link_or_copy, remove_dead_writers_folders, temporary_folder
from diagramgen.ids import docs_link

FORMATS = ("svg", "png", "html", "pdf")  # html: the offline viewer (needs the SVG)
# What `diagramgen render` and `make` write when not told: the diagram, its PNG and its
# viewer, and (with --steps) the step views as SVG. The manifest's DEFAULT_RENDER_OPTIONS
# and the docs pages' download links follow these.
DEFAULT_FORMATS = ("svg", "png", "html")
DEFAULT_STEP_FORMATS = ("svg",)
INSTALL_HINT = ("Graphviz 'dot' was not found on PATH; install Graphviz "
                "(Debian/Ubuntu: apt-get install graphviz, macOS: brew install graphviz)")


class RenderError(Failure):
    pass


def dot_binary() -> str:
    exe = shutil.which("dot")
    if not exe:
        raise RenderError(INSTALL_HINT)
    return exe


_children: set = set()  # dot processes running now (killed when the command is stopped)
_children_lock = threading.Lock()
_stopping = threading.Event()
_run_signals: list = []  # Events set when a Graphviz run starts (signalling_runs)


@contextlib.contextmanager
def signalling_runs(event: threading.Event):
    """While the block runs, ``event`` is set as soon as a Graphviz run starts, in any
    thread: work meant to run beside render's begins once render waits on dot."""
    _run_signals.append(event)
    try:
        yield
    finally:
        _run_signals.remove(event)


def _run_child(args: list, data: bytes, timeout: float, cwd=None, stdout: list | None = None,
               env: dict | None = None, served: bool = True) -> tuple:
    """Run ``args`` with ``data`` on stdin (``env``: its environment, default this
    process's; None or png_environment()); return (exit status, stderr), and append what
    it wrote to stdout to ``stdout`` if given. The run is killed (and waited for)
    whatever ends the wait: its time-out, an exception, or stop_children() when the
    command receives SIGTERM or SIGINT. Within a graphvizserver.session() the command's
    Graphviz server runs it where it can (``served``), else a process is started."""
    if _stopping.is_set():
        raise RenderError("stopped before Graphviz dot started; nothing was written")
    if served:
        result = _run_served(args, data, timeout, cwd, env)
        if result is not None:
            status, out, err = result
            if stdout is not None:
                stdout.append(out)
            return status, err
    try:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                                env=env)
    except OSError as exc:
        raise RenderError(f"cannot run Graphviz dot: {exc}") from None
    with _children_lock:
        _children.add(proc)
    if _stopping.is_set():  # stop_children() ran between Popen and the line above
        proc.kill()
    for event in list(_run_signals):
        event.set()
    try:
        try:
            out, stderr = proc.communicate(data, timeout=timeout)
            if stdout is not None:
                stdout.append(out)
        except subprocess.TimeoutExpired:
            raise RenderError(f"Graphviz dot took longer than {timeout:.0f} s and was stopped") from None
        if _stopping.is_set():
            raise RenderError("stopped while Graphviz dot was running; nothing was written")
        return proc.returncode, stderr
    finally:
        if proc.poll() is None:
            proc.kill()
        try:
            proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, ValueError, OSError):
            pass
        with _children_lock:
            _children.discard(proc)


def _run_served(args: list, data: bytes, timeout: float, cwd, env) -> tuple | None:
    """(exit status, stdout, stderr) of a run the Graphviz server made, or None when it
    did not make it (graphvizserver.run); the run is one of _children while it goes."""
    from diagramgen.draw import graphvizserver

    handles: list = []

    def started(handle) -> None:
        with _children_lock:
            _children.add(handle)
            handles.append(handle)
        if _stopping.is_set():  # stop_children() ran before the line above
            handle.kill()
        for event in list(_run_signals):
            event.set()

    from diagramgen.draw.scene import TEXT_FONTS

    png_rows = png_rows_library() if env is not None else None
    try:
        result = graphvizserver.run(args, data, timeout, cwd, png_rows, started, preload=png_rows_library(),
                                    fonts=TEXT_FONTS)
    except subprocess.TimeoutExpired:
        raise RenderError(f"Graphviz dot took longer than {timeout:.0f} s and was stopped") from None
    except graphvizserver.ServerLost as exc:
        raise RenderError(f"{exc}; nothing was written") from None
    finally:
        with _children_lock:
            for handle in handles:
                _children.discard(handle)
    if result is not None and _stopping.is_set():
        raise RenderError("stopped while Graphviz dot was running; nothing was written")
    return result


_PNG_ROWS_MARK = b"diagramgen: libpng not found"  # what _pngrows.c says before it aborts
_png_rows_broken = threading.Event()  # set once a run with the library failed where one without did not


@functools.lru_cache(maxsize=1)
def _png_rows_built():
    """The path of the library built from _pngrows.c (setup.py; Linux only), or None."""
    from diagramgen.draw.graphvizserver import built_library

    return built_library("_pngrows")


def png_rows_library():
    """The library preloaded into the Graphviz runs that write PNG so that their rows are
    written unfiltered (_pngrows.c: the same pixels in fewer bytes and less time), or None
    where it was not built, is turned off (DIAGRAMGEN_PURE_PYTHON=1: no compiled part), or
    cannot be named in LD_PRELOAD (a path with a space or a colon)."""
    path = _png_rows_built()
    if path is None or os.environ.get("DIAGRAMGEN_PURE_PYTHON") or _png_rows_broken.is_set():
        return None
    if " " in path or ":" in path:
        return None
    return path


def png_environment():
    """The environment of a Graphviz run that writes PNG: this process's, with
    png_rows_library() preloaded; None (this process's as it is) without the library."""
    lib = png_rows_library()
    if lib is None:
        return None
    env = dict(os.environ)
    env["LD_PRELOAD"] = f"{lib} {env['LD_PRELOAD']}" if env.get("LD_PRELOAD") else lib
    return env


def _run_last(args: list, data: bytes, formats, timeout: float, cwd: str) -> tuple:
    """The run that writes the files: with png_environment() when it writes PNG. Should
    that run be killed by a signal, or the library not find libpng, it is run again
    without the library, which is then left out for the rest of the process."""
    env = png_environment() if "png" in formats else None
    status, stderr = _run_child(args, data, timeout, cwd=cwd, env=env)
    if env is not None and (status < 0 or _PNG_ROWS_MARK in stderr) and not _stopping.is_set():
        retry = _run_child(args, data, timeout, cwd=cwd, served=False)
        if retry[0] == 0:
            _png_rows_broken.set()
        return retry
    return status, stderr


def stop_children() -> None:
    """Kill every dot this process started and start no more (a signal handler's job)."""
    _stopping.set()
    with _children_lock:
        procs = list(_children)
    for proc in procs:
        try:
            proc.kill()
        except OSError:
            pass


@contextlib.contextmanager
def stopped_by_signals(signals=(signal.SIGTERM,)):
    """While inside, SIGTERM (by default) kills the running dot processes and then ends
    the command with SystemExit(128 + signal number): temporary folders and files are
    removed on the way out, as on any error. Only in the main thread.

    The handler's SystemExit is raised wherever the main thread happens to be, and code
    that catches every exception can swallow it (Cython's module set-up has a bare
    ``except: pass``: a signal while ``lxml.etree`` is first imported is lost there). The
    command would then go on and end on the failure of the dot just killed, with status
    1. So leaving the block after a signal, whatever ends it (that failure, another
    exception, or none), ends the command with 128 + the signal's number."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list = []

    def handler(signum, frame):
        received.append(signum)
        stop_children()
        raise SystemExit(128 + signum)

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        if received:
            raise SystemExit(128 + received[0]) from None


_DOT_TMP = "diagramgen-dot-"  # + process id + "-" + random: dot's temporary folder
_cleaned_dot_folders = threading.Event()


def _clean_stale_dot_folders() -> None:
    """Once per process: remove dot's temporary folders left by a diagramgen process that
    no longer runs (killed with SIGKILL). Folders only, never through a link."""
    if _cleaned_dot_folders.is_set():
        return
    _cleaned_dot_folders.set()
    pattern = re.compile(rf"^{re.escape(_DOT_TMP)}(\d+)-[A-Za-z0-9_]+$")
    remove_dead_writers_folders(tempfile.gettempdir(), pattern)


def _check(status: int, stderr: bytes) -> None:
    """A RenderError unless Graphviz ended well."""
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        raise RenderError(f"Graphviz dot was killed by {name} before it finished; nothing was written")
    if status != 0:
        msg = stderr.decode("utf-8", "replace").strip().splitlines()
        detail = msg[-1] if msg else f"exit status {status}"
        raise RenderError(f"Graphviz dot failed: {detail}")


def neato_binary(dot: str) -> str:
    """Graphviz's neato beside ``dot`` (it draws a diagram whose positions are set)."""
    near = os.path.join(os.path.dirname(dot), "neato")
    exe = near if os.path.exists(near) else shutil.which("neato")
    if not exe:
        raise RenderError(INSTALL_HINT.replace("'dot'", "'neato'"))
    return exe


def graphviz_runs(source: str, formats, folder: str, dpi: int = 96, timeout: float = 300) -> tuple:
    """The Graphviz runs that draw ``source``, in ``folder``: ``([(arguments, stdin)],
    {short icon name: the name as the source had it})``. Each run has ``folder`` as its
    current folder, where the icons are linked under short names (_short_image_names);
    the last run writes ``out.<format>`` there for each of ``formats``, and is left to
    the caller (run_dot; the benchmark runs the same). A diagram with foundation bands
    takes two runs: ``dot -Tjson`` lays it out without them, and ``neato -n2`` draws the
    whole with the positions written into its source (draw/bands.py); the first is run
    here, as the input of the second is made from its output."""
    from diagramgen.draw import bands, dotjson

    exe = dot_binary()
    source, images = _short_image_names(source, folder)
    args = [exe, f"-Gdpi={dpi}"] if "png" in formats else [exe]
    for fmt in formats:
        args += [f"-T{fmt}", "-o", f"out.{fmt}"]
    runs = []
    if bands.has_bands(source):
        first_args = [exe, "-Tjson"]
        first_input = bands.first_pass(source).encode("utf-8")
        first: list = []
        _check(*_run_child(first_args, first_input, timeout, cwd=folder, stdout=first))
        runs.append((first_args, first_input))
        try:
            layout = dotjson.first_pass_layout(b"".join(first))
        except ValueError:  # only what dot wrote: a fault of the placing is no fault of dot's
            raise RenderError("Graphviz dot wrote no usable layout (JSON); nothing was written") from None
        source = bands.placed_source(source, layout)
        args = [neato_binary(exe), "-n2"] + args[1:]
    runs.append((args, source.encode("utf-8")))
    return runs, images


def run_dot(source: str, formats, dpi: int = 96, timeout: float = 300, slot=None, reuse: bool = True) -> dict:
    """Lay out once and return ``{format: bytes}`` for each format (run_dot_kept's
    first item)."""
    return run_dot_kept(source, formats, dpi, timeout, slot, reuse)[0]


def run_dot_kept(source: str, formats, dpi: int = 96, timeout: float = 300, slot=None,
                 reuse: bool = True) -> tuple:
    """``({format: bytes}, kept)``: Graphviz's output for each format, and whether it was a
    kept layout (True) or laid out now (False).

    With a ``slot`` (layoutcache.slot_name: which diagram this is), what Graphviz writes
    is kept in the disk cache, and with ``reuse`` taken from there instead when the last
    layout of that slot was made from the same input (layoutcache: the same source,
    formats, icon files and Graphviz). ``reuse=False`` (render --force) always runs
    Graphviz, and keeps what it wrote. What is kept names the icons as dot saw them
    (_short_image_names); the SVG returned names them as ``source`` does."""
    from diagramgen.draw import layoutcache

    key = seen = None
    library = png_rows_library() if "png" in formats else None
    if slot is not None:
        key, seen = layoutcache.layout_key_seen(source, formats, dpi, library)
        if key is not None and reuse:
            kept = layoutcache.kept(slot, key, formats)
            if kept is not None and all(_looks_like(f, kept[f]) for f in formats):
                return _real_image_names(kept, source), True
    result = _run_dot(source, formats, dpi, timeout)
    # kept only when the key still holds after the run: an icon file saved while dot read
    # it is not what the key names
    if key is not None and layoutcache.key_holds(key, seen, source, formats, dpi, library):
        layoutcache.keep(slot, key, result)
    return _real_image_names(result, source), False


def _real_image_names(result: dict, source: str) -> dict:
    """dot's output with the icons named as ``source`` names them: the SVG links them by
    the short names dot saw (_short_image_names)."""
    if "svg" not in result:
        return result
    from diagramgen.draw.layoutcache import short_names

    svg = result["svg"]
    reals = {f'"{short}"'.encode(): f'"{real}"'.encode() for real, short in short_names(source).items()}
    if any(b"_icon_" in real or real.count(b'"') != 2 or short.count(b'"') != 2 for short, real in reals.items()):
        for short, real in reals.items():  # one name after the other, in order of first mention
            svg = svg.replace(short, real)
    elif reals:
        # the same in one pass: no name holds a quote and no real name a short one, and in
        # dot's SVG (well-formed XML) a quote only opens or closes an attribute's value, so
        # two quoted names never share a quote
        svg = _QUOTED_SHORT_NAME.sub(lambda m: reals.get(m.group(0), m.group(0)), svg)
    return {**result, "svg": svg}


# a short icon name (layoutcache.short_names) between quotes, as dot's SVG has it
_QUOTED_SHORT_NAME = re.compile(rb'"_icon_[0-9]+[^"]*"')


def _run_dot(source: str, formats, dpi: int, timeout: float) -> dict:
    """``{format: bytes}`` as dot writes them, the icons named by their short names."""
    _clean_stale_dot_folders()
    with temporary_folder(f"{_DOT_TMP}{os.getpid()}-") as tmp:
        runs, _images = graphviz_runs(source, formats, tmp, dpi=dpi, timeout=timeout)
        args, data = runs[-1]
        _check(*_run_last(args, data, formats, timeout, tmp))
        result = {}
        for fmt in formats:
            try:
                result[fmt] = Path(tmp, f"out.{fmt}").read_bytes()
            except OSError:
                raise RenderError(f"Graphviz dot wrote no {fmt} output") from None
            if not _looks_like(fmt, result[fmt]):
                raise RenderError(f"Graphviz dot's {fmt.upper()} output is not a complete {fmt.upper()} "
                                  "image; nothing was written")
        return result


def _short_image_names(source: str, folder: str) -> tuple:
    """The DOT source with each icon file named by a short link in ``folder`` (where dot
    runs): ``_icon_0.png``, ... in order of first mention (layoutcache.short_names).
    Returns (source, {short name: the name as the source had it}). dot's layout can
    depend on the text of the image paths it is given (their memory, not their meaning),
    so the same architecture laid out from two checkouts in different folders could come
    out differently; with the same short names it cannot. Where a link cannot be made,
    the icon is copied; where neither can, dot is given the name as it was (and reports
    the missing file)."""
    from diagramgen.draw.layoutcache import IMG_SRC, real_name, short_names

    images: dict = {}
    shorts = short_names(source)
    linked: dict = {}

    def short(m) -> str:
        name = m.group(1)
        if name not in linked:
            linked[name] = link_or_copy(real_name(name), os.path.join(folder, shorts[name]))
            if linked[name]:
                images[shorts[name]] = name
        return f'<IMG SRC="{shorts[name]}"' if linked[name] else m.group(0)

    return IMG_SRC.sub(short, source), images


def _looks_like(fmt: str, data: bytes) -> bool:
    """A first check of what dot wrote: a PNG's signature and end chunk, an SVG root."""
    if fmt == "png":
        return data.startswith(b"\x89PNG\r\n\x1a\n") and b"IEND" in data[-16:]
    if fmt == "svg":
        return b"<svg" in data[:4096] and data.rstrip().endswith(b"</svg>")
    return True


def render_architecture(arch, formats=DEFAULT_FORMATS, dpi: int = 96, steps=()) -> dict:
    """Return ``{file name: bytes}`` for one architecture (nothing is written).

    ``<id>.svg`` is the self-contained SVG (svg.py), ``<id>.png`` and ``<id>.pdf`` dot's
    PNG and PDF of the same layout, ``<id>.html`` the offline viewer. ``steps`` names the
    formats of the step views (``("svg",)`` or ``("svg", "png")``; empty: none):
    ``steps/<id>.svg``, one file whose fragment ``#<anchor>`` (Step.anchor: ``#step-3``,
    ``#step-integration-a``) emphasises that step, and with "png"
    ``steps/<id>-<anchor>.png`` per step. Links to the docs page are relative:
    ``docs/<id>.md#step-N`` from the output directory.
    """
    return _finish(arch, run_dot(_source(arch), _dot_formats(formats, steps), dpi=dpi), formats, steps)


def _source(arch) -> str:
    from diagramgen.draw import scene

    n_flows = sum(len(s.flows) for s in arch.steps)
    if n_flows > scene.MAX_LAYOUT_FLOWS or scene.layout_cost(arch) > scene.MAX_LAYOUT_COST:
        raise RenderError(f"{arch.path}: too large to lay out: {len(arch.components)} components and {n_flows} "
                          f"flows (limits: {scene.MAX_LAYOUT_FLOWS} flows, and components x flows at most "
                          f"{scene.MAX_LAYOUT_COST}); split it into several architectures")
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
    from diagramgen.draw import svg, viewer

    wanted = [f for f in FORMATS if f in formats]
    out = {}
    try:
        # dot writes SVG whenever html or step views are wanted (_dot_formats)
        page_svg = svg.self_contained(data["svg"], arch, docs_href=docs_link(arch.id)) if "svg" in data else b""
        if "svg" in wanted:
            out[f"{arch.id}.svg"] = page_svg
        if "png" in wanted:
            out[f"{arch.id}.png"] = data["png"]
        if "pdf" in wanted:
            out[f"{arch.id}.pdf"] = stable_pdf(data["pdf"])
        if "html" in wanted:
            page = viewer.build(arch, page_svg, png_name=f"{arch.id}.png" if "png" in wanted else None,
                                svg_name=f"{arch.id}.svg" if "svg" in wanted else None,
                                docs_href=docs_link(arch.id))
            out[f"{arch.id}.html"] = page.encode("utf-8")
        if steps:
            out[f"steps/{arch.id}.svg"] = svg.steps_view(page_svg, arch, docs_link(arch.id), docs_link(arch.id, up="../"))
        if "png" in steps:
            views = svg.step_views(page_svg, arch, docs_link(arch.id), docs_link(arch.id, up="../"))
            for s in arch.steps:
                out[f"steps/{arch.id}-{s.anchor}.png"] = svg.to_png(views[s.key])
    except svg.SvgError as exc:
        raise RenderError(f"{arch.path}: {exc}") from None
    return out


def render_many(models, formats=DEFAULT_FORMATS, steps=(), jobs: int = 0, dpi: int = 96, reuse: bool = True):
    """Render several architectures; yield ``(model, {name: bytes}, seconds, kept)`` in
    the order of ``models`` (any iterable; it is read to the end before the first
    result); ``kept``: its layout was a kept one (run_dot_kept). Nothing is written.
    Raises RenderError after the last result when stop_children() ran meanwhile (a
    signal), so that a caller writing at the end writes nothing.

    The dot layouts run as concurrent processes, up to ``jobs`` at once (default: one per
    core), while this process turns each finished layout into the docs-ready SVG, viewer
    and step views: layout and post-processing overlap, and nothing starts Python twice.
    What Graphviz writes for each architecture is kept, and taken again when its input
    is the same (run_dot; ``reuse=False``: Graphviz always runs).
    """
    from concurrent.futures import ThreadPoolExecutor

    from diagramgen.draw.layoutcache import slot_name

    jobs = jobs or (os.cpu_count() or 1)
    dot_formats = _dot_formats(formats, steps)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        # each layout starts as soon as its model is there (``models`` may still be loading)
        submitted = [(m, pool.submit(run_dot_kept, _source(m), dot_formats, dpi,
                                     slot=slot_name("render", os.path.realpath(m.path), dot_formats, dpi),
                                     reuse=reuse))
                     for m in models]
        if "svg" in dot_formats:  # while dot works: encode the icons the SVGs will embed
            from diagramgen.draw import scene, svg

            svg.prepare_icons({(p, d) for m, _ in submitted for p, d in scene.icon_sizes(m).items()})
        last = time.perf_counter()
        try:
            for m, fut in submitted:
                data, kept = _result(fut)
                files = _finish(m, data, formats, steps)
                now = time.perf_counter()
                yield m, files, now - last, kept  # the time this architecture added
                last = now
            if _stopping.is_set():  # a signal whose handler's exception was lost on its way
                raise RenderError("stopped; nothing was written")
        finally:
            for _, fut in submitted:
                fut.cancel()
            for _, fut in submitted:  # the layouts still running, before the pool's own wait
                _wait_done(fut)


_WAKE_EVERY = 0.1  # seconds: how long the main thread waits for a layout before looking at signals


def _wait_done(fut) -> None:
    """Wait until ``fut`` is done, in steps of _WAKE_EVERY. A wait without a time limit
    may not wake for a signal: when the signal reaches another thread (the kernel may
    choose any), or arrives just before the wait begins, its handler would only run once
    the layout ends, and a dot that hangs would keep SIGTERM waiting for its time-out."""
    from concurrent.futures import wait

    while not fut.done():
        wait([fut], timeout=_WAKE_EVERY)  # the handler runs as this returns


def _result(fut):
    """``fut.result()``, waited for as _wait_done does."""
    _wait_done(fut)
    return fut.result()
