"""What the disk cache keeps of the files that did not change since the last run: the
checked model of each architecture file and the checked settings of diagramgen.yaml
(model/stored.py), and what each docs page was made from (publish/reuse.py). Each is
used only while everything it was made from is the same, and gives the bytes, models
and settings made without it."""
import dataclasses
import hashlib
import os
import shutil
import types
from pathlib import Path

import pytest

from diagramgen.model import stored
from diagramgen.model.project import load_all
from diagramgen.model.validate import load_architecture

from conftest import invoke


@pytest.fixture
def repo(fragment_repo):
    """A repository with two new architectures and a cache of its own. (conftest.fragment_repo)"""
    return fragment_repo


@pytest.fixture
def checked(monkeypatch):
    """The paths load_architecture reads and checks, in order."""
    seen = []
    real = load_architecture

    def counting(path, *args, **kwargs):
        seen.append(os.path.basename(os.fspath(path)))
        return real(path, *args, **kwargs)

    monkeypatch.setattr("diagramgen.model.project.load_architecture", counting)
    return seen


def test_an_unchanged_file_gives_the_model_it_gave_before_without_being_checked(repo, checked):
    first = load_all()
    assert checked == ["alpha.yaml", "beta.yaml"]
    again = load_all()
    assert checked == ["alpha.yaml", "beta.yaml"]  # nothing read and checked again
    assert [repr(m) for m in again.models] == [repr(m) for m in first.models]
    assert again.diagnostics == first.diagnostics == []


