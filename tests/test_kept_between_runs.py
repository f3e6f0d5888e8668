"""What the disk cache keeps of the files that did not change since the last run: the
checked model of each architecture file (model/stored.py) and what each docs page was
made from (publish/reuse.py). Each is used only while everything it was made from is
the same, and gives the bytes and models made without it."""
import os
import shutil

import pytest
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.model import stored
from diagramgen.model.project import load_all
from diagramgen.model.validate import load_architecture


def invoke(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository with two new architectures and a cache of its own."""
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
    shutil.rmtree(tmp_path / "cache" / stored.FOLDER, ignore_errors=True)  # `new` loads the others
    return root


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


def test_a_kept_model_is_the_one_checking_gives(repo):
    from diagramgen.model.settings import current

    for path in sorted((repo / "architectures").glob("*.yaml")):
        model, diags = load_architecture(path)
        key = stored.entry_key(str(path), current())
        stored.keep(key, model, diags, current())
        assert repr(stored.stored(key, current())) == repr(model)


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
