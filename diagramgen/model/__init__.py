"""The model stage: architecture files become a validated, frozen model.

``loader`` reads YAML into positioned nodes, ``schema`` declares the format, ``catalog``
and ``settings`` say which component kinds and wording a repository has, ``validate``
checks everything and builds the dataclasses of ``architecture``, which this package
re-exports, and ``project`` loads a whole folder of architecture files.
"""
from diagramgen.model.architecture import Architecture, Area, Component, DocsCheck, Flow, Sequence, Step, letters

__all__ = ["Architecture", "Area", "Component", "DocsCheck", "Flow", "Sequence", "Step", "letters"]
