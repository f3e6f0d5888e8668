"""Architecture diffs: the semantic diff, its reports, and git revisions in real repositories."""
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.diff import align as A, overlay as O

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
    union, marks = O.union_model(old.models["architectures/premium.yaml"], new.models["architectures/premium.yaml"])
    assert {k: v for k, v in marks.components.items() if v != "unchanged"} == {
        "comms": "changed", "supervisor": "changed", "kb": "added"}
    assert marks.areas["analytics"] == "added" and marks.areas["supervisors"] == "changed"
    assert marks.steps["6"] == "changed" and "6" not in marks.was
    assert marks.flows[("6", "kb", "copilot")] == "added"
    assert marks.flows[("6", "workspace", "copilot")] == "changed"
    dot = O.overlay_source(old.models["architectures/premium.yaml"], new.models["architectures/premium.yaml"])
    assert "\tkb -> _step6_to_copilot [" in dot and 'color="#1E8E3E"' in dot
    # a changed area is styled where it is declared, and declared once
    area = re.search(r'subgraph cluster_analytics \{\n\t+graph \[([^\n]*)\]\n', dot)
    assert area and {'pencolor="#1E8E3E"', "penwidth=2", 'style="rounded,filled"'} <= set(area.group(1).split(" "))
    assert dot.count("subgraph cluster_analytics {") == 1
    # every node and edge is written once, with one attribute list
    assert dot.count("\tkb [label=<<TABLE") == 1 and "] [" not in dot


def test_overlay_marks_are_the_changes_of_the_diff(repo):
    """The overlay finds its marks without the full diff; they say what diff_architectures
    says: a component changed where the diff has it changed or renamed, added and removed
    where it has it added and removed, and the same for areas (every changed file and
    every pair of two different architectures)."""
    every_change(repo)
    from diagramgen.diff.compare import diff_architectures
    from diagramgen.diff.revisions import compare

    old, new = compare(repo, "main", None, [])
    pairs = [(old.models[p], new.models[p]) for p in old.models if p in new.models]
    models = list(new.models.values())
    pairs += [(a, b) for a in models for b in models if a is not b]
    seen = set()
    for a, b in pairs:
        d = diff_architectures(a, b)
        _, marks = O.union_model(a, b)
        comps = {c.id: "changed" if c.change == "renamed" else c.change for c in d.components}
        assert {k: v for k, v in marks.components.items() if v != "unchanged"} == comps
        assert {k: v for k, v in marks.areas.items() if v != "unchanged"} == {x.id: x.change for x in d.areas}
        seen |= set(comps.values()) | {x.change for x in d.areas}
    assert seen == {"added", "removed", "changed"}


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
    union, _ = O.union_model(a, b)
    plain = _positions(scene.build(union))
    overlay = _positions(O.overlay_source(a, b))
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
    sim = A._similarities(old, new, ren)
    kept = 0
    for i, o in enumerate(old):
        for j, w in enumerate(new):
            full = A._step_similarity(o, w, ren)
            assert sim[i][j] == (full if full >= A.MATCH_THRESHOLD else 0.0)
            kept += sim[i][j] > 0
    assert 0 < kept < len(old) * len(new)


