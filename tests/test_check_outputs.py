"""check-outputs in a repository that only installs diagramgen: the output files' own
hashes, another diagramgen in one line, and nothing that depends on where the
repository is checked out."""
import json
import os
import shutil

import pytest

from diagramgen import __version__
from diagramgen.model.project import load_all
from diagramgen.publish.manifest import inputs, output_sha256, sha256_file, tool

from conftest import copy_project, invoke

RUN = 'run "diagramgen render && diagramgen docs"'



@pytest.fixture
def repo(tmp_path, monkeypatch):
    """An empty repository with two new architectures, rendered and documented."""
    monkeypatch.chdir(tmp_path)
    for arch_id in ("alpha", "beta"):
        assert invoke("new", arch_id, "--title", arch_id.title())[0] == 0
    assert invoke("render")[0] == 0
    assert invoke("docs")[0] == 0
    assert invoke("check-outputs") == (0, "ok: outputs of 2 architecture(s) are up to date\n", "")
    return tmp_path


def manifest(repo):
    return json.loads((repo / "output" / "manifest.json").read_text(encoding="utf-8"))


def set_manifest(repo, data):
    (repo / "output" / "manifest.json").write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.dot
def test_every_output_is_recorded_with_its_hash(repo):
    records = [rec for entry in manifest(repo)["architectures"].values() for rec in (entry["render"], entry["docs"])]
    for rec in records:
        assert sorted(rec["output_hashes"]) == rec["outputs"]
        for name, digest in rec["output_hashes"].items():
            assert output_sha256(repo / "output" / name) == digest
            if not name.endswith((".svg", ".html", ".md")):
                assert sha256_file(repo / "output" / name) == digest
    assert {"alpha.svg", "steps/alpha.svg", "docs/alpha.md", "docs/diagrams/alpha.html"} <= {
        name for rec in records for name in rec["outputs"]}


@pytest.mark.dot
def test_a_hand_edited_or_missing_output_is_named_and_render_replaces_it(repo):
    svg = repo / "output" / "alpha.svg"
    svg.write_text(svg.read_text(encoding="utf-8").replace("Alpha", "Edited"), encoding="utf-8")
    (repo / "output" / "docs" / "beta.md").unlink()
    code, out, err = invoke("check-outputs")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "output/alpha.svg: error: changed since diagramgen wrote it (its SHA-256 is not the one "
        f"output/manifest.json records); {RUN} [DG604]",
        f"output/docs/beta.md: error: missing, though output/manifest.json lists it; {RUN} [DG604]"]
    # the command named makes them again: render sees the edited file, docs writes every page
    assert invoke("render")[1] == "rendered 1 architecture(s), 1 up to date, into output\n"
    assert "Edited" not in svg.read_text(encoding="utf-8")
    assert invoke("docs")[0] == 0
    assert invoke("check-outputs")[0] == 0


@pytest.mark.dot
def test_text_outputs_checked_out_with_crlf_line_ends_are_the_same(repo):
    for name in ("alpha.svg", "alpha.html", "docs/alpha.md"):
        path = repo / "output" / name
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert invoke("check-outputs")[0] == 0
    png = repo / "output" / "alpha.png"
    png.write_bytes(png.read_bytes() + b"\r\n")
    assert invoke("check-outputs")[2].startswith("output/alpha.png: error: changed since diagramgen wrote it")


@pytest.mark.dot
def test_a_new_manifest_with_the_old_files_is_refused(repo):
    """What a commit of output/manifest.json alone leaves in the working tree."""
    old = {p: p.read_bytes() for p in (repo / "output").rglob("alpha*") if p.is_file()}
    arch = repo / "architectures" / "alpha.yaml"
    arch.write_text(arch.read_text(encoding="utf-8").replace("Users open the app", "Users start the app"),
                    encoding="utf-8")
    assert invoke("render")[0] == 0 and invoke("docs")[0] == 0
    differ = sorted(p.relative_to(repo).as_posix() for p, data in old.items() if p.read_bytes() != data)
    assert {"output/alpha.svg", "output/docs/alpha.md", "output/steps/alpha.svg"} <= set(differ)
    for path, data in old.items():
        path.write_bytes(data)
    code, _, err = invoke("check-outputs")
    assert code == 1
    assert err.splitlines() == [
        f"{name}: error: changed since diagramgen wrote it (its SHA-256 is not the one output/manifest.json "
        f"records); {RUN} [DG604]" for name in differ]


def _other_tool(data, version="0.0.9", code=None, svg_hash=None):
    for entry in data["architectures"].values():
        for rec in (entry["render"], entry["docs"]):
            rec["tool"]["diagramgen"] = version
            if code:  # what earlier versions recorded: a hash of all the package's files
                rec["tool"]["code"] = code
            if svg_hash:
                rec["inputs"]["diagramgen/draw/svg.py"] = svg_hash
    return data


