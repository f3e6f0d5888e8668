"""diagramgen: reference architectures as code.

Library entry points return values and write nothing by themselves, except
:func:`diagramgen.publish.files.write_outputs`, which writes where it is told.
"""
__version__ = "0.1.0"
