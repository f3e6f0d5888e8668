"""The model stage: architecture files become a validated, frozen model.

``loader`` reads YAML into positioned nodes, ``schema`` declares the format, ``catalog``
and ``settings`` say which component kinds and wording a repository has, ``validate``
checks everything and builds the dataclasses of ``architecture``, which this package
re-exports, and ``project`` loads a whole folder of architecture files. ``iconfiles``
checks icon files and resolves an icon spec to the file to draw (a ``diagrams`` library
icon is found from the library's source, without importing it), and ``scaffold`` makes
the files of ``diagramgen new``.
"""
from diagramgen.model.architecture import Architecture, Area, Component, DocsCheck, Flow, Sequence, Step, letters

__all__ = ["Architecture", "Area", "Component", "DocsCheck", "Flow", "Sequence", "Step", "letters"]