@pytest.mark.dot
def test_another_diagramgen_is_one_line_with_the_command(repo):
    set_manifest(repo, _other_tool(manifest(repo)))
    code, out, err = invoke("check-outputs")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"output/manifest.json: error: outputs made by diagramgen 0.0.9, but this is "
        f"diagramgen {__version__}; {RUN} to make them with this version [DG602]"]
    assert invoke("render")[1] == "rendered 2 architecture(s), 0 up to date, into output\n"
    assert invoke("docs")[0] == 0
    assert invoke("check-outputs")[0] == 0


@pytest.mark.dot
def test_a_record_of_an_earlier_version_with_a_code_hash_is_made_again(repo):
    set_manifest(repo, _other_tool(manifest(repo), version=__version__, code="0" * 64))
    assert invoke("check-outputs")[2].splitlines() == [
        f"output/manifest.json: error: outputs made by diagramgen {__version__} (code 00000000), but this is "
        f"diagramgen {__version__}; {RUN} to make them with this version [DG602]"]
    assert invoke("render")[1] == "rendered 2 architecture(s), 0 up to date, into output\n"


@pytest.mark.dot
def test_a_changed_tool_file_is_named_in_that_line_not_per_architecture(repo):
    """An editable install whose code changed: same version number, other code."""
    set_manifest(repo, _other_tool(manifest(repo), version=__version__, svg_hash="1" * 64))
    code, _, err = invoke("check-outputs")
    assert code == 1
    assert err.splitlines() == [
        f"output/manifest.json: error: outputs made by other code than this diagramgen {__version__} "
        f"(changed: diagramgen/draw/svg.py); {RUN} to make them with this code [DG602]"]


@pytest.mark.dot
def test_another_diagrams_library_and_an_input_change_each_get_their_line(repo):
    data = manifest(repo)
    for entry in data["architectures"].values():
        entry["render"]["tool"]["diagrams"] = "0.1.0"
    set_manifest(repo, data)
    arch = repo / "architectures" / "beta.yaml"
    arch.write_text(arch.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")
    code, _, err = invoke("check-outputs")
    here = f"diagramgen {__version__}"
    assert code == 1
    assert err.splitlines() == [
        f"output/manifest.json: error: outputs made by {here} with diagrams 0.1.0, but this is {here} with "
        f"diagrams {tool()['diagrams']}; {RUN} to make them with this version [DG602]",
        "output/manifest.json: error: beta is out of date (render: changed architectures/beta.yaml; "
        f"docs: changed architectures/beta.yaml); {RUN} [DG603]"]


def test_a_manifest_with_bad_output_hashes_is_read_without_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("new", "alpha", "--title", "Alpha")[0] == 0
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "alpha.svg").write_text("x", encoding="utf-8")
    (m,) = load_all([]).models
    rec = {"inputs": inputs(m, "render"), "tool": tool(), "outputs": ["alpha.svg"],
           "options": {"formats": ["svg", "png", "html"], "steps": ["svg"]}}
    for bad in ([1], {"alpha.svg": 1}, "x"):
        set_manifest(tmp_path, {"format": 1, "architectures": {"alpha": {
            "render": {**rec, "output_hashes": bad}, "docs": {"inputs": inputs(m, "docs"), "tool": tool(), "outputs": []}}}})
        assert invoke("check-outputs")[0] == 0


def test_the_recorded_inputs_do_not_depend_on_where_the_repository_is(tmp_path, monkeypatch):
    """Repository kinds with their own icons: two checkouts record the same hashes."""
    seen = []
    for name in ("one", "two/deeper"):
        copy_project(tmp_path / name)
        monkeypatch.chdir(tmp_path / name)
        seen.append({m.id: (inputs(m, "render"), inputs(m, "docs")) for m in load_all([]).models})
    assert seen[0] == seen[1]


def test_new_in_an_empty_repository_writes_the_schemas_its_first_line_names(tmp_path, monkeypatch):
    import jsonschema
    import yaml

    monkeypatch.chdir(tmp_path)
    code, out, _ = invoke("new", "alpha", "--title", "Alpha", "--dir", "docs/architectures")
    assert code == 0
    assert out.splitlines()[:3] == ["wrote schema/architecture.schema.json", "wrote schema/fragment.schema.json",
                                    "wrote docs/architectures/alpha.yaml"]
    path = tmp_path / "docs" / "architectures" / "alpha.yaml"
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../../schema/architecture.schema.json"
    target = path.parent / first.split("$schema=", 1)[1]
    schema = json.loads(target.read_text(encoding="utf-8"))
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(
        yaml.safe_load(path.read_text(encoding="utf-8")))) == []
    # a schema the repository has is kept as it is
    (tmp_path / "schema" / "architecture.schema.json").write_text("{}", encoding="utf-8")
    (tmp_path / "schema" / "fragment.schema.json").unlink()
    code, out, _ = invoke("new", "beta", "--title", "Beta")
    assert code == 0
    assert out.splitlines()[:2] == ["wrote schema/fragment.schema.json", "wrote architectures/beta.yaml"]
    assert (tmp_path / "schema" / "architecture.schema.json").read_text(encoding="utf-8") == "{}"


