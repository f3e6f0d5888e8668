"""Diagnostics: rule codes documented in the README, severities, ranges, the JSON form,
and operational failures handled in one place."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_validate import BASE

from diagramgen.cli import main
from diagramgen.diagnostics import ERROR, NOTE, WARNING, Diagnostic, DiagramgenError, Failure, Pos, Severity
from diagramgen.model.validate import load_architecture

from conftest import ROOT

PACKAGE = ROOT / "diagramgen"
# a code as the package writes it: a string literal
USED = re.compile(r"""["'](DG\d{3})["']""")
# a row of the README's table: | DG301 | what it means | how to fix it |
ROW = re.compile(r"^\| (DG\d{3}) \| ([^|]*\S[^|]*) \| ([^|]*\S[^|]*) \|$")


def codes_in_package() -> set:
    return {c for p in PACKAGE.rglob("*.py") for c in USED.findall(p.read_text(encoding="utf-8"))}


def readme_rows() -> list:
    return [m.groups() for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
            if (m := ROW.match(line))]


def test_every_code_the_package_uses_is_documented_once_and_no_other():
    documented = [code for code, _, _ in readme_rows()]
    assert len(documented) == len(set(documented)), "a code is listed twice in the README"
    assert set(documented) == codes_in_package()


def test_the_readme_lists_codes_in_order():
    documented = [code for code, _, _ in readme_rows()]
    assert documented == sorted(documented)


def test_printed_form_ends_with_the_code():
    d = Diagnostic(Pos("a.yaml", 3, 7, 3, 12), ERROR, "unknown area 'x'", "DG308")
    assert str(d) == "a.yaml:3:7: error: unknown area 'x' [DG308]"
    assert str(Diagnostic(Pos("p.md", 4), NOTE, "skipped", "DG405")) == "p.md:4: note: skipped [DG405]"
    assert str(Diagnostic(Pos("a.yaml", 1, 1), WARNING, "w", "DG314")) == "a.yaml:1:1: warning: w [DG314]"


def test_severity_is_an_enum_that_reads_as_its_name():
    assert [s.value for s in Severity] == ["error", "warning", "note"]
    assert f"{WARNING}" == str(WARNING) == "warning" and ERROR == "error"
    assert not Diagnostic(Pos("a"), NOTE, "m", "DG404").is_error


def test_the_end_is_not_part_of_equality_and_defaults_to_the_start():
    a, b = Pos("a.yaml", 2, 3, 2, 9), Pos("a.yaml", 2, 3)
    assert a == b and hash(a) == hash(b)
    assert b.end == b and a.end == Pos("a.yaml", 2, 9)


def test_a_value_diagnostic_spans_the_yaml_value(write):
    path = write("a.yaml", BASE.replace("to: acs}", "to: acss}"))
    _, ds = load_architecture(path, shown="a.yaml")
    [d] = ds
    # line 20 is "      - {from: customer, to: acss}": the value 'acss' is columns 30-33
    assert (d.code, d.start, d.end) == ("DG309", Pos("a.yaml", 20, 30), Pos("a.yaml", 20, 34))


def test_a_key_diagnostic_spans_the_key(write):
    path = write("a.yaml", BASE.replace("scenario:", "scenari:"))
    _, ds = load_architecture(path, shown="a.yaml")
    d = next(d for d in ds if d.code == "DG214")
    assert (d.start.line, d.start.col, d.end.line, d.end.col) == (3, 1, 3, 8)


def test_a_yaml_error_has_its_start_as_its_end(write):
    path = write("a.yaml", "id: [demo\n")
    _, [d] = load_architecture(path, shown="a.yaml")
    assert d.code == "DG104" and d.end == d.start


def test_positions_after_a_unicode_line_separator_count_line_feeds_only(write):
    # U+2028 inside a quoted title: PyYAML counts it as a line break, editors do not
    text = BASE.replace("title: Demo", 'title: "De\u2028mo"').replace("to: acs}", "to: acss}")
    path = write("a.yaml", text)
    _, ds = load_architecture(path, shown="a.yaml")
    d = next(d for d in ds if d.code == "DG309")
    assert (d.start.line, d.start.col, d.end.line, d.end.col) == (20, 30, 20, 34)


def invoke(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_validate_json_gives_code_severity_start_and_end(write, monkeypatch):
    path = write("a.yaml", BASE.replace("to: acs}", "to: acss}"))
    monkeypatch.chdir(Path(path).parent)
    result = invoke("validate", "--json", "a.yaml")
    assert result.exit_code == 1 and result.stderr == ""
    assert [json.loads(line) for line in result.stdout.splitlines()] == [{
        "path": "a.yaml", "severity": "error", "code": "DG309",
        "message": "unknown component 'acss' in flow 'to' (did you mean 'acs'?)",
        "start": {"line": 20, "col": 30}, "end": {"line": 20, "col": 34}}]


def test_validate_json_of_a_valid_file_is_empty_and_exits_0(write, monkeypatch):
    path = write("a.yaml", BASE)
    monkeypatch.chdir(Path(path).parent)
    result = invoke("validate", "--json", "a.yaml")
    assert (result.exit_code, result.stdout) == (0, "")


def test_every_operational_error_class_is_a_failure():
    from diagramgen.diff.revisions import GitError
    from diagramgen.docs.checkdocs import PageError
    from diagramgen.docs.overview import OverviewError
    from diagramgen.draw.render import RenderError
    from diagramgen.draw.scene import IconError
    from diagramgen.draw.svg import SvgError
    from diagramgen.files import WriteError
    from diagramgen.model.iconfiles import IconFileError
    from diagramgen.publish.site import PublishError

    for cls in (GitError, PageError, OverviewError, RenderError, IconError, SvgError, IconFileError, WriteError,
                PublishError, DiagramgenError):
        assert issubclass(cls, Failure), cls
    e = WriteError("out/x.svg", "No space left on device")
    assert (e.message, str(e.path), e.reason) == ("cannot write out/x.svg: No space left on device", "out/x.svg",
                                                  "No space left on device")


def test_no_class_of_the_package_raises_a_bare_exception_type():
    """Exception classes of the package derive from Failure (or are internal to a module)."""
    internal = {"Failure", "LoadError", "_Reject"}  # the base; carried to a diagnostic inside the loader
    for p in PACKAGE.rglob("*.py"):
        for name, base in re.findall(r"^class (\w+)\((\w*Exception|\w*Error)\):", p.read_text(encoding="utf-8"),
                                     re.M):
            assert name in internal or base != "Exception", f"{p.name}: {name} is not a Failure"


@pytest.fixture
def failing(monkeypatch, tmp_path):
    """A command whose library call raises a Failure."""
    monkeypatch.chdir(tmp_path)

    def fail(*_a, **_k):
        raise Failure("cannot write schema/architecture.schema.json: Read-only file system")

    monkeypatch.setattr("diagramgen.publish.outputs.schemas_to", fail)


def test_the_cli_prints_a_failure_as_one_error_line_with_status_1(failing):
    result = invoke("schema", "--write")
    assert (result.exit_code, result.stdout, result.stderr) == (
        1, "", "error: cannot write schema/architecture.schema.json: Read-only file system\n")


def test_a_failure_with_diagnostics_prints_them(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "diagramgen.yaml").write_text("kinds: [x]\n", encoding="utf-8")
    result = invoke("kinds")
    assert result.exit_code == 1
    assert result.stderr == ("diagramgen.yaml:1:8: error: 'kinds' must be a mapping of kind ids to kinds, "
                             "got a list [DG201]\n")
