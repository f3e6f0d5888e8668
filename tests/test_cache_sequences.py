"""Sequences of edits between and during runs: after each, what the caches let a run
skip (the checked models and settings, the file hashes, the render cache, the docs pages
and the kinds page taken as they are) gives exactly the outputs and the diagnostics of a
run with no disk cache and no earlier outputs."""
import os
import shutil
from pathlib import Path

import pytest

from conftest import invoke

pytestmark = pytest.mark.dot

RENDER = ("render", "--format", "svg", "--no-steps", "-j", "1")



@pytest.fixture
def repo(fragment_repo):
    """A repository with two architectures sharing a fragment, and a cache of its own. (conftest.fragment_repo)"""
    return fragment_repo


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def outputs(root: Path) -> dict:
    """Every output but PNG files (their bytes are Graphviz's) and the manifest."""
    out = root / "output"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.suffix != ".png" and p.name != "manifest.json"}


def fresh(root: Path, runs, monkeypatch) -> tuple:
    """(outputs, each run's (exit status, stdout, stderr)) of ``runs`` in a copy of
    ``root`` without its outputs, with no disk cache."""
    copy = root.parent / "fresh"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns("output"))
    with monkeypatch.context() as m:
        m.setenv("DIAGRAMGEN_CACHE_DIR", "")
        m.chdir(copy)
        results = [invoke(*args) for args in runs]
        # the outputs name the repository's folder in no way: compare in place
        return outputs(copy), results


def test_a_file_saved_between_its_load_and_the_render_cache_test_is_rendered_again_next_time(repo, monkeypatch):
    # the render records the bytes the model was made from, not the file as it is when
    # the cache's test hashes it: a save during `make` is rendered by the next one
    import diagramgen.model.project as project

    assert invoke(*RENDER)[0] == 0
    arch = repo / "architectures" / "alpha.yaml"
    edit(arch, "title: Alpha", "title: Edited")
    real = project.load_architecture

    def saved_meanwhile(path, *args, **kwargs):
        out = real(path, *args, **kwargs)
        if os.path.basename(path) == "alpha.yaml":
            edit(arch, "title: Edited", "title: Saved later")
        return out

    monkeypatch.setattr(project, "load_architecture", saved_meanwhile)
    assert invoke(*RENDER)[0] == 0
    assert b"Edited" in (repo / "output" / "alpha.svg").read_bytes()
    monkeypatch.setattr(project, "load_architecture", real)
    assert invoke(*RENDER)[0] == 0
    assert b"Saved later" in (repo / "output" / "alpha.svg").read_bytes()
    assert outputs(repo) == fresh(repo, [RENDER], monkeypatch)[0]


# --- `make` after an edit gives what `make` with no cache gives ------------------------

MAKE = ["--format", "svg", "-j", "1"]
SETTINGS = """\
legend:
  product: Our product
kinds:
  robot: {label: Robot, icon: icons/robot.png, area: apps}
docs:
  index_title: Our architectures
  related_link: Every architecture
groups:
  pair:
    title: The pair
    architectures: [alpha, beta]
    migrations:
      - {from: alpha, to: beta}
"""


def make(capsys) -> tuple:
    from diagramgen import makeall

    status = makeall.run(MAKE)
    out = capsys.readouterr()
    return status, out.err


def png(path: Path, colour: str) -> None:
    from PIL import Image

    Image.new("RGB", (32, 32), colour).save(path)


@pytest.fixture
def project(repo, monkeypatch):
    """``repo`` with a diagramgen.yaml (a kind with an icon of the repository, a group,
    docs wording), the kind used by alpha, and file hashes taken long after each file's
    last change (kept for the next run, as they are when nobody is typing)."""
    import time

    from diagramgen.publish import filehashes

    (repo / "icons").mkdir()
    png(repo / "icons" / "robot.png", "red")
    (repo / "diagramgen.yaml").write_text(SETTINGS, encoding="utf-8")
    edit(repo / "architectures" / "alpha.yaml", "kind: power_apps", "kind: robot")
    monkeypatch.setattr(filehashes, "_now", lambda: time.time_ns() + 10 * filehashes.GRANULARITY_NS)
    filehashes.forget()
    yield repo
    filehashes.forget()


