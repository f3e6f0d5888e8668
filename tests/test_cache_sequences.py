"""Sequences of edits between and during runs: after each, what the caches let a run
skip (the checked models and settings, the file hashes, the render cache, the docs pages
and the kinds page taken as they are) gives exactly the outputs and the diagnostics of a
run with no disk cache and no earlier outputs."""
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.model import stored

pytestmark = pytest.mark.dot

RENDER = ("render", "--format", "svg", "--no-steps", "-j", "1")


def invoke(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository with two architectures sharing a fragment, and a cache of its own."""
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    for name in ("alpha", "beta"):
        assert invoke("new", name, "--title", name.title())[0] == 0
    (root / "architectures" / "fragments").mkdir()
    (root / "architectures" / "fragments" / "shared.yaml").write_text(
        "components:\n  - {id: archive, kind: dataverse, area: data, standalone: true}\n", encoding="utf-8")
    for name in ("alpha", "beta"):
        arch = root / "architectures" / f"{name}.yaml"
        arch.write_text(arch.read_text(encoding="utf-8").replace("\nareas:\n", "\ninclude: [fragments/shared.yaml]\n"
                                                                "areas:\n", 1), encoding="utf-8")
    shutil.rmtree(tmp_path / "cache" / stored.FOLDER, ignore_errors=True)
    return root


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
