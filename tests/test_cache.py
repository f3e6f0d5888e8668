"""The render cache: unchanged inputs are not rendered again; --force renders anyway."""
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagramgen.cli import main

from conftest import ARCH_DIR

pytestmark = pytest.mark.dot


def lines(result):
    return sorted(line.split(":")[0] + ":" + line.split(":")[1].split(" in ")[0]
                  for line in result.output.splitlines() if line.startswith(("premium", "enterprise")))


@pytest.fixture
def archs(tmp_path):
    d = tmp_path / "architectures"
    shutil.copytree(ARCH_DIR / "fragments", d / "fragments")
    for name in ("premium.yaml", "enterprise.yaml"):
        shutil.copy(ARCH_DIR / name, d / name)
    return d


def render(archs, out, *extra):
    files = [str(archs / "premium.yaml"), str(archs / "enterprise.yaml")]
    steps = [] if "--steps" in extra else ["--no-steps"]
    return CliRunner().invoke(main, ["render", *files, "--out", str(out), "--format", "svg",
                                     "--progress", "-j", "1", *steps, *extra])


def test_second_render_skips_unchanged_architectures(archs, tmp_path):
    out = tmp_path / "out"
    first = render(archs, out)
    assert first.exit_code == 0, first.output
    assert lines(first) == ["enterprise: rendered 1 file(s)", "premium: rendered 1 file(s)"]
    before = (out / "premium.svg").stat().st_mtime_ns
    second = render(archs, out)
    assert lines(second) == ["enterprise: up to date", "premium: up to date"]
    assert (out / "premium.svg").stat().st_mtime_ns == before


def test_changed_file_rerenders_only_its_architecture(archs, tmp_path):
    out = tmp_path / "out"
    render(archs, out)
    with open(archs / "premium.yaml", "a", encoding="utf-8") as fh:
        fh.write("# a comment changes the content hash\n")
    again = render(archs, out)
    assert lines(again) == ["enterprise: up to date", "premium: rendered 1 file(s)"]


def test_changed_fragment_rerenders_every_architecture_that_includes_it(archs, tmp_path):
    out = tmp_path / "out"
    render(archs, out)
    with open(archs / "fragments" / "channels.yaml", "a", encoding="utf-8") as fh:
        fh.write("# changed\n")
    again = render(archs, out)
    assert lines(again) == ["enterprise: rendered 1 file(s)", "premium: rendered 1 file(s)"]


def test_missing_output_or_other_options_or_force_render_again(archs, tmp_path):
    out = tmp_path / "out"
    render(archs, out)
    (out / "premium.svg").unlink()
    assert lines(render(archs, out)) == ["enterprise: up to date", "premium: rendered 1 file(s)"]
    assert lines(render(archs, out, "--steps")) == ["enterprise: rendered 2 file(s)",
                                                     "premium: rendered 2 file(s)"]
    assert lines(render(archs, out, "--steps", "--force")) == ["enterprise: rendered 2 file(s)",
                                                               "premium: rendered 2 file(s)"]


def test_quiet_prints_nothing(archs, tmp_path):
    result = render(archs, tmp_path / "out", "-q")
    assert result.exit_code == 0
    assert result.output == ""


def test_outputs_no_longer_made_are_removed(archs, tmp_path, monkeypatch):
    """A deleted architecture's files do not linger in output/, and the step view drops
    a deleted step."""
    monkeypatch.chdir(tmp_path)  # default files: architectures/*.yaml here
    out = tmp_path / "output"
    first = CliRunner().invoke(main, ["render", "--format", "svg", "-j", "1"])
    assert first.exit_code == 0, first.output
    assert b'id="step-10"' in (out / "steps" / "premium.svg").read_bytes() and (out / "enterprise.svg").exists()
    text = (archs / "premium.yaml").read_text(encoding="utf-8")
    (archs / "premium.yaml").write_text(text[:text.index("  - step: 10\n")], encoding="utf-8")
    (archs / "enterprise.yaml").unlink()
    again = CliRunner().invoke(main, ["render", "--format", "svg", "-j", "1", "--progress"])
    assert again.exit_code == 0, again.output
    view = (out / "steps" / "premium.svg").read_bytes()
    assert b'id="step-9"' in view and b'id="step-10"' not in view
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "premium.svg", "steps"]
    assert sorted(p.name for p in (out / "steps").iterdir()) == ["premium.svg"]
    assert again.output.splitlines()[-1] == "rendered 1 architecture(s), 0 up to date, into output"


