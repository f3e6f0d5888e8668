"""The model stage: architecture files become a validated, frozen model.

``loader`` reads YAML into positioned nodes, ``schema`` declares the format, ``catalog``
and ``settings`` say which component kinds and wording a repository has, ``validate``
checks everything and builds the dataclasses of ``architecture``, which this package
re-exports, and ``project`` loads a whole folder of architecture files. ``iconfiles``
checks icon files and resolves an icon spec to the file to draw (a ``diagrams`` library
icon is found from the library's source, without importing it), and ``scaffold`` makes
the files of ``diagramgen new``.
"""
import re
import sys

from diagramgen.model.architecture import Architecture, Area, Component, DocsCheck, Flow, Sequence, Step, letters

# PyYAML compiles one regular expression as it is imported: yaml.reader's test for the
# characters YAML does not allow, written as a negated class over all of Unicode, which
# takes about 5 ms of CPU to compile (over a third of importing PyYAML) in every command,
# though only its pure-Python reader uses it. The same test written as the class of the
# characters it finds compiles ten times faster; put in ``re``'s cache under PyYAML's
# pattern before PyYAML is first imported (only this stage imports it), it is what
# yaml.reader gets. Both find exactly the same characters (tests/test_bad_input.py).
_PYYAML_NON_PRINTABLE = "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010ffff]"  # yaml.reader's
_NON_PRINTABLE_FOUND = "[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uD800-\uDFFF\uFFFE\uFFFF]"
if "yaml" not in sys.modules and isinstance(getattr(re, "_cache", None), dict):
    re._cache.setdefault((str, _PYYAML_NON_PRINTABLE, 0), re.compile(_NON_PRINTABLE_FOUND))  # type: ignore[attr-defined]

__all__ = ["Architecture", "Area", "Component", "DocsCheck", "Flow", "Sequence", "Step", "letters"]
