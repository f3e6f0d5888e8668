"""The one part of the build pyproject.toml does not declare: two optional compiled parts.
Where they cannot be built (no C compiler), the install goes on without them and the
output is the same picture:

- diagramgen/draw/_routesearch.c: the band router's search compiled; without it
  diagramgen/draw/routes.py runs the same search in Python, with the same routes.
- diagramgen/draw/_pngrows.c (Linux only): preloaded into the Graphviz runs that write
  PNG so that libpng writes unfiltered rows (render.py, png_environment); without it
  Graphviz's PNG has the same pixels, in more bytes and more time.
- diagramgen/draw/_gvserver.c (Linux only): preloaded into one Graphviz process per
  command, which forks a copy of itself for each Graphviz run (graphvizserver.py);
  without it each run starts Graphviz anew, with the same output."""
import sys

from setuptools import Extension, setup

# no fused multiply-add: the compiled search must sum exactly as Python does
FLAGS = [] if sys.platform == "win32" else ["-ffp-contract=off"]

EXTENSIONS = [Extension("diagramgen.draw._routesearch", ["diagramgen/draw/_routesearch.c"],
                        extra_compile_args=FLAGS, optional=True)]
if sys.platform.startswith("linux"):
    EXTENSIONS.append(Extension("diagramgen.draw._pngrows", ["diagramgen/draw/_pngrows.c"],
                                libraries=["dl"], optional=True))
    EXTENSIONS.append(Extension("diagramgen.draw._gvserver", ["diagramgen/draw/_gvserver.c"],
                                libraries=["dl", "pthread"], optional=True))

setup(ext_modules=EXTENSIONS)
