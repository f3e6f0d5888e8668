"""What the disk cache keeps of the files that did not change since the last run: the
checked model of each architecture file (model/stored.py) and what each docs page was
made from (publish/reuse.py). Each is used only while everything it was made from is
the same, and gives the bytes and models made without it."""
import os
import shutil
from pathlib import Path

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


# --- file hashes kept between runs (publish/filehashes.py) ---------------------------------
@pytest.fixture
def hashes(tmp_path, monkeypatch):
    """The hash memory of a cache of its own, forgotten before and after."""
    from diagramgen.publish import filehashes, manifest as M

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    filehashes.forget()
    M._output_hashes.clear()
    M._sha256.cache_clear()
    yield filehashes
    filehashes.forget()
    M._output_hashes.clear()
    M._sha256.cache_clear()


def _next_run(filehashes):
    """What a new process sees: the memory on disk, nothing of this one."""
    from diagramgen.publish import manifest as M

    filehashes.forget()
    M._output_hashes.clear()
    M._sha256.cache_clear()


def _hash_kept(filehashes, kind, path):
    import json

    entries = json.loads((Path(os.environ["DIAGRAMGEN_CACHE_DIR"]) / filehashes.FILE).read_text())["files"]
    return entries.get(f"{kind} {os.path.abspath(path)}", [None] * 6)[5]


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


def test_a_file_hashed_just_after_its_last_change_is_not_kept(hashes, tmp_path):
    from diagramgen.publish import manifest as M

    page = tmp_path / "page.html"
    page.write_bytes(b"<html></html>\n")
    with hashes.keeping():  # the real clock: the file changed less than GRANULARITY_NS ago
        M.output_sha256(page)
        M.sha256_file(page)
    assert not (tmp_path / "cache" / hashes.FILE).exists()


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
