"""What Graphviz wrote, kept between runs (draw/layoutcache.py): taken again only for the
same Graphviz input (source, formats, icon bytes, Graphviz), never under --force, never
when damaged, and always giving the bytes a new layout gives."""
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.draw import layoutcache, render

pytestmark = pytest.mark.dot


def invoke(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def runs(monkeypatch):
    """The Graphviz programs started, in order (dot, neato)."""
    seen = []
    real = render._run_child

    def counting(args, *a, **k):
        seen.append(os.path.basename(args[0]))
        return real(args, *a, **k)

    monkeypatch.setattr(render, "_run_child", counting)
    return seen


def outputs(folder) -> dict:
    root = Path(folder)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def edit(repo, old, new, name="alpha"):
    path = repo / "architectures" / f"{name}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def forced(folder, runs) -> dict:
    """What a render --force into ``folder`` writes (Graphviz runs)."""
    before = len(runs)
    invoke("render", "--force", "--out", str(folder))
    assert len(runs) > before
    return outputs(folder)


def test_a_text_that_is_not_drawn_needs_no_new_layout(fragment_repo, runs):
    invoke("render", "--out", "out")
    assert runs
    runs.clear()
    edit(fragment_repo, "text: Users open the app and enter a request.", "text: Users open the app & ask <for> help.")
    edit(fragment_repo, "description: Keeps the records", "description: Holds the records")
    result = invoke("render", "--out", "out")
    assert result.output.startswith("rendered 1 architecture(s), 1 up to date") and runs == []  # without Graphviz
    svg = (fragment_repo / "out" / "alpha.svg").read_text(encoding="utf-8")
    assert "<title>Step 1: Users open the app &amp; ask &lt;for&gt; help.</title>" in svg
    assert "Holds the records" in svg and "Keeps the records" not in svg
    assert outputs("out") == forced("again", runs)


def test_progress_says_which_layouts_were_kept(fragment_repo, runs):
    def progress(*args) -> list:
        result = CliRunner().invoke(main, ["render", "--progress", "--out", "out", *args])
        assert result.exit_code == 0, result.output
        return [re.sub(r"in [0-9.]+ s", "in T s", line) for line in result.stderr.splitlines()
                if ": rendered" in line]

    assert progress() == ["alpha: rendered 4 file(s) in T s", "beta: rendered 4 file(s) in T s"]
    edit(fragment_repo, "text: Users open the app and enter a request.", "text: Users ask for help.")
    assert progress() == ["alpha: rendered 4 file(s) in T s (kept layout)"]
    assert progress("--force") == ["alpha: rendered 4 file(s) in T s", "beta: rendered 4 file(s) in T s"]


def test_a_drawn_change_is_laid_out_again(fragment_repo, runs):
    invoke("render", "--out", "out")
    runs.clear()
    edit(fragment_repo, "label: Users", "label: Requesters")
    invoke("render", "--out", "out")
    assert runs == ["dot"]  # alpha only: beta is up to date
    assert outputs("out") == forced("again", runs)


def test_force_lays_out_again_and_keeps_what_it_drew(fragment_repo, runs):
    invoke("render", "--out", "out")
    runs.clear()
    invoke("render", "--force", "--out", "out")
    assert runs == ["dot", "dot"]
    runs.clear()
    shutil.rmtree("out")
    invoke("render", "--out", "out")
    assert runs == []


def entries(repo) -> list:
    return sorted((repo.parent / "cache" / layoutcache.FOLDER).glob("*.bin"))


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "other key"])
def test_a_damaged_entry_is_not_taken_and_is_replaced(fragment_repo, runs, damage):
    invoke("render", "--out", "out")
    made = outputs("out")
    kept = entries(fragment_repo)
    assert len(kept) == 2
    for path in kept:
        data = bytearray(path.read_bytes())
        if damage == "flip":
            data[len(data) // 2] ^= 1
        elif damage == "truncate":
            del data[-10:]
        elif damage == "empty":
            data = bytearray()
        else:
            data = data.replace(data[9:20], b"0" * 11, 1)  # the key, in the entry's first line
        path.write_bytes(bytes(data))
    shutil.rmtree("out")
    runs.clear()
    invoke("render", "--out", "out")
    assert runs == ["dot", "dot"] and outputs("out") == made
    shutil.rmtree("out")
    runs.clear()
    invoke("render", "--out", "out")  # the entries were made again
    assert runs == [] and outputs("out") == made


SOURCE = """digraph {{ node [shape=plain]
  a [label=<<TABLE><TR><TD><IMG SRC="{icon}"/></TD></TR></TABLE>>]
  a -> b
}}"""


def _png(path, size):
    from PIL import Image

    Image.new("RGB", size, (10, 20, 30)).save(path)


def test_an_icon_with_other_bytes_is_laid_out_again(tmp_path, monkeypatch, runs):
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    icon = tmp_path / "icon.png"
    _png(icon, (20, 20))
    source = SOURCE.format(icon=icon)
    slot = layoutcache.slot_name("test", "icon")
    first = render.run_dot(source, ["svg", "png"], slot=slot)
    again = render.run_dot(source, ["svg", "png"], slot=slot)
    assert runs == ["dot"] and again == first
    _png(icon, (40, 20))  # the same name, other bytes: another size to lay out
    bigger = render.run_dot(source, ["svg", "png"], slot=slot)
    assert runs == ["dot", "dot"] and bigger["svg"] != first["svg"]
    assert bigger == render.run_dot(source, ["svg", "png"])  # no slot: Graphviz, same bytes


def test_an_icon_saved_while_dot_runs_keeps_nothing(tmp_path, monkeypatch, runs):
    """What dot drew from an icon saved after the key was made is not kept under the key
    of the bytes hashed before: when the icon's first bytes come back, it is laid out
    again, not taken for the drawing of the bytes saved meanwhile."""
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    icon = tmp_path / "icon.png"
    _png(icon, (20, 20))
    source = SOURCE.format(icon=icon)
    slot = layoutcache.slot_name("test", "saved during the run")
    real = render._run_dot

    def saved_meanwhile(*args, **kwargs):
        _png(icon, (40, 20))  # after layout_key hashed the icon, before dot reads it
        return real(*args, **kwargs)

    monkeypatch.setattr(render, "_run_dot", saved_meanwhile)
    wider = render.run_dot(source, ["svg"], slot=slot)
    monkeypatch.setattr(render, "_run_dot", real)
    _png(icon, (20, 20))  # the first bytes again
    again = render.run_dot(source, ["svg"], slot=slot)
    assert runs == ["dot", "dot"] and again != wider
    assert again == render.run_dot(source, ["svg"])  # no slot: what Graphviz draws


def test_icons_that_stat_as_they_did_are_not_hashed_again_after_the_run_and_one_saved_meanwhile_is(
        tmp_path, monkeypatch, runs):
    """key_holds takes the key made before the run while each icon file stats as it did
    when it was hashed, long after its last change (here: SETTLED_NS moved into the past,
    as the icons of a repository are); an icon saved meanwhile has other times, and the
    key is made again: what dot drew from it is not kept."""
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(layoutcache, "SETTLED_NS", -10**12)
    icon = tmp_path / "icon.png"
    _png(icon, (20, 20))
    source = SOURCE.format(icon=icon)
    slot = layoutcache.slot_name("test", "settled")
    keys = []
    real_key = layoutcache.layout_key
    monkeypatch.setattr(layoutcache, "layout_key", lambda *a: keys.append(a) or real_key(*a))
    first = render.run_dot(source, ["svg"], slot=slot)
    assert keys == [] and render.run_dot(source, ["svg"], slot=slot) == first and runs == ["dot"]
    real_run = render._run_dot

    def saved_meanwhile(*args, **kwargs):
        _png(icon, (40, 20))
        return real_run(*args, **kwargs)

    monkeypatch.setattr(render, "_run_dot", saved_meanwhile)
    render.run_dot(source, ["svg"], slot=slot, reuse=False)
    assert len(keys) == 1  # made again: it differs, nothing kept
    monkeypatch.setattr(render, "_run_dot", real_run)
    _png(icon, (20, 20))  # the first bytes again: the entry kept is the first run's, not the wider drawing
    assert render.run_dot(source, ["svg"], slot=slot) == first and runs == ["dot", "dot"]


def test_other_formats_or_resolution_are_laid_out_again(tmp_path, monkeypatch, runs):
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    source = "digraph { a -> b }"
    slot = layoutcache.slot_name("test", "formats")
    render.run_dot(source, ["svg"], slot=slot)
    render.run_dot(source, ["svg", "png"], slot=slot)
    render.run_dot(source, ["svg", "png"], dpi=72, slot=slot)
    render.run_dot(source, ["svg", "png"], dpi=72, slot=slot)
    assert runs == ["dot", "dot", "dot"]


def test_another_graphviz_is_laid_out_again(tmp_path, monkeypatch, runs):
    """A dot elsewhere on PATH (another installation) does not take the layouts of the
    first."""
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    source = "digraph { a -> b }"
    slot = layoutcache.slot_name("test", "graphviz")
    first = render.run_dot(source, ["svg"], slot=slot)
    wrappers = tmp_path / "bin"
    wrappers.mkdir()
    for name in ("dot", "neato"):
        (wrappers / name).write_text(f'#!/bin/sh\nexec {shutil.which(name)} "$@"\n', encoding="utf-8")
        (wrappers / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrappers}{os.pathsep}{os.environ['PATH']}")
    assert render.run_dot(source, ["svg"], slot=slot) == first
    assert render.run_dot(source, ["svg"], slot=slot) == first
    assert runs == ["dot", "dot"]  # once per Graphviz


def test_without_a_disk_cache_nothing_is_kept(tmp_path, monkeypatch, runs):
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    slot = layoutcache.slot_name("test", "none")
    for _ in range(2):
        render.run_dot("digraph { a -> b }", ["svg"], slot=slot)
    assert runs == ["dot", "dot"]


def test_an_overlay_whose_input_is_unchanged_is_not_laid_out_again(fragment_repo, runs):
    import dataclasses

    from diagramgen.diff.overlay import overlay_image
    from diagramgen.model.project import load_all

    alpha, beta = load_all().models

    def text(n):
        return dataclasses.replace(beta, steps=(dataclasses.replace(beta.steps[0], text=n), *beta.steps[1:]))

    first = overlay_image(alpha, text("Another text."), "Alpha to Beta", "svg")
    assert runs == ["dot"]  # step 1 changed, in the colour of a change
    again = overlay_image(alpha, text("A third text."), "Alpha to Beta", "svg")
    assert runs == ["dot"]  # still changed: the same picture, with other words
    assert b"A third text." in again and b"A third text." not in first
    unchanged = overlay_image(alpha, beta, "Alpha to Beta", "svg")
    assert runs == ["dot", "dot"]  # step 1 as it was: drawn as unchanged
    runs.clear()
    assert overlay_image(alpha, text("Another text."), "Alpha to Beta", "svg") == first != unchanged
    assert runs == ["dot"]  # one entry per overlay: the last one drawn


def test_the_cache_stays_under_its_limit_dropping_the_least_recently_used(tmp_path, monkeypatch, runs):
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / layoutcache.FOLDER
    sources = {name: f"digraph {{ {name} -> b }}" for name in ("a", "c", "d")}
    for name, source in sources.items():
        render.run_dot(source, ["svg"], slot=layoutcache.slot_name("test", name))
    sizes = {p.name: p.stat().st_size for p in folder.glob("*.bin")}
    assert len(sizes) == 3
    stamps = iter(range(1_000_000_000, 2_000_000_000, 1_000_000))  # a clock that moves
    for p in sorted(folder.glob("*.bin")):
        os.utime(p, ns=(next(stamps), next(stamps)))
    oldest = min(folder.glob("*.bin"), key=lambda p: p.stat().st_mtime_ns)
    first = {p: layoutcache.slot_name("test", n) + ".bin" for n, p in zip(sources, sources)}
    assert oldest.name in first.values()
    # the oldest entry is taken: it is now the most recently used
    taken = next(n for n, f in first.items() if f == oldest.name)
    runs.clear()
    render.run_dot(sources[taken], ["svg"], slot=layoutcache.slot_name("test", taken))
    assert runs == []
    monkeypatch.setattr(layoutcache, "LIMIT", sum(sizes.values()))  # room for three entries, not four
    render.run_dot("digraph { e -> b }", ["svg"], slot=layoutcache.slot_name("test", "e"))
    left = {p.name for p in folder.glob("*.bin")}
    assert len(left) == 3 and oldest.name in left and layoutcache.slot_name("test", "e") + ".bin" in left


def test_the_folder_is_pruned_when_an_entry_is_new_or_larger_not_when_one_is_replaced_by_one_no_larger(
        tmp_path, monkeypatch):
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    pruned = []
    real = layoutcache.prune_cache
    monkeypatch.setattr(layoutcache, "prune_cache", lambda folder, limit, keep: pruned.append(keep.name)
                        or real(folder, limit, keep))
    slot = layoutcache.slot_name("test", "a")
    layoutcache.keep(slot, "k1", {"svg": b"<svg>one</svg>"})
    layoutcache.keep(slot, "k2", {"svg": b"<svg>two</svg>"})  # as large: the cache did not grow
    layoutcache.keep(slot, "k1", {"svg": b"<svg/>"})  # smaller
    assert pruned == [f"{slot}.bin"]
    layoutcache.keep(slot, "k1", {"svg": b"<svg>larger than before</svg>"})
    layoutcache.keep(layoutcache.slot_name("test", "b"), "k1", {"svg": b"<svg/>"})  # a new entry
    assert pruned == [f"{slot}.bin", f"{slot}.bin", f"{layoutcache.slot_name('test', 'b')}.bin"]
    assert layoutcache.kept(slot, "k1", ["svg"]) == {"svg": b"<svg>larger than before</svg>"}


def test_the_code_that_makes_the_second_runs_input_is_in_the_key():
    """bands.placed_source makes the input of a banded diagram's second Graphviz run from
    the first run's output, with the modules it imports (the routes, their compiled
    search): an entry made by other code of any of them is not this code's layout."""
    import subprocess
    import sys

    script = ("import sys, diagramgen.draw.bands, diagramgen.draw.dotjson\n"
              "print('\\n'.join(sorted(m.__file__ for n, m in list(sys.modules.items())\n"
              "                        if n.startswith('diagramgen.') and not m.__file__.endswith('__init__.py'))))")
    env = {k: v for k, v in os.environ.items() if k != "DIAGRAMGEN_PURE_PYTHON"}
    used = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                          env=env).stdout.split()
    assert any(os.path.basename(f) == "routes.py" for f in used)
    assert set(map(os.path.realpath, used)) <= set(map(os.path.realpath, layoutcache._code_files()))


