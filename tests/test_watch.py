"""Watch mode: one batch of changes at a time (Watcher.handle), and one real run of `diagramgen watch`."""
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from diagramgen.watch import Watcher

ARCH = """\
id: demo
title: Demo
scenario: I want a demo.
products: [Demo product]
assumptions: {azure_foundation: false}
include: [fragments/people.yaml]
areas:
  - id: telephony
    label: Telephony
components:
  - id: acs
    kind: communication_services
dataflow:
  - step: 1
    text: Customers call.
    flows:
      - {from: customer, to: acs}
"""
FRAGMENT = """\
areas:
  - id: customers
    label: Customers
components:
  - id: customer
    kind: customer
"""


@pytest.fixture
def project(write, tmp_path):
    arch = write("architectures/demo.yaml", ARCH)
    write("architectures/fragments/people.yaml", FRAGMENT)
    other = write("architectures/other.yaml", ARCH.replace("id: demo", "id: other"))
    w = Watcher(files=(str(arch),), out_dir=str(tmp_path / "out"), formats=("svg",), steps=())
    return w, arch, other, tmp_path / "out" / "demo.svg"


def texts(messages):
    return [(m.error, m.text) for m in messages]


@pytest.mark.dot
def test_renders_then_keeps_going_after_an_invalid_save(project):
    w, arch, _, svg = project
    assert texts(w.handle(None)) == [(False, f"wrote {svg}")]
    before = svg.read_bytes()

    arch.write_text(ARCH.replace("to: acs", "to: acss"), encoding="utf-8")
    assert texts(w.handle([str(arch)])) == [
        (True, f"{arch}:17:30: error: unknown component 'acss' in flow 'to' (did you mean 'acs'?) [DG309]"),
        (True, f"{arch}: not rendered; fix the errors above and save again"),
    ]
    assert svg.read_bytes() == before  # an invalid save leaves the output alone

    arch.write_text(ARCH.replace("Customers call.", "Customers call in."), encoding="utf-8")
    assert texts(w.handle([str(arch)])) == [(False, f"wrote {svg}")]
    assert b"Customers call in." in svg.read_bytes()

    # drawn again as it was (a comment added): nothing written, and it says so
    arch.write_text(ARCH.replace("Customers call.", "Customers call in.") + "# a note\n", encoding="utf-8")
    assert texts(w.handle([str(arch)])) == [(False, f"{arch}: no change to its outputs")]


@pytest.mark.dot
def test_only_architectures_that_read_a_changed_file_are_redone(project):
    w, arch, other, svg = project
    w.handle(None)
    assert w.handle([str(other)]) == []                      # not one of the watched files
    assert w.handle([str(arch.parent / "notes.txt")]) == []   # not YAML
    frag = arch.parent / "fragments" / "people.yaml"
    frag.write_text(FRAGMENT.replace("kind: customer", "kind: customer\n    label: Callers"), encoding="utf-8")
    assert texts(w.handle([str(frag)])) == [(False, f"wrote {svg}")]
    assert b"Callers" in svg.read_bytes()


def test_a_catalog_change_redoes_everything(project):
    w, arch, _, _ = project
    w.deps = {str(arch): {os.path.realpath(arch)}}
    assert w.affected([w.catalog_path]) == [str(arch)]
    assert w.affected([str(arch.parent / "unrelated.yaml")]) == []


def test_default_files_pick_up_a_new_architecture(write, tmp_path):
    write("architectures/a.yaml", ARCH)
    w = Watcher(default_dir=str(tmp_path / "architectures"))
    w.deps = {str(tmp_path / "architectures" / "a.yaml"): {"x"}}
    new = write("architectures/b.yaml", ARCH.replace("id: demo", "id: b"))
    assert w.affected([str(new)]) == [str(new)]
    assert str(tmp_path / "architectures") in w.watch_paths()


def _lines(proc):
    q = queue.Queue()

    def pump():
        for line in proc.stdout:
            q.put(line.rstrip("\n"))
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return q


