"""The Graphviz server (diagramgen/draw/_gvserver.c, graphvizserver.py): within a
session, one Graphviz process forks a copy for each run; what each run writes is what
a dot process of its own writes, failures read the same, and a run that hangs, a stop
or a lost server ends as without it."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading

import pytest

from diagramgen.draw import graphvizserver, render
from diagramgen.draw.render import RenderError, render_architecture
from diagramgen.model.validate import load_architecture

from conftest import ARCH_DIR

ARCHS = sorted(p.name for p in ARCH_DIR.glob("*.yaml"))

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
needs_server = pytest.mark.skipif(graphvizserver.library() is None,
                                  reason="the Graphviz server library was not built here (no C compiler, or not Linux)")
pytestmark = [needs_dot, needs_server]

GRAPH = b'digraph { a [label="Contact center" fontname="DejaVu Sans"]; a -> b; }'


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """Each test with the server allowed, a fresh stop state and no server left over."""
    monkeypatch.delenv("DIAGRAMGEN_GRAPHVIZ_SERVER", raising=False)
    monkeypatch.delenv("DIAGRAMGEN_PURE_PYTHON", raising=False)
    monkeypatch.setattr(render, "_stopping", threading.Event())
    assert graphvizserver._sessions == 0 and graphvizserver._server is None
    yield
    assert graphvizserver._sessions == 0 and graphvizserver._server is None


@pytest.fixture
def starts(monkeypatch):
    """The programs started with subprocess.Popen while the test runs."""
    started = []
    real = subprocess.Popen.__init__

    def init(self, args, *rest, **kwargs):
        started.append(list(args))
        real(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", init)
    return started


def model(name):
    m, ds = load_architecture(ARCH_DIR / name, shown=f"architectures/{name}")
    assert m is not None, ds
    return m


@pytest.mark.parametrize("name", ARCHS)
def test_served_runs_write_what_dot_processes_write(name, starts):
    """SVG, PNG and PDF, and for a banded diagram both runs (dot -Tjson, then neato):
    the same bytes from the server's copies as from dot processes, and one process
    started (the server) for all of the session's runs."""
    m = model(name)
    formats = ("svg", "png", "pdf")
    alone = render_architecture(m, formats)
    runs_alone = len(starts)
    starts.clear()
    with graphvizserver.session():
        served = render_architecture(m, formats)
        again = render_architecture(m, formats)
        server = graphvizserver._server
    assert served == alone and again == alone
    assert runs_alone >= 1 and starts == [[render.dot_binary()]]
    assert server.proc.returncode == 0  # ended, and waited for


def test_a_failing_run_fails_as_dot_does(tmp_path, starts):
    args = [render.dot_binary(), "-Tsvg"]
    alone = render._run_child(args, b"digraph { a -> }", 60, cwd=str(tmp_path))
    with graphvizserver.session():
        served = render._run_child(args, b"digraph { a -> }", 60, cwd=str(tmp_path))
    assert served == alone and alone[0] == 1 and b"syntax error" in alone[1]
    assert len(starts) == 2  # the dot alone, then the server
    with pytest.raises(RenderError, match=r"^Graphviz dot failed: .*syntax error"):
        render._check(*served)


def test_standard_output_input_and_folder_are_the_runs(tmp_path):
    """What the run writes to its standard output comes back (the first run of a banded
    diagram is read from there), a large input is read whole, and output files are
    written in the run's folder."""
    big = b"digraph {\n" + b"".join(b"n%d -> n%d;\n" % (i, i + 1) for i in range(3000)) + b"}\n"
    with graphvizserver.session():
        out: list = []
        status, err = render._run_child([render.dot_binary(), "-Tjson"], big, 120, cwd=str(tmp_path), stdout=out)
        assert status == 0, err
        assert b'"name": "n2999"' in out[0] or b'"name":"n2999"' in out[0]
        status, err = render._run_child([render.dot_binary(), "-Tsvg", "-o", "out.svg"], GRAPH, 60, cwd=str(tmp_path))
        assert status == 0, err
    assert (tmp_path / "out.svg").read_bytes().startswith(b'<?xml version="1.0"')


def test_runs_from_several_threads_at_once(tmp_path):
    labels = [f"Component {i}" for i in range(12)]
    results: dict = {}

    def draw(label):
        folder = tmp_path / label.replace(" ", "_")
        folder.mkdir()
        out: list = []
        graph = f'digraph {{ a [label="{label}"]; }}'.encode()
        results[label] = render._run_child([render.dot_binary(), "-Tsvg"], graph, 120, cwd=str(folder), stdout=out), out

    with graphvizserver.session():
        threads = [threading.Thread(target=draw, args=(label,)) for label in labels]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for label in labels:
        (status, err), out = results[label]
        assert status == 0, err
        assert f">{label}</text>".encode() in out[0]


