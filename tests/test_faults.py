"""Faults outside the input: Graphviz missing, failing or killed, a full disk, a read-only
output directory, two renders at once. Each ends with a one-line error and a non-zero
exit status, and the previous outputs stay byte-for-byte as they were."""
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.draw import render

from conftest import ARCH_DIR, ROOT, snapshot

PREMIUM = str(ARCH_DIR / "premium.yaml")
NO_BANDS = str(ARCH_DIR / "field-service-sap.yaml")  # no foundation bands: one dot run


@pytest.fixture
def out(tmp_path) -> Path:
    """An output directory holding the outputs of an earlier render."""
    d = tmp_path / "out"
    d.mkdir()
    (d / "premium.svg").write_bytes(b"<svg>earlier render</svg>")
    (d / "premium.png").write_bytes(b"\x89PNG earlier render")
    return d


def fake_dot(tmp_path, monkeypatch, script: str) -> None:
    """Put a fake ``dot`` (a shell script) first and alone on PATH."""
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    exe = bindir / "dot"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))


def run_render(out, *extra, arch=None):
    return CliRunner().invoke(main, ["render", arch or PREMIUM, "--out", str(out), *extra])


def assert_failed_cleanly(result, out, before, message):
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [message]
    assert result.stdout == ""
    assert snapshot(out) == before


def test_dot_missing(tmp_path, monkeypatch, out):
    before = snapshot(out)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert_failed_cleanly(run_render(out), out, before, "error: " + render.INSTALL_HINT)


def test_dot_exits_non_zero(tmp_path, monkeypatch, out):
    fake_dot(tmp_path, monkeypatch, 'echo "Warning: something odd" >&2\n'
                                    'echo "Error: <stdin>: syntax error in line 3 near \']\'" >&2\nexit 1\n')
    before = snapshot(out)
    assert_failed_cleanly(run_render(out), out, before,
                          "error: Graphviz dot failed: Error: <stdin>: syntax error in line 3 near ']'")


def test_dot_killed_mid_render(tmp_path, monkeypatch, out):
    # writes half an SVG where it was told to, then dies as if killed by the OOM killer
    fake_dot(tmp_path, monkeypatch, 'while [ "$#" -gt 0 ]; do [ "$1" = -o ] && printf "<svg><g>" > "$2"; shift; done\n'
                                    'kill -9 $$\n')
    before = snapshot(out)
    assert_failed_cleanly(run_render(out), out, before,
                          "error: Graphviz dot was killed by SIGKILL before it finished; nothing was written")


def test_dot_writes_no_output(tmp_path, monkeypatch, out):
    fake_dot(tmp_path, monkeypatch, "exit 0\n")
    before = snapshot(out)
    # an architecture without foundation bands: one dot run writes the files
    assert_failed_cleanly(run_render(out, "--format", "svg", arch=NO_BANDS), out, before,
                          "error: Graphviz dot wrote no svg output")


def test_dot_writes_no_layout_for_the_bands(tmp_path, monkeypatch, out):
    # premium has foundation bands: the first pass's JSON layout is missing
    fake_dot(tmp_path, monkeypatch, "exit 0\n")
    before = snapshot(out)
    assert_failed_cleanly(run_render(out, "--format", "svg"), out, before,
                          "error: Graphviz dot wrote no usable layout (JSON); nothing was written")


# dot's JSON for the bands' first pass: not JSON; one object where two are written; two
# lists; the real layout with every position made unreadable (a key there, ill-formed)
_MANGLE = r's/"pos": "[^"]*"/"pos": "nowhere"/g'


@pytest.mark.dot
@pytest.mark.parametrize("json_out", ['printf \'{"objects": [\'', "printf '{}'", "printf '[] []'", "mangled"])
def test_dot_writes_an_unusable_layout_for_the_bands(tmp_path, monkeypatch, out, json_out):
    import shutil

    real, sed = shutil.which("dot"), shutil.which("sed")
    if json_out == "mangled":
        json_out = f'"{real}" "$@" | "{sed}" \'{_MANGLE}\''
    fake_dot(tmp_path, monkeypatch, f'if [ "$1" = -Tjson ]; then {json_out}; exit 0; fi\nexec "{real}" "$@"\n')
    before = snapshot(out)
    assert_failed_cleanly(run_render(out, "--format", "svg"), out, before,
                          "error: Graphviz dot wrote no usable layout (JSON); nothing was written")