def test_an_entry_made_by_other_routing_code_is_not_taken(monkeypatch):
    def key():
        return layoutcache.layout_key("digraph { a -> b }", ["svg"], 96, None)

    before = key()
    real = layoutcache.source_digest
    monkeypatch.setattr(layoutcache, "source_digest",
                        lambda f: b"0" * 64 if os.path.basename(f) == "routes.py" else real(f))
    assert key() != before
    monkeypatch.setattr(layoutcache, "source_digest", real)
    assert key() == before
    monkeypatch.setenv("DIAGRAMGEN_PURE_PYTHON", "1")  # the routes searched without the compiled search
    assert key() != before


def _outcome(source, **kw):
    try:
        return render.run_dot(source, ["svg"], **kw)
    except render.RenderError as exc:
        return str(exc)


def test_a_graphviz_that_may_not_read_files_is_given_no_kept_layout(tmp_path, monkeypatch, runs):
    """Graphviz reads no image file when SERVER_NAME is set (unless GV_FILE_PATH allows
    it): the same source then gives another outcome, which a kept layout must not hide."""
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GV_FILE_PATH", raising=False)
    icon = tmp_path / "icon.png"
    _png(icon, (20, 20))
    source = SOURCE.format(icon=icon)
    slot = layoutcache.slot_name("test", "server")
    render.run_dot(source, ["svg"], slot=slot)
    monkeypatch.setenv("SERVER_NAME", "docs.example.org")
    assert _outcome(source, slot=slot) == _outcome(source)
    assert runs == ["dot", "dot", "dot"]


