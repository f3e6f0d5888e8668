"""Which of the tool's own files are inputs of which outputs: editing code that draws
nothing re-renders no diagram, editing the docs code remakes only the docs pages, and a
module added to a stage's folder is covered without being listed anywhere."""
import ast
import shutil
from pathlib import Path

import pytest

from diagramgen import __version__
from diagramgen.model.catalog import PACKAGE_DIR
from diagramgen.publish import manifest as M

from conftest import invoke

RUN = 'run "diagramgen render && diagramgen docs"'


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A copy of the package's files that the manifest hashes instead of the real ones
    (the code that runs stays the installed one)."""
    copy = tmp_path / "pkg"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(M, "PACKAGE_DIR", copy)
    return copy


def edit(package, name, text="\n# edited\n"):
    path = package / name
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)
    new_process()  # the code is hashed once per process: a new process sees the edit


def new_process():
    """Forget the code's hashes, as a new process has none."""
    M._code_hashes.cache_clear()
    M._code_hash.cache_clear()


def test_each_code_file_is_hashed_once_per_process_and_recorded_as_it_was_then(package, monkeypatch):
    hashed = []
    real = M.sha256_file
    monkeypatch.setattr(M, "sha256_file", lambda path: hashed.append(path) or real(path))
    first = {p: code(p) for p in M.PRODUCTS}
    for _ in range(3):
        assert {p: code(p) for p in M.PRODUCTS} == first
    # once each, though the products share files
    assert sorted(hashed) == sorted({package / name for p in M.PRODUCTS for name in M.code_files(p)})
    assert len(hashed) < sum(len(M.code_files(p)) for p in M.PRODUCTS)
    assert first["render"]["diagramgen/draw/scene.py"] == real(package / "draw" / "scene.py")
    with open(package / "draw" / "scene.py", "a", encoding="utf-8") as fh:
        fh.write("\n# edited while this process runs the code it imported\n")
    assert {p: code(p) for p in M.PRODUCTS} == first
    new_process()
    assert code("render")["diagramgen/draw/scene.py"] == real(package / "draw" / "scene.py") != \
        first["render"]["diagramgen/draw/scene.py"]


def code(product):
    return M.code_inputs(product)


def changed(before, after):
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


@pytest.mark.parametrize("name", ["cli.py", "commands.py", "makeall.py", "watch.py", "clidoc.py", "__main__.py",
                                  "quickexit.py", "methodcache.py", "regexcache.py", "kepttables.py",
                                  "publish/manifest.py", "publish/outputs.py", "files.py"])
def test_front_ends_and_the_recording_code_are_no_input(package, name):
    before = {p: code(p) for p in M.PRODUCTS}
    edit(package, name)
    assert {p: code(p) for p in M.PRODUCTS} == before


def test_diff_code_is_an_input_of_the_overview_pages_only(package):
    before = {p: code(p) for p in M.PRODUCTS}
    edit(package, "diff/compare.py")
    after = {p: code(p) for p in M.PRODUCTS}
    assert (after["render"], after["docs"]) == (before["render"], before["docs"])
    assert changed(before["overview"], after["overview"]) == ["diagramgen/diff/compare.py"]


@pytest.mark.parametrize("name", ["docs/checkdocs.py", "docs/pages.py", "publish/site.py"])
def test_docs_code_is_an_input_of_the_pages_not_of_the_diagrams(package, name):
    before = {p: code(p) for p in M.PRODUCTS}
    edit(package, name)
    after = {p: code(p) for p in M.PRODUCTS}
    assert after["render"] == before["render"]
    assert changed(before["docs"], after["docs"]) == changed(before["overview"], after["overview"]) == [
        f"diagramgen/{name}"]


@pytest.mark.parametrize("name", ["draw/svg.py", "draw/_routesearch.c", "model/validate.py", "diagnostics.py", "__init__.py",
                                  "vendor/svg-pan-zoom.min.js"])
def test_drawing_code_is_an_input_of_everything(package, name):
    before = {p: code(p) for p in M.PRODUCTS}
    edit(package, name)
    after = {p: code(p) for p in M.PRODUCTS}
    for product in M.PRODUCTS:
        assert changed(before[product], after[product]) == [f"diagramgen/{name}"]