def _fragment(root):
    edit(root / "architectures" / "fragments" / "shared.yaml", "id: archive", "id: archive, label: Old records")


def _settings_wording(root):
    edit(root / "diagramgen.yaml", "Our product", "Their product")
    edit(root / "diagramgen.yaml", "Every architecture", "All of them")


def _kind_label(root):
    edit(root / "diagramgen.yaml", "label: Robot", "label: Machine")


def _kind_icon_same_size(root):
    png(root / "icons" / "robot.png", "blue")  # another picture, the same size of file


def _delete(root):
    os.remove(root / "architectures" / "beta.yaml")
    edit(root / "diagramgen.yaml", "architectures: [alpha, beta]", "architectures: [alpha]")
    edit(root / "diagramgen.yaml", "    migrations:\n      - {from: alpha, to: beta}\n", "")


def _rename(root):
    os.rename(root / "architectures" / "beta.yaml", root / "architectures" / "gamma.yaml")


def _new_id(root):
    edit(root / "architectures" / "beta.yaml", "id: beta", "id: gamma")
    edit(root / "diagramgen.yaml", "[alpha, beta]", "[alpha, gamma]")
    edit(root / "diagramgen.yaml", "to: beta", "to: gamma")


def _older_content_again(root):
    # a branch switched back: the file holds what it held two edits ago, with new times
    arch = root / "architectures" / "alpha.yaml"
    old = arch.read_bytes()
    edit(arch, "title: Alpha", "title: Other")
    _make_quietly()
    arch.write_bytes(old)


def _make_quietly():
    from diagramgen import makeall

    assert makeall.run(MAKE) == 0


@pytest.mark.parametrize("change", [_fragment, _settings_wording, _kind_label, _kind_icon_same_size, _delete,
                                    _rename, _new_id, _older_content_again])
def test_make_after_a_change_gives_what_make_without_a_cache_gives(project, monkeypatch, capsys, change):
    assert make(capsys) == (0, "")
    change(project)
    status, err = make(capsys)
    assert status == 0, err
    made = outputs(project)
    expected, runs = fresh(project, [["render", "--steps", *MAKE[:2]], ["docs"],
                                     ["kinds", "--page", "output/docs/kinds.md"]], monkeypatch)
    assert [r[0] for r in runs] == [0, 0, 0]
    assert err == "".join(r[2] for r in runs)  # the same diagnostics
    assert (sorted(set(made) - set(expected)), sorted(set(expected) - set(made))) == ([], [])
    assert [name for name in made if made[name] != expected[name]] == []


def test_a_diagram_format_no_longer_rendered_leaves_the_docs_folder_too(project, monkeypatch, capsys):
    from diagramgen import makeall

    assert makeall.run(["--format", "svg,png", "-j", "1"]) == 0
    assert (project / "output" / "docs" / "diagrams" / "alpha.png").is_file()
    assert makeall.run(MAKE) == 0
    made = outputs(project)
    expected, _ = fresh(project, [["render", "--steps", *MAKE[:2]], ["docs"]], monkeypatch)
    assert not (project / "output" / "docs" / "diagrams" / "alpha.png").exists()
    assert {k: v for k, v in made.items() if not k.startswith("docs/kinds")} == expected


def test_a_migration_made_from_two_models_that_read_a_shared_fragment_apart_is_made_again(repo):
    """One docs run loads alpha, the shared fragment is saved, then it loads beta: the
    migration alpha -> beta was made from both texts of the fragment. Its key (what the
    next run compares to take the page as it is) must match no run that reads the
    fragment once, or the page made from the old text would be kept."""
    from diagramgen.model.project import load_all
    from diagramgen.publish import overviews

    def load(*names):
        loaded = load_all([f"architectures/{n}.yaml" for n in names])
        assert loaded.ok, loaded.diagnostics
        return loaded.models

    (alpha,) = load("alpha")
    edit(repo / "architectures" / "fragments" / "shared.yaml", "standalone: true", "standalone: true, label: Archive store")
    (beta,) = load("beta")
    apart = overviews.migration_key(alpha, beta)
    once = overviews.migration_key(*load("alpha", "beta"))
    assert once == overviews.migration_key(*load("alpha", "beta"))  # the key of the files as they are
    assert apart != once