def test_an_alignment_is_kept_for_the_next_run_while_its_steps_are_the_same(tmp_path, monkeypatch):
    """The step alignment of two files is kept in the disk cache and taken again by a
    later run (here: the process's memory of it cleared) while both sides' steps, their
    flows and texts, are those it was made from; another text, a damaged entry or an
    index past a side's steps is aligned again; the same alignment either way."""
    import dataclasses

    from diagramgen.model.validate import load_architecture

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    old, _ = load_architecture(ARCH_DIR / "enterprise.yaml")
    new, _ = load_architecture(ARCH_DIR / "premium.yaml")
    aligned = []
    real = A.align_steps
    monkeypatch.setattr(A, "align_steps", lambda *a: aligned.append(1) or real(*a))

    def pairs(o, n):
        A._aligned.cache_clear()  # as a new process
        return A.sequence_pairs(o, n, {})

    first = pairs(old, new)
    assert aligned == [1] and pairs(old, new) == first and aligned == [1]
    relabelled = dataclasses.replace(new, components=tuple(dataclasses.replace(c, label=c.label + " 2")
                                                            for c in new.components))
    assert pairs(old, relabelled) == first and aligned == [1]  # the steps are those it was made from
    edited = dataclasses.replace(new, steps=(dataclasses.replace(new.steps[0], text="Another text."),)
                                 + new.steps[1:])
    second = pairs(old, edited)
    assert aligned == [1, 1] and pairs(old, edited) == second and aligned == [1, 1]
    assert pairs(old, new) == first and aligned == [1, 1]  # the text taken back: the first is kept too
    for k in range(A.KEPT_PER_PAIR):  # more texts tried than are kept: the oldest goes
        pairs(old, dataclasses.replace(edited, steps=(dataclasses.replace(new.steps[0], text=f"Try {k}."),)
                                       + new.steps[1:]))
    assert len(aligned) == 2 + A.KEPT_PER_PAIR and pairs(old, new) == first and len(aligned) == 3 + A.KEPT_PER_PAIR
    (entry,) = (tmp_path / "cache" / A.FOLDER).iterdir()  # one entry for the pair of files
    kept = json.loads(entry.read_text(encoding="utf-8"))
    assert len(kept) == A.KEPT_PER_PAIR and kept[0]["alignment"] == [
        [q, [list(p) for p in ps]] for q, ps in A._aligned(old, new, ())]
    n = len(aligned)
    for k, damaged in enumerate(["{", json.dumps([{**kept[0], "alignment": [["", [[0, 99]]]]}]),
                                 json.dumps([{**kept[0], "alignment": [["", [["0", 1]]]]}]),
                                 json.dumps([{**kept[0], "alignment": [["other", [[0, 0]]]]}]),
                                 json.dumps({"key": kept[0]["key"]})]):
        entry.write_text(damaged, encoding="utf-8")
        assert pairs(old, new) == first and len(aligned) == n + 1 + k  # made again, and kept again
    assert pairs(old, new) == first and len(aligned) == n + 5
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    assert pairs(old, new) == first and len(aligned) == n + 6


def test_overlay_shows_a_removed_step_by_its_old_number():
    """A step the new file no longer has keeps a circle of its own, labelled "−N" (old
    step N, removed): it keeps its old number, in a sequence of removed steps whose
    generated name no step of the file can have."""
    import dataclasses

    from diagramgen.model.validate import load_architecture

    old, _ = load_architecture(ARCH_DIR / "premium.yaml")
    last = old.steps[-1].number
    new = dataclasses.replace(old, steps=old.steps[:-1])
    union, marks = O.union_model(old, new)
    assert [(s.key, s.number, marks.steps[s.key]) for s in union.steps if s.sequence] == [
        (f"_removed-{last}", last, "removed")]
    source = O.overlay_source(old, new, "one step fewer")
    circles = re.findall(r'^\s*(_\w+) \[label="([^"]+)" class="step step-([^"]+)"', source, re.M)
    removed = [(name, label) for name, label, key in circles if key.startswith("_removed")]
    assert removed == [(f"_Step__removed_{last}_from_supervisor", f"\u2212{last}")]
    assert all(label == key for _, label, key in circles if not key.startswith("_removed"))
    # what the circle says when pointed at: written into the SVG from the model (the DOT
    # has a stand-in for every tooltip)
    assert 'tooltip="-"' in source and f"Step {last} (removed)" not in source
    drawn = O.overlay_image(old, new, "one step fewer", "svg").decode("utf-8")
    assert f"<title>Step {last} (removed): {html.escape(old.steps[-1].text, quote=False)}" in drawn


def _svg_refs(svg: bytes) -> tuple:
    """(every <image>'s href, every other href) of an SVG."""
    from lxml import etree

    root = etree.fromstring(svg)
    href = lambda el: el.get("{http://www.w3.org/1999/xlink}href") or el.get("href")  # noqa: E731
    images = [href(el) for el in root.iter("{*}image")]
    others = [href(el) for el in root.iter() if href(el) is not None and not el.tag.endswith("}image")]
    return images, others


@pytest.mark.dot
def test_overlay_svg_is_self_contained(repo, tmp_path):
    """The overlay goes through the same SVG post-processing as every diagram: icons are
    embedded once as data URIs, and no file path or link out of the file remains."""
    every_change(repo)
    out = tmp_path / "x.svg"
    r = cli("--base", "main", "--image", str(out), "architectures/premium.yaml")
    assert r.exit_code == 0, r.output
    svg = out.read_bytes()
    images, others = _svg_refs(svg)
    assert images and all(i.startswith("data:image/png;base64,") for i in images)
    assert others and all(ref.startswith("#") for ref in others)  # <use> of the embedded icons
    assert b"file:" not in svg and str(tmp_path).encode() not in svg and b"/tmp/" not in svg
    assert os.fspath(Path(sys.prefix)).encode() not in svg  # the diagrams library's icons
    assert b"<symbol" in svg and b"step-6" in svg and b"<title>Step 6: " in svg