def test_a_new_module_is_covered_by_the_folder_it_is_put_in(package):
    before = {p: code(p) for p in M.PRODUCTS}
    for name in ("ids.py", "draw/theme.py", "model/extra.py", "docs/extra.py", "diff/extra.py", "publish/extra.py"):
        edit(package, name, "X = 1\n")
    M._code_names.cache_clear()  # the listing is read once per process: a new process sees them
    M._package_files.cache_clear()
    after = {p: code(p) for p in M.PRODUCTS}
    new = {p: changed(before[p], after[p]) for p in M.PRODUCTS}
    shared = ["diagramgen/draw/theme.py", "diagramgen/ids.py", "diagramgen/model/extra.py"]
    assert new == {"render": shared,
                   "docs": sorted(shared + ["diagramgen/docs/extra.py"]),
                   "overview": sorted(shared + ["diagramgen/diff/extra.py", "diagramgen/docs/extra.py"])}


def _imports(path):
    """The package's modules ``path`` imports (at any level of the file), as names
    relative to the package."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        mods = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "diagramgen":
            mods = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            mods = [a.name for a in node.names if a.name.split(".")[0] == "diagramgen"]
        for mod in mods:
            parts = mod.split(".")[1:]
            for candidate in ("/".join(parts) + ".py", "/".join(parts + ["__init__.py"])):
                if (PACKAGE_DIR / candidate).is_file():
                    out.add(candidate)
    return out


@pytest.mark.parametrize("product, allowed", [
    ("render", ("publish/", "files.py")),
    ("docs", ("publish/", "files.py", "diff/")),
    ("overview", ("publish/", "files.py")),
])
def test_the_code_of_a_product_uses_only_its_own_files(product, allowed):
    """What a product's modules import is among its inputs, but for publish/ and files.py
    (which only record and write) and, from the docs' overview module, diff/ (an input of the
    overview pages, the only docs pages it shapes)."""
    mine = set(M.code_files(product))
    outside = {(name, used) for name in mine if name.endswith(".py")
               for used in _imports(PACKAGE_DIR / name) - mine if not used.startswith(allowed)}
    assert outside == set()
    if product == "docs":
        assert {name for name in mine if name.endswith(".py")
                and any(u.startswith("diff/") for u in _imports(PACKAGE_DIR / name))} == {
            "docs/overview.py"}



@pytest.mark.dot
def test_make_after_editing_code_re_renders_only_what_it_shapes(package, tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.chdir(repo)
    assert invoke("new", "alpha", "--title", "Alpha")[0] == 0
    assert invoke("render")[0] == 0 and invoke("docs")[0] == 0
    assert invoke("check-outputs")[0] == 0

    edit(package, "cli.py")
    assert invoke("check-outputs") == (0, "ok: outputs of 1 architecture(s) are up to date\n", "")
    assert invoke("render")[1] == "rendered 0 architecture(s), 1 up to date, into output\n"

    edit(package, "docs/checkdocs.py")
    assert invoke("check-outputs")[2].splitlines() == [
        f"output/manifest.json: error: outputs made by other code than this diagramgen {__version__} "
        f"(changed: diagramgen/docs/checkdocs.py); {RUN} to make them with this code [DG602]"]
    assert invoke("render")[1] == "rendered 0 architecture(s), 1 up to date, into output\n"
    assert invoke("docs")[0] == 0
    assert invoke("check-outputs")[0] == 0

    edit(package, "draw/scene.py")
    assert invoke("render")[1] == "rendered 1 architecture(s), 0 up to date, into output\n"
    assert invoke("check-outputs")[2].splitlines() == [
        f"output/manifest.json: error: outputs made by other code than this diagramgen {__version__} "
        f"(changed: diagramgen/draw/scene.py); {RUN} to make them with this code [DG602]"]
    assert invoke("docs")[0] == 0
    assert invoke("check-outputs")[0] == 0


@pytest.mark.parametrize("dont_write", [True, False])
def test_make_writes_the_bytecode_python_would_not(tmp_path, monkeypatch, dont_write):
    """Under PYTHONDONTWRITEBYTECODE, make's process compiles the package's modules once
    instead of every start compiling them; otherwise Python writes them on import."""
    import importlib.util
    import sys

    from diagramgen import makeall

    (tmp_path / "sub").mkdir()
    for name in ("a.py", "sub/b.py"):
        (tmp_path / name).write_text("X = 1\n", encoding="utf-8")
    monkeypatch.setattr(sys, "dont_write_bytecode", dont_write)
    makeall.compile_package(tmp_path)
    cached = [Path(importlib.util.cache_from_source(str(tmp_path / n))) for n in ("a.py", "sub/b.py")]
    assert [p.is_file() for p in cached] == [dont_write, dont_write]


def test_make_writes_the_bytecode_again_for_edited_source_only(tmp_path, monkeypatch):
    """Bytecode is current when its header has the source's modification time and size
    (Python's own check): an edit within the same second is caught by the size, and
    current bytecode is left alone."""
    import importlib.util
    import os
    import sys

    from diagramgen import makeall

    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("X = 1\n", encoding="utf-8")
    b.write_text("Y = 1\n", encoding="utf-8")
    makeall.compile_package(tmp_path)
    ca, cb = (Path(importlib.util.cache_from_source(str(p))) for p in (a, b))
    before = {p: p.read_bytes() for p in (ca, cb)}
    st = os.stat(a)
    a.write_text("X = 22\n", encoding="utf-8")  # another size, the same modification time
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.utime(cb, ns=(1, 1))  # the bytecode's own times are not what is compared
    makeall.compile_package(tmp_path)
    assert ca.read_bytes() != before[ca] and cb.read_bytes() == before[cb]
    assert os.stat(cb).st_mtime_ns == 1  # not written again
    assert int.from_bytes(ca.read_bytes()[12:16], "little") == a.stat().st_size  # made from the edited text


@pytest.mark.parametrize("cache", [True, False])
def test_a_png_that_passed_its_check_is_not_decoded_again(tmp_path, monkeypatch, cache):
    from diagramgen.model import iconfiles

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache") if cache else "")
    checked = []
    real = iconfiles.check_png
    monkeypatch.setattr(iconfiles, "check_png", lambda data: checked.append(len(data)) or real(data))
    good = next((PACKAGE_DIR / "icons").glob("*.png")).read_bytes()
    broken = good[:-20]
    for data in (good, broken):
        for _ in range(2):
            (tmp_path / "icon.png").write_bytes(data)
            try:
                iconfiles.check_icon_file("icon.png", str(tmp_path), str(tmp_path.resolve()), "the test folder")
                problem = None
            except iconfiles.IconFileError as exc:
                problem = str(exc)
            assert problem == (None if data is good else "icon 'icon.png' is a truncated PNG image (the IDAT chunk is cut off)")
    # the sound icon is checked once when the verdict can be kept; a broken one every time
    assert checked == ([len(good)] if cache else [len(good)] * 2) + [len(broken)] * 2


def _edited_copy(module, tmp_path) -> str:
    """The path of a copy of ``module``'s source with one more line: the module as an
    edited checkout has it."""
    copy = tmp_path / f"edited-{Path(module.__file__).name}"
    copy.write_bytes(Path(module.__file__).read_bytes() + b"# edited\n")
    return str(copy)


def test_icon_work_kept_by_other_code_is_done_again(tmp_path, monkeypatch):
    # what the icon code keeps in the disk cache (a PNG's passed check, an SVG's raster,
    # a thumbnail of the kinds page) is this code's: a check made stricter is applied to
    # an icon that passed the old one, a drawing changed is drawn
    from diagramgen.docs import kinds
    from diagramgen.model import iconfiles

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    icon = next((PACKAGE_DIR / "icons").glob("*.png"))
    made = []
    for module, name in ((iconfiles, "check_png"), (iconfiles, "_draw"), (kinds, "_thumbnail")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name, lambda data, real=real, name=name: made.append(name) or real(data))

    def work():
        (tmp_path / "icon.png").write_bytes(icon.read_bytes())
        iconfiles.check_icon_file("icon.png", str(tmp_path), str(tmp_path.resolve()), "the test folder")
        iconfiles._rasterise.cache_clear()
        iconfiles._rasterise(SVG_ICON)
        kinds.thumbnail(icon)

    work()
    assert made == ["check_png", "_draw", "_thumbnail"]
    work()
    assert made[3:] == []  # kept
    monkeypatch.setattr(iconfiles, "__file__", _edited_copy(iconfiles, tmp_path))
    monkeypatch.setattr(kinds, "__file__", _edited_copy(kinds, tmp_path))
    work()
    assert made[3:] == ["check_png", "_draw", "_thumbnail"]


SVG_ICON = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 10"><rect width="20" height="10"/></svg>\n'


def test_an_output_that_already_holds_the_bytes_is_not_written_again(tmp_path):
    from diagramgen.files import write_outputs

    out = tmp_path / "out"
    first = write_outputs(out, {"a.md": b"one\n", "sub/b.svg": b"<svg/>"})
    assert first.paths == first.changed == [out / "a.md", out / "sub" / "b.svg"]
    inode = {p.name: p.stat().st_ino for p in first.paths}
    (out / "sub" / "b.svg").chmod(0o600)
    again = write_outputs(out, {"a.md": b"one\n", "sub/b.svg": b"<svg/>", "c.md": b"new\n"})
    assert again.paths == [out / "a.md", out / "sub" / "b.svg", out / "c.md"]  # every path, in order
    assert again.changed == [out / "sub" / "b.svg", out / "c.md"]  # those written
    assert (out / "a.md").stat().st_ino == inode["a.md"]  # the same file: not replaced
    assert (out / "sub" / "b.svg").stat().st_ino != inode["b.svg"]  # another mode: written again
    assert oct((out / "sub" / "b.svg").stat().st_mode & 0o777) == "0o644"
    assert write_outputs(out, {"a.md": b"two\n"}).changed == [out / "a.md"]
    assert (out / "a.md").read_bytes() == b"two\n"


def test_write_atomic_tells_whether_it_wrote(tmp_path):
    from diagramgen.files import write_atomic

    path = tmp_path / "schema.json"
    assert write_atomic(path, b"{}\n") is True  # new
    inode = path.stat().st_ino
    assert write_atomic(path, b"{}\n") is False and path.stat().st_ino == inode  # left as it was
    assert write_atomic(path, b"[]\n") is True and path.read_bytes() == b"[]\n"  # changed


def test_the_kinds_page_is_taken_as_it_was_while_its_kinds_icons_and_files_stat_the_same(tmp_path, monkeypatch):
    """After a full check found the kinds page and its icons as made, the next run takes
    them from its record while the kinds are listed the same and every icon file and
    file made stats as it did (here long after their last change: SETTLED_NS moved into
    the past); an icon made edited, a kind's label changed or an icon file of the
    repository saved again send it back to the full check, which makes what changed."""
    from diagramgen.model.catalog import ICON_DIR
    from diagramgen.publish import reuse

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "robot.png").write_bytes((ICON_DIR / "customer.png").read_bytes())
    (tmp_path / "diagramgen.yaml").write_text(
        "kinds:\n  robot: {label: Robot, icon: icons/robot.png, area: work}\n", encoding="utf-8")
    monkeypatch.setattr(reuse, "SETTLED_NS", -10**12)
    full = []
    real = reuse.kinds_key
    monkeypatch.setattr(reuse, "kinds_key", lambda *a: full.append(1) or real(*a))
    page = tmp_path / "site" / "kinds.md"
    assert invoke("kinds", "--page", str(page))[0] == 0
    n_icons = len(list((page.parent / "kinds").glob("*.png")))
    unchanged = f"{page} and {n_icons} icons in {page.parent / 'kinds'}: unchanged\n"
    assert invoke("kinds", "--page", str(page))[1] == unchanged and len(full) == 2  # checked in full, recorded
    assert invoke("kinds", "--page", str(page))[1] == unchanged and len(full) == 2  # taken from the record
    robot = page.parent / "kinds" / "robot.png"
    made = robot.read_bytes()
    robot.write_bytes(b"not the icon")
    assert invoke("kinds", "--page", str(page))[1] == f"wrote 1 icon in {page.parent / 'kinds'} ({n_icons} unchanged)\n"
    assert robot.read_bytes() == made and len(full) == 3
    assert invoke("kinds", "--page", str(page))[1] == unchanged and len(full) == 4  # the icon rewritten: recorded again
    assert invoke("kinds", "--page", str(page))[1] == unchanged and len(full) == 4
    settings = tmp_path / "diagramgen.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("Robot", "Robots"), encoding="utf-8")
    assert invoke("kinds", "--page", str(page))[1] == f"wrote {page} ({n_icons} unchanged)\n" and len(full) == 5
    assert invoke("kinds", "--page", str(page))[1] == unchanged and len(full) == 6
    (tmp_path / "icons" / "robot.png").write_bytes((ICON_DIR / "bot.png").read_bytes())
    code, out, _ = invoke("kinds", "--page", str(page))
    assert code == 0 and out == f"wrote 1 icon in {page.parent / 'kinds'} ({n_icons} unchanged)\n" and len(full) == 7
    assert robot.read_bytes() != made


def test_commands_list_only_the_files_they_wrote(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("schema", "--write")[1].splitlines() == [
        "wrote schema/architecture.schema.json", "wrote schema/fragment.schema.json"]
    assert invoke("schema", "--write") == (0, "", "")  # both as they were: nothing written
    page = tmp_path / "site" / "kinds.md"
    code, out, _ = invoke("kinds", "--page", str(page))
    n_icons = len(list((page.parent / "kinds").glob("*.png")))
    assert (code, out) == (0, f"wrote {page} and {n_icons} icons in {page.parent / 'kinds'}\n")
    assert invoke("kinds", "--page", str(page))[1] == f"{page} and {n_icons} icons in {page.parent / 'kinds'}: unchanged\n"
    icon = next((page.parent / "kinds").glob("*.png"))
    icon.write_bytes(b"not the icon")
    assert invoke("kinds", "--page", str(page))[1] == (
        f"wrote 1 icon in {page.parent / 'kinds'} ({n_icons} unchanged)\n")


def test_make_validates_each_file_once_while_it_is_unchanged(tmp_path, monkeypatch):
    from diagramgen.model.project import load_all, reusing_models

    monkeypatch.chdir(tmp_path)
    for arch_id in ("alpha", "beta"):
        assert invoke("new", arch_id, "--title", arch_id.title())[0] == 0
    outside = [load_all().models, load_all().models]
    assert outside[0] == outside[1] and not any(a is b for a, b in zip(*outside))
    with reusing_models():
        first = load_all().models
        assert all(a is b for a, b in zip(first, load_all().models))
        arch = tmp_path / "architectures" / "beta.yaml"
        arch.write_text(arch.read_text(encoding="utf-8").replace("title: Beta", "title: Beta two"), encoding="utf-8")
        alpha, beta = load_all().models
        assert alpha is first[0] and beta is not first[1] and beta.title == "Beta two"
        (tmp_path / "diagramgen.yaml").write_text("docs:\n  index_title: Other\n", encoding="utf-8")
        assert not any(a is b for a, b in zip(load_all().models, [alpha, beta]))  # other settings


def test_inputs_of_one_model_are_computed_once_while_remembered(tmp_path, monkeypatch):
    from diagramgen.model.project import load_all

    monkeypatch.chdir(tmp_path)
    assert invoke("new", "alpha", "--title", "Alpha")[0] == 0
    (model,) = load_all().models
    computed = []
    real = M._inputs
    monkeypatch.setattr(M, "_inputs", lambda arch, product, settings: computed.append(product)
                        or real(arch, product, settings))
    with M.remembering_inputs():
        first = M.inputs(model, "render")
        with open(model.path, "a", encoding="utf-8") as fh:
            fh.write("# saved while a render runs\n")
        with M.remembering_inputs():  # nested: the same memory
            assert M.inputs(model, "render") == first  # the file as the model was loaded from it
        M.inputs(model, "docs")
        M.inputs(model, "docs")
    assert computed == ["render", "docs"]
    # outside: computed again, and still of the bytes the model was made from (the file
    # saved since is not what it stands for); a model loaded now stands for the new file
    assert M.inputs(model, "render") == first
    assert computed == ["render", "docs", "render"]
    (reloaded,) = load_all().models
    changed = M.inputs(reloaded, "render")
    assert [k for k in first if first[k] != changed[k]] == ["architectures/alpha.yaml"]
