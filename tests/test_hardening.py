"""Hostile repositories and file names: what a pull request can put in architectures/,
output/ or a file name must not make diagramgen write, delete or print anything outside
what it owns. Each test checks the exact message, the exit status, and that nothing
outside the output folder changed."""
import json
import os
import shutil

import pytest
from click.testing import CliRunner

from diagramgen.cli import main

from conftest import snapshot


def small(arch_id: str = "demo", step_text: str = "Customers call in.", comp_id: str = "acs") -> str:
    """A small valid architecture: two components, one step."""
    return f"""id: {arch_id}
title: Demo
scenario: A small test.
products: [Demo]
assumptions: {{azure_foundation: false}}
areas:
  - {{id: customers, label: Customers}}
  - {{id: telephony, label: Telephony}}
components:
  - {{id: customer, kind: customer}}
  - {{id: {comp_id}, kind: communication_services}}
dataflow:
  - step: 1
    text: {json.dumps(step_text)}
    flows:
      - {{from: customer, to: {comp_id}}}
"""


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository folder (the working directory) with one architecture, and a folder
    beside it standing for everything outside the repository."""
    root = tmp_path / "repo"
    (root / "architectures").mkdir(parents=True)
    (root / "architectures" / "demo.yaml").write_text(small(), encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not diagramgen's\n", encoding="utf-8")
    monkeypatch.chdir(root)
    return root, outside


def invoke(*args):
    result = CliRunner().invoke(main, list(args))
    assert isinstance(result.exception, (SystemExit, type(None))), result.exception  # never a traceback
    return result


# --- writes and clean-up stay inside the output folder ----------------------------------
@pytest.mark.dot
def test_render_refuses_to_write_or_delete_through_a_linked_steps_folder(repo):
    root, outside = repo
    assert invoke("render", "--format", "svg", "-j", "1").exit_code == 0
    manifest = json.loads((root / "output" / "manifest.json").read_text(encoding="utf-8"))
    # an architecture that no longer exists, whose step view is now a file outside
    manifest["architectures"]["ghost"] = {"file": "architectures/ghost.yaml", "render": {
        "inputs": {}, "tool": {}, "outputs": ["ghost.svg", "steps/ghost-step-1.svg"]}}
    (root / "output" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (outside / "ghost-step-1.svg").write_text("outside\n", encoding="utf-8")
    for p in (root / "output" / "steps").iterdir():
        p.unlink()
    (root / "output" / "steps").rmdir()
    os.symlink(outside, root / "output" / "steps")
    (root / "architectures" / "demo.yaml").write_text(small(step_text="Changed."), encoding="utf-8")
    before, output_before = snapshot(outside), snapshot(root / "output")
    result = invoke("render", "--format", "svg", "-j", "1")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: cannot write output/steps/demo.svg: output/steps is a symbolic link; diagramgen "
        "does not write or remove through links inside the output folder"]
    assert snapshot(outside) == before
    assert snapshot(root / "output") == output_before


@pytest.mark.dot
def test_clean_up_removes_only_files_this_tool_makes(repo):
    root, outside = repo
    assert invoke("render", "--format", "svg", "--no-steps", "-j", "1").exit_code == 0
    out = root / "output"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    os.symlink(outside / "keep.txt", out / "ghost.png")
    manifest["architectures"]["ghost"] = {"file": "architectures/ghost.yaml", "render": {
        "inputs": {}, "tool": {}, "outputs": ["../../outside/keep.txt", str(outside / "keep.txt"), "notes.txt",
                                              "ghost.png", "demo.svg", "ghost.svg"]}}
    (out / "ghost.svg").write_text("left over\n", encoding="utf-8")
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    before = snapshot(outside)
    result = invoke("render", "--format", "svg", "--no-steps", "-j", "1", "--progress")
    assert result.exit_code == 0, result.output
    assert snapshot(outside) == before
    assert (out / "notes.txt").exists() and (out / "demo.svg").exists()  # not ghost's to remove
    assert not (out / "ghost.svg").exists()  # ghost's own left-over output is removed
    assert os.path.islink(out / "ghost.png")  # a link is never followed nor removed
    assert "warning: cannot remove output/ghost.png: is not a regular file; only files diagramgen wrote are " \
           "removed" in result.stderr.splitlines()
    assert "ghost" not in json.loads((out / "manifest.json").read_text(encoding="utf-8"))["architectures"]


@pytest.mark.parametrize("product, name, yes", [
    ("render", "demo.svg", True), ("render", "demo.png", True), ("render", "demo.html", True),
    ("render", "demo.pdf", True), ("render", "demo.dot", False), ("render", "demo.svg.bak", False),
    ("render", "demox.svg", False), ("render", "demo_2.svg", False), ("render", "demo", False),
    ("render", "steps/demo.svg", True), ("render", "steps/demo.png", False), ("render", "steps/demo2.svg", False),
    ("render", "steps/demo-step-1.png", True), ("render", "steps/demo-step-9999.svg", True),
    ("render", "steps/demo-step-10000.png", False), ("render", "steps/demo-step-0.png", False),
    ("render", "steps/demo-step-01.png", False), ("render", "steps/demo-step-integration-a.png", True),
    ("render", "steps/demo-step-integration-abcde.png", False), ("render", "steps/demo-step-Integration-a.png", False),
    ("render", "steps/demo-step-1.html", False), ("render", "steps/demo-step-1.png/x", False),
    ("render", "steps/demo-step-1.png\n", False), ("render", "steps/demo-x-step-1.png", False),
    ("render", "../demo.svg", False), ("render", "/demo.svg", False), ("render", "docs/demo.md", False),
    ("docs", "docs/demo.md", True), ("docs", "docs/diagrams/demo.svg", True), ("docs", "docs/diagrams/demo.html", True),
    ("docs", "docs/diagrams/demo.pdf", True), ("docs", "docs/diagrams/demo.png", True),
    ("docs", "docs/diagrams/demo.md", False), ("docs", "docs/demo.svg", False), ("docs", "docs/demo2.md", False),
    ("docs", "docs/diagrams/demo2.svg", False), ("docs", "demo.svg", False), ("docs", "docs/demo.md.bak", False),
])
def test_only_the_names_of_an_architectures_own_outputs_are_its_outputs(product, name, yes):
    from diagramgen.publish.manifest import is_output_name

    assert is_output_name("demo", product, name) is yes


def test_manifest_with_wrong_types_is_ignored_not_a_traceback(repo):
    root, _ = repo
    out = root / "output"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"format": 1, "architectures": {
        "demo": {"render": {"inputs": [1, 2], "outputs": {"a": 1}, "options": 7}, "docs": "x"},
        "../x": {"render": {"outputs": ["a"]}}, "ghost": ["not", "a", "mapping"]}}), encoding="utf-8")
    result = invoke("check-outputs", "--manifest", str(out / "manifest.json"))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{out / 'manifest.json'}: error: demo is out of date (render: never generated; docs: never generated); "
        'run "diagramgen render && diagramgen docs" [DG603]']


# --- file names are escaped for every place they are printed ----------------------------
def test_file_name_cannot_close_the_docs_page_comment(repo):
    from lxml import html as lhtml
    from markdown_it import MarkdownIt

    root, _ = repo
    name = "x--><img src=x onerror=alert(1)>.yaml"
    (root / "architectures" / "demo.yaml").rename(root / "architectures" / name)
    assert invoke("render", "--format", "svg", "--no-steps").exit_code == 0  # docs shows the diagram
    result = invoke("docs")
    assert result.exit_code == 0, result.output
    page = (root / "output" / "docs" / "demo.md").read_text(encoding="utf-8")
    assert page.splitlines()[0] == ("<!-- Generated by diagramgen from architectures/x-%2D%3E%3Cimg src=x "
                                    "onerror=alert%281%29%3E.yaml; edit that file, then run make docs. -->")
    doc = lhtml.fromstring(f"<div>{MarkdownIt('commonmark').enable('table').render(page)}</div>")
    assert doc.findall(".//img") == [] or all(i.get("src", "").startswith("diagrams/demo.") for i in doc.findall(".//img"))
    assert "onerror" not in doc.text_content()


def test_backtick_in_a_file_name_stays_inside_its_code_span():
    from markdown_it import MarkdownIt

    from diagramgen.diff.compare import diff_sets
    from diagramgen.diff.report import render_markdown
    from diagramgen.markdown import code

    assert code("a`b|c") == "``a`b\\|c``"
    assert code("`x") == "`` `x ``"
    assert code("line\nbreak") == "`line\\nbreak`"
    from diagramgen.diff.compare import DiffResult, diff_architectures  # noqa: F401

    md = render_markdown(diff_sets({}, {}, "main`<img src=x onerror=alert(1)>", "head"))
    assert md.splitlines()[2] == "Comparing ``main`<img src=x onerror=alert(1)>`` with `head`."
    html = MarkdownIt("commonmark").render(md)
    assert "<img" not in html and "&lt;img" in html


def test_control_characters_in_names_reach_the_terminal_escaped(repo):
    root, _ = repo
    bad = root / "architectures" / "t\x1b]0;pwned\x07\n::error file=x::owned.yaml"
    bad.write_text("id: [1]\n", encoding="utf-8")
    result = invoke("validate", str(bad.relative_to(root)))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("architectures/t\\x1b]0;pwned\\x07\\n::error file=x::owned.yaml:1:1: error: ")
    assert not any(line.startswith("::") or "\x1b" in line for line in lines)


def test_control_characters_in_keys_are_escaped(tmp_path):
    p = tmp_path / "a.yaml"
    p.write_text('"\\e]0;pwned\\a": 1\nid: demo\n', encoding="utf-8")
    result = invoke("validate", str(p))
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert result.stderr.splitlines()[0] == f"{p}:1:1: error: key contains the control character U+001B [DG109]"


# --- diff: links in a revision, and where its report may go -----------------------------
def git(root, *args):
    import subprocess

    subprocess.run(["git", "-C", str(root), "-c", "user.email=t@example.com", "-c", "user.name=T", *args],
                   check=True, capture_output=True)


@pytest.mark.skipif(__import__("shutil").which("git") is None, reason="git is not installed")
def test_diff_base_does_not_follow_links_committed_in_the_revision(repo):
    root, outside = repo
    os.symlink("/etc/passwd", root / "architectures" / "evil.yaml")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    result = invoke("diff", "--base", "main")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "main:architectures/evil.yaml:1:1: error: is a symbolic link in this revision; links are not followed, "
        "commit the file itself [DG112]",
        "architectures/evil.yaml:1:1: error: is a symbolic link to a file outside its folder; architecture files "
        "are not read through such links [DG112]"]
    assert "root:" not in result.output


@pytest.mark.parametrize("target, reason", [
    ("/dev/null", "is not a regular file; diagramgen only replaces regular files"),
    ("link.md", "is a symbolic link; remove it first, diagramgen only replaces regular files"),
])
def test_diff_output_refuses_devices_and_links(repo, target, reason):
    root, outside = repo
    os.symlink(outside / "keep.txt", root / "link.md")
    demo = "architectures/demo.yaml"
    before = snapshot(outside)
    result = invoke("diff", demo, demo, "--output", target)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"error: cannot write {target}: {reason}"]
    assert snapshot(outside) == before and os.path.islink(root / "link.md")


# --- make: an edit saved during a render is not lost -------------------------------------
@pytest.mark.skipif(__import__("shutil").which("make") is None, reason="make is not installed")
def test_make_stamps_the_time_the_render_started():
    import subprocess

    from conftest import ROOT

    # by default one process renders, writes the docs and makes the stamp (makeall --stamp,
    # see test_makeall_stamp_*); with DIAGRAMGEN=PATH, commands between touch and mv
    def recipe(*extra):
        proc = subprocess.run(["make", "-n", "-W", "architectures/premium.yaml", *extra, "output/.made"], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        return [line.strip() for line in proc.stdout.splitlines() if ".made" in line]

    assert recipe() == [".venv/bin/python -m diagramgen.makeall --stamp output/.made"]
    assert recipe("DIAGRAMGEN=/opt/dg") == [
        "mkdir -p output && touch output/.made.started && /opt/dg render --steps  && /opt/dg docs && "
        "/opt/dg kinds --page output/docs/kinds.md && mv output/.made.started output/.made"]


@pytest.mark.skipif(__import__("shutil").which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("change", ["rename", "remove", "move in"])
def test_make_runs_again_when_an_architecture_is_renamed_removed_or_moved_in_with_its_old_time(tmp_path, change):
    # none of these gives a file a new time; the folder gets one
    import subprocess
    import time

    from conftest import ROOT

    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    arch = tmp_path / "architectures"
    arch.mkdir()
    (arch / "alpha.yaml").write_text("id: alpha\n", encoding="utf-8")
    (tmp_path / "elsewhere.yaml").write_text("id: beta\n", encoding="utf-8")
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / ".made").write_bytes(b"")
    now = time.time_ns()
    for path, age in ((arch / "alpha.yaml", 200), (tmp_path / "elsewhere.yaml", 200), (arch, 200),
                      (tmp_path / "output" / ".made", 100)):
        os.utime(path, ns=(now - age * 10**9, now - age * 10**9))

    def up_to_date() -> bool:
        return subprocess.run(["make", "-q", "DIAGRAMGEN=/bin/true", "output/.made"], cwd=tmp_path,
                              capture_output=True, timeout=60).returncode == 0

    assert up_to_date()
    if change == "rename":
        os.rename(arch / "alpha.yaml", arch / "gamma.yaml")
    elif change == "remove":
        os.remove(arch / "alpha.yaml")
    else:
        os.rename(tmp_path / "elsewhere.yaml", arch / "beta.yaml")
    assert not up_to_date()


def test_makeall_stamp_is_the_file_made_before_the_run_and_only_a_good_run_leaves_one(tmp_path, monkeypatch):
    from diagramgen import makeall

    stamp = tmp_path / "out" / ".made"
    seen = []

    def run(args, status):
        started = tmp_path / "out" / ".made.started"
        seen.append((args, started.stat().st_ino, stamp.exists()))  # made before the commands run
        return status

    monkeypatch.setattr(makeall, "compile_package", lambda: None)
    monkeypatch.setattr(makeall, "bytecode_folders", lambda: None)
    monkeypatch.setattr(makeall, "run", lambda args: run(args, 0))
    assert makeall.main(["--stamp", str(stamp), "--format", "svg"]) == 0
    assert seen == [(["--format", "svg"], stamp.stat().st_ino, False)]  # the same file, renamed
    assert sorted(p.name for p in stamp.parent.iterdir()) == [".made"]
    # a failed run: the old stamp stays as it was and no .started is left behind
    old = stamp.stat()
    monkeypatch.setattr(makeall, "run", lambda args: run(args, 2))
    assert makeall.main([f"--stamp={stamp}"]) == 2
    assert seen[-1][0] == [] and seen[-1][2]
    assert sorted(p.name for p in stamp.parent.iterdir()) == [".made"]
    assert (stamp.stat().st_ino, stamp.stat().st_mtime_ns) == (old.st_ino, old.st_mtime_ns)
    # without --stamp no stamp is made
    monkeypatch.setattr(makeall, "run", lambda args: 0)
    stamp.unlink()
    assert makeall.main(["--format", "svg"]) == 0
    assert list(stamp.parent.iterdir()) == []


@pytest.mark.parametrize("dont_write", [True, False])
def test_makeall_stamp_is_made_once_the_package_folders_hold_their_bytecode_folders(tmp_path, monkeypatch, dont_write):
    """The package's folders are prerequisites of make's stamp: a folder that gets a new
    entry after the stamp is started (the __pycache__ a first run writes the bytecode
    into, itself or through Python) is newer than the stamp, and the next make runs
    again instead of finding nothing to do."""
    import sys

    from diagramgen import files, makeall

    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "data").mkdir()  # no module: Python writes no bytecode there
    for name in ("__init__.py", "sub/__init__.py", "sub/b.py"):
        (pkg / name).write_text("X = 1\n", encoding="utf-8")
    monkeypatch.setattr(makeall, "PACKAGE", pkg)
    monkeypatch.setattr(sys, "dont_write_bytecode", dont_write)
    monkeypatch.setattr(sys, "pycache_prefix", None)

    def listings() -> dict:
        return {str(d.relative_to(pkg)): sorted(os.listdir(d)) for d in (pkg, pkg / "sub", pkg / "data")}

    at_stamp = []
    real_start = files.start_stamp

    def start_stamp(path):
        started = real_start(path)
        at_stamp.append(listings())
        return started

    monkeypatch.setattr(files, "start_stamp", start_stamp)
    monkeypatch.setattr(makeall, "run", lambda args: 0)
    assert makeall.main(["--stamp", str(tmp_path / "out" / ".made")]) == 0
    assert at_stamp == [listings()]  # nothing added to a package folder after the stamp
    assert at_stamp[0] == {".": ["__init__.py", "__pycache__", "data", "sub"], "sub": ["__init__.py", "__pycache__", "b.py"],
                           "data": []}


# --- the diff overlay and generated DOT ids ---------------------------------------------
@pytest.mark.dot
def test_step_text_that_looks_like_dot_statements_cannot_break_the_overlay(tmp_path):
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(small(), encoding="utf-8")
    new.write_text(small(step_text='Customers call.\n\tcustomer [x]\n\tacs -> customer [label="y"]\u2028\tacs ['),
                   encoding="utf-8")
    image = tmp_path / "overlay.svg"
    result = invoke("diff", str(old), str(new), "--image", str(image))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"wrote {image}"]
    from lxml import etree

    titles = [t.text for t in etree.fromstring(image.read_bytes()).iter("{*}title")]
    assert 'Step 1: Customers call.\n\tcustomer [x]\n\tacs -> customer [label="y"]\u2028\tacs [' in titles


def test_a_component_id_cannot_take_a_step_circles_place(tmp_path):
    from diagramgen.draw import scene
    from diagramgen.model.validate import load_architecture

    p = tmp_path / "demo.yaml"
    p.write_text(small(comp_id="step1_from_customer"), encoding="utf-8")
    model, diags = load_architecture(p)
    assert model is not None, [str(d) for d in diags]
    dot = scene.build(model)
    assert [b.id for s in model.steps for b in scene.badges(s)] == ["_step1_from_customer"]
    # the component keeps its own node, the circle its own, and the flow runs through both
    assert "\tstep1_from_customer [" in dot and "\t_step1_from_customer [" in dot
    assert "\tcustomer -> _step1_from_customer [" in dot
    assert "\t_step1_from_customer -> step1_from_customer [" in dot


# --- layout cost --------------------------------------------------------------------------
@pytest.mark.parametrize("n, m", [(600, 600), (50, 1001)])  # components x flows; flows alone
def test_an_architecture_too_costly_to_lay_out_is_refused_before_dot_runs(repo, monkeypatch, n, m):
    import yaml

    from diagramgen.draw import scene

    root, _ = repo
    doc = yaml.safe_load(small())
    doc["components"] = [{"id": f"c{i}", "kind": "functions", "area": "telephony"} for i in range(n)]
    pairs = [(a, b) for a in range(n) for b in range(n) if a != b][:m]
    doc["dataflow"] = [{"step": k // 10 + 1, "text": "Many flows.",
                        "flows": [{"from": f"c{a}", "to": f"c{b}"} for a, b in pairs[k:k + 10]]}
                       for k in range(0, len(pairs), 10)]
    (root / "architectures" / "demo.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    monkeypatch.setenv("PATH", str(root / "no-dot-here"))  # dot must not even be looked for
    assert invoke("validate").exit_code == 0
    result = invoke("render")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: architectures/demo.yaml: too large to lay out: {n} components and {m} flows (limits: "
        f"{scene.MAX_LAYOUT_FLOWS} flows, and components x flows at most {scene.MAX_LAYOUT_COST}); split it into "
        "several architectures"]
    assert not (root / "output").exists()


# --- small leftovers ----------------------------------------------------------------------
def test_the_same_file_named_twice_is_checked_once(repo):
    result = invoke("validate", "architectures/demo.yaml", "./architectures/demo.yaml")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == ["0 error(s), 0 warning(s)"]


def test_a_failed_new_leaves_no_folder_behind(repo):
    from conftest import ARCH_DIR

    root, _ = repo
    result = invoke("new", "other", "--title", "Other", "--from", str(ARCH_DIR / "premium.yaml"), "--dir", "x/y")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == "error: x/y/other.yaml would not be valid; nothing written"
    assert not (root / "x").exists()


# --- docs_page: read only, regular files only, with a size cap ----------------------------
def with_docs_page(root, page: str) -> None:
    text = small().replace("title: Demo\n", f"title: Demo\ndocs_page: {page}\n")
    (root / "architectures" / "demo.yaml").write_text(text, encoding="utf-8")


def test_docs_page_outside_the_repository_is_read_but_never_written(repo):
    root, outside = repo
    page = outside / "page.md"
    page.write_text("# Demo\n\n## Dataflow\n\n1. Customers call Azure Communication Services.\n", encoding="utf-8")
    with_docs_page(root, "../../outside/page.md")
    before = snapshot(outside)
    result = invoke("check-docs")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["ok ../outside/page.md (1 steps of architectures/demo.yaml)"]
    assert invoke("render", "--format", "svg", "--no-steps").exit_code == 0
    assert invoke("docs").exit_code == 0
    assert snapshot(outside) == before


@pytest.mark.parametrize("make, message", [
    (lambda p: os.symlink("/dev/zero", p), "is not a regular file [DG402]"),
    (lambda p: p.write_bytes(b"x" * 1_000_001), "the page is 1000001 bytes, over the limit of 1000000 bytes [DG402]"),
])
def test_check_docs_refuses_devices_and_huge_pages(repo, make, message):
    root, outside = repo
    make(outside / "page.md")
    with_docs_page(root, "../../outside/page.md")
    result = invoke("check-docs")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"../outside/page.md: error: {message}"]


def test_list_json_keeps_one_object_per_line(repo):
    root, _ = repo
    text = small().replace("title: Demo\n", 'title: "Demo\\u2028two\\u2029three"\n')
    (root / "architectures" / "demo.yaml").write_text(text, encoding="utf-8")
    result = invoke("list", "--json")
    assert result.exit_code == 0
    lines = result.stdout.split("\n")
    assert len(lines) == 2 and lines[1] == ""
    assert json.loads(lines[0])["title"] == "Demo\u2028two\u2029three"
    assert "\\u2028two\\u2029three" in lines[0]


def test_kinds_json_and_table_keep_one_kind_per_line(repo):
    """A repository kind whose label and aliases hold line or paragraph separators: still
    one JSON object per line for `kinds --json`, one row per kind in the table."""
    root, _ = repo
    (root / "diagramgen.yaml").write_text(
        'kinds:\n  crew:\n    label: "Field\\u2028crew"\n    icon: "diagrams:onprem.client.Users"\n'
        '    area: customers\n    aliases: ["tech\\u2029nician"]\n', encoding="utf-8")
    result = invoke("kinds", "--json")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == result.stdout.split("\n")[:-1]  # no separator but the newline
    rows = [json.loads(line) for line in lines]
    crew = next(r for r in rows if r["id"] == "crew")
    assert (crew["label"], crew["aliases"]) == ("Field\u2028crew", ["tech\u2029nician"])
    table = invoke("kinds")
    assert table.exit_code == 0
    assert table.stdout.splitlines() == table.stdout.split("\n")[:-1]
    assert [line.split()[:2] for line in table.stdout.splitlines() if line.startswith("crew ")] == [
        ["crew", "Field\\u2028crew"]]


@pytest.mark.parametrize("command", [["validate"], ["render"], ["docs"], ["list", "--json"], ["check-outputs"]])
def test_surrogate_escape_is_one_error_in_every_command(repo, command):
    root, _ = repo
    (root / "architectures" / "demo.yaml").write_text(small().replace("title: Demo", 'title: "\\ud83d\\ude00"'),
                                                      encoding="utf-8")
    result = invoke(*command)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "architectures/demo.yaml:2:8: error: the escape for U+D83D is half of a surrogate pair, not a character: "
        "write the character itself (or its 8-digit \\U escape) [DG109]")
    assert not (root / "output").exists()


def test_deeply_nested_manifest_is_an_error_line(repo):
    root, _ = repo
    (root / "output").mkdir()
    (root / "output" / "manifest.json").write_text("[" * 100_000, encoding="utf-8")
    result = invoke("check-outputs")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "output/manifest.json: error: cannot read the manifest (nested too deeply); "
        'run "diagramgen render && diagramgen docs" [DG601]']


@pytest.mark.dot
@pytest.mark.parametrize("name", ["a#b.png", "a?b.png", "100%.png", "%2E%2E%2Fx.png"])
def test_icon_names_with_url_characters_are_plain_file_names(repo, name):
    """'#', '?' and '%' in an icon's file name are characters of the name, in validate and
    in render alike: the icon is drawn from that very file."""
    from diagramgen.model.catalog import ICON_DIR

    root, _ = repo
    (root / "architectures" / "icons").mkdir()
    shutil.copyfile(ICON_DIR / "customer.png", root / "architectures" / "icons" / name)
    text = small().replace("  - {id: customer, kind: customer}",
                           f"  - {{id: customer, kind: customer, icon: {json.dumps('icons/' + name)}}}")
    (root / "architectures" / "demo.yaml").write_text(text, encoding="utf-8")
    assert invoke("validate").exit_code == 0
    result = invoke("render", "--format", "svg", "--no-steps")
    assert result.exit_code == 0, result.output
    svg = (root / "output" / "demo.svg").read_text(encoding="utf-8")
    assert svg.count("<symbol ") == 2  # the custom icon and Azure Communication Services'


@pytest.mark.parametrize("name, where", [("a.svg", "a.svg"), ("steps/a.svg", "steps/a.svg"),
                                         ("docs//kinds/x.png", "docs/kinds/x.png"), ("./a.svg", "a.svg")])
def test_an_output_name_inside_the_folder_is_where_it_goes(tmp_path, name, where):
    from pathlib import Path

    from diagramgen.files import output_path

    for out_dir in (str(tmp_path), tmp_path):
        checked: set = set()
        assert output_path(out_dir, name, checked) == tmp_path / where
        assert output_path(out_dir, name, checked) == tmp_path / where  # the folders checked once
        assert checked == {Path(where).parts[:-1]}


@pytest.mark.parametrize("name", ["", ".", "..", "../a.svg", "steps/../../a.svg", "/tmp/a.svg", "a/./.."])
def test_an_output_name_outside_the_folder_is_refused(tmp_path, name):
    from diagramgen.files import WriteError, output_path

    with pytest.raises(WriteError, match="not a name inside the output folder"):
        output_path(tmp_path, name)


def test_an_output_under_a_linked_or_a_file_folder_is_refused(tmp_path):
    from diagramgen.files import WriteError, output_path

    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "steps")
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    with pytest.raises(WriteError, match="steps is a symbolic link"):
        output_path(tmp_path, "steps/a.svg")
    with pytest.raises(WriteError, match="plain is not a folder"):
        output_path(tmp_path, "plain/a.svg")
