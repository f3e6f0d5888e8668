"""The draw stage: a model becomes pictures.

``scene`` turns the model into DOT through the ``diagrams`` library (the only module of
the package that imports it), ``render`` runs Graphviz's ``dot`` once per architecture,
``svg`` makes dot's SVG self-contained and cuts the step views from it, ``viewer`` wraps
it in the offline zoomable page, ``theme`` holds every colour, font and tooltip wording,
and ``quality`` reads readability figures back from a rendered SVG. Nothing here writes
an output: functions return the bytes, and ``publish`` writes them.
"""