def test_render_to_reports_what_it_did(archs, tmp_path):
    from diagramgen.publish.outputs import render_to

    out = tmp_path / "lib"
    seen = []
    run = render_to(str(out), [str(archs / "premium.yaml")], ("svg",), (), jobs=1,
                    on_validated=lambda loaded, cached: seen.append(("validated", loaded.ok, len(cached))),
                    on_rendered=lambda m, n, s, kept: seen.append(("rendered", m.id, n, kept)))
    assert seen == [("validated", True, 0), ("rendered", "premium", 1, False)]
    assert [(m.id, [p.name for p in paths]) for m, paths in run.rendered] == [("premium", ["premium.svg"])]
    assert run.manifest == str(out / "manifest.json") and run.cached == [] and run.removed == []
    again = render_to(str(out), [str(archs / "premium.yaml")], ("svg",), (), jobs=1)
    assert [m.id for m in again.cached] == ["premium"] and again.rendered == []


def test_render_to_writes_nothing_when_a_file_is_bad(archs, tmp_path, write):
    from diagramgen.publish.outputs import render_to

    bad = write("bad.yaml", "id: x\n")
    run = render_to(str(tmp_path / "lib"), [str(archs / "premium.yaml"), str(bad)], ("svg",), (), jobs=1)
    assert not run.loaded.ok and run.rendered == []
    assert not (tmp_path / "lib").exists()


def test_tool_version_read_from_the_dist_info_folder_matches_the_package_metadata():
    from importlib.metadata import version

    from diagramgen.cache import installed_version

    assert installed_version("diagrams") == version("diagrams")


def test_pillow_version_read_without_importing_pillow_is_pillows_own():
    import PIL

    from diagramgen.cache import pillow_version

    assert pillow_version() == PIL.__version__