SVG_ICON = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>'


def test_an_svg_icon_rasterised_by_another_process_takes_the_kept_layout(fragment_repo, runs, monkeypatch):
    """An SVG icon is drawn from a PNG rasterised into a temporary folder of the process
    (iconfiles.raster): its path differs in every run, its bytes do not, and dot sees
    neither path (render._short_image_names)."""
    from diagramgen.model import iconfiles

    (fragment_repo / "architectures" / "box.svg").write_text(SVG_ICON, encoding="utf-8")
    edit(fragment_repo, "    kind: power_apps\n", "    kind: power_apps\n    icon: box.svg\n")
    invoke("render", "--out", "out")
    monkeypatch.setattr(iconfiles, "_RASTER_DIR", [])  # as the next command: a folder of its own
    runs.clear()
    edit(fragment_repo, "text: Users open the app and enter a request.", "text: Users open the app.")
    invoke("render", "--out", "out")
    assert runs == []
    assert b"<title>Step 1: Users open the app.</title>" in (fragment_repo / "out" / "alpha.svg").read_bytes()
    monkeypatch.setattr(iconfiles, "_RASTER_DIR", [])
    assert outputs("out") == forced("again", runs)


def test_a_full_cache_is_left_without_a_partial_entry(tmp_path):
    """A write that fails half-way (a full disk; here a file size limit) leaves nothing
    behind: no entry, and no temporary file that no pruning would ever remove."""
    import subprocess
    import sys

    script = ("import resource, signal\n"
              "from diagramgen.draw import layoutcache\n"
              "from diagramgen import files\n"
              "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
              "resource.setrlimit(resource.RLIMIT_FSIZE, (8192, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))\n"
              "layoutcache.keep('slot', 'key', {'svg': b'x' * 100000})\n")
    env = dict(os.environ, DIAGRAMGEN_CACHE_DIR=str(tmp_path / "cache"))
    subprocess.run([sys.executable, "-c", script], check=True, env=env)
    assert os.listdir(tmp_path / "cache" / layoutcache.FOLDER) == []