HOSTILE = {
    "step": 'He said "hi" \\ {x} <b>&amp; -> graph [label="y"]\n\tcustomer [x] \\n \\N digraph edge node',
    "label": 'Calls "A" \\N {b} <i>&</i> -> subgraph \\l strict',
    "flow": 'x "y" \\ {z} <w> &lt; -> node \\n',
}


def _hostile(hostile: bool) -> str:
    """A small architecture; ``hostile``: its acs label and first flow label hostile, and
    a component and a step of their own with hostile texts."""
    label, flow = (HOSTILE["label"], HOSTILE["flow"]) if hostile else ("Phone system", "PSTN")
    legacy = f"  - {{id: legacy, kind: existing_platform, area: telephony, label: {json.dumps(HOSTILE['label'])}}}\n"
    step = (f"  - step: 3\n    text: {json.dumps(HOSTILE['step'])}\n    flows:\n"
            f"      - {{from: legacy, to: customer, label: {json.dumps(HOSTILE['flow'])}}}\n")
    return f"""id: demo
title: Demo
scenario: A small test.
products: [Demo]
assumptions: {{azure_foundation: false}}
areas:
  - {{id: customers, label: Customers}}
  - {{id: telephony, label: Telephony}}
components:
  - {{id: customer, kind: customer}}
  - {{id: acs, kind: communication_services, label: {json.dumps(label)}}}
  - {{id: bot, kind: copilot_studio, area: telephony}}
{legacy if hostile else ""}dataflow:
  - step: 1
    text: Customers call in.
    flows:
      - {{from: customer, to: acs, label: {json.dumps(flow)}}}
  - step: 2
    text: The call reaches the bot.
    flows:
      - {{from: acs, to: bot}}
{step if hostile else ""}"""


@pytest.mark.dot
@pytest.mark.parametrize("side", ["new", "old", "both"])
def test_quotes_braces_markup_and_dot_words_cannot_break_the_overlay(tmp_path, side):
    """Step texts, component labels and flow labels holding quotes, backslashes, braces,
    markup, '->', escapes such as \\n and DOT keywords, in added, removed or changed
    parts: the overlay renders, and the texts are in the SVG as they were written."""
    from lxml import etree

    old_text, new_text = {"new": (_hostile(False), _hostile(True)), "old": (_hostile(True), _hostile(False)),
                          "both": (_hostile(True), _hostile(True).replace("Customers call", "People call"))}[side]
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(old_text, encoding="utf-8")
    new.write_text(new_text, encoding="utf-8")
    image = tmp_path / "overlay.svg"
    r = cli(str(old), str(new), "--image", str(image))
    assert r.exit_code == 0, r.output
    root = etree.fromstring(image.read_bytes())
    titles = [t.text or "" for t in root.iter("{*}title")]
    shown = "".join(t.text or "" for t in root.iter("{*}text"))
    step = "Step 3 (removed): " if side == "old" else "Step 3: "
    assert step + HOSTILE["step"] in titles
    assert HOSTILE["label"] + "\nkind: existing_platform\nprovenance: existing" in titles
    assert any(t.endswith("\nLabel: " + HOSTILE["flow"]) for t in titles)
    assert HOSTILE["flow"] in shown
    if side != "both":  # the first flow's label changed: the overlay shows the old one beside the new
        relabelled = f"PSTN (was {HOSTILE['flow']})" if side == "old" else f"{HOSTILE['flow']} (was PSTN)"
        assert any(t.endswith("\nLabel: " + relabelled) for t in titles) and relabelled in shown
    images, others = _svg_refs(image.read_bytes())
    assert all(i.startswith("data:") for i in images) and all(ref.startswith("#") for ref in others)


def test_markdown_links_an_image_whose_path_has_spaces_or_parentheses():
    """The link to an overlay image is a URL path: a space or a parenthesis in a folder
    name would end the Markdown link, so they are percent-encoded."""
    import dataclasses

    from diagramgen.diff import report as R
    from diagramgen.diff.compare import DiffResult, diff_architectures
    from diagramgen.diff.run import image_links
    from diagramgen.model.validate import load_architecture

    images = {"demo": (os.path.join("out", "img dir (v2)", "démo.png"), b"")}
    assert image_links(images, None, os.path.join("out", "report", "diff.md")) == {
        "demo": "../img%20dir%20%28v2%29/d%C3%A9mo.png"}
    assert image_links(images, None, None) == {"demo": "out/img%20dir%20%28v2%29/d%C3%A9mo.png"}
    assert image_links(images, "https://example.com/{id}.png", "diff.md") == {"demo": "https://example.com/demo.png"}
    model, _ = load_architecture(FIXTURE / "premium.yaml")
    result = DiffResult("a", "b", (diff_architectures(model, dataclasses.replace(model, title="New title")),))
    text = R.render_markdown(result, {model.id: "img%20dir%20%28v2%29/premium.png"})
    assert ("![overlay diagram of premium: added green, removed red, changed orange]"
            "(img%20dir%20%28v2%29/premium.png)\n") in text