def test_an_edited_file_or_fragment_is_checked_again(repo, checked):
    load_all()
    arch = repo / "architectures" / "beta.yaml"
    arch.write_text(arch.read_text(encoding="utf-8").replace("title: Beta", "title: Beta two"), encoding="utf-8")
    alpha, beta = load_all().models
    assert checked[2:] == ["beta.yaml"] and beta.title == "Beta two"
    assert alpha.sources == ("architectures/alpha.yaml", "architectures/fragments/shared.yaml")
    fragment = repo / "architectures" / "fragments" / "shared.yaml"
    fragment.write_text(fragment.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    load_all()
    assert checked[3:] == ["alpha.yaml", "beta.yaml"]  # both include it
    load_all()
    assert checked[5:] == []


def test_a_file_with_a_warning_is_checked_every_time(repo, checked):
    arch = repo / "architectures" / "alpha.yaml"
    text = arch.read_text(encoding="utf-8")
    arch.write_text(text.replace("\ncomponents:\n", "\ncomponents:\n  - {id: idle, kind: dataverse, area: data}\n", 1),
                    encoding="utf-8")
    first = load_all()
    warnings = [str(d) for d in first.diagnostics]
    assert len(warnings) == 1 and "component 'idle' is not used in any flow" in warnings[0]
    assert [str(d) for d in load_all().diagnostics] == warnings
    assert checked == ["alpha.yaml", "beta.yaml", "alpha.yaml"]


def test_nothing_is_kept_without_a_cache(repo, checked, monkeypatch):
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    load_all()
    load_all()
    assert checked == ["alpha.yaml", "beta.yaml"] * 2


def test_a_link_on_the_way_to_a_fragment_keeps_the_model_out_of_the_cache(repo, checked):
    fragment = repo / "architectures" / "fragments" / "shared.yaml"
    moved = repo / "architectures" / "fragments" / "real.yaml"
    os.rename(fragment, moved)
    os.symlink(moved, fragment)
    first = load_all()
    assert first.diagnostics == [] and [m.sources[1] for m in first.models] == ["architectures/fragments/shared.yaml"] * 2
    load_all()
    assert checked == ["alpha.yaml", "beta.yaml"] * 2


def test_an_include_through_a_linked_folder_and_dotdot_keeps_the_model_out_of_the_cache(repo, checked):
    # `link/../fragments/shared.yaml` reads deep/fragments/shared.yaml (the link is
    # followed first) while its shown path names architectures/fragments/shared.yaml, a
    # valid file of its own: the model must not be kept against the wrong file
    arch_dir = repo / "architectures"
    (arch_dir / "deep" / "inner").mkdir(parents=True)
    (arch_dir / "deep" / "fragments").mkdir()
    real = arch_dir / "deep" / "fragments" / "shared.yaml"
    real.write_text((arch_dir / "fragments" / "shared.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    os.symlink(arch_dir / "deep" / "inner", arch_dir / "link")
    alpha = arch_dir / "alpha.yaml"
    alpha.write_text(alpha.read_text(encoding="utf-8").replace("[fragments/shared.yaml]",
                                                               "[link/../fragments/shared.yaml]"), encoding="utf-8")
    assert load_all([str(alpha)]).diagnostics == []
    real.write_text(real.read_text(encoding="utf-8").replace("kind: dataverse", "kind: no_such_kind"),
                    encoding="utf-8")
    codes = [d.code for d in load_all([str(alpha)]).diagnostics]
    assert checked == ["alpha.yaml", "alpha.yaml"] and "DG307" in codes


def test_a_fragment_saved_while_its_architecture_loads_is_checked_again_next_time(repo, monkeypatch):
    # the model kept is paired with the bytes the load parsed, not with the file as it
    # is after the load (an editor saving during `make`)
    import diagramgen.model.project as project

    fragment = repo / "architectures" / "fragments" / "shared.yaml"
    real = project.load_architecture

    def saved_meanwhile(path, *args, **kwargs):
        out = real(path, *args, **kwargs)
        fragment.write_text(fragment.read_text(encoding="utf-8").replace("kind: dataverse", "kind: no_such_kind"),
                            encoding="utf-8")
        return out

    monkeypatch.setattr(project, "load_architecture", saved_meanwhile)
    assert load_all([str(repo / "architectures" / "alpha.yaml")]).diagnostics == []
    monkeypatch.setattr(project, "load_architecture", real)
    assert "DG307" in [d.code for d in load_all([str(repo / "architectures" / "alpha.yaml")]).diagnostics]


def test_a_damaged_entry_is_read_as_none(repo, checked):
    load_all()
    for entry in (Path(os.environ["DIAGRAMGEN_CACHE_DIR"]) / stored.FOLDER).iterdir():
        entry.write_text("[" * 200000, encoding="utf-8")  # nested past the parser's depth
    assert load_all().diagnostics == []
    assert checked == ["alpha.yaml", "beta.yaml"] * 2


def test_a_kept_model_is_the_one_checking_gives(repo):
    from diagramgen.model.settings import current

    for path in sorted((repo / "architectures").glob("*.yaml")):
        model, diags = load_architecture(path)
        key = stored.entry_key(str(path), current())
        stored.keep(key, model, diags, current())
        assert repr(stored.stored(key, current())) == repr(model)


def _state(value):
    """What a value holds, all the way down: of a dataclass object its class and its
    attributes as they are stored, in order (cached properties left out)."""
    if dataclasses.is_dataclass(value):
        names = {f.name for f in dataclasses.fields(value)}
        return type(value), [(k, _state(v)) for k, v in vars(value).items() if k in names]
    if isinstance(value, (tuple, list)):
        return type(value), [_state(v) for v in value]
    return type(value), value


def test_a_kept_model_has_every_attribute_a_checked_one_has(repo):
    from diagramgen.model.settings import current

    for path in sorted((repo / "architectures").glob("*.yaml")):
        model, diags = load_architecture(path)
        key = stored.entry_key(str(path), current())
        stored.keep(key, model, diags, current())
        kept = stored.stored(key, current())
        assert kept == model and hash(kept) == hash(model)
        assert _state(kept) == _state(model)  # positions too, which take no part in ==
        with pytest.raises(dataclasses.FrozenInstanceError):
            kept.components[0].label = "x"


def test_an_entry_of_another_shape_is_made_by_calling_the_class():
    from diagramgen.diagnostics import Pos
    from diagramgen.model.architecture import Flow

    def decode(value):
        return stored._decode(value, stored._TYPES)

    pos = {"@": "Pos", "path": "a.yaml", "line": 3, "col": 5, "end_line": 3, "end_col": 9}
    assert decode({"@": "Flow", "src": "a", "dst": "b"}) == Flow("a", "b")  # defaults filled in
    assert vars(decode({"@": "Flow", "dst": "b", "src": "a", "both": True, "pos": dict(pos), "label": ""})) == \
        vars(Flow("a", "b", True, Pos("a.yaml", 3, 5, 3, 9), ""))  # fields in another order
    with pytest.raises(TypeError):
        decode({"@": "Flow", "src": "a", "dst": "b", "colour": "red"})
    with pytest.raises(KeyError):
        decode({"@": "Pipe", "src": "a"})
    with pytest.raises(KeyError):
        decode({"src": "a"})


@pytest.mark.dot
def test_docs_takes_an_unchanged_page_as_it_is_and_makes_the_same_bytes(repo, monkeypatch):
    from diagramgen.publish import site

    assert invoke("render")[0] == 0
    made = []
    real = site.assets
    monkeypatch.setattr(site, "assets", lambda arch, *a, **k: made.append(arch.id) or real(arch, *a, **k))
    assert invoke("docs")[0] == 0
    assert made == ["alpha", "beta"]
    docs = repo / "output" / "docs"
    before = {p.relative_to(docs): p.read_bytes() for p in docs.rglob("*") if p.is_file()}
    assert invoke("docs")[0] == 0
    assert made == ["alpha", "beta"]  # neither page made again
    # a diagram copied beside the pages edited by hand: that page is made again
    (docs / "diagrams" / "beta.svg").write_bytes(before[(docs / "diagrams" / "beta.svg").relative_to(docs)] + b" ")
    assert invoke("docs")[0] == 0
    assert made == ["alpha", "beta", "beta"]
    # another link style: both made again
    assert invoke("docs", "--links", "md")[0] == 0
    assert made[3:] == ["alpha", "beta"]
    assert invoke("docs")[0] == 0
    after = {p.relative_to(docs): p.read_bytes() for p in docs.rglob("*") if p.is_file()}
    assert after == before
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    assert invoke("docs")[0] == 0
    assert {p.relative_to(docs): p.read_bytes() for p in docs.rglob("*") if p.is_file()} == before


@pytest.mark.dot
def test_an_unchanged_page_and_its_diagrams_are_not_read_and_a_page_whose_line_ends_changed_is_made_again(
        repo, monkeypatch):
    """What reuse.made_before knows by the files' hashes kept with their stats is not read
    (files.Unchanged); a text file a checkout turned to CRLF (the same output hash, more
    bytes) is read, and the page made again with LF line ends."""
    from diagramgen.publish import filehashes, manifest as M, site

    assert invoke("render")[0] == 0 and invoke("docs")[0] == 0
    later = filehashes._now() + 10 * filehashes.GRANULARITY_NS  # the next runs as if 20 s later
    monkeypatch.setattr(filehashes, "_now", lambda: later)
    assert invoke("docs")[0] == 0  # which hashes the files, now old enough to be kept with their stats
    docs = repo / "output" / "docs"
    before = {p: p.read_bytes() for p in docs.rglob("*") if p.is_file()}
    read, made = [], []
    real_read, real_assets = M.read_output, site.assets
    monkeypatch.setattr(M, "read_output", lambda path: read.append(Path(path).name) or real_read(path))
    monkeypatch.setattr(site, "assets", lambda arch, *a, **k: made.append(arch.id) or real_assets(arch, *a, **k))
    code, out, _ = invoke("docs")
    assert code == 0 and made == [] and "docs/alpha.md" not in out
    assert not [n for n in read if n.startswith(("alpha.", "beta."))]
    assert {p: p.read_bytes() for p in docs.rglob("*") if p.is_file()} == before
    page = docs / "beta.md"
    page.write_bytes(page.read_bytes().replace(b"\n", b"\r\n"))
    assert M.output_sha256(page) == M.output_digest(page.name, before[page])
    assert invoke("docs")[0] == 0
    assert made == ["beta"] and "beta.md" in read
    assert {p: p.read_bytes() for p in docs.rglob("*") if p.is_file()} == before


def test_an_unchanged_output_that_changes_before_it_is_kept_stops_the_write(tmp_path):
    """write_outputs leaves a files.Unchanged output as it is while it stats as it did;
    one changed meanwhile is a WriteError, and no output is written."""
    from diagramgen.files import Unchanged, WriteError, unchanged, write_outputs

    (tmp_path / "kept.md").write_bytes(b"as made\n")
    os.chmod(tmp_path / "kept.md", 0o644)
    kept, st = unchanged(tmp_path / "kept.md", len(b"as made\n"))
    assert type(kept) is Unchanged and st.st_size == 8
    assert unchanged(tmp_path / "kept.md", 9) == (None, None)  # another size: not the file made
    written = write_outputs(tmp_path, {"kept.md": kept, "new.md": b"new\n"})
    assert written.changed == [tmp_path / "new.md"] and (tmp_path / "kept.md").read_bytes() == b"as made\n"
    (tmp_path / "kept.md").write_bytes(b"edited\n")
    with pytest.raises(WriteError, match="kept.md: it changed while the command ran; run it again"):
        write_outputs(tmp_path, {"new.md": b"newer\n", "kept.md": kept})
    assert (tmp_path / "new.md").read_bytes() == b"new\n"
    os.chmod(tmp_path / "kept.md", 0o600)
    assert unchanged(tmp_path / "kept.md", 7) == (None, None)  # not mode 644: written again, not kept


@pytest.mark.dot
def test_a_page_is_made_again_for_a_file_saved_after_its_model_was_loaded_and_names_the_file_as_given(
        repo, monkeypatch):
    from diagramgen.publish import reuse

    assert invoke("render")[0] == 0 and invoke("docs")[0] == 0
    page = repo / "output" / "docs" / "alpha.md"
    arch = repo / "architectures" / "alpha.yaml"
    real = reuse.page_key

    def saved_meanwhile(m, *args, **kwargs):  # the file saved after the docs loaded it
        if m.id == "alpha" and "Saved later" not in arch.read_text(encoding="utf-8"):
            arch.write_text(arch.read_text(encoding="utf-8").replace("title: Alpha", "title: Saved later"),
                            encoding="utf-8")
        return real(m, *args, **kwargs)

    monkeypatch.setattr(reuse, "page_key", saved_meanwhile)
    assert invoke("docs")[0] == 0
    assert "Saved later" not in page.read_text(encoding="utf-8")  # made from the model loaded first
    monkeypatch.setattr(reuse, "page_key", real)
    assert invoke("docs")[0] == 0
    assert "Saved later" in page.read_text(encoding="utf-8")  # not taken as it was
    assert invoke("docs", "./architectures/alpha.yaml")[0] == 0
    assert "from ./architectures/alpha.yaml" in page.read_text(encoding="utf-8")
    assert invoke("docs", "architectures/alpha.yaml")[0] == 0
    assert "from ./architectures/alpha.yaml" not in page.read_text(encoding="utf-8")
    assert "from architectures/alpha.yaml" in page.read_text(encoding="utf-8")


SETTINGS = """\
legend:
  product: Our product
kinds:
  robot: {label: Robot, icon: icons/robot.png, area: work, aliases: [bot]}
  queue: {label: Team queue, icon: icons/queue.svg, area: integration, provenance: existing}
  logic: {label: Flow engine, icon: "diagrams:azure.integration.LogicApps", area: work}
docs:
  index_title: Our architectures
new:
  products: [Thing]
  include: [fragments/shared.yaml, {file: fragments/other.yaml, standalone: true}]
  azure_foundation: false
groups:
  pair:
    title: The pair
    architectures: [alpha, {id: beta, name: B}]
    overview_page: docs/overview.md
    migrations:
      - {from: alpha, to: beta}
"""
SVG_ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 10"><rect width="20" height="10"/></svg>\n'


@pytest.fixture
def settings_repo(tmp_path, monkeypatch):
    """A folder with a diagramgen.yaml naming icon files and a cache of its own (``.root``),
    and the files settings were read from, in order (``.loads``)."""
    from diagramgen.model import settings
    from diagramgen.model.catalog import ICON_DIR

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    (root / "icons").mkdir(parents=True)
    monkeypatch.chdir(root)
    (root / "icons" / "robot.png").write_bytes(next(ICON_DIR.glob("*.png")).read_bytes())
    (root / "icons" / "queue.svg").write_text(SVG_ICON, encoding="utf-8")
    (root / "diagramgen.yaml").write_text(SETTINGS, encoding="utf-8")
    loads = []
    real = settings.load
    monkeypatch.setattr(settings, "load", lambda *a, **k: loads.append(a[0]) or real(*a, **k))
    return types.SimpleNamespace(root=root, loads=loads)


def _same(a, b, where="settings"):
    """a == b, and of the same types all the way down, positions (ends too) included."""
    from diagramgen.model.schema import PStr

    assert type(a) is type(b), where
    if isinstance(a, PStr):
        assert (str(a), a.pos, a.pos.end_line, a.pos.end_col) == (str(b), b.pos, b.pos.end_line, b.pos.end_col), where
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{k}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    else:
        assert a == b, where


def test_unchanged_settings_are_not_read_again_and_are_those_reading_gives(settings_repo, monkeypatch):
    from diagramgen.model.schema import PStr
    from diagramgen.model.settings import load_settings

    first = load_settings(".")
    kept = load_settings(".")
    assert settings_repo.loads == ["diagramgen.yaml"]  # the second came from the disk cache
    _same(kept, first)
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    _same(kept, load_settings("."))
    # what the comparison covers: positioned ids, kinds of both sources, include entries
    member = kept.groups[0].members[1][0]
    assert isinstance(member, PStr) and (member.pos.line, member.pos.col, member.pos.end_col) == (16, 33, 37)
    assert kept.catalog["robot"].source == "repository" and kept.catalog["logic"].icon.startswith("diagrams:")
    assert kept.new_include == ("fragments/shared.yaml", {"file": "fragments/other.yaml", "standalone": True})


def test_kept_settings_are_read_without_pyyaml(settings_repo):
    import subprocess
    import sys

    from diagramgen.model.settings import load_settings

    probe = ("import sys; from diagramgen.model import settings; s = settings.current(); "
             "print(s.repo_kinds, 'yaml' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == \
        "('robot', 'queue', 'logic') True\n"  # nothing kept yet: parsed
    load_settings(".")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == \
        "('robot', 'queue', 'logic') False\n"


def test_edited_settings_or_kind_icon_are_read_and_checked_again(settings_repo):
    from diagramgen.diagnostics import DiagramgenError
    from diagramgen.model.settings import load_settings

    load_settings(".")
    path = settings_repo.root / "diagramgen.yaml"
    path.write_text(SETTINGS.replace("Our architectures", "All of them"), encoding="utf-8")
    assert load_settings(".").index_title == "All of them"
    assert load_settings(".").index_title == "All of them"
    assert len(settings_repo.loads) == 2
    svg = settings_repo.root / "icons" / "queue.svg"
    svg.write_text(SVG_ICON.replace('height="10"/>', 'height="10" fill="red"/>'), encoding="utf-8")
    load_settings(".")
    assert len(settings_repo.loads) == 3
    svg.unlink()  # the same error as ever, every time
    for _ in range(2):
        with pytest.raises(DiagramgenError) as exc:
            load_settings(".")
        assert [str(d) for d in exc.value.diagnostics] == [
            "diagramgen.yaml:5:36: error: icon file 'icons/queue.svg' does not exist [DG505]"]
    assert len(settings_repo.loads) == 5


def test_a_kind_icon_saved_while_the_settings_load_is_checked_again_next_time(settings_repo, monkeypatch):
    """The icon is replaced by a broken one after its check and before the settings are
    kept: the settings must not be kept with the broken file's hash, or the next load
    would take them without checking it."""
    from diagramgen.diagnostics import DiagramgenError
    from diagramgen.model import iconfiles
    from diagramgen.model.settings import load_settings

    svg = settings_repo.root / "icons" / "queue.svg"
    real_check = iconfiles.check_icon_file

    def check_then_break(name, *args):
        real = real_check(name, *args)
        if name == "icons/queue.svg":
            svg.write_text("<svg", encoding="utf-8")  # saved just after its check passed
        return real

    monkeypatch.setattr(iconfiles, "check_icon_file", check_then_break)
    load_settings(".")  # the load that saw the icon before it changed
    monkeypatch.setattr(iconfiles, "check_icon_file", real_check)
    with pytest.raises(DiagramgenError) as exc:
        load_settings(".")
    assert [d.code for d in exc.value.diagnostics] == ["DG506"]
    assert len(settings_repo.loads) == 2


def test_settings_with_a_diagnostic_a_link_or_no_cache_are_read_every_time(settings_repo, monkeypatch):
    from diagramgen.diagnostics import WARNING, Diagnostic, Pos
    from diagramgen.model import settings

    real = settings.check

    def warned(*args, **kwargs):  # no check of settings warns today: one that would
        rec, diags = real(*args, **kwargs)
        return rec, diags + [Diagnostic(Pos("diagramgen.yaml", 1, 1), WARNING, "a warning", "DG999")]

    monkeypatch.setattr(settings, "check", warned)
    assert settings.load_settings(".").index_title == "Our architectures"
    settings.load_settings(".")
    assert len(settings_repo.loads) == 2
    monkeypatch.setattr(settings, "check", real)
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    settings.load_settings(".")
    settings.load_settings(".")
    assert len(settings_repo.loads) == 4
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(settings_repo.root.parent / "cache"))
    icon = settings_repo.root / "icons" / "robot.png"
    os.rename(icon, settings_repo.root / "robot.png")
    os.symlink(settings_repo.root / "robot.png", icon)
    assert settings.load_settings(".").catalog["robot"].icon == str((settings_repo.root / "robot.png").resolve())
    settings.load_settings(".")
    assert len(settings_repo.loads) == 6
    assert not (settings_repo.root.parent / "cache" / stored.SETTINGS_FOLDER).exists()


@pytest.mark.parametrize("library", ["PIL", "lxml", "cairosvg"])
def test_settings_kept_are_checked_again_with_another_version_of_a_library_that_checks_icons(
        settings_repo, monkeypatch, library):
    # an SVG icon must be drawn by CairoSVG: whether it can be is that version's answer
    from diagramgen.model.settings import load_settings

    load_settings(".")
    load_settings(".")
    assert len(settings_repo.loads) == 1
    real = stored._version
    monkeypatch.setattr(stored, "_version", lambda package, dist=None: "0.0-other" if package == library
                        else real(package, dist))
    load_settings(".")
    assert len(settings_repo.loads) == 2


def test_settings_that_cannot_be_written_as_json_are_not_kept(settings_repo):
    from diagramgen.model.settings import _KEPT, load_settings

    key = stored.settings_key(".", "diagramgen.yaml", "diagramgen.yaml")
    loaded = load_settings(".")
    assert stored.stored_settings(key, _KEPT) is not None
    odd = dataclasses.replace(loaded, new_products=["a list"])
    stored.keep_settings(key, odd, [], [], _KEPT)
    assert stored.stored_settings(key, _KEPT) == loaded  # the entry kept before stays
    folder = settings_repo.root.parent / "cache" / stored.SETTINGS_FOLDER
    for entry in folder.iterdir():
        entry.unlink()
    stored.keep_settings(key, odd, [], [], _KEPT)
    assert list(folder.iterdir()) == []


def test_importing_the_package_imports_no_pyyaml():
    import subprocess
    import sys

    modules = ["diagramgen.cli"] + [f"diagramgen.model.{m}" for m in (
        "loader", "schema", "catalog", "settings", "validate", "project", "scaffold", "stored", "iconfiles")]
    probe = f"import sys, {', '.join(modules)}; print('yaml' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "False\n"
# --- file hashes kept between runs (publish/filehashes.py) ---------------------------------
@pytest.fixture
def hashes(tmp_path, monkeypatch):
    """The hash memory of a cache of its own, forgotten before and after."""
    from diagramgen.publish import filehashes, manifest as M

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    filehashes.forget()
    M._output_hashes.clear()
    yield filehashes
    filehashes.forget()
    M._output_hashes.clear()


def _next_run(filehashes):
    """What a new process sees: the memory on disk, nothing of this one."""
    from diagramgen.publish import manifest as M

    filehashes.forget()
    M._output_hashes.clear()


def _kept_lines(filehashes) -> dict:
    """The entries of the working folder's file in the disk cache: key -> the rest of its line."""
    text = filehashes.entries_file().read_text(encoding="utf-8")
    assert text.startswith(filehashes.HEADER)
    return dict(line.split("\t") for line in text[len(filehashes.HEADER):].split("\n"))


def _hash_kept(filehashes, kind, path):
    entry = _kept_lines(filehashes).get(f"{kind} {os.path.abspath(path)}")
    return entry.split(" ")[5] if entry else None


def test_a_file_hashed_long_after_its_last_change_is_taken_from_the_memory_next_time(hashes, tmp_path, monkeypatch):
    from diagramgen.publish import manifest as M

    page, png = tmp_path / "page.svg", tmp_path / "d.png"
    page.write_bytes(b"<svg>\r\n</svg>\n")
    png.write_bytes(b"\x89PNG pixels")
    later = hashes._now() + 10 * hashes.GRANULARITY_NS  # as if hashed 20 s after the write
    monkeypatch.setattr(hashes, "_now", lambda: later)
    with hashes.keeping():
        text_digest, raw_digest = M.output_sha256(page), M.sha256_file(png)
        assert M.read_output(png) == (png.read_bytes(), raw_digest)
    assert _hash_kept(hashes, "output", page) == text_digest == M.output_digest("page.svg", b"<svg>\n</svg>\n")
    assert _hash_kept(hashes, "sha256", png) == raw_digest
    # the next run takes them as kept while the files stat the same: shown by a kept hash
    # that is not the file's (a hand-edited memory), which is given back as it is
    _next_run(hashes)
    st = page.stat()
    hashes.remember("output", str(page), st, "0" * 64, later)
    assert M.output_sha256(page) == "0" * 64 and M.read_output(page)[1] == "0" * 64


def test_a_file_rewritten_with_the_same_size_and_modification_time_is_hashed_again(hashes, tmp_path, monkeypatch):
    from diagramgen.publish import manifest as M

    page = tmp_path / "page.md"
    page.write_bytes(b"old text\n")
    later = hashes._now() + 10 * hashes.GRANULARITY_NS
    monkeypatch.setattr(hashes, "_now", lambda: later)
    with hashes.keeping():
        old = M.output_sha256(page)
    before = page.stat()
    page.write_bytes(b"new text\n")  # same size; its modification time set back
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    _next_run(hashes)
    assert M.output_sha256(page) == M.output_digest("page.md", b"new text\n") != old
    assert M.read_file(page) == (b"new text\n", M.sha256_file(page))


def test_a_file_rewritten_in_place_with_the_same_size_and_modification_time_is_hashed_again_in_one_process(
        hashes, tmp_path):
    # `watch` runs on: an icon it hashed just after it was saved, saved again within one
    # tick of the file system's clock with as many bytes, is not the file it hashed
    from diagramgen.publish import manifest as M

    icon = tmp_path / "icon.png"
    icon.write_bytes(b"\x89PNG red")
    with hashes.keeping():
        old = M.sha256_file(icon)
        before = icon.stat()
        with open(icon, "r+b") as fh:  # the same file (inode), the same size
            fh.write(b"\x89PNG blu")
        os.utime(icon, ns=(before.st_atime_ns, before.st_mtime_ns))
        assert M.sha256_file(icon) == hashlib.sha256(b"\x89PNG blu").hexdigest() != old


def test_a_file_hashed_just_after_its_last_change_is_not_kept(hashes, tmp_path):
    from diagramgen.publish import manifest as M

    page = tmp_path / "page.html"
    page.write_bytes(b"<html></html>\n")
    with hashes.keeping():  # the real clock: the file changed less than GRANULARITY_NS ago
        M.output_sha256(page)
        M.sha256_file(page)
    assert not (tmp_path / "cache" / hashes.FOLDER).exists()


def test_no_hash_is_kept_without_a_cache(hashes, tmp_path, monkeypatch):
    from diagramgen.publish import manifest as M

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    page = tmp_path / "page.svg"
    page.write_bytes(b"<svg/>\n")
    later = hashes._now() + 10 * hashes.GRANULARITY_NS
    monkeypatch.setattr(hashes, "_now", lambda: later)
    with hashes.keeping():
        assert M.output_sha256(page) == M.output_digest("page.svg", b"<svg/>\n")
    assert not hashes.save() and not (tmp_path / "cache").exists()


def _kept_later(hashes, monkeypatch):
    later = hashes._now() + 10 * hashes.GRANULARITY_NS  # as if hashed 20 s after the writes
    monkeypatch.setattr(hashes, "_now", lambda: later)


def test_each_working_folder_keeps_its_hashes_in_a_file_of_its_own(hashes, tmp_path, monkeypatch):
    # a run reads the entries of the folder it runs in, not those of every checkout
    from diagramgen.publish import manifest as M

    _kept_later(hashes, monkeypatch)
    page = tmp_path / "page.svg"
    page.write_bytes(b"<svg/>\n")
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    monkeypatch.chdir(one)
    with hashes.keeping():
        digest = M.output_sha256(page)
    first = hashes.entries_file()
    assert first.parent == tmp_path / "cache" / hashes.FOLDER
    assert _hash_kept(hashes, "output", page) == digest
    monkeypatch.chdir(two)
    _next_run(hashes)
    assert hashes.entries_file() != first and not hashes.entries_file().exists()
    assert hashes.known("output", str(page), page.stat()) is None  # the other folder's entries are not read
    with hashes.keeping():
        assert M.output_sha256(page) == digest
    assert sorted(p.name for p in first.parent.iterdir()) == sorted([first.name, hashes.entries_file().name])


def test_a_damaged_file_of_hashes_costs_only_its_damaged_lines(hashes, tmp_path, monkeypatch):
    from diagramgen.publish import manifest as M

    _kept_later(hashes, monkeypatch)
    monkeypatch.chdir(tmp_path)
    pages = [tmp_path / f"p{n}.svg" for n in range(3)]
    for n, page in enumerate(pages):
        page.write_bytes(b"<svg>%d</svg>\n" % n)
    with hashes.keeping():
        digests = [M.output_sha256(p) for p in pages]
    kept = hashes.entries_file()
    lines = kept.read_text(encoding="utf-8").split("\n")
    assert lines[0] + "\n" == hashes.HEADER and len(lines) == 4
    key0, _ = lines[1].split("\t")
    key1, value1 = lines[2].split("\t")
    lines[1] = key0  # no tab: left out
    lines[2] = f"{key1}\t{value1.rsplit(' ', 1)[0]} "  # no hash after the numbers
    kept.write_text("\n".join(lines), encoding="utf-8")
    _next_run(hashes)
    assert [hashes.known("output", str(p), p.stat()) for p in pages] == [None, None, digests[2]]
    kept.write_text("diagramgen file hashes 1\n" + "\n".join(lines[1:]), encoding="utf-8")  # another version
    _next_run(hashes)
    assert hashes.known("output", str(pages[2]), pages[2].stat()) is None


def test_a_path_with_a_tab_or_a_line_break_is_hashed_but_not_kept(hashes, tmp_path, monkeypatch):
    from diagramgen.publish import manifest as M

    _kept_later(hashes, monkeypatch)
    monkeypatch.chdir(tmp_path)
    odd = [tmp_path / "a\tb.svg", tmp_path / "a\nb.svg"]
    plain = tmp_path / "plain.svg"
    for p in odd + [plain]:
        p.write_bytes(b"<svg/>\n")
    with hashes.keeping():
        digests = {M.output_sha256(p) for p in odd + [plain]}
    assert digests == {M.output_digest("x.svg", b"<svg/>\n")}
    assert list(_kept_lines(hashes)) == [f"output {plain}"]


def test_the_single_file_of_earlier_versions_is_removed_when_the_hashes_are_next_written(
        hashes, tmp_path, monkeypatch):
    from diagramgen.publish import manifest as M

    _kept_later(hashes, monkeypatch)
    monkeypatch.chdir(tmp_path)
    old = tmp_path / "cache" / hashes.OLD_FILE
    old.parent.mkdir()
    old.write_text('{"version": 1, "files": {}}', encoding="utf-8")
    page = tmp_path / "page.svg"
    page.write_bytes(b"<svg/>\n")
    with hashes.keeping():
        M.output_sha256(page)
    assert not old.exists() and hashes.entries_file().exists()


def test_hashes_of_files_in_a_folder_that_is_gone_are_dropped_once_the_file_of_hashes_is_large(
        hashes, tmp_path, monkeypatch):
    from diagramgen.publish import manifest as M

    _kept_later(hashes, monkeypatch)
    monkeypatch.chdir(tmp_path)
    gone, stays = tmp_path / "gone", tmp_path / "stays"
    gone.mkdir()
    stays.mkdir()
    pages = [gone / "a.svg", stays / "b.svg"]
    for page in pages:
        page.write_bytes(b"<svg/>\n")
    with hashes.keeping():
        for page in pages:
            M.output_sha256(page)
    assert sorted(_kept_lines(hashes)) == [f"output {p}" for p in pages]
    shutil.rmtree(gone)
    fresh = stays / "c.svg"
    fresh.write_bytes(b"<svg/>\n")
    _next_run(hashes)
    with hashes.keeping():  # few entries: none is looked at
        M.output_sha256(fresh)
    assert len(_kept_lines(hashes)) == 3
    monkeypatch.setattr(hashes, "TIDY_FROM", 2)
    (stays / "d.svg").write_bytes(b"<svg/>\n")
    _next_run(hashes)
    with hashes.keeping():
        M.output_sha256(stays / "d.svg")
    assert sorted(_kept_lines(hashes)) == [f"output {stays / n}" for n in ("b.svg", "c.svg", "d.svg")]