@pytest.mark.dot
def test_a_fault_in_placing_the_bands_is_not_reported_as_graphvizs(monkeypatch, out):
    from diagramgen.draw import bands

    def placing_fault(source, layout):
        assert isinstance(layout, tuple) and "objects" in layout[0]  # dot's layout was read
        return {}["a fault of the placing"]

    monkeypatch.setattr(bands, "placed_source", placing_fault)
    before = snapshot(out)
    result = run_render(out, "--format", "svg")
    assert isinstance(result.exception, KeyError) and result.exception.args == ("a fault of the placing",)
    assert snapshot(out) == before


@pytest.mark.dot
def test_disk_full_while_writing(monkeypatch, out):
    real_fdopen = os.fdopen
    calls = []

    class FullDisk:
        """A file that takes half the data, then fails as a full disk does."""

        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fdopen(fd, mode="r", *a, **kw):
        calls.append(fd)
        fh = real_fdopen(fd, mode, *a, **kw)
        return FullDisk(fh) if len(calls) == 2 else fh  # the second file (png) fails

    monkeypatch.setattr(render.os, "fdopen", fdopen)
    before = snapshot(out)
    assert_failed_cleanly(run_render(out), out, before,
                          f"error: cannot write {out / 'premium.png'}: No space left on device")
    assert len(calls) == 2  # the svg was written in full, then discarded with the png


@pytest.fixture
def read_only_out(tmp_path):
    """A read-only output directory holding an earlier render, and the error it gives.

    chmod does not stop root, so as root the directory is a read-only bind mount (or,
    where mounting is not allowed, made immutable with chattr)."""
    src = tmp_path / "ro"
    src.mkdir()
    (src / "premium.svg").write_bytes(b"<svg>earlier render</svg>")
    if os.geteuid() != 0:
        src.chmod(0o555)
        yield src, "Permission denied"
        src.chmod(0o755)
        return
    mnt = tmp_path / "ro-mount"
    mnt.mkdir()
    if subprocess.run(["mount", "--bind", "-o", "ro", str(src), str(mnt)], capture_output=True).returncode == 0:
        try:
            yield mnt, "Read-only file system"
        finally:
            subprocess.run(["umount", str(mnt)], check=True)
    elif subprocess.run(["chattr", "+i", str(src)], capture_output=True).returncode == 0:
        try:
            yield src, "Operation not permitted"
        finally:
            subprocess.run(["chattr", "-i", str(src)], check=True)
    else:
        pytest.skip("running as root and neither a read-only bind mount nor chattr +i is allowed here")


@pytest.mark.dot
def test_read_only_output_directory(read_only_out):
    out, reason = read_only_out
    before = snapshot(out)
    assert_failed_cleanly(run_render(out), out, before, f"error: cannot write {out / 'premium.svg'}: {reason}")


