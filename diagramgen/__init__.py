"""diagramgen: reference architectures as code.

The stage packages run in this order, and each imports only from itself and the ones
before it: ``model`` (files to a validated model), ``draw`` (DOT, SVG, PNG, viewer; the
only one that imports the ``diagrams`` library), ``diff``, ``docs`` and ``publish`` (the
only code that writes or deletes outputs). ``cli``, ``makeall``, ``watch`` and ``clidoc``
sit on top; ``diagnostics``, ``ids`` (anchors, element ids, docs links), ``markdown``
(escaping), ``cache`` (the icon disk cache) and ``tempfiles`` are shared by all of them.
tests/test_layers.py checks the order.

Library entry points return values. Outputs are written only by ``publish``
(:func:`diagramgen.publish.files.write_outputs` and ``write_atomic``, where told);
besides, icons are cached on disk (``cache.py``) and SVG icons rasterised into a
private temporary folder.
"""
__version__ = "0.1.0"