def test_watch_looks_at_graphviz_again_for_each_save(fragment_repo, runs, monkeypatch, tmp_path):
    """A long-running watch sees fonts installed meanwhile (fontconfig's caches rebuilt):
    what it drew before is not taken for what dot now draws."""
    from diagramgen.watch import Watcher

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    (tmp_path / "xdg" / "fontconfig").mkdir(parents=True)
    alpha = str(fragment_repo / "architectures" / "alpha.yaml")
    w = Watcher(files=(alpha,), out_dir="out", formats=("svg",), steps=())
    w.handle(None)
    assert runs == ["dot"]
    runs.clear()
    (tmp_path / "xdg" / "fontconfig" / "0123456789abcdef-le64.cache-7").write_bytes(b"fonts")  # fc-cache ran
    edit(fragment_repo, "description: Keeps the records", "description: Holds the records")
    w.handle([alpha])
    assert runs == ["dot"]
    runs.clear()
    edit(fragment_repo, "description: Holds the records", "description: Has the records")
    w.handle([alpha])
    assert runs == []  # nothing changed since: the layout is taken


def test_what_a_killed_writer_left_is_removed_with_the_oldest_entries(tmp_path, monkeypatch):
    """A process killed while it stored an entry leaves a temporary file that is no entry
    (pruning passes over it): the next entry stored removes it; a living writer's stays."""
    import subprocess
    import sys

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / layoutcache.FOLDER
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)
    writer = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        folder.mkdir(parents=True)
        (folder / f".{'a' * 64}.bin.{dead}.140.tmp").write_bytes(b"x" * 1000)
        (folder / f".{'b' * 64}.bin.{writer.pid}.140.tmp").write_bytes(b"x" * 1000)
        layoutcache.keep("c" * 64, "key", {"svg": b"<svg/>"})
        assert sorted(p.name for p in folder.iterdir()) == [f".{'b' * 64}.bin.{writer.pid}.140.tmp", f"{'c' * 64}.bin"]
    finally:
        writer.communicate(b"")