@pytest.mark.dot
def test_two_renders_at_once_leave_complete_files(tmp_path):
    files = [str(ARCH_DIR / "premium.yaml"), str(ARCH_DIR / "enterprise.yaml")]
    reference = tmp_path / "reference"
    one = subprocess.run([sys.executable, "-m", "diagramgen", "render", *files, "--out", str(reference), "--no-steps"],
                         cwd=ROOT, capture_output=True, timeout=120)
    assert one.returncode == 0, one.stderr
    shared = tmp_path / "shared"
    procs = [subprocess.Popen([sys.executable, "-m", "diagramgen", "render", *files, "--out", str(shared),
                               "--no-steps"],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert snapshot(shared) == snapshot(reference)  # no temporary files, every file whole
    assert sorted(os.listdir(shared)) == ["enterprise.html", "enterprise.png", "enterprise.svg", "manifest.json",
                                          "premium.html", "premium.png", "premium.svg"]


def test_dot_writes_a_garbage_png(tmp_path, monkeypatch, out):
    fake_dot(tmp_path, monkeypatch, 'while [ "$#" -gt 0 ]; do [ "$1" = -o ] && printf "not a png" > "$2"; shift; done\n'
                                    'exit 0\n')
    before = snapshot(out)
    assert_failed_cleanly(run_render(out, "--format", "png", "--no-steps", arch=NO_BANDS), out, before,
                          "error: Graphviz dot's PNG output is not a complete PNG image; nothing was written")


def test_dot_writes_an_svg_without_a_viewbox(tmp_path, monkeypatch, out):
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><g id="graph0" class="graph"><title>x</title></g></svg>'
    fake_dot(tmp_path, monkeypatch, 'while [ "$#" -gt 0 ]; do [ "$1" = -o ] && printf \'%s\' '
                                    f"'{svg}'" ' > "$2"; shift; done\nexit 0\n')
    before = snapshot(out)
    assert_failed_cleanly(run_render(out, "--format", "svg", arch=NO_BANDS), out, before,
                          f"error: {NO_BANDS}: Graphviz wrote SVG without a usable viewBox (None)")


def test_sigterm_stops_dot_and_leaves_no_temporary_files(tmp_path, out):
    """SIGTERM to render (as CI sends on cancel) kills the dot it started and removes the
    temporary folder; the previous outputs stay. A FIFO tells the test dot is running."""
    import signal

    fifo = tmp_path / "dot-started"
    os.mkfifo(fifo)
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    (bindir / "dot").write_text(f'#!/bin/sh\necho $$ > "{fifo}"\nexec sleep 600\n')
    (bindir / "dot").chmod(0o755)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "TMPDIR": str(tmp)}
    before = snapshot(out)
    proc = subprocess.Popen([sys.executable, "-m", "diagramgen", "render", PREMIUM, "--out", str(out), "-j", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(fifo) as fh:  # blocks until the fake dot has started
        dot_pid = int(fh.read().strip())
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert b"Traceback" not in err
    with pytest.raises(ProcessLookupError):
        os.kill(dot_pid, 0)
    assert list(tmp.iterdir()) == []
    assert snapshot(out) == before


def stopped_render_setup(tmp_path, monkeypatch):
    """For a SIGTERM sent from inside the test process: a fake dot that writes its process
    id to a FIFO and then sleeps, temporary files in a folder of their own, and a fresh
    stop state (the signal's handler leaves it set). Returns (the FIFO, that folder)."""
    import shutil
    import tempfile
    import threading

    fifo = tmp_path / "dot-started"
    os.mkfifo(fifo)
    fake_dot(tmp_path, monkeypatch, f'echo $$ > "{fifo}"\nexec {shutil.which("sleep")} 600\n')
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    monkeypatch.setattr(render, "_stopping", threading.Event())
    return fifo, tmp


def assert_stopped_cleanly(result, dot_pid, tmp, out, before):
    import signal

    assert result.exit_code == 128 + signal.SIGTERM, result.output
    assert result.stderr == ""
    with pytest.raises(ProcessLookupError):
        os.kill(dot_pid, 0)
    assert list(tmp.iterdir()) == []
    assert snapshot(out) == before


def test_sigterm_whose_exit_is_swallowed_still_ends_with_its_status(tmp_path, monkeypatch, out):
    """The SIGTERM handler raises SystemExit wherever the main thread is, and code that
    catches every exception can swallow it (Cython's module set-up, run when lxml.etree is
    first imported, has a bare except). The render must still end with 128 + SIGTERM, not
    with status 1 on the failure of the dot the handler killed. Here the signal comes,
    while dot runs, inside such an ``except``."""
    import signal

    from diagramgen.draw import svg

    fifo, tmp = stopped_render_setup(tmp_path, monkeypatch)
    real_prepare, dot_pid = svg.prepare_icons, []

    def prepare_icons(sizes):  # the main thread's work while dot runs
        with open(fifo) as fh:  # until the fake dot has started
            dot_pid.append(int(fh.read()))
        try:
            signal.raise_signal(signal.SIGTERM)  # the handler runs in here
        except BaseException:  # what a bare except does
            pass
        real_prepare(sizes)

    monkeypatch.setattr(svg, "prepare_icons", prepare_icons)
    before = snapshot(out)
    assert_stopped_cleanly(run_render(out, "-j", "1"), dot_pid[0], tmp, out, before)


@pytest.mark.dot
def test_sigterm_swallowed_after_dot_finished_writes_nothing(tmp_path, monkeypatch, out):
    """The same lost SystemExit once dot has finished: the render goes on to the end of
    its work but writes nothing, and ends with 128 + SIGTERM."""
    import signal
    import tempfile
    import threading

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(render, "_stopping", threading.Event())
    real_finish = render._finish

    def finish(*args):  # the main thread, once dot's files are there
        try:
            signal.raise_signal(signal.SIGTERM)
        except BaseException:  # what a bare except does
            pass
        return real_finish(*args)

    monkeypatch.setattr(render, "_finish", finish)
    before = snapshot(out)
    result = run_render(out, "--format", "svg", "--no-steps")
    assert result.exit_code == 128 + signal.SIGTERM, result.output
    assert result.stderr == ""
    assert snapshot(out) == before


def test_sigterm_taken_by_another_thread_while_waiting_for_dot(tmp_path, monkeypatch, out):
    """The kernel may give SIGTERM to any thread of the process, and Python runs its
    handler in the main thread only. When another thread takes it while the main thread
    waits for a layout, the handler must still run then (not when dot ends by itself,
    which a hung dot never does). Here a thread of the test sends it to itself once the
    main thread has begun to wait for dot: the main thread gives the GIL up only as it
    blocks in that wait (the switch interval is made longer than the test), so the
    signal cannot be seen on the way there."""
    import signal
    import sys
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    fifo, tmp = stopped_render_setup(tmp_path, monkeypatch)
    futures, dot_pid, stopped_first = [], [], []
    real_submit = ThreadPoolExecutor.submit

    def submit(pool, *args, **kwargs):
        futures.append(real_submit(pool, *args, **kwargs))
        return futures[-1]

    monkeypatch.setattr(ThreadPoolExecutor, "submit", submit)
    stopped = threading.Event()
    real_stop = render.stop_children

    def stop_children():
        stopped.set()
        real_stop()

    monkeypatch.setattr(render, "stop_children", stop_children)

    def send():
        try:
            with open(fifo) as fh:  # until the fake dot has started
                dot_pid.append(int(fh.read()))
            # until the main thread waits for dot's future (submit may not have returned yet)
            while not futures or not (futures[0]._waiters or futures[0]._condition._waiters):
                time.sleep(0)  # gives the GIL back
            signal.pthread_kill(threading.get_ident(), signal.SIGTERM)
            stopped_first.append(stopped.wait(60))
        finally:
            if not stopped.is_set():  # end dot, or the render waits for its 600 s
                os.kill(dot_pid[0], signal.SIGKILL)

    sender = threading.Thread(target=send)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1000)
    try:
        sender.start()
        before = snapshot(out)
        result = run_render(out, "-j", "1")
    finally:
        sys.setswitchinterval(interval)
        sender.join()
    assert stopped_first == [True]  # the render stopped dot, not the test
    assert_stopped_cleanly(result, dot_pid[0], tmp, out, before)


def test_temporary_files_of_a_killed_render_are_removed_by_the_next(tmp_path, monkeypatch, out):
    """A render killed with SIGKILL cannot clean up; the next one removes what it left
    (temporary names carry the writer's process id), and keeps a live writer's files."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)  # a process that has exited
    left = out / f".premium.svg.{dead_pid}.abc123_x.tmp"
    left.write_bytes(b"<svg>half")
    live = out / f".premium.png.{os.getppid()}.def456.tmp"  # the test runner's parent is alive
    live.write_bytes(b"in progress")
    from diagramgen.files import write_outputs

    write_outputs(out, {"note.txt": b"x"})
    assert not left.exists() and live.exists()


@pytest.mark.dot
def test_disk_full_part_way_changes_no_architecture_and_not_the_manifest(monkeypatch, tmp_path):
    """Two architectures: the first one's files are complete when the disk fills up on
    the second's. Nothing is replaced and the manifest stays as it was."""
    out = tmp_path / "out"
    files = [str(ARCH_DIR / "premium.yaml"), str(ARCH_DIR / "enterprise.yaml")]
    first = CliRunner().invoke(main, ["render", *files, "--out", str(out), "--format", "svg", "--no-steps"])
    assert first.exit_code == 0, first.output
    for p in out.iterdir():
        if p.suffix == ".svg":
            p.write_bytes(b"<svg>earlier render</svg>")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["architectures"].values():
        entry["render"]["inputs"]["diagramgen/model/catalog.yaml"] = "0" * 64  # both are stale
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    real_fdopen, calls = os.fdopen, []

    def fdopen(fd, mode="r", *a, **kw):
        calls.append(fd)
        if len(calls) == 2:  # the second architecture's SVG
            os.close(fd)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fdopen(fd, mode, *a, **kw)

    monkeypatch.setattr(render.os, "fdopen", fdopen)
    before = snapshot(out)
    result = CliRunner().invoke(main, ["render", *files, "--out", str(out), "--format", "svg", "--no-steps"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"error: cannot write {out / 'enterprise.svg'}: No space left on device"]
    assert snapshot(out) == before


def test_dot_folders_of_a_killed_render_are_removed(tmp_path, monkeypatch, out):
    from diagramgen.draw import render as r

    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True).stdout)
    tmp = tmp_path / "tmp"
    (tmp / f"diagramgen-dot-{dead}-abc_1").mkdir(parents=True)
    (tmp / f"diagramgen-dot-{dead}-abc_1" / "out.svg").write_text("half")
    (tmp / f"diagramgen-dot-{os.getppid()}-live").mkdir()
    monkeypatch.setattr(r.tempfile, "tempdir", str(tmp))
    monkeypatch.setattr(r, "_cleaned_dot_folders", r.threading.Event())
    fake_dot(tmp_path, monkeypatch, "exit 3\n")
    with pytest.raises(r.RenderError):
        r.run_dot("digraph {}", ["svg"])
    assert sorted(p.name for p in tmp.iterdir()) == [f"diagramgen-dot-{os.getppid()}-live"]


def test_icons_are_hard_linked_where_dot_runs_else_symlinked_else_copied(tmp_path, monkeypatch):
    from diagramgen import files

    icon = tmp_path / "icon.png"
    icon.write_bytes(b"\x89PNG icon")
    assert files.link_or_copy(icon, tmp_path / "hard.png")
    assert (tmp_path / "hard.png").stat().st_ino == icon.stat().st_ino and not (tmp_path / "hard.png").is_symlink()

    def refuse(*args, **kwargs):
        raise OSError(errno.EXDEV, "another file system")

    monkeypatch.setattr(os, "link", refuse)
    assert files.link_or_copy(icon, tmp_path / "soft.png")
    assert os.readlink(tmp_path / "soft.png") == str(icon)
    monkeypatch.setattr(os, "symlink", refuse)
    assert files.link_or_copy(icon, tmp_path / "copy.png")
    assert not (tmp_path / "copy.png").is_symlink() and (tmp_path / "copy.png").read_bytes() == icon.read_bytes()
    assert (tmp_path / "copy.png").stat().st_ino != icon.stat().st_ino
    assert not files.link_or_copy(tmp_path / "missing.png", tmp_path / "none.png")


@pytest.mark.parametrize("way", ["hard", "soft", "copy"])
def test_an_icon_link_that_exists_is_replaced_not_written_through(tmp_path, monkeypatch, way):
    # A folder that already holds a link to another icon under the same short name (a
    # folder used again, as the benchmark's is): the other icon must stay as it was.
    from diagramgen import files

    icon, other = tmp_path / "icon.png", tmp_path / "other.png"
    icon.write_bytes(b"\x89PNG icon")
    other.write_bytes(b"\x89PNG the other icon")
    target = tmp_path / "_icon_0.png"
    os.link(other, target)

    def refuse(*args, **kwargs):
        raise OSError(errno.EXDEV, "another file system")

    if way in ("soft", "copy"):
        monkeypatch.setattr(os, "link", refuse)
    if way == "copy":
        monkeypatch.setattr(os, "symlink", refuse)
    assert files.link_or_copy(icon, target)
    assert target.read_bytes() == b"\x89PNG icon"
    assert other.read_bytes() == b"\x89PNG the other icon"


def test_the_manifest_is_read_and_written_while_its_folder_is_locked(tmp_path, monkeypatch):
    """Two renders (or a render and docs) into one folder take turns over manifest.json:
    its read and its write happen while the folder is locked, which another process's
    lock attempt sees (a non-blocking flock from another open file description fails)."""
    fcntl = pytest.importorskip("fcntl")
    from diagramgen import files
    from diagramgen.publish import manifest as M

    seen = []

    def probe(what):
        fd = os.open(tmp_path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            seen.append(f"{what}: free")
        except BlockingIOError:
            seen.append(f"{what}: locked")
        finally:
            os.close(fd)

    real_read, real_write = M.read, files.write_atomic
    monkeypatch.setattr(M, "read", lambda path: probe("read") or real_read(path))
    monkeypatch.setattr(files, "write_atomic", lambda path, data: probe("write") or real_write(path, data))
    path = tmp_path / "manifest.json"
    assert M.update_file(str(path), "render", []) is True
    assert seen == ["read: locked", "write: locked"]
    probe("after")
    assert seen[-1] == "after: free"
    assert path.is_file()
