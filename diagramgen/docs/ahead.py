"""Overlays made ahead: the migrations' overlay SVGs drawn in a background thread while
the caller does something else first (make: render), and taken from there by
docs/overview.overlay_svg. The work that waits on dot then overlaps with the caller's.

This module is small and imports little: the caller enters ``overlays_ahead`` on its
own path, and its plan, which reads the groups and imports the overview code, runs in
the background thread.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Optional

# one entry per block of overlays_ahead: (the Future of its table {(id(old), id(new),
# caption, docs_href): (old, new, the Future of the SVG, or of None when not made)}, the
# Event it begins at); the models are held, so their ids stay theirs
_plans: list = []


def made_ahead(old, new, caption: str, docs_href: str) -> Optional[bytes]:
    """The overlay SVG of ``old`` to ``new`` with this caption and link as made ahead
    (waited for if it is not done yet; its error raised), or None when it was not."""
    key = (id(old), id(new), caption, docs_href)
    for plan, begin in list(_plans):
        begin.set()  # asked for: no longer waits for its signal
        entry = plan.result().get(key)
        if entry is not None and entry[0] is old and entry[1] is new:
            made = entry[2].result()
            if made is not None:
                return made
    return None


@contextlib.contextmanager
def overlays_ahead(plan, begin: Optional[threading.Event] = None):
    """While the block runs, one background thread calls ``plan()``, which returns
    (``draw``, the overlays to make as (old, new, caption, docs_href)), and makes them
    with ``draw(old, new, caption, docs_href)``, one after the other. With ``begin``, the
    thread starts once it is set, or once an overlay is asked for: Python's work in two
    threads takes turns, so work meant to overlap with a caller's waiting (on dot)
    begins when that does. An overlay that fails is reported where it is asked for (an
    error of one never asked for is not); a plan that fails makes nothing ahead. On
    leaving, the overlays not begun are dropped and the one being made is waited for."""
    from concurrent.futures import ThreadPoolExecutor

    leaving = threading.Event()
    if begin is None:
        begin = threading.Event()
        begin.set()

    def made(draw, old, new, caption, link):
        return None if leaving.is_set() else draw(old, new, caption, link)

    def table() -> dict:
        begin.wait()
        if leaving.is_set():
            return {}
        try:
            draw, jobs = plan()
        except Exception:  # each made where asked for, and an error reported there
            return {}
        out: dict = {}
        for old, new, caption, link in jobs:
            key = (id(old), id(new), caption, link)
            if key not in out and not leaving.is_set():
                out[key] = (old, new, pool.submit(made, draw, old, new, caption, link))
        return out

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="diagramgen-overlays") as pool:
        planned = pool.submit(table)
        _plans.append((planned, begin))
        try:
            yield
        finally:
            _plans.remove((planned, begin))
            leaving.set()
            begin.set()
            if not planned.cancel():
                for entry in planned.result().values():
                    entry[2].cancel()