def test_makeall_renders_then_writes_the_docs_in_one_process(archs, tmp_path, monkeypatch, capsys):
    """render --steps, docs, then the kinds page, as `make` runs them."""
    from diagramgen import makeall

    monkeypatch.chdir(tmp_path)  # default files: architectures/*.yaml, output/ here
    assert makeall.run(["--format", "svg", "-j", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "rendered 2 architecture(s), 0 up to date, into output"
    assert out[1:-1] == [line for i in ("enterprise", "premium") for line in (
        f"wrote output/docs/{i}.md", f"wrote output/docs/diagrams/{i}.svg", f"wrote output/docs/diagrams/{i}.html")
    ] + ["wrote output/docs/index.md", "wrote output/manifest.json"]
    assert out[-1].startswith("wrote output/docs/kinds.md and ")
    assert (tmp_path / "output" / "docs" / "kinds.md").is_file()
    assert sorted(p.name for p in (tmp_path / "output" / "steps").iterdir()) == ["enterprise.svg", "premium.svg"]
    n_icons = int(out[-1].split(" and ")[1].split()[0])
    # after an edit only the files written (new or changed) are listed, not those left as they were
    text = (archs / "premium.yaml").read_text(encoding="utf-8")
    (archs / "premium.yaml").write_text(text + "# a comment changes no output\n", encoding="utf-8")
    assert makeall.run(["--format", "svg", "-j", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "rendered 1 architecture(s), 1 up to date, into output", "wrote output/manifest.json",
        f"output/docs/kinds.md and {n_icons} icons in output/docs/kinds: unchanged"]
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    (archs / "premium.yaml").write_text(text.replace(title, title + " (edited)"), encoding="utf-8")
    assert makeall.run(["--format", "svg", "-j", "1"]) == 0
    assert capsys.readouterr().out.splitlines() == [  # not enterprise's page and diagrams
        "rendered 1 architecture(s), 1 up to date, into output", "wrote output/docs/premium.md",
        "wrote output/docs/diagrams/premium.svg", "wrote output/docs/diagrams/premium.html",
        "wrote output/docs/index.md", "wrote output/manifest.json",
        f"output/docs/kinds.md and {n_icons} icons in output/docs/kinds: unchanged"]
    (archs / "premium.yaml").write_text("id: [\n", encoding="utf-8")
    assert makeall.run(["--format", "svg"]) == 1  # render fails: docs does not run
    assert "wrote" not in capsys.readouterr().out


def _make_in(folder, archs, args, monkeypatch, capsys):
    """makeall.run(args) in a project of its own in ``folder`` (a copy of ``archs``):
    (exit status, stdout lines, stderr lines, {output file: bytes})."""
    from diagramgen import makeall

    if not (folder / "architectures").exists():
        shutil.copytree(archs, folder / "architectures")
    monkeypatch.chdir(folder)
    status = makeall.run(args)
    captured = capsys.readouterr()
    files = {p.relative_to(folder / "output").as_posix(): p.read_bytes()
             for p in sorted((folder / "output").rglob("*")) if p.is_file()} if (folder / "output").is_dir() else {}
    return status, captured.out.splitlines(), captured.err.splitlines(), files


def test_makeall_without_options_does_what_the_command_line_does(archs, tmp_path, monkeypatch, capsys):
    """`make` passes no render options: makeall then calls the commands directly
    (commands.py) instead of through click. The same messages, exit status and files as
    the command line given render's default spelled out (-j 0), when all goes well, when
    an architecture is invalid, when diagramgen.yaml is, when the output cannot be
    written (a Failure), and when the command line refuses the output folder."""
    direct, through_cli = tmp_path / "direct", tmp_path / "cli"
    for folder in (direct, through_cli):
        folder.mkdir()
    first = _make_in(direct, archs, [], monkeypatch, capsys)
    assert first == _make_in(through_cli, archs, ["-j", "0"], monkeypatch, capsys)
    assert first[0] == 0 and first[1][0] == "rendered 2 architecture(s), 0 up to date, into output"
    assert {"premium.png", "premium.svg", "premium.html", "steps/premium.svg", "docs/premium.md"} <= set(first[3])
    for folder in (direct, through_cli):  # an invalid architecture: render fails, docs does not run
        text = (folder / "architectures" / "premium.yaml").read_text(encoding="utf-8")
        (folder / "architectures" / "premium.yaml").write_text(text.replace("\nid: ", "\nid: Not An Id\nx: "),
                                                                 encoding="utf-8")
    failed = _make_in(direct, archs, [], monkeypatch, capsys)
    assert failed == _make_in(through_cli, archs, ["-j", "0"], monkeypatch, capsys)
    assert failed[0] == 1 and failed[1] == [] and failed[3] == first[3]
    assert any(line.startswith(f"{Path('architectures') / 'premium.yaml'}:") for line in failed[2]), failed[2]
    for folder in (direct, through_cli):  # an invalid diagramgen.yaml
        (folder / "architectures" / "premium.yaml").write_text(text, encoding="utf-8")
        (folder / "diagramgen.yaml").write_text("kinds: [\n", encoding="utf-8")
    bad_settings = _make_in(direct, archs, [], monkeypatch, capsys)
    assert bad_settings == _make_in(through_cli, archs, ["-j", "0"], monkeypatch, capsys)
    assert bad_settings[0] == 1 and bad_settings[2][0].startswith("diagramgen.yaml:"), bad_settings[2]
    for folder in (direct, through_cli):  # output/steps is a file: no step view can be written
        (folder / "diagramgen.yaml").unlink()
        shutil.rmtree(folder / "output" / "steps")
        (folder / "output" / "steps").write_text("not a folder\n", encoding="utf-8")
        (folder / "architectures" / "premium.yaml").write_text(text + "# drawn again\n", encoding="utf-8")
    unwritable = _make_in(direct, archs, [], monkeypatch, capsys)
    assert unwritable == _make_in(through_cli, archs, ["-j", "0"], monkeypatch, capsys)
    assert unwritable[0] == 1 and unwritable[2][-1].startswith("error: "), unwritable[2]
    for folder in (direct, through_cli):  # output/ is a file: the command line's usage error
        shutil.rmtree(folder / "output")
        (folder / "output").write_text("not a folder\n", encoding="utf-8")
    refused = _make_in(direct, archs, [], monkeypatch, capsys)
    assert refused == _make_in(through_cli, archs, ["-j", "0"], monkeypatch, capsys)
    assert refused[0] == 2 and refused[2][-1] == "Error: Invalid value for '--out': Directory 'output' is a file.", refused


def test_makeall_without_options_imports_no_click(archs, tmp_path):
    """What `make` runs does not import click (its import is most of the time saved)."""
    import subprocess
    import sys

    code = ("import sys; from diagramgen import makeall; status = makeall.run([]); "
            "print(status, 'click' in sys.modules, file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.stderr.splitlines()[-1] == "0 False", done.stderr
    assert done.stdout.splitlines()[0] == "rendered 2 architecture(s), 0 up to date, into output"
