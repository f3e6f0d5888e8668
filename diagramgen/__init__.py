"""diagramgen: reference architectures as code.

The stage packages run in this order, and each imports only from itself and the ones
before it: ``model`` (files to a validated model), ``draw`` (DOT, SVG, PNG, viewer; the
only one that imports the ``diagrams`` library), ``diff``, ``docs`` and ``publish`` (what
is written where). ``cli``, ``makeall``, ``watch`` and ``clidoc``
sit on top; ``diagnostics``, ``ids`` (anchors, element ids, docs links), ``markdown``
(escaping), ``cache`` (the icon disk cache) and ``files`` (the one module that writes or
deletes files) are shared by all of them.
tests/test_layers.py checks the order.

Library entry points return values. Files are written only through ``files``: outputs
where ``publish`` or a command says (``write_outputs``, ``write_atomic``), the icon disk
cache (``store``) and temporary folders.
"""
__version__ = "0.1.0"