def _hanging_args(tmp_path):
    """A dot that waits for ever: it opens a FIFO no one writes to."""
    fifo = tmp_path / "never"
    os.mkfifo(fifo)
    return [render.dot_binary(), "-Tsvg", str(fifo)]


def test_a_run_past_its_time_is_killed(tmp_path):
    with graphvizserver.session():
        with pytest.raises(RenderError, match=r"^Graphviz dot took longer than 1 s and was stopped$"):
            render._run_child(_hanging_args(tmp_path), b"", 1, cwd=str(tmp_path))
        # the server goes on serving
        assert render._run_child([render.dot_binary(), "-Tsvg"], GRAPH, 60, cwd=str(tmp_path))[0] == 0


def test_stop_children_kills_a_served_run(tmp_path):
    started = threading.Event()
    errors: list = []

    def run():
        with render.signalling_runs(started):
            try:
                render._run_child(_hanging_args(tmp_path), b"", 600, cwd=str(tmp_path))
            except RenderError as exc:
                errors.append(str(exc))

    with graphvizserver.session():
        t = threading.Thread(target=run)
        t.start()
        assert started.wait(120)
        with render._children_lock:
            assert len(render._children) == 1
        render.stop_children()
        t.join(120)
        assert not t.is_alive()
    assert errors == ["stopped while Graphviz dot was running; nothing was written"]
    assert render._children == set()


def test_leaving_the_session_kills_runs_left_going(tmp_path):
    """A command stopped on the way leaves the session with a run going: the server kills
    it before it ends, and the session's end waits for the server."""
    started = threading.Event()
    outcome: list = []

    def run():
        with render.signalling_runs(started):
            try:
                outcome.append(render._run_child(_hanging_args(tmp_path), b"", 600, cwd=str(tmp_path)))
            except RenderError as exc:
                outcome.append(str(exc))

    t = threading.Thread(target=run)
    with graphvizserver.session():
        t.start()
        assert started.wait(120)
        server = graphvizserver._server
    assert server.proc.returncode == 0
    t.join(120)
    assert outcome == [(-signal.SIGKILL, b"")]


def test_a_lost_server_leaves_the_rest_to_dot_processes(tmp_path, starts):
    with graphvizserver.session():
        assert render._run_child([render.dot_binary(), "-Tsvg"], GRAPH, 60, cwd=str(tmp_path))[0] == 0
        server = graphvizserver._server
        server.proc.kill()
        server.proc.wait()
        out: list = []
        status, err = render._run_child([render.dot_binary(), "-Tsvg"], GRAPH, 60, cwd=str(tmp_path), stdout=out)
        assert status == 0, err
        assert b"Contact center" in out[0]
    assert starts == [[render.dot_binary()], [render.dot_binary(), "-Tsvg"]]


def test_what_is_not_served(tmp_path, monkeypatch, starts):
    """Outside a session, turned off, after the environment changed, and a program that
    is not the server's: each run starts its own process."""
    args = [render.dot_binary(), "-Tsvg"]
    assert render._run_child(args, GRAPH, 60, cwd=str(tmp_path))[0] == 0
    monkeypatch.setenv("DIAGRAMGEN_GRAPHVIZ_SERVER", "0")
    with graphvizserver.session():
        assert render._run_child(args, GRAPH, 60, cwd=str(tmp_path))[0] == 0
    monkeypatch.delenv("DIAGRAMGEN_GRAPHVIZ_SERVER")
    with graphvizserver.session():
        assert render._run_child(args, GRAPH, 60, cwd=str(tmp_path))[0] == 0  # starts the server
        monkeypatch.setenv("DIAGRAMGEN_TEST_CHANGE", "1")  # the server's copies would not have it
        assert render._run_child(args, GRAPH, 60, cwd=str(tmp_path))[0] == 0
        monkeypatch.delenv("DIAGRAMGEN_TEST_CHANGE")
        assert render._run_child([shutil.which("true") or "/bin/true"], b"", 60, cwd=str(tmp_path))[0] == 0
        assert render._run_child(args, GRAPH, 60, cwd=str(tmp_path))[0] == 0  # served again
    assert starts == [args, args, [render.dot_binary()], args, [shutil.which("true") or "/bin/true"]]


def test_a_program_without_graphviz_is_not_made_a_server(tmp_path, monkeypatch, starts):
    """A script standing in for dot (its interpreter loads the library too) is not turned
    into a server: it ends unrun, and each run starts the script."""
    log = tmp_path / "runs.log"
    script = tmp_path / "dot"
    script.write_text(f'#!/bin/sh\necho "$@" >> "{log}"\ncat > /dev/null\necho ok\n')
    script.chmod(0o755)
    with graphvizserver.session():
        out: list = []
        assert graphvizserver.run([str(script), "-Tsvg"], GRAPH, 60, str(tmp_path), None) is None
        status, _ = render._run_child([str(script), "-Tsvg"], GRAPH, 60, cwd=str(tmp_path), stdout=out)
    assert status == 0 and out == [b"ok\n"]
    assert log.read_text() == "-Tsvg\n"  # the script ran once: for the run, not as a server
    assert starts == [[str(script)], [str(script), "-Tsvg"]]