def test_a_named_file_on_neither_side_is_an_error_not_an_empty_diff(repo, tmp_path):
    """A mistyped name, or a file outside the repository (never looked for beside the
    revision's exported files), is an error with exit status 1, not "no changes"."""
    outside = tmp_path / "elsewhere.yaml"
    shutil.copy(FIXTURE / "premium.yaml", outside)
    r = cli("--base", "main", "--exit-code", "architectures/premum.yaml")
    assert (r.exit_code, r.output) == (
        1, "architectures/premum.yaml:1:1: error: cannot read file: is neither in main nor in the working tree [DG101]\n")
    r = cli("--base", "main", "--head", "main", "architectures/premium.yaml", str(outside))
    assert (r.exit_code, r.output) == (
        1, f"../elsewhere.yaml:1:1: error: cannot read file: is outside the git repository {repo} [DG101]\n")
    # a file on one side only is an added or removed architecture, as before
    (repo / "architectures" / "premium.yaml").unlink()
    r = cli("--base", "main", "architectures/premium.yaml")
    assert (r.exit_code, r.output) == (0, "architectures/premium.yaml (premium): architecture removed\n")


@pytest.mark.dot
def test_a_renamed_file_is_one_architecture_compared_with_its_old_self(repo, tmp_path):
    """git mv of an architecture file (same id): not "added" plus "removed" (whose two
    overlay images, named by the one id, would overwrite each other) but one entry
    naming both files; its changes are those of the content."""
    run_git(repo, "mv", "architectures/premium.yaml", "architectures/premium tier.yaml")
    r = cli("--base", "main", "--exit-code")
    assert r.exit_code == 1
    assert "architectures/premium.yaml -> architectures/premium tier.yaml (premium): file renamed\n" in r.output
    assert "added" not in r.output and "removed" not in r.output
    edit(repo, "premium tier.yaml", ("title: ", "title: New "))
    doc = json.loads(cli("--base", "main", "--format", "json").output)
    entry = next(a for a in doc["architectures"] if a["id"] == "premium")
    assert (entry["path"], entry["old_path"], entry["status"], entry["summary"]) == (
        "architectures/premium tier.yaml", "architectures/premium.yaml", "changed", "metadata changed (title)")
    assert [a["path"] for a in doc["architectures"]].count("architectures/premium tier.yaml") == 1
    r = cli("--base", "main", "--format", "markdown", "--image", str(tmp_path / "{id}.svg"),
            "--output", str(tmp_path / "diff.md"))
    assert r.exit_code == 0, r.output
    md = (tmp_path / "diff.md").read_text(encoding="utf-8")
    assert ("- **premium** (`architectures/premium.yaml` \u2192 `architectures/premium tier.yaml`): "
            "metadata changed (title)\n") in md
    assert md.count("](premium.svg)") == 1
    # the overlay is the one of the same edit without the rename (not all green, as added)
    run_git(repo, "mv", "architectures/premium tier.yaml", "architectures/premium.yaml")
    assert cli("--base", "main", "--image", str(tmp_path / "kept" / "{id}.svg")).exit_code == 0
    assert (tmp_path / "premium.svg").read_bytes() == (tmp_path / "kept" / "premium.svg").read_bytes()


def test_no_architecture_on_either_side_is_an_error_not_an_empty_report(repo):
    """Run in the wrong folder (or at revisions without architectures/), the diff says so
    instead of posting an empty report."""
    run_git(repo, "checkout", "-q", "--orphan", "bare")
    run_git(repo, "rm", "-rqf", "architectures")
    (repo / "notes.txt").write_text("no architectures here\n")
    run_git(repo, "add", "notes.txt")
    run_git(repo, "commit", "-qm", "bare")
    r = cli("--base", "bare", "--format", "markdown")
    assert (r.exit_code, r.output) == (1, "architectures: error: no architecture files (*.yaml) in bare nor in "
                                          "the working tree; run diagramgen in the project folder [DG114]\n")
    r = cli("--base", "bare", "--head", "main", "architectures/premium.yaml")
    assert (r.exit_code, r.output) == (0, "architectures/premium.yaml (premium): architecture added "
                                          "(17 components, 10 steps)\n")
