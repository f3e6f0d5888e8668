"""Graphviz runs without starting Graphviz each time: one process per command, forked per run.

A ``dot`` process spends about 10 ms of CPU before it reads its graph: the system
starts the program and links its sixty-odd libraries, Graphviz loads its plugins and
the font configuration is read. A render runs Graphviz twice per banded diagram, and
``make`` after an edit four times. Within a ``session()`` (a command), the first run
starts one Graphviz process with the library built from _gvserver.c preloaded; that
process loads the libraries once and forks a copy of itself for each run, which runs
Graphviz's own ``main()`` with the run's arguments, input and folder (about 3 ms, a
one-node graph included). The copies write exactly what ``dot`` writes (the tests compare
both on every architecture); every copy is waited for, so its CPU time counts as this
process's children's, as a ``dot`` process's does.

``run`` serves a run, or returns None when it cannot: outside a session, where the
library was not built (no C compiler; not Linux), with ``DIAGRAMGEN_GRAPHVIZ_SERVER=0``
or ``DIAGRAMGEN_PURE_PYTHON=1``, when the environment changed since the server started,
for a program other than the ``dot`` (or its ``neato`` link) the server runs, or when
the server could not start or was refused the run before it began. The caller then
starts the process itself (render.py), as without this module. A run the server began
and lost (the server ended while it ran) is an error, not run twice.
"""
from __future__ import annotations

import contextlib
import functools
import os
import selectors
import subprocess
import sys
import threading
import time
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from typing import Optional

from diagramgen.diagnostics import Failure

ENV_SOCKET = "DIAGRAMGEN_GV_SERVER"  # read by _gvserver.c: the control socket's descriptor
ENV_FONTS = "DIAGRAMGEN_GV_FONTS"  # read by _gvserver.c: the fonts it makes ready, ";" between them
READY_WAIT = 60.0  # seconds the server may take to load its libraries (a loaded machine)
CLOSE_WAIT = 60.0  # seconds the server may take to end once its socket is closed

_lock = threading.Lock()
_sessions = 0  # open session() blocks
_server: Optional[_Server] = None
_refused = False  # the server could not start, or broke, in this session: no other is started


class ServerLost(Failure):
    """The server ended while a run it had begun was still going."""


def built_library(stem: str) -> Optional[str]:
    """The path of the library setup.py built from ``<stem>.c`` in this folder (Linux
    only: one preloaded into a Graphviz process), or None."""
    if not sys.platform.startswith("linux"):
        return None
    here = Path(__file__).parent
    for suffix in EXTENSION_SUFFIXES:
        path = here / f"{stem}{suffix}"
        if path.is_file():
            return str(path.resolve())
    return None


@functools.lru_cache(maxsize=1)
def library() -> Optional[str]:
    """The path of the library built from _gvserver.c, or None."""
    return built_library("_gvserver")


def enabled() -> bool:
    """Whether runs may be served: the library is there, is not turned off, and can be
    named in LD_PRELOAD."""
    lib = library()
    if lib is None or " " in lib or ":" in lib:
        return False
    if os.environ.get("DIAGRAMGEN_PURE_PYTHON"):
        return False
    return os.environ.get("DIAGRAMGEN_GRAPHVIZ_SERVER", "") not in ("0", "no", "false", "off")


@contextlib.contextmanager
def session():
    """While inside (blocks may nest), Graphviz runs may be served by one server,
    started at the first run; leaving the outermost block ends it and waits for it."""
    global _sessions, _server, _refused
    with _lock:
        _sessions += 1
    try:
        yield
    finally:
        with _lock:
            _sessions -= 1
            ending = _server if _sessions == 0 else None
            if _sessions == 0:
                _server, _refused = None, False
        if ending is not None:
            ending.close()


