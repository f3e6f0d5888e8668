"""The library preloaded into Graphviz's PNG runs (diagramgen/draw/_pngrows.c): the same
pixels as Graphviz alone, every row unfiltered, and a run it breaks is run again without it."""
from __future__ import annotations

import io
import shutil
import struct
import zlib

import pytest
from PIL import Image

from diagramgen.draw import render

# A graph with what a diagram has: filled boxes, text, an edge, a gradient of greys.
GRAPH = """digraph {
  node [shape=box style="rounded,filled" fillcolor="#dde9f7" fontname="DejaVu Sans"];
  a [label="Contact center"]; b [label="Dataverse" fillcolor="#f4f7f4"];
  c [shape=circle fillcolor="#123f63" fontcolor=white label="1"];
  a -> c -> b [color="#3d4b5c" penwidth=1.5];
}"""

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
needs_library = pytest.mark.skipif(render._png_rows_built() is None,
                                   reason="the PNG row library was not built here (no C compiler, or not Linux)")


def _row_filters(png: bytes) -> set:
    """The filter type of every row of an 8-bit, non-interlaced PNG."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pos, idat, header = 8, b"", None
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    rows = zlib.decompress(idat)
    stride = 1 + width * channels
    assert len(rows) == stride * height
    return {rows[k * stride] for k in range(height)}


def _pixels(png: bytes) -> tuple:
    with Image.open(io.BytesIO(png)) as im:
        return im.mode, im.size, im.tobytes()


@needs_dot
@needs_library
def test_png_rows_are_unfiltered_and_the_pixels_are_graphviz_s(monkeypatch):
    monkeypatch.delenv("DIAGRAMGEN_PURE_PYTHON", raising=False)
    with_library = render.run_dot(GRAPH, ["svg", "png"])
    monkeypatch.setenv("DIAGRAMGEN_PURE_PYTHON", "1")
    graphviz_alone = render.run_dot(GRAPH, ["svg", "png"])
    assert _row_filters(with_library["png"]) == {0}
    assert _row_filters(graphviz_alone["png"]) != {0}  # libpng's own choice filters rows
    assert _pixels(with_library["png"]) == _pixels(graphviz_alone["png"])
    assert with_library["svg"] == graphviz_alone["svg"]


@needs_library
def test_the_library_is_preloaded_only_where_it_can_be(monkeypatch):
    monkeypatch.delenv("DIAGRAMGEN_PURE_PYTHON", raising=False)
    monkeypatch.setenv("LD_PRELOAD", "libother.so")
    env = render.png_environment()
    assert env["LD_PRELOAD"] == f"{render._png_rows_built()} libother.so"
    monkeypatch.setenv("DIAGRAMGEN_PURE_PYTHON", "1")
    assert render.png_rows_library() is None and render.png_environment() is None
    monkeypatch.delenv("DIAGRAMGEN_PURE_PYTHON")
    monkeypatch.setattr(render, "_png_rows_built", lambda: "/opt/my tools/_pngrows.so")
    assert render.png_rows_library() is None  # LD_PRELOAD splits at spaces and colons


@pytest.mark.parametrize("failure", [(-6, b""), (1, b"diagramgen: libpng not found by the PNG row-filter library\n")])
def test_a_run_the_library_breaks_is_run_again_without_it(monkeypatch, failure):
    monkeypatch.delenv("DIAGRAMGEN_PURE_PYTHON", raising=False)
    monkeypatch.setattr(render, "_png_rows_built", lambda: "/lib/_pngrows.so")
    monkeypatch.setattr(render, "_png_rows_broken", render.threading.Event())
    calls = []

    def child(args, data, timeout, cwd=None, stdout=None, env=None, served=True):
        calls.append((None if env is None else env["LD_PRELOAD"], served))
        return failure if env is not None else (0, b"")

    monkeypatch.setattr(render, "_run_child", child)
    assert render._run_last(["dot", "-Tpng"], b"digraph {}", ["png"], 10, "/tmp") == (0, b"")
    # run again by a dot of its own: a Graphviz server of the command has the library
    assert calls == [("/lib/_pngrows.so", True), (None, False)]
    assert render.png_rows_library() is None  # not tried again in this process
    render._run_last(["dot", "-Tpng"], b"digraph {}", ["png"], 10, "/tmp")
    assert calls == [("/lib/_pngrows.so", True), (None, False), (None, True)]


def test_a_failure_of_dot_itself_is_not_run_twice(monkeypatch):
    monkeypatch.delenv("DIAGRAMGEN_PURE_PYTHON", raising=False)
    monkeypatch.setattr(render, "_png_rows_built", lambda: "/lib/_pngrows.so")
    monkeypatch.setattr(render, "_png_rows_broken", render.threading.Event())
    calls = []

    def child(args, data, timeout, cwd=None, stdout=None, env=None, served=True):
        calls.append(env is not None)
        return 1, b"Error: syntax error in line 1\n"

    monkeypatch.setattr(render, "_run_child", child)
    assert render._run_last(["dot", "-Tpng"], b"digraph {", ["png"], 10, "/tmp")[0] == 1
    assert render._run_last(["dot", "-Tsvg"], b"digraph {", ["svg"], 10, "/tmp")[0] == 1
    assert calls == [True, False]  # SVG alone: no library