def _realistic_final_run(tmp_path) -> tuple:
    """The last Graphviz run of a seeded 200-component architecture with foundation
    bands (bench/realistic.py): ``neato -n2`` of the whole with every position set, in a
    folder with its icons. Its twenty-odd areas and bands come out in the order of the
    addresses of their names."""
    from diagramgen.draw import bands, dotjson, scene

    from conftest import realistic

    path = tmp_path / "realistic.yaml"
    path.write_text(realistic(200, 3, bands=True), encoding="utf-8")
    m, ds = load_architecture(path)
    assert m is not None, ds
    source, _ = render._short_image_names(scene.build(m), str(tmp_path))
    first: list = []
    assert render._run_child([render.dot_binary(), "-Tjson"], bands.first_pass(source).encode(), 300,
                             cwd=str(tmp_path), stdout=first, served=False)[0] == 0
    final = bands.placed_source(source, dotjson.first_pass_layout(b"".join(first)))
    return [render.neato_binary(render.dot_binary()), "-n2", "-Gdpi=96", "-Tsvg", "-o", "out.svg", "-Tpng", "-o",
            "out.png"], final.encode()


def test_the_areas_come_in_the_order_a_dot_process_gives_them(tmp_path):
    """The server loads the font configuration in a thread of its own, so that its
    copies' main thread allocates from an untouched heap, as a new process does: else
    the order of the areas in the SVG (and with it a layout's ties) would follow the
    blocks the loading left free, and change from run to run."""
    args, graph = _realistic_final_run(tmp_path)
    assert render._run_last(args, graph, ["svg", "png"], 300, str(tmp_path))[0] == 0  # outside a session
    alone = (tmp_path / "out.svg").read_bytes()
    assert alone.count(b'class="cluster') >= 20
    for _ in range(2):
        with graphvizserver.session():
            assert render._run_last(args, graph, ["svg", "png"], 300, str(tmp_path))[0] == 0
            assert graphvizserver._server is not None  # it was served
        assert (tmp_path / "out.svg").read_bytes() == alone


# every size of text a page has, in any one font
LABELS = (b'digraph { node [fontname="DejaVu Sans"]; '
          b'a [label=<<FONT POINT-SIZE="12"><B>Contact center</B></FONT>>]; '
          b'b [label=<<FONT POINT-SIZE="22">Title</FONT>> fontsize=13]; '
          b'a -> b [label="Voice" fontsize=15 fontname="Sans-Serif"]; }')


@pytest.mark.parametrize("fonts", [
    (),
    ("DejaVu Sans 12", "DejaVu Sans 13", "DejaVu Sans 15", "DejaVu Sans 22"),
    ("No Such Font 12", "", "DejaVu Sans Bold Italic 9", "Sans-Serif 15", "12"),
])
def test_fonts_made_ready_change_nothing_a_run_writes(tmp_path, fonts):
    """Whatever fonts the server made ready before its runs (none, the ones the labels
    use, or ones they do not use and one that is not installed), each run writes what a
    dot process writes."""
    args = [render.dot_binary(), "-Gdpi=96", "-Tsvg", "-o", "out.svg", "-Tpng", "-o", "out.png", "-Tjson", "-o",
            "out.json"]
    assert render._run_child(args, LABELS, 60, cwd=str(tmp_path), served=False)[0] == 0
    alone = {f: (tmp_path / f"out.{f}").read_bytes() for f in ("svg", "png", "json")}
    assert b">Contact center</text>" in alone["svg"]
    with graphvizserver.session():
        for _ in range(2):
            result = graphvizserver.run(args, LABELS, 60, str(tmp_path), None, fonts=fonts)
            assert result is not None and result[0] == 0, result
            assert {f: (tmp_path / f"out.{f}").read_bytes() for f in ("svg", "png", "json")} == alone


def test_the_fonts_as_the_server_reads_them():
    assert graphvizserver.fonts_spec(("DejaVu Sans 12", "DejaVu Sans Bold 13")) == "DejaVu Sans 12;DejaVu Sans Bold 13"
    assert graphvizserver.fonts_spec(["", "a;b", "nul\0", "Sans 9"]) == "Sans 9"  # what cannot be said is left out
    assert graphvizserver.fonts_spec(()) == ""
    many = [f"Font number {i} 12" for i in range(1000)]
    spec = graphvizserver.fonts_spec(many)
    assert len(spec.encode()) <= 8191 and spec.split(";") == many[:len(spec.split(";"))]
    assert len(spec.split(";")) < len(many)