def test_a_neato_found_elsewhere_on_path_is_part_of_the_key(tmp_path, monkeypatch):
    """Where no neato is beside dot, the banded diagrams are drawn by the neato on PATH
    (render.neato_binary): another one there is another Graphviz."""
    only_dot = tmp_path / "dot-only"
    other_neato = tmp_path / "neato-only"
    for folder, name in ((only_dot, "dot"), (other_neato, "neato")):
        folder.mkdir()
        (folder / name).write_text(f'#!/bin/sh\nexec {shutil.which(name)} "$@"\n', encoding="utf-8")
        (folder / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{only_dot}{os.pathsep}{os.environ['PATH']}")
    before = layoutcache.graphviz_identity()
    monkeypatch.setenv("PATH", f"{only_dot}{os.pathsep}{other_neato}{os.pathsep}{os.environ['PATH']}")
    assert layoutcache.graphviz_identity() != before


def test_a_layout_larger_than_the_whole_limit_is_not_kept_and_its_older_entry_goes(tmp_path, monkeypatch, runs):
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "cache" / layoutcache.FOLDER
    slot = layoutcache.slot_name("test", "big")
    render.run_dot("digraph { a -> b }", ["svg"], slot=slot)
    render.run_dot("digraph { x -> y }", ["svg"], slot=layoutcache.slot_name("test", "other"))
    small = (folder / f"{slot}.bin").stat().st_size
    monkeypatch.setattr(layoutcache, "LIMIT", small + 64)  # room for the small entries, one at a time
    many = "digraph { " + " ".join(f"n{i} -> n{i + 1};" for i in range(40)) + " }"
    drawn = render.run_dot(many, ["svg"], slot=slot)
    assert not (folder / f"{slot}.bin").exists()  # neither the new entry nor the old one of its slot
    assert (folder / f"{layoutcache.slot_name('test', 'other')}.bin").exists()  # the others stay
    runs.clear()
    assert render.run_dot(many, ["svg"], slot=slot) == drawn and runs == ["dot"]  # laid out again
