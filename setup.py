"""The one part of the build pyproject.toml does not declare: the band router's search
compiled (diagramgen/draw/_routesearch.c). It is optional: where it cannot be built (no C
compiler), the install goes on and diagramgen/draw/routes.py runs the same search in
Python, with the same routes."""
import sys

from setuptools import Extension, setup

# no fused multiply-add: the compiled search must sum exactly as Python does
FLAGS = [] if sys.platform == "win32" else ["-ffp-contract=off"]

setup(ext_modules=[Extension("diagramgen.draw._routesearch", ["diagramgen/draw/_routesearch.c"],
                             extra_compile_args=FLAGS, optional=True)])