def test_new_writes_the_repository_kinds_into_the_schema(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "diagramgen.yaml").write_text(
        "kinds:\n  order_hub: {label: Order hub, icon: 'diagrams:azure.integration.LogicApps', area: apps}\n",
        encoding="utf-8")
    assert invoke("new", "alpha", "--title", "Alpha")[0] == 0
    for name in ("architecture", "fragment"):
        schema = json.loads((tmp_path / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"))
        assert {"order_hub", "customer"} <= set(schema["$defs"]["component_kind"]["enum"])


def test_a_new_file_that_would_be_invalid_writes_no_schema(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # a copy of a file whose fragment is not in the new file's folder
    code, _, _ = invoke("new", "source", "--title", "Source", "--dir", "elsewhere")
    assert code == 0
    shutil.rmtree(tmp_path / "schema")
    (tmp_path / "elsewhere" / "fragments").mkdir()
    (tmp_path / "elsewhere" / "fragments" / "part.yaml").write_text("areas:\n  - {id: extra, label: Extra}\n",
                                                                   encoding="utf-8")
    source = tmp_path / "elsewhere" / "source.yaml"
    source.write_text(source.read_text(encoding="utf-8") + "include: [fragments/part.yaml]\n", encoding="utf-8")
    code, _, err = invoke("new", "copy", "--title", "Copy", "--from", "elsewhere/source.yaml")
    assert code == 1 and "error: architectures/copy.yaml would not be valid; nothing written" in err
    assert not (tmp_path / "schema").exists() and not (tmp_path / "architectures").exists()


# --- a manifest that is damaged, empty, from a newer diagramgen or hostile --------------
@pytest.mark.parametrize("content, line", [
    (None, 'output/manifest.json: error: cannot read the manifest (it does not exist: nothing was generated '
           'here yet, or --manifest names another file); ' + RUN + ' [DG601]'),
    (b"", "output/manifest.json: error: cannot read the manifest (the file is empty); " + RUN + " [DG601]"),
    (b"  \n", "output/manifest.json: error: cannot read the manifest (the file is empty); " + RUN + " [DG601]"),
    (b'{\n  "format": 1,\n  "architectures": {,\n}',
     "output/manifest.json:3:21: error: cannot read the manifest (not JSON: Expecting property name enclosed "
     "in double quotes); " + RUN + " [DG601]"),
    (b"\xff\xfe{}", "output/manifest.json: error: cannot read the manifest (not UTF-8 text); " + RUN + " [DG601]"),
    (b'{"format": 1, "n": ' + b"1" * 5000 + b"}",
     "output/manifest.json: error: cannot read the manifest (a number with too many digits); "
     + RUN + " [DG601]"),
    (b"[]", "output/manifest.json: error: cannot read the manifest (not a diagramgen manifest of format 1); "
            + RUN + " [DG601]"),
    (b'{"format": 7, "architectures": {}}',
     "output/manifest.json: error: outputs made by a newer diagramgen (manifest format 7; this one reads "
     "format 1); " + RUN + " to make them with this version [DG602]"),
])
def test_a_manifest_that_cannot_be_read_is_one_clear_line(tmp_path, monkeypatch, content, line):
    monkeypatch.chdir(tmp_path)
    assert invoke("new", "alpha", "--title", "Alpha")[0] == 0
    (tmp_path / "output").mkdir()
    if content is not None:
        (tmp_path / "output" / "manifest.json").write_bytes(content)
    assert invoke("check-outputs") == (1, "", line + "\n")


def test_a_manifest_that_is_a_directory_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("new", "alpha", "--title", "Alpha")[0] == 0
    (tmp_path / "output" / "manifest.json").mkdir(parents=True)
    assert invoke("check-outputs") == (1, "", "output/manifest.json: error: cannot read the manifest (it is a "
                                              "directory); " + RUN + " [DG601]\n")


@pytest.mark.dot
@pytest.mark.skipif(not os.path.isfile("/proc/self/mem"), reason="needs a regular file that cannot be read")
def test_a_listed_output_that_cannot_be_read_is_a_line_not_a_traceback(repo):
    """A manifest naming a file that stats as a regular file but cannot be read (here
    /proc/self/mem): check-outputs names it; render takes the record as stale and
    renders again, without a traceback."""
    data = manifest(repo)
    rec = data["architectures"]["alpha"]["render"]
    rec["outputs"].append("/proc/self/mem")
    rec["output_hashes"]["/proc/self/mem"] = "0" * 64
    set_manifest(repo, data)
    assert invoke("check-outputs") == (1, "", "/proc/self/mem: error: cannot be read (Input/output error), though "
                                              f"output/manifest.json lists it; {RUN} [DG604]\n")
    assert invoke("render") == (0, "rendered 1 architecture(s), 1 up to date, into output\n", "")
    assert invoke("check-outputs")[0] == 0