def _wait_for(q, needle, timeout=120):
    """Read lines until one contains needle; fail (not hang) after timeout seconds, a
    limit far above the usual wait (a render on a loaded machine can take half a minute)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = q.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if needle in line:
            return seen
    pytest.fail(f"no line with {needle!r} within {timeout}s; got {seen}")


@pytest.mark.dot
def test_real_watch_rerenders_on_save_and_stops_on_ctrl_c(project, tmp_path):
    _, arch, _, svg = project
    proc = subprocess.Popen([sys.executable, "-m", "diagramgen", "watch", str(arch), "--out", str(tmp_path / "out"),
                             "--format", "svg"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        q = _lines(proc)
        _wait_for(q, "watching")
        arch.write_text(ARCH.replace("title: Demo", "title: [Demo]"), encoding="utf-8")
        _wait_for(q, "'title' must be a string, got a list")
        arch.write_text(ARCH.replace("title: Demo", "title: Demo after save"), encoding="utf-8")
        _wait_for(q, f"wrote {svg}")
        assert b"Demo after save" in svg.read_bytes()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 0
        assert _wait_for(q, "stopped")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.dot
def test_viewer_render_says_which_page_to_reload_and_keeps_the_manifest(project, tmp_path):
    w, arch, _, svg = project
    w.formats = ("svg", "html")
    out = tmp_path / "out"
    assert texts(w.handle(None)) == [
        (False, f"wrote {svg}"), (False, f"wrote {out / 'demo.html'}"),
        (False, f"reload {out / 'demo.html'} in the browser to see the change"),
    ]
    entry = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["architectures"]["demo"]["render"]
    assert (entry["outputs"], entry["options"]) == (["demo.html", "demo.svg"], {"formats": ["svg", "html"], "steps": []})


@pytest.mark.dot
def test_a_save_without_change_renders_nothing_and_says_so(project):
    w, arch, _, svg = project
    w.handle(None)
    before = svg.stat().st_mtime_ns
    arch.write_text(arch.read_text(encoding="utf-8"), encoding="utf-8")  # saved, same content
    assert texts(w.handle([str(arch)])) == [(False, f"{arch}: no change to its outputs")]
    assert svg.stat().st_mtime_ns == before


@pytest.mark.dot
def test_watch_records_what_make_checks(write, tmp_path, monkeypatch):
    """With the defaults (viewer and step views too), a watch render leaves output/ in the
    state `check-outputs` expects, as `make` would."""
    from diagramgen.publish.manifest import DEFAULT_RENDER_OPTIONS, read

    arch = write("architectures/demo.yaml", ARCH)
    write("architectures/fragments/people.yaml", FRAGMENT)
    w = Watcher(files=(str(arch),), out_dir=str(tmp_path / "out"))
    w.handle(None)
    entry = read(str(tmp_path / "out" / "manifest.json"))["architectures"]["demo"]["render"]
    assert entry["options"] == DEFAULT_RENDER_OPTIONS
    assert "steps/demo.svg" in entry["outputs"]


ICONS = __import__("pathlib").Path(__file__).resolve().parent.parent / "diagramgen" / "icons"
NOT_PNG = "is not a PNG image (its content does not start with the PNG signature)"


def saved(w, *paths):
    """What run() prints for a batch of saves: the paths pass watchfiles' filter
    (Watcher.relevant), and a batch left empty is no batch at all."""
    kept = [str(p) for p in paths if w.relevant(str(p))]
    return texts(w.handle(kept)) if kept else []


@pytest.mark.dot
def test_a_broken_icon_is_reported_and_its_repair_renders_again(project):
    """A component's own icon saved broken stops its architecture with the icon's error;
    saving the icon whole again renders it, without a save of the architecture file (the
    broken icon is no longer among the files the architecture read)."""
    w, arch, _, svg = project
    icon = arch.parent / "icons" / "phone.png"
    icon.parent.mkdir()
    icon.write_bytes((ICONS / "bot.png").read_bytes())
    arch.write_text(ARCH.replace("kind: communication_services", "kind: communication_services\n    icon: icons/phone.png"),
                    encoding="utf-8")
    assert texts(w.handle(None)) == [(False, f"wrote {svg}")]
    icon.write_bytes(b"not a picture")
    assert saved(w, icon) == [
        (True, f"{arch}:13:11: error: icon 'icons/phone.png' {NOT_PNG} [DG506]"),
        (True, f"{arch}: not rendered; fix the errors above and save again"),
    ]
    before = svg.read_bytes()
    icon.write_bytes((ICONS / "customer.png").read_bytes())
    assert saved(w, icon) == [(False, f"wrote {svg}")]
    assert svg.read_bytes() != before


@pytest.mark.dot
def test_a_broken_icon_of_a_repository_kind_is_reported_where_the_kind_names_it(write, tmp_path, monkeypatch):
    """An icon of a diagramgen.yaml kind saved broken gives the same error as `validate`
    (at the kind's icon: in diagramgen.yaml), not a stale check of the settings; saving it
    whole renders again."""
    monkeypatch.chdir(tmp_path)
    write("diagramgen.yaml", "kinds:\n  phone:\n    label: Phone\n    icon: icons/phone.png\n    area: telephony\n")
    icon = tmp_path / "icons" / "phone.png"
    icon.parent.mkdir()
    icon.write_bytes((ICONS / "bot.png").read_bytes())
    arch = write("architectures/demo.yaml", ARCH.replace("kind: communication_services", "kind: phone"))
    write("architectures/fragments/people.yaml", FRAGMENT)
    w = Watcher(files=("architectures/demo.yaml",), out_dir="out", formats=("svg",), steps=())
    svg = os.path.join("out", "demo.svg")
    assert texts(w.handle(None)) == [(False, f"wrote {svg}")]
    assert str(tmp_path / "icons") in w.watch_paths()
    icon.write_bytes(b"not a picture")
    assert saved(w, icon) == [
        (True, f"diagramgen.yaml:4:11: error: icon 'icons/phone.png' {NOT_PNG} [DG506]"),
        (True, "architectures/demo.yaml: not rendered; fix the errors above and save again"),
    ]
    icon.write_bytes((ICONS / "customer.png").read_bytes())
    assert saved(w, icon) == [(False, f"wrote {svg}")]
    assert arch.exists()


def test_a_render_error_names_the_file_once(project, monkeypatch):
    from diagramgen.draw.render import RenderError
    from diagramgen.publish import outputs

    w, arch, _, _ = project

    def fail(out_dir, files, *args, **kwargs):
        raise RenderError(f"{files[0]}: too large to lay out")

    monkeypatch.setattr(outputs, "render_to", fail)
    assert texts(w.handle(None)) == [(True, f"{arch}: error: too large to lay out")]


@pytest.mark.dot
def test_a_new_file_with_an_id_already_used_does_not_overwrite_the_other(write, tmp_path):
    """Watching every architecture, a copy saved beside a file with its id unchanged is
    refused as `validate` refuses it (the ids name the outputs), and renders once its id
    is its own; on a full pass the second file of a clash is refused."""
    folder = tmp_path / "architectures"
    write("architectures/demo.yaml", ARCH)
    write("architectures/fragments/people.yaml", FRAGMENT)
    w = Watcher(default_dir=str(folder), out_dir=str(tmp_path / "out"), formats=("svg",), steps=())
    svg = tmp_path / "out" / "demo.svg"
    assert texts(w.handle(None)) == [(False, f"wrote {svg}")]
    before = svg.read_bytes()
    copy = write("architectures/copy.yaml", ARCH.replace("title: Demo", "title: Copy"))
    assert texts(w.handle([str(copy)])) == [
        (True, f"{copy}:1:1: error: architecture id 'demo' is also used by {folder / 'demo.yaml'} [DG306]"),
        (True, f"{copy}: not rendered; fix the errors above and save again"),
    ]
    assert svg.read_bytes() == before
    assert texts(Watcher(default_dir=str(folder), out_dir=str(tmp_path / "out"), formats=("svg",),
                         steps=()).handle(None)) == [
        (True, f"{folder / 'demo.yaml'}:1:1: error: architecture id 'demo' is also used by {copy} [DG306]"),
        (True, f"{folder / 'demo.yaml'}: not rendered; fix the errors above and save again"),
        (False, f"wrote {svg}"),
    ]
    assert b"Copy" in svg.read_bytes()  # of the two, the one validate accepts
    copy.write_text(ARCH.replace("id: demo", "id: copy"), encoding="utf-8")
    assert texts(w.handle([str(copy)])) == [(False, f"wrote {tmp_path / 'out' / 'copy.svg'}")]