def run(args: list, data: bytes, timeout: float, cwd: Optional[str], png_rows: Optional[str],
        started=None, preload: Optional[str] = None, fonts=()) -> Optional[tuple]:
    """``(exit status, stdout, stderr)`` of ``args`` (a Graphviz command line) run by the
    server with ``data`` on its standard input in ``cwd``, or None when it is not served
    (see the module's docstring). ``png_rows``: the PNG row library the run must have
    preloaded (render.png_rows_library), or None for none; a run that writes PNG is
    served only by a server started with that same library. A server started for this
    run preloads ``preload`` (the PNG row library, so that the runs after it that write
    PNG are served too; the library changes nothing in a run that writes none), and makes
    ``fonts`` ready in advance (Pango font descriptions such as "DejaVu Sans 12": the
    fonts the runs' labels use; see _gvserver.c). ``started(handle)`` is
    called once the run is going, with a handle whose ``kill()`` stops it. The status
    is minus the signal's number for a run ended by a signal. Raises
    subprocess.TimeoutExpired after ``timeout`` seconds (the run is killed), and
    ServerLost."""
    server = _server_for(args[0], png_rows, any(a.startswith("-Tpng") for a in args), preload, fonts)
    if server is None:
        return None
    return server.run(args, data, timeout, os.path.abspath(cwd or os.getcwd()), started)


def _server_for(program: str, png_rows: Optional[str], writes_png: bool,
                preload: Optional[str], fonts=()) -> Optional[_Server]:
    global _server, _refused
    if not _sessions or _refused or not enabled():
        return None
    with _lock:
        if not _sessions or _refused:
            return None
        if _server is None or not _server.alive():
            if _server is not None:  # it broke: the rest of the session runs Graphviz itself
                _refused = True
                return None
            try:
                _server = _Server.start(program, preload, fonts)
            except OSError:
                _server = None
            if _server is None:
                _refused = True
                return None
        server = _server
    if not server.serves(program, png_rows, writes_png):
        return None
    return server


class _Handle:
    """A served run, as render.py's list of running Graphviz processes holds it."""

    def __init__(self, server: _Server, pid: int):
        self._server, self.pid, self.ended = server, pid, False

    def kill(self) -> None:
        if not self.ended:
            self._server.kill(self.pid)


