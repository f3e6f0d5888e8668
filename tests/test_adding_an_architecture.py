"""Adding an architecture the way README.md says keeps the suite and `make check` green.

A copy of the repository (its tracked and untracked, not ignored, files) gets a new
architecture: `diagramgen new`, then the file is edited, then `make validate`, `make`,
the golden files are accepted with DIAGRAMGEN_UPDATE_GOLDEN=1 and `make check` runs. The
per-architecture checks of tests/test_architectures.py then run, in a pytest subprocess,
against the copy, whose architectures/ now holds one more file. The copy's `make` runs
the diagramgen installed beside this Python (Makefile variable DIAGRAMGEN), so no
virtualenv is made. Only the new architecture is rendered: the copied manifest says the
others are up to date.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

DIAGRAMGEN = Path(sys.executable).parent / "diagramgen"

pytestmark = [
    pytest.mark.dot,
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed"),
    pytest.mark.skipif(not DIAGRAMGEN.is_file(), reason=f"no diagramgen command beside {sys.executable} "
                       "(install the package: make)"),
]

# What a contributor writes after `diagramgen new`: a small self-service architecture that
# shares the channels, Dataverse and Azure fragments with the published ones.
ARCHITECTURE = """\
# yaml-language-server: $schema=../schema/architecture.schema.json
id: {id}
title: {title}
scenario: I want customers to settle simple requests in web chat and reach an agent only when they need one.
products: [Dynamics 365 Contact Center, Microsoft Copilot Studio]
summary:
  - A Copilot Studio agent answers web chat first, with answers drawn from Dataverse.
  - Conversations it cannot finish reach an agent together with their transcript.
assumptions:
  azure_foundation: false
legend:
  product: Dynamics 365 Contact Center
  platform: Microsoft platform
include:
  - {{file: fragments/channels.yaml, standalone: true}}
  - fragments/dataverse.yaml
  - fragments/azure-band.yaml
areas:
  - {{id: self_service, label: Self service}}
  - {{id: routing, label: Routing}}
  - {{id: agent, label: Agent experience}}
layout:
  columns:
    - [customers]
    - [self_service]
    - [routing]
    - [agent, dataverse]
    - [azure]
components:
  - id: copilot_studio
    kind: copilot_studio
    description: The agent that greets customers and answers common questions.
  - id: routing
    kind: unified_routing
    description: Picks an agent with the right skills.
  - id: workspace
    kind: agent_workspace
    description: Where agents take over conversations.
dataflow:
  - step: 1
    text: Customers open a web chat, and the Copilot Studio agent answers.
    flows:
      - {{from: web_chat, to: copilot_studio, both: true}}
  - step: 2
    text: The Copilot Studio agent looks up orders and cases in Dataverse to answer.
    flows:
      - {{from: copilot_studio, to: dataverse}}
  - step: 3
    text: When the customer asks for a person, the Copilot Studio agent hands the chat to unified routing.
    flows:
      - {{from: copilot_studio, to: routing}}
  - step: 4
    text: Routing offers the chat to an agent, who sees the transcript in the agent workspace.
    flows:
      - {{from: routing, to: workspace}}
"""
TITLE = "Web chat deflection with Copilot Studio in front of Dynamics 365 Contact Center"

# Files that every added architecture changes besides its own ones.
SHARED_FILES = {"output/manifest.json", "output/docs/index.md", "tests/golden/docs/index.md"}


def clean_env() -> dict:
    """This process's environment without what would steer the runs in the copy: golden
    rewrites, an outer make's flags, git's repository overrides, a DIAGRAMGEN setting."""
    drop = {"DIAGRAMGEN", "DIAGRAMGEN_UPDATE_GOLDEN", "MAKEFLAGS", "MFLAGS", "MAKELEVEL",
            "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def run(cmd, cwd, **env):
    done = subprocess.run(cmd, cwd=cwd, env={**clean_env(), **env}, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"{' '.join(map(str, cmd))} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def copy_repository(dst: Path) -> None:
    """The repository's files as git sees them (tracked, plus untracked ones not ignored)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, env=clean_env(), capture_output=True)
    if listed.returncode != 0:
        pytest.skip(f"{ROOT} is not a git checkout")
    for name in sorted(set(listed.stdout.decode("utf-8").split("\0")) - {""}):
        src = ROOT / name
        if src.is_file() or src.is_symlink():  # a tracked file may be deleted in the work tree
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / name, follow_symlinks=False)


def git(repo, *args) -> str:
    return run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args], repo)


def test_an_architecture_added_as_the_readme_says_passes_the_checks(tmp_path):
    repo = tmp_path / "repo"
    copy_repository(repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "copy")
    make = ["make", "--no-print-directory", f"DIAGRAMGEN={DIAGRAMGEN}"]

    # 1. diagramgen new (an id no architecture of the repository has yet)
    taken = {p.stem for p in (repo / "architectures").glob("*.y*ml")}
    n = next(i for i in range(1, 100) if f"chat-deflection-{i}" not in taken)
    arch_id, name = f"chat_deflection_{n}", f"chat-deflection-{n}"
    out = run([DIAGRAMGEN, "new", arch_id, "--title", TITLE], repo)
    assert f"wrote architectures/{name}.yaml" in out
    path = repo / "architectures" / f"{name}.yaml"
    # 2.-3. its areas, components and steps
    path.write_text(ARCHITECTURE.format(id=arch_id, title=TITLE), encoding="utf-8")
    # 4. make validate, then make
    run(make + ["validate"], repo)
    run(make, repo)
    # 5. accept the new golden files, then the suite's checks of every architecture
    golden = ["tests/test_render.py::test_dot_matches_golden", "tests/test_docs.py::test_page_matches_golden",
              "tests/test_docs.py::test_index_matches_golden"]
    pytest_cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    run(pytest_cmd + ["-q"] + golden, repo, DIAGRAMGEN_UPDATE_GOLDEN="1")
    checked = run(pytest_cmd + ["-v", "tests/test_architectures.py"] + golden, repo)
    assert re.search(r"^=+ \d+ passed in ", checked, re.M), checked  # nothing skipped or failed
    assert f"test_docs_page_lists_exactly_its_steps[{arch_id}] PASSED" in checked
    assert f"test_dot_matches_golden[{name}.yaml] PASSED" in checked
    # make check: validate, the mapped pages, output/ up to date
    run(make + ["check"], repo)

    # What to commit: the new file and its own outputs and golden files, plus the
    # manifest and the two indexes; no other architecture's outputs changed.
    status = git(repo, "status", "--porcelain", "--untracked-files=all").splitlines()
    changed = {line[3:] for line in status if not line.startswith("??")}
    added = {line[3:] for line in status if line.startswith("??")}
    assert changed == SHARED_FILES, f"changed besides the new architecture's files: {changed - SHARED_FILES}"
    assert {f"architectures/{name}.yaml", f"tests/golden/{name}.dot", f"tests/golden/docs/{name}.md",
            f"output/{arch_id}.png", f"output/{arch_id}.svg", f"output/{arch_id}.html",
            f"output/docs/{arch_id}.md", f"output/steps/{arch_id}.svg"} <= added
    assert [a for a in added if arch_id not in a and name not in a] == []
