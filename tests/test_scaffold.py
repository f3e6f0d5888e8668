"""diagramgen new: a valid file from the template or a copy, never an overwrite."""
import shutil

import pytest
import yaml
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.model.validate import load_architecture

from conftest import ROOT, copy_project


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A copy of the architectures and schema, as the current directory."""
    copy_project(tmp_path)
    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def new(*args):
    return CliRunner().invoke(main, ["new", *args])


def test_template_is_valid_without_warnings_and_names_its_schema(repo):
    result = new("template-probe", "--title", "Template probe: bots first")
    assert result.exit_code == 0, result.output
    path = repo / "architectures" / "template-probe.yaml"
    assert result.stdout.splitlines()[0] == "wrote architectures/template-probe.yaml"
    assert "diagramgen watch architectures/template-probe.yaml" in result.stdout
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../schema/architecture.schema.json"
    data = yaml.safe_load(text)
    assert (data["id"], data["title"]) == ("template_probe", "Template probe: bots first")
    model, diags = load_architecture(path)
    assert diags == [] and len(model.steps) == 2


def test_never_overwrites(repo):
    before = (repo / "architectures" / "premium.yaml").read_bytes()
    result = new("premium", "--title", "Again")
    assert result.exit_code == 1
    assert "architectures/premium.yaml already exists; diagramgen new never overwrites a file" in result.output
    assert (repo / "architectures" / "premium.yaml").read_bytes() == before


def test_id_taken_by_another_file(repo):
    (repo / "architectures" / "old.yaml").write_text(
        (repo / "architectures" / "premium.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (repo / "architectures" / "premium.yaml").unlink()
    result = new("premium", "--title", "Again")
    assert result.exit_code == 1
    assert "architecture id 'premium' is already used by architectures/old.yaml" in result.output
    assert not (repo / "architectures" / "premium.yaml").exists()


def test_invalid_id(repo):
    result = new("Self Service", "--title", "x")
    assert result.exit_code == 1
    assert "'Self Service' is not a valid architecture id" in result.output


def test_copy_keeps_comments_and_replaces_id_and_title(repo):
    result = new("copy_probe", "--title", "Premium: EU data boundary", "--from", "architectures/premium.yaml")
    assert result.exit_code == 0, result.output
    path = repo / "architectures" / "copy-probe.yaml"
    text = path.read_text(encoding="utf-8")
    src = (repo / "architectures" / "premium.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../schema/architecture.schema.json"
    assert lines[1].startswith("# Copied from architectures/premium.yaml")
    assert "id: copy_probe\n" in text and "title: 'Premium: EU data boundary'\n" in text
    assert "docs_page" not in text  # it named the other architecture's page
    # every comment of the source is kept
    assert [c for c in src.splitlines() if c.lstrip().startswith("#")][1:] == \
        [c for c in lines if c.lstrip().startswith("#")][2:]
    model, diags = load_architecture(path)
    assert diags == [] and model.id == "copy_probe" and len(model.steps) == 10


def test_folder_without_fragments_gets_a_self_contained_file(repo):
    result = new("solo", "--title", "Solo", "--dir", "elsewhere")
    assert result.exit_code == 0, result.output
    text = (repo / "elsewhere" / "solo.yaml").read_text(encoding="utf-8")
    assert "include:" not in text
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../schema/architecture.schema.json"
    assert load_architecture(repo / "elsewhere" / "solo.yaml")[1] == []



@pytest.mark.parametrize("brk", ["\x85", "\u2028", "\u2029"])
def test_title_with_a_line_break_stays_one_comment_line(repo, brk):
    """The title is also written as a comment: a line break YAML knows other than \\n
    must not end the comment and make the rest of the title YAML content."""
    title = f"Bots first{brk}legend: {{product: injected}}"
    result = new("break-probe", "--title", title)
    assert result.exit_code == 0, result.output
    text = (repo / "architectures" / "break-probe.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[1] == "# Bots first legend: {product: injected}"
    data = yaml.safe_load(text)
    assert data["title"] == title.replace("\x85", " ")  # a quoted NEL folds into a space
    assert "injected" not in str(data.get("legend"))
    _, diags = load_architecture(repo / "architectures" / "break-probe.yaml")
    assert diags == []


def test_title_with_a_carriage_return_is_reported_at_the_title(repo):
    result = new("break-probe", "--title", "Bots first\rlegend: {product: injected}")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "architectures/break-probe.yaml:7:8: error: 'title' contains the control character U+000D [DG205]",
        "error: architectures/break-probe.yaml would not be valid; nothing written"]
    assert not (repo / "architectures" / "break-probe.yaml").exists()


def test_new_prints_what_the_readme_shows(tmp_path, monkeypatch):
    """The README's transcript of `diagramgen new demo --title Demo` in a repository that
    has nothing yet is what the command prints, line for line."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("$ diagramgen new demo --title Demo\n")
    shown = readme[start:readme.index("```", start)].split("\n", 1)[1]
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["new", "demo", "--title", "Demo"])
    assert (result.exit_code, result.stdout, result.stderr) == (0, shown, "")
