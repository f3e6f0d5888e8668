"""The publish stage: the only code that writes or deletes files.

``files`` writes atomically and removes outputs, ``manifest`` records inputs and
outputs (the render cache and ``check-outputs``), ``overviews`` does the same for the
group overview pages, ``outputs`` runs a render into a folder, and ``site`` turns the
docs folder into a self-contained site source.
"""