class _Server:
    def __init__(self, proc, sock, program: str, png_rows: Optional[str], environ: dict):
        self.proc, self.sock = proc, sock
        self.program = os.path.realpath(program)
        self.png_rows, self.environ, self.owner = png_rows, environ, os.getpid()
        # no lock around the socket: each message is one send of a SOCK_SEQPACKET socket,
        # which the system keeps whole, and a lock could be held by the thread that a
        # signal handler killing the runs (render.stop_children) interrupts

    @classmethod
    def start(cls, program: str, png_rows: Optional[str], fonts=()) -> Optional[_Server]:
        """A server running ``program`` with the libraries preloaded and ``fonts`` made
        ready, ready; None if it did not say so."""
        import _socket  # not socket.py: its enums take about 1.5 ms to import, for nothing here

        environ = dict(os.environ)
        ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        try:
            env = dict(environ)
            preload = [library()] + ([png_rows] if png_rows else []) + \
                ([env["LD_PRELOAD"]] if env.get("LD_PRELOAD") else [])
            env["LD_PRELOAD"] = " ".join(p for p in preload if p)
            env[ENV_SOCKET] = str(theirs.fileno())
            env["LD_BIND_NOW"] = "1"  # the copies find every function resolved
            env[ENV_FONTS] = fonts_spec(fonts)
            proc = subprocess.Popen([program], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, pass_fds=[theirs.fileno()], env=env)
        except OSError:
            ours.close()
            return None
        finally:
            theirs.close()
        ours.settimeout(READY_WAIT)
        try:
            ready = ours.recv(1)
        except OSError:
            ready = b""
        if ready != b"R":  # no server in that program (the library did not take), or it failed
            ours.close()
            _end_process(proc)
            return None
        ours.settimeout(None)
        return cls(proc, ours, program, png_rows, environ)

    def alive(self) -> bool:
        return self.proc.poll() is None and self.owner == os.getpid()

    def serves(self, program: str, png_rows: Optional[str], writes_png: bool) -> bool:
        """Whether a run of ``program`` is the same here as in a process of its own."""
        if writes_png and png_rows != self.png_rows:
            return False
        return os.path.realpath(program) == self.program and os.environ == self.environ

    def kill(self, pid: int) -> None:
        """SIGKILL to run ``pid`` if the server has not reaped it (it cannot be another
        process by then)."""
        with contextlib.suppress(OSError):
            self.sock.send(f"K{pid}".encode())

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        _end_process(self.proc)

    def run(self, args: list, data: bytes, timeout: float, cwd: str, started) -> Optional[tuple]:
        import _socket

        deadline = time.monotonic() + timeout
        payload = b"\0".join(os.fsencode(x) for x in [cwd, *args]) + b"\0"
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        prog_r, prog_w = os.pipe()
        ours = [in_w, out_r, err_r, prog_r]
        try:
            try:
                passed = b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in (in_r, out_w, err_w, prog_w))
                self.sock.sendmsg([payload], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, passed)])
            except OSError:
                return None
            finally:
                for fd in (in_r, out_w, err_w, prog_w):
                    os.close(fd)
            return self._communicate(ours, data, deadline, timeout, started)
        finally:
            for fd in ours:
                with contextlib.suppress(OSError):
                    os.close(fd)
            ours.clear()

    def _communicate(self, fds: list, data: bytes, deadline: float, timeout: float, started) -> Optional[tuple]:
        """Write ``data`` to the run and read what it writes and what the server says of
        it, until all of them end; past ``deadline`` the run is killed."""
        in_w, out_r, err_r, prog_r = fds
        os.set_blocking(in_w, False)
        out: dict = {out_r: [], err_r: [], prog_r: []}
        handle = None
        view, written = memoryview(data), 0
        expired = killed = False
        with selectors.DefaultSelector() as sel:
            if data:
                sel.register(in_w, selectors.EVENT_WRITE)
            else:
                os.close(in_w)
                fds[0] = -1
            for fd in (out_r, err_r, prog_r):
                sel.register(fd, selectors.EVENT_READ)
            while sel.get_map():
                now = time.monotonic()
                if not expired and now >= deadline:
                    expired, deadline = True, now + CLOSE_WAIT  # then: for the server's word that it ended
                if expired and handle is not None and not killed:
                    handle.kill()
                    killed = True
                if expired and now >= deadline:
                    break
                for key, _ in sel.select(deadline - now):
                    fd = key.fd
                    if fd == in_w:
                        try:
                            written += os.write(in_w, view[written:written + 65536])
                        except BrokenPipeError:  # Graphviz stopped reading (an error): as communicate
                            written = len(data)
                        if written >= len(data):
                            sel.unregister(in_w)
                            os.close(in_w)
                            fds[0] = -1
                        continue
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        sel.unregister(fd)
                        continue
                    out[fd].append(chunk)
                    if fd == prog_r and handle is None:
                        progress = b"".join(out[prog_r])
                        if progress.startswith(b"E"):
                            return None  # refused before it began
                        if progress.startswith(b"P") and b"\n" in progress:
                            handle = _Handle(self, int(progress[1:progress.index(b"\n")]))
                            if started is not None:
                                started(handle)
        if handle is not None:
            handle.ended = True
        progress = b"".join(out[prog_r])
        if progress.startswith(b"E") or handle is None and not progress and not expired:
            return None  # refused, or the server ended before it began the run
        if expired:
            raise subprocess.TimeoutExpired(["dot"], timeout)
        status = next((int(line[1:]) for line in progress.split(b"\n") if line.startswith(b"S")), None)
        if status is None:
            raise ServerLost("the Graphviz server ended while a run was going")
        return status, b"".join(out[out_r]), b"".join(out[err_r])


def fonts_spec(fonts) -> str:
    """``fonts`` as _gvserver.c reads them: separated by ";", each without one (or a NUL
    byte, which no environment holds); those that are not are left out, as is what goes
    past the server's limit of 8191 bytes in all."""
    kept: list = []
    size = -1  # bytes so far, less the first separator
    for font in fonts:
        if not font or ";" in font or "\0" in font:
            continue
        size += 1 + len(font.encode("utf-8", "surrogateescape"))
        if size > 8191:
            break
        kept.append(font)
    return ";".join(kept)


def _end_process(proc) -> None:
    try:
        proc.wait(timeout=CLOSE_WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()

