"""Architecture diffs: the semantic diff, its reports, and git revisions in real repositories."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.diff import compare as D

from conftest import ARCH_DIR, assert_golden

# A frozen copy of the architectures, so these tests do not change with the real files.
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "architectures"

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")


def run_git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git repository holding a copy of architectures/ (one commit, branch main)."""
    r = tmp_path / "repo"
    shutil.copytree(FIXTURE, r / "architectures")
    run_git(r, "init", "-q", "-b", "main")
    run_git(r, "config", "user.email", "test@example.com")
    run_git(r, "config", "user.name", "Test")
    run_git(r, "add", "-A")
    run_git(r, "commit", "-q", "-m", "base")
    monkeypatch.chdir(r)
    return r


def edit(repo, name, *pairs, commit=None):
    """Replace text in architectures/NAME (each old text must occur exactly once)."""
    p = repo / "architectures" / name
    s = p.read_text(encoding="utf-8")
    for old, new in pairs:
        assert s.count(old) == 1, old
        s = s.replace(old, new)
    p.write_text(s, encoding="utf-8")
    if commit:
        run_git(repo, "commit", "-q", "-am", commit)


def cli(*args):
    r = CliRunner().invoke(main, ["diff", *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r


INSERT_STEP = ("""  - step: 3
    text: Conversations a bot cannot finish""", """  - step: 3
    text: Routing asks the supervisor tools how long the queues are.
    flows:
      - {from: routing, to: supervisor}
  - step: 4
    text: Conversations a bot cannot finish""")


def insert_step_in_enterprise(repo, commit=None):
    pairs = [INSERT_STEP] + [(f"  - step: {n}\n    text: {t}", f"  - step: {n + 1}\n    text: {t}")
                             for n, t in ((7, "Supervisors keep"), (6, "Once the conversation"), (5, "Through the Teams"),
                                          (4, "In the Customer Service"))]
    edit(repo, "enterprise.yaml", *pairs, commit=commit)


def test_identical_revisions_give_an_empty_diff_and_exit_0(repo):
    r = cli("--base", "main", "--head", "main", "--exit-code")
    assert r.exit_code == 0
    assert r.output == "".join(f"architectures/{n} ({i}): no changes\n" for n, i in (
        ("contact-center.yaml", "contact_center"), ("copilot-service.yaml", "copilot_service"),
        ("enterprise.yaml", "enterprise"), ("premium.yaml", "premium")))
    r = cli("--base", "main", "--exit-code", "--format", "json")  # against the clean working tree
    assert r.exit_code == 0
    assert json.loads(r.output)["changed"] is False


def test_step_insertion_is_one_insertion_and_a_renumbering(repo):
    insert_step_in_enterprise(repo, commit="insert a step")
    r = cli("--base", "main~1", "--head", "main", "architectures/enterprise.yaml", "--exit-code")
    assert r.exit_code == 1
    assert r.output == (
        "architectures/enterprise.yaml (enterprise): 1 flow added; step 3 inserted; "
        "steps 3\u20137 renumbered to 4\u20138\n"
        "  flow added: routing -> supervisor (step 3)\n"
        "  step 3 inserted: Routing asks the supervisor tools how long the queues are.\n"
        "  steps 3\u20137 renumbered to 4\u20138\n")
    steps = json.loads(cli("--base", "main~1", "--head", "main", "--format", "json").output)["architectures"][2]
    assert [(s["change"], s["old_number"], s["new_number"]) for s in steps["steps"]] == [
        ("inserted", None, 3), ("renumbered", 3, 4), ("renumbered", 4, 5), ("renumbered", 5, 6),
        ("renumbered", 6, 7), ("renumbered", 7, 8)]
    assert steps["renumbered"] == [{"old": [3, 7], "new": [4, 8]}]


def every_change(repo):
    """Edits covering every change kind, left uncommitted in the working tree."""
    edit(repo, "premium.yaml",
         ("title: Contact center using Dynamics 365 Customer Service Premium",
          "title: Contact center with Dynamics 365 Customer Service Premium"),
         ("  - id: supervisors\n    label: Supervisors and managers",
          "  - id: supervisors\n    label: Supervisors\n  - id: analytics\n    label: Analytics"),
         ("    - [routing, supervisors]", "    - [routing, supervisors, analytics]"),
         # renamed (everything else equal): flows must follow
         ("  - id: acs\n", "  - id: comms\n"),
         ("{from: voice, to: acs, both: true}", "{from: voice, to: comms, both: true}"),
         ("{from: sms, to: acs, both: true}", "{from: sms, to: comms, both: true}"),
         ("{from: acs, to: copilot_studio}", "{from: comms, to: copilot_studio}"),
         # changed: description and area
         ("description: Built-in monitoring, coaching and workforce tools for supervisors and managers.\n",
          "description: Monitoring and coaching for supervisors.\n    area: analytics\n"),
         # added
         ("dataflow:\n", "  - id: kb\n    kind: knowledge\n    area: agent\n    description: Articles.\n"
                         "dataflow:\n"),
         # step reworded (still matched), flow direction changed, flow added
         ("    text: Inside the Customer Service workspace, the agent asks Copilot questions in plain language and "
          "gets answers from the knowledge base, along with prompts for what to say or do next.\n"
          "    flows:\n      - {from: workspace, to: copilot, both: true}",
          "    text: Inside the Customer Service workspace, the agent asks Copilot questions in plain language and "
          "gets answers from the knowledge base, along with prompts for what to say next.\n"
          "    flows:\n      - {from: workspace, to: copilot}\n      - {from: kb, to: copilot}"))
    # removed step: enterprise's step 7 and with it the supervisor component
    edit(repo, "enterprise.yaml",
         ("  - step: 7\n    text: Supervisors keep using the CCaaS provider's tools to watch agents' conversations "
          "and to pull analytics and reports.\n"
          "    flows:\n      - {from: supervisor, to: workspace}\n", ""),
         ("  - id: supervisor\n    kind: supervisor\n    label: CCaaS supervisor tools\n    provenance: existing\n"
          "    description: The CCaaS provider's dashboards, live call monitoring and reports for supervisors.\n"
          "    capabilities: [Real-time monitoring, Whisper and barge-in, Forecasting, Scheduling]\n", ""))
    # an architecture removed and one added
    (repo / "architectures" / "copilot-service.yaml").unlink()
    shutil.copy(repo / "architectures" / "contact-center.yaml", repo / "architectures" / "second.yaml")
    edit(repo, "second.yaml", ("id: contact_center\n", "id: second\n"))


def test_every_change_kind_is_reported_exactly(repo):
    every_change(repo)
    r = cli("--base", "main", "--exit-code")
    assert r.exit_code == 1
    assert r.output == """\
architectures/contact-center.yaml (contact_center): no changes
architectures/copilot-service.yaml (copilot_service): architecture removed
architectures/enterprise.yaml (enterprise): 1 component removed; 1 flow removed; step 7 removed
  component removed: supervisor (CCaaS supervisor tools, kind supervisor, area supervisors)
  flow removed: supervisor -> workspace (old step 7)
  step 7 removed: Supervisors keep using the CCaaS provider's tools to watch agents' conversations and to pull \
analytics and reports.
architectures/premium.yaml (premium): metadata changed (title, columns); 1 area added; 1 area changed; \
1 component added; 1 component renamed; 1 component changed; 1 flow added; 1 flow reversed; \
step 6 reworded and flows changed
  title: "Contact center using Dynamics 365 Customer Service Premium" -> \
"Contact center with Dynamics 365 Customer Service Premium"
  columns: [["customers"], ["telephony", "self_service"], ["routing", "supervisors"], ["agent", "power_platform"], \
["collaboration", "dataverse"], ["azure"]] -> [["customers"], ["telephony", "self_service"], \
["routing", "supervisors", "analytics"], ["agent", "power_platform"], ["collaboration", "dataverse"], ["azure"]]
  area changed: supervisors (Supervisors); label: "Supervisors and managers" -> "Supervisors"
  area added: analytics (Analytics)
  component renamed: acs -> comms (Azure Communication Services)
  component changed: supervisor area: "supervisors" -> "analytics"
  component changed: supervisor description: \
"Built-in monitoring, coaching and workforce tools for supervisors and managers." -> \
"Monitoring and coaching for supervisors."
  component added: kb (Knowledge base, kind knowledge, area agent)
  flow direction changed: workspace <-> copilot is now workspace -> copilot (step 6)
  flow added: kb -> copilot (step 6)
  step 6 reworded: "Inside the Customer Service workspace, the agent asks Copilot questions in plain language and \
gets answers from the knowledge base, along with prompts for what to say or do next." -> "Inside the Customer Service \
workspace, the agent asks Copilot questions in plain language and gets answers from the knowledge base, along with \
prompts for what to say next."
  step 6 flow added: workspace -> copilot
  step 6 flow added: kb -> copilot
  step 6 flow removed: workspace <-> copilot
architectures/second.yaml (second): architecture added (23 components, 10 steps)
"""


def test_a_changed_flow_label_is_a_change_of_that_flow(repo):
    edit(repo, "contact-center.yaml", ("label: Connector}", "label: Teams connector}"),
         ("{from: crm, to: workspace}", "{from: crm, to: workspace, label: REST}"))
    r = cli("--base", "main", "architectures/contact-center.yaml", "--exit-code")
    assert r.exit_code == 1
    assert r.output == (
        "architectures/contact-center.yaml (contact_center): 2 flows relabelled\n"
        '  flow label changed: crm -> workspace: none -> "REST" (step 3)\n'
        '  flow label changed: workspace <-> teams: "Connector" -> "Teams connector" (step 7)\n')


def test_markdown_and_json_match_golden(repo):
    every_change(repo)
    insert = cli("--base", "main", "--format", "markdown")
    assert insert.exit_code == 0
    assert_golden("diff-every-change.md", insert.output)
    assert_golden("diff-every-change.json", cli("--base", "main", "--format", "json").output)


def test_json_follows_the_documented_schema(repo):
    insert_step_in_enterprise(repo)
    doc = json.loads(cli("--base", "main", "--format", "json").output)
    assert (doc["schema"], doc["version"], doc["base"], doc["head"]) == ("diagramgen-diff", 1, "main", "working tree")
    keys = {"path", "old_path", "id", "title", "status", "summary", "metadata", "areas", "components", "flows",
            "steps", "renumbered"}
    assert all(set(a) == keys for a in doc["architectures"])


@pytest.mark.parametrize("side", ["base", "head"])
def test_malformed_file_names_revision_file_line_and_column(repo, side):
    edit(repo, "premium.yaml", ("  - id: routing\n    kind: unified_routing\n",
                                "  - id: routing\n    kind: unified_routng\n"))
    if side == "base":
        run_git(repo, "commit", "-q", "-am", "broken")
        edit(repo, "premium.yaml", ("kind: unified_routng", "kind: unified_routing"), commit="fixed")
        r = cli("--base", "main~1", "--head", "main")
        where = "main~1:architectures/premium.yaml"
    else:
        r = cli("--base", "main")
        where = "architectures/premium.yaml"
    assert r.exit_code == 1
    line = next(i for i, t in enumerate((repo / "architectures/premium.yaml").read_text().splitlines(), 1)
                if t.startswith("    kind: unified_rout"))
    assert r.output == (f"{where}:{line}:11: error: unknown component kind 'unified_routng' "
                        "(did you mean 'unified_routing' (Unified routing)?); `diagramgen kinds` lists every kind [DG307]\n")


def test_yaml_syntax_error_in_an_old_fragment(repo):
    edit(repo, "fragments/teams.yaml", ("  - id: collaboration\n", "  - id: [collaboration\n"), commit="broken")
    run_git(repo, "revert", "--no-edit", "HEAD")
    r = cli("--base", "main~1", "--head", "main", "architectures/premium.yaml")
    assert r.exit_code == 1
    assert r.output.startswith("main~1:architectures/fragments/teams.yaml:")
    assert ": error: " in r.output


def test_unknown_revision(repo):
    r = cli("--base", "no-such-branch")
    assert (r.exit_code, r.output) == (1, "error: unknown revision 'no-such-branch'\n")


def test_two_files(tmp_path):
    old = tmp_path / "architectures" / "old.yaml"
    shutil.copytree(FIXTURE, old.parent)
    shutil.copy(FIXTURE / "enterprise.yaml", old)
    new = old.parent / "enterprise.yaml"
    r = CliRunner().invoke(main, ["diff", str(old), str(new), "--exit-code"])
    assert r.exit_code == 0
    assert r.output == f"{old} -> {new} (enterprise): no changes\n"


def test_renamed_component_with_other_changes_is_added_and_removed(repo):
    edit(repo, "premium.yaml", ("  - id: acs\n    kind: communication_services\n    description: Phone numbers",
                                "  - id: comms\n    kind: communication_services\n    description: Numbers"),
         ("{from: voice, to: acs, both: true}", "{from: voice, to: comms, both: true}"),
         ("{from: sms, to: acs, both: true}", "{from: sms, to: comms, both: true}"),
         ("{from: acs, to: copilot_studio}", "{from: comms, to: copilot_studio}"))
    doc = json.loads(cli("--base", "main", "--format", "json", "architectures/premium.yaml").output)
    comps = doc["architectures"][0]["components"]
    assert [(c["change"], c["id"]) for c in comps] == [("removed", "acs"), ("added", "comms")]


@pytest.mark.dot
def test_overlay_image_marks_insertion_and_renumbering(repo, tmp_path):
    insert_step_in_enterprise(repo)
    out = tmp_path / "img" / "{id}.svg"
    r = cli("--base", "main", "--image", str(out), "--format", "markdown", "--output", str(tmp_path / "img/d.md"))
    assert r.exit_code == 0, r.output
    svg = (tmp_path / "img" / "enterprise.svg").read_text()
    for label in ("4 (was 3)", "8 (was 7)", ">3<", "added", "removed", "unchanged"):
        assert label in svg, label
    assert sorted(os.listdir(tmp_path / "img")) == ["d.md", "enterprise.svg"]
    assert "![overlay diagram of enterprise: added green, removed red, changed orange](enterprise.svg)" in \
        (tmp_path / "img/d.md").read_text()


def test_overlay_dot_styles_by_status(repo):
    every_change(repo)
    from diagramgen.diff.revisions import compare
    old, new = compare(repo, "main", None, ["architectures/premium.yaml"])
    union, marks = D.union_model(old.models["architectures/premium.yaml"], new.models["architectures/premium.yaml"])
    assert {k: v for k, v in marks.components.items() if v != "unchanged"} == {
        "comms": "changed", "supervisor": "changed", "kb": "added"}
    assert marks.areas["analytics"] == "added" and marks.areas["supervisors"] == "changed"
    assert marks.steps["6"] == ("changed", "6")
    assert marks.flows[("6", "kb", "copilot")] == "added"
    assert marks.flows[("6", "workspace", "copilot")] == "changed"
    dot = D.overlay_source(old.models["architectures/premium.yaml"], new.models["architectures/premium.yaml"])
    assert "\tkb -> _step6_to_copilot [" in dot and 'color="#1E8E3E"' in dot
    # a changed area is restyled where it is declared, not declared again
    assert re.search(r'subgraph cluster_analytics \{\n\t+graph \[[^\n]* pencolor="#1E8E3E" penwidth=2 '
                     r'style="rounded,filled"\]\n', dot)
    assert dot.count("subgraph cluster_analytics {") == 1
    # the overlay lays out exactly like the plain diagram of the union: styling changes no positions
    assert "label=<<TABLE" in dot and dot.count("\tkb [label=") == 1


SCRIPT = ARCH_DIR.parent / "scripts" / "pr-diff.sh"
FAKE_GH = """#!/bin/sh
# records its arguments and the comment body; answers the comment lookup with an existing comment id
echo "$@" >> "$GH_LOG"
for a; do case "$a" in body=@*) cp "${a#body=@}" "$GH_LOG.body";; esac; done
case "$*" in *--jq*) [ -n "$EXISTING" ] && echo "$EXISTING";; esac
exit 0
"""


@pytest.mark.dot
@pytest.mark.parametrize("existing", ["", "4242"])
def test_pr_script_writes_report_publishes_images_and_posts_one_comment(repo, tmp_path, existing):
    bare = tmp_path / "origin.git"
    run_git(tmp_path, "init", "-q", "--bare", str(bare))
    run_git(repo, "remote", "add", "origin", str(bare))
    run_git(repo, "push", "-q", "origin", "main")
    run_git(repo, "fetch", "-q", "origin")
    insert_step_in_enterprise(repo, commit="insert a step")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "gh").write_text(FAKE_GH)
    (bindir / "gh").chmod(0o755)
    log = tmp_path / "gh.log"
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", GH_LOG=str(log), EXISTING=existing,
               BASE="origin/main", PUBLISH="1", PR_NUMBER="7", GITHUB_REPOSITORY="acme/cc", PUSH_URL=str(bare),
               DIAGRAMGEN=shutil.which("diagramgen") or str(ARCH_DIR.parent / ".venv/bin/diagramgen"))
    p = subprocess.run([str(SCRIPT)], cwd=repo, env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    out = repo / "output" / "diff"
    assert sorted(os.listdir(out)) == ["diff.json", "diff.md", "enterprise.png", "enterprise.svg", "pr-number"]
    pushed = subprocess.run(["git", "-C", str(bare), "ls-tree", "--name-only", "diagramgen-diff/pr-7"],
                            capture_output=True, text=True, check=True).stdout
    assert pushed == "enterprise.png\n"
    commit = subprocess.run(["git", "-C", str(bare), "rev-parse", "diagramgen-diff/pr-7"],
                            capture_output=True, text=True, check=True).stdout.strip()
    comment = Path(f"{log}.body").read_text()
    assert comment.startswith("<!-- diagramgen-architecture-diff -->\n## Architecture changes\n")
    assert f"](https://github.com/acme/cc/raw/{commit}/enterprise.png)" in comment
    calls = log.read_text().splitlines()
    assert calls[0].startswith("api repos/acme/cc/issues/7/comments --paginate --jq")
    if existing:
        assert len(calls) == 2
        assert calls[1].startswith("api --method PATCH repos/acme/cc/issues/comments/4242 --silent -F body=@")
        assert p.stdout.endswith("updated comment 4242\n")
    else:
        assert len(calls) == 2
        assert calls[1].startswith("api --method POST repos/acme/cc/issues/7/comments --silent -F body=@")
        assert p.stdout.endswith("posted a comment\n")


@pytest.mark.dot
def test_pr_script_dry_run_posts_nothing(repo, tmp_path):
    insert_step_in_enterprise(repo, commit="insert a step")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "gh").write_text(FAKE_GH)
    (bindir / "gh").chmod(0o755)
    log = tmp_path / "gh.log"
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}", GH_LOG=str(log), EXISTING="",
               BASE="main~1", PUBLISH="1", DRY_RUN="1", PR_NUMBER="7", GITHUB_REPOSITORY="acme/cc",
               DIAGRAMGEN=shutil.which("diagramgen") or str(ARCH_DIR.parent / ".venv/bin/diagramgen"))
    p = subprocess.run([str(SCRIPT)], cwd=repo, env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    lines = [line for line in p.stdout.splitlines() if line.startswith("would run:")]
    assert lines[0] == "would run: git push --force https://github.com/acme/cc.git HEAD:refs/heads/diagramgen-diff/pr-7"
    assert lines[1].startswith("would run: gh api repos/acme/cc/issues/7/comments --paginate")
    assert lines[2].startswith("would run: gh api --method POST repos/acme/cc/issues/7/comments -F body=@")
    assert not log.exists()  # gh never ran: a dry run makes no network call


def _positions(dot_source: str) -> dict:
    out = subprocess.run(["dot", "-Tjson"], input=dot_source.encode(), capture_output=True, check=True).stdout
    return {o["name"]: o["pos"] for o in json.loads(out).get("objects", []) if "pos" in o}


@pytest.mark.dot
def test_overlay_styling_moves_no_node(repo):
    """Colours, the old step numbers and area highlights must not change the layout: the
    overlay places every node where the plain diagram of the union model has it."""
    every_change(repo)
    from diagramgen.diff.revisions import compare
    from diagramgen.draw import scene

    old, new = compare(repo, "main", None, ["architectures/premium.yaml"])
    a, b = old.models["architectures/premium.yaml"], new.models["architectures/premium.yaml"]
    union, _ = D.union_model(a, b)
    plain = _positions(scene.build(union))
    overlay = _positions(D.overlay_source(a, b))
    assert plain and plain == overlay


def test_pruned_similarities_equal_the_full_ones_where_they_can_match():
    """The alignment's similarity table keeps exactly the values that reach the threshold."""
    import random

    from diagramgen.model import Flow, Step

    rnd = random.Random(3)
    words = ["call", "agent", "route", "case", "copilot", "summary", "queue", "voice"]
    comps = [f"c{i}" for i in range(6)]

    def step(n):
        flows = tuple(Flow(*rnd.sample(comps, 2), both=rnd.random() < .2) for _ in range(rnd.randint(1, 3)))
        return Step(n, " ".join(rnd.choice(words) for _ in range(rnd.randint(1, 6))), flows)

    old = tuple(step(n) for n in range(1, 40))
    new = tuple(step(n) for n in range(1, 40))
    ren = {"c1": "c2"}
    sim = D._similarities(old, new, ren)
    kept = 0
    for i, o in enumerate(old):
        for j, w in enumerate(new):
            full = D._step_similarity(o, w, ren)
            assert sim[i][j] == (full if full >= D.MATCH_THRESHOLD else 0.0)
            kept += sim[i][j] > 0
    assert 0 < kept < len(old) * len(new)


def test_overlay_shows_a_removed_step_by_its_old_number():
    """A step the new file no longer has keeps a circle of its own, labelled "−N" (old
    step N, removed) instead of an internal number."""
    import dataclasses

    from diagramgen.model.validate import load_architecture

    old, _ = load_architecture(ARCH_DIR / "premium.yaml")
    last = old.steps[-1].number
    new = dataclasses.replace(old, steps=old.steps[:-1])
    source = D.overlay_source(old, new, "one step fewer")
    labels = set(re.findall(r'^\s*_step\d+_\w+ \[label="([^"]+)" class="step step-(\d+)"', source, re.M))
    removed = {label for label, key in labels if int(key) > last}
    assert removed == {f"\u2212{last}"}
