"""The exit that skips the interpreter's teardown (diagramgen/quickexit.py).

Each case runs a small program in a fresh Python. Which way it ended shows in a global
object's ``__del__``: the normal exit frees the object and prints ``freed``, the quick
exit does not (with no other thread about, the normal exit frees it every time). Everything a command made visible (its output, atexit handlers, the exit
status) must be the same either way.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from diagramgen.quickexit import status_of

PRELUDE = textwrap.dedent("""\
    import sys
    from diagramgen.quickexit import run

    class Witness:
        def __del__(self):
            sys.stderr.write("freed\\n")

    witness = Witness()
    """)


def program(body: str, env_normal: bool = False, stdin=None, stdout=subprocess.PIPE):
    env = dict(os.environ)
    env.pop("DIAGRAMGEN_NORMAL_EXIT", None)
    if env_normal:
        env["DIAGRAMGEN_NORMAL_EXIT"] = "1"
    return subprocess.Popen([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], env=env,
                            stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)


def finish(proc, data: bytes = b""):
    out, err = proc.communicate(data, timeout=120)
    return proc.returncode, out, err.decode()


@pytest.mark.parametrize("normal", [False, True])
def test_status_output_and_atexit_handlers_are_kept(normal, tmp_path):
    marker = tmp_path / "finalized"
    body = f"""\
        import atexit, tempfile, weakref
        kept = tempfile.TemporaryDirectory()  # never cleaned up explicitly
        open(kept.name + "/f", "w").close()
        atexit.register(lambda: sys.stderr.write("atexit ran\\n"))
        def main():
            sys.stdout.write("x" * 200000)  # more than a pipe buffer, not flushed
            open({str(marker)!r}, "w").write(kept.name)
            return 3
        run(main)
        """
    code, out, err = finish(program(body, env_normal=normal))
    assert code == 3
    assert out == b"x" * 200000
    assert "atexit ran\n" in err
    assert not os.path.exists(marker.read_text())  # the finalizer removed the folder
    assert ("freed" in err) is normal  # the quick exit skipped the teardown


@pytest.mark.parametrize("raised, status, message", [
    ("SystemExit()", 0, ""),
    ("SystemExit(0)", 0, ""),
    ("SystemExit(1)", 1, ""),
    ("SystemExit(258)", 2, ""),
    ("SystemExit('error: stopped')", 1, "error: stopped\n"),
    ("SystemExit(-1)", 255, ""),
    ("SystemExit(2**32 + 3)", 3, ""),
    # beyond what C's exit() takes: Python ends with status 255 (-1), not the low bits
    ("SystemExit(2**70)", 255, ""),
    ("SystemExit(-2**70)", 255, ""),
])
def test_system_exit_gives_the_status_python_gives(raised, status, message):
    def outcome(normal):
        code, _, err = finish(program(f"""\
            def main():
                raise {raised}
            run(main)
            """, env_normal=normal))
        return code, err.replace("freed\n", "")

    assert outcome(False) == outcome(True) == (status, message)


def test_a_running_thread_makes_it_exit_the_normal_way():
    proc = program("""\
        import threading
        def late():
            sys.stdin.read()
            print("late", flush=True)
        threading.Thread(target=late).start()
        counted = threading.active_count
        def counting():  # says when the exit has looked at the threads
            n = counted()
            print(f"threads {n}", flush=True)
            return n
        threading.active_count = counting
        run(lambda: 0)
        """, stdin=subprocess.PIPE)
    assert proc.stdout.readline() == b"threads 2\n"  # the other thread waits for stdin
    code, out, _ = finish(proc, b"go")  # an exit at once would have ended before the thread read it
    assert (code, out) == (0, b"late\n")


def test_an_exception_propagates_and_python_exits_as_usual():
    code, _, err = finish(program("""\
        def main():
            raise ValueError("boom")
        run(main)
        """))
    assert code == 1
    assert "ValueError: boom" in err and "freed" in err


@pytest.mark.skipif(os.name != "posix", reason="a closed pipe as stdout")
def test_a_closed_stdout_fails_as_with_the_normal_exit():
    def outcome(normal):
        r, w = os.pipe()
        os.close(r)
        try:
            proc = program("""\
                def main():
                    sys.stdout.write("lost")
                    return 0
                run(main)
                """, env_normal=normal, stdout=w)
        finally:
            os.close(w)
        code, _, err = finish(proc)
        return code, "BrokenPipeError" in err

    quick, normal = outcome(False), outcome(True)
    assert quick == normal
    assert quick[0] != 0 and quick[1]


def test_status_of_is_what_python_passes_to_exit_and_the_system_truncates():
    # the operating system keeps the low 8 bits on POSIX (the cases above), all of them on
    # Windows; an int beyond 32 bits is left to the normal exit (None here)
    assert [status_of(c) for c in (None, 0, 1, 255, 256, 257, -1, True, "message", 2**31 - 1, -2**31, 2**31,
                                   -2**31 - 1, 2**70)] == [0, 0, 1, 255, 256, 257, -1, 1, 1, 2**31 - 1, -2**31,
                                                           None, None, None]


def test_the_console_script_skips_the_teardown(tmp_path):
    """``python -m diagramgen`` ends through quickexit: a command's output and status as
    before (here a failed validate), and no teardown (an object's ``__del__`` installed
    by a ``sitecustomize`` does not run)."""
    (tmp_path / "sitecustomize.py").write_text(PRELUDE.replace("from diagramgen.quickexit import run\n", ""))
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    env.pop("DIAGRAMGEN_NORMAL_EXIT", None)
    quick = subprocess.run([sys.executable, "-m", "diagramgen", "validate", str(bad)], env=env,
                           capture_output=True, text=True, timeout=120)
    normal = subprocess.run([sys.executable, "-m", "diagramgen", "validate", str(bad)],
                            env=dict(env, DIAGRAMGEN_NORMAL_EXIT="1"), capture_output=True, text=True, timeout=120)
    assert quick.returncode == normal.returncode == 1
    assert quick.stdout == normal.stdout
    assert quick.stderr.startswith(f"{bad}:")
    assert "freed" not in quick.stderr and normal.stderr.endswith("freed\n")
    assert quick.stderr == normal.stderr.removesuffix("freed\n")


@pytest.mark.parametrize("default", [False, True])
def test_a_command_runs_with_the_youngest_generation_collected_less_often(default):
    """quickexit.run sets the young generation's threshold before the command runs (the
    older ones as Python set them); DIAGRAMGEN_GC_DEFAULT=1 leaves all three alone."""
    env = dict(os.environ)
    env.pop("DIAGRAMGEN_GC_DEFAULT", None)
    if default:
        env["DIAGRAMGEN_GC_DEFAULT"] = "1"
    body = "import gc\nbefore = gc.get_threshold()\nrun(lambda: print(before, gc.get_threshold()))\n"
    done = subprocess.run([sys.executable, "-c", PRELUDE + body], env=env, capture_output=True, text=True,
                          timeout=120)
    before, after = done.stdout.strip().split(") (")
    young, older, oldest = (int(x) for x in before.strip("()").split(", "))
    assert done.returncode == 0 and young < 100000  # Python's own setting (700 in 3.11)
    assert after.strip("()") == (f"{young}, {older}, {oldest}" if default else f"100000, {older}, {oldest}")


def test_python_m_diagramgen_sets_the_collector_before_it_imports_the_commands():
    """__main__.main: the threshold is set when the command line's module is imported."""
    probe = ("import gc, sys\nclass Probe:\n    def find_spec(self, name, path=None, target=None):\n"
             "        if name == 'diagramgen.cli':\n            print('threshold at import', gc.get_threshold()[0])\n"
             "        return None\nsys.meta_path.insert(0, Probe())\nsys.argv = ['diagramgen', '--help']\n"
             "from diagramgen.__main__ import main\nmain()\n")
    env = dict(os.environ)
    env.pop("DIAGRAMGEN_GC_DEFAULT", None)
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("threshold at import 100000\n") and "Usage: diagramgen" in done.stdout
