"""Hostile repositories and file names: what a pull request can put in architectures/,
output/ or a file name must not make diagramgen write, delete or print anything outside
what it owns. Each test checks the exact message, the exit status, and that nothing
outside the output folder changed."""
import json
import os
from pathlib import Path

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
        "error: cannot write output/steps/demo-step-1.svg: output/steps is a symbolic link; diagramgen "
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
        "regenerate it with make"]
