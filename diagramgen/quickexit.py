"""Ending a finished command without tearing the interpreter down.

When a command has done its work, a normal exit has Python free every object it made
(modules, the model, parsed SVG trees, thread pools): about 20-35 ms of CPU for a render
of the four contact-center architectures, more than a tenth of the Python around dot.
None of that freeing is needed: the operating system takes the memory back.

``end(status)`` runs what a normal exit would run that does matter (the ``atexit``
handlers: logging's flush, ``weakref.finalize`` clean-ups such as a temporary folder
nobody removed) and flushes stdout and stderr, then ends the process at once with
``os._exit``. It falls back to the normal exit (``sys.exit``) whenever ending at once
could lose something:

- another thread is still running (a normal exit waits for it);
- flushing stdout or stderr fails (a closed pipe: a normal exit reports it and
  ends with status 120, as Python does);
- this Python has no way to run the ``atexit`` handlers first;
- the status is an int beyond 32 bits (status_of).

``DIAGRAMGEN_NORMAL_EXIT=1`` always exits the normal way (for tools that inspect the
interpreter as it shuts down).
"""
from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from typing import Callable, NoReturn, Optional


def status_of(code) -> Optional[int]:
    """What Python passes to the C library's ``exit()`` for ``SystemExit(code)``, which
    ``os._exit`` passes on the same way (the system keeps its low 8 bits on POSIX); a
    message (any other object) is printed to stderr by the caller and gives 1. None for
    an int beyond 32 bits: what Python makes of it depends on its version and the size
    of a C long (2**70 gives 255, not 0), so such a code takes the normal exit."""
    if code is None:
        return 0
    if isinstance(code, int):
        return int(code) if -2**31 <= code < 2**31 else None
    return 1


def can_end_at_once() -> bool:
    """Whether ``end`` may skip the interpreter's shutdown now."""
    if os.environ.get("DIAGRAMGEN_NORMAL_EXIT", "") not in ("", "0"):
        return False
    if not hasattr(atexit, "_run_exitfuncs"):
        return False
    return threading.active_count() == 1


def end(code=0) -> NoReturn:
    """Exit with ``code`` (what ``sys.exit`` takes): at once when nothing can be lost,
    else the normal way."""
    if not can_end_at_once() or status_of(code) is None:
        sys.exit(code)
    if code is not None and not isinstance(code, int):
        try:
            print(code, file=sys.stderr)
        except Exception:
            sys.exit(code)
        code = 1
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:
        sys.exit(code)  # the normal exit reports the failure and its status
    if threading.active_count() != 1:  # an atexit handler started a thread
        sys.exit(code)
    os._exit(status_of(code) or 0)


# Allocations (of objects that can hold others) between two collections of the youngest
# generation: Python 3.11's default is 700.
YOUNG_THRESHOLD = 100_000


def fewer_collections() -> None:
    """Collect the youngest generation every YOUNG_THRESHOLD allocations instead of 700.

    A command makes most of its objects to keep them until it ends (the model, the
    scene, parsed SVG trees), and frees few in cycles, so most of the collector's
    frequent passes over the young objects find nothing to free: about 8 ms of CPU
    in a render of the four contact-center architectures. Cycles are still collected,
    only in larger batches. The older generations keep their thresholds.
    ``DIAGRAMGEN_GC_DEFAULT=1`` leaves the collector as Python set it."""
    if os.environ.get("DIAGRAMGEN_GC_DEFAULT", "") not in ("", "0"):
        return
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)


def prepare() -> None:
    """What a command sets before its modules are imported, so that their import gains
    from it too: the collector's youngest generation collected less often
    (fewer_collections), and the methods of dataclasses and the programs of regular
    expressions compiled once and kept (methodcache.install, regexcache.install). Each
    is done once per process."""
    from diagramgen import methodcache, regexcache

    fewer_collections()
    methodcache.install()
    regexcache.install()


def run(main: Callable[[], object]) -> NoReturn:
    """Call ``main`` (a click command in standalone mode, which ends by raising
    SystemExit, or a function returning an exit status) and ``end`` with its status.
    Any other exception propagates, and Python ends the normal way. The command runs
    prepared (prepare)."""
    prepare()
    try:
        result = main()
    except SystemExit as exc:
        end(exc.code)
    end(result)
