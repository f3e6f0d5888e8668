"""Repository settings (diagramgen.yaml): the repository's own kinds and icons, neutral
wording without it, exact diagnostics for a bad one, and custom icons end to end."""
import json
import re
import struct
import subprocess
import textwrap
import zlib

import pytest
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.docs import kinds as K
from diagramgen.model.catalog import ICON_DIR, Catalog, Kind

from conftest import assert_golden, snapshot

ARCH = """\
id: demo
title: Demo
scenario: I want a demo.
products: [Demo product]
areas:
  - id: customers
    label: Customers
  - id: integration
    label: Integration
components:
  - id: customer
    kind: customer
  - id: flow
    kind: logic_app_standard
  - id: queue
    kind: team_queue
  - id: hub
    kind: communication_services
    area: integration
    icon: icons/own.png
dataflow:
  - step: 1
    text: Customers send an order.
    flows:
      - {from: customer, to: flow}
  - step: 2
    text: The workflow queues it for the hub.
    flows:
      - {from: flow, to: queue}
      - {from: queue, to: hub}
"""

SETTINGS = """\
kinds:
  logic_app_standard:
    label: Logic Apps Standard
    icon: icons/workflow.png
    area: integration
    aliases: [Logic Apps]
  team_queue:
    label: Team queue
    icon: icons/queue.svg
    area: integration
    provenance: existing
  library_function:
    label: Library function
    icon: "diagrams:azure.compute.FunctionApps"
    area: integration
docs:
  index_title: Our integration patterns
  index_intro: Pick the pattern closest to your case.
  index_footer: Ask the integration team before adding one.
  related_link: All integration patterns
legend:
  existing: Run by another team
"""

SVG_ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 10">'
            '<rect width="20" height="10" rx="2" fill="#2F6DB5"/></svg>\n')


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def grey_png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw))
            + _chunk(b"IEND", b""))


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository of its own: one architecture, diagramgen.yaml with three kinds (PNG,
    SVG and diagrams-library icons) and a component with its own icon."""
    r = tmp_path / "repo"
    (r / "architectures" / "icons").mkdir(parents=True)
    (r / "icons").mkdir()
    (r / "architectures" / "demo.yaml").write_text(ARCH, encoding="utf-8")
    (r / "architectures" / "icons" / "own.png").write_bytes((ICON_DIR / "email.png").read_bytes())
    (r / "icons" / "workflow.png").write_bytes((ICON_DIR / "routing.png").read_bytes())
    (r / "icons" / "queue.svg").write_text(SVG_ICON, encoding="utf-8")
    (r / "diagramgen.yaml").write_text(SETTINGS, encoding="utf-8")
    monkeypatch.chdir(r)
    return r


def run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def set_settings(repo, text):
    (repo / "diagramgen.yaml").write_text(textwrap.dedent(text), encoding="utf-8")


# --- bad settings: one line each, at the position, exit 1 -------------------------------

BAD_SETTINGS = [
    ("docs:\n  index_title: [unclosed\n",
     "diagramgen.yaml:2:16: error: YAML syntax: this '[' is not closed: expected ',' or ']' before line 3, "
     "column 1 [DG104]"),
    ("doc:\n  index_title: X\n",
     "diagramgen.yaml:1:1: error: unknown key 'doc' in settings (did you mean 'docs'?) [DG214]"),
    ("docs:\n  index_titel: X\n",
     "diagramgen.yaml:2:3: error: unknown key 'index_titel' in docs (did you mean 'index_title'?) [DG214]"),
    ("kinds:\n  voice: {label: Voice, icon: icons/workflow.png, area: customers}\n",
     "diagramgen.yaml:2:3: error: kind 'voice' is already a built-in kind (Voice); choose another id, "
     "or set 'override: true' to replace the built-in one [DG501]"),
    ("kinds:\n  fresh: {label: Fresh, icon: icons/workflow.png, area: customers, override: true}\n",
     "diagramgen.yaml:2:68: error: kind 'fresh' says 'override: true' but there is no built-in kind "
     "of that id to replace; remove 'override' [DG502]"),
    ("kinds:\n  fresh: {label: Fresh, icon: icons/missing.png, area: customers}\n",
     "diagramgen.yaml:2:31: error: icon file 'icons/missing.png' does not exist [DG505]"),
    ("kinds:\n  fresh: {label: Fresh, icon: ../outside.png, area: customers}\n",
     "diagramgen.yaml:2:31: error: icon '../outside.png' is outside the repository [DG504]"),
    ("kinds:\n  fresh: {label: Fresh, icon: 'diagrams:azure.nothing.Here', area: customers}\n",
     "diagramgen.yaml:2:31: error: the diagrams library has no icon class 'azure.nothing.Here' [DG503]"),
    ("kinds:\n  fresh: {label: Fresh, icon: icons/broken.png, area: customers}\n",
     "diagramgen.yaml:2:31: error: icon 'icons/broken.png' is a truncated PNG image (it has no IEND chunk) [DG506]"),
    ("kinds:\n  Fresh: {label: Fresh, icon: icons/workflow.png, area: customers}\n",
     "diagramgen.yaml:2:3: error: a kind id must be an id (lower-case letters, digits and '_', starting "
     "with a letter), got 'Fresh' [DG208]"),
    ("legend:\n  existing: 12\n",
     "diagramgen.yaml:2:13: error: 'existing' must be a string, got a number (12) [DG201]"),
]


@pytest.mark.parametrize("text,message", BAD_SETTINGS, ids=[f"s{i}" for i in range(len(BAD_SETTINGS))])
@pytest.mark.parametrize("command", [["validate"], ["render", "--out", "out"], ["docs"], ["kinds"],
                                     ["schema"], ["check-outputs"]])
def test_bad_settings_are_one_line_at_their_position(repo, text, message, command):
    (repo / "icons" / "broken.png").write_bytes(grey_png(4, 4)[:-12])
    (repo / "diagramgen.yaml").write_text(text, encoding="utf-8")
    before = snapshot(repo)
    result = run(*command)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == message
    assert all(not line.startswith("diagramgen.yaml") for line in lines[1:])  # said once
    assert "Traceback" not in result.output
    assert snapshot(repo) == before


def test_unknown_kind_names_the_closest_by_id_label_and_alias(repo):
    (repo / "architectures" / "demo.yaml").write_text(
        ARCH.replace("kind: logic_app_standard", "kind: logic_app_std"), encoding="utf-8")
    result = run("validate")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "architectures/demo.yaml:14:11: error: unknown component kind 'logic_app_std' (did you mean "
        "'logic_app_standard' (Logic Apps Standard) or 'logic_apps' (Azure Logic Apps)?); "
        "`diagramgen kinds` lists every kind [DG307]")


# --- the kinds command ----------------------------------------------------------------

def test_kinds_lists_built_in_and_repository_kinds(repo):
    result = run("kinds")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "label", "area", "provenance", "source"]
    row = next(line for line in lines if line.startswith("team_queue "))
    assert row.split() == ["team_queue", "Team", "queue", "integration", "existing", "repository"]
    assert next(line for line in lines if line.startswith("voice ")).split()[-1] == "built-in"
    records = [json.loads(line) for line in run("kinds", "--json").stdout.splitlines()]
    assert {"id": "logic_app_standard", "label": "Logic Apps Standard", "area": "integration",
            "provenance": "product", "aliases": ["Logic Apps"], "source": "repository",
            "icon": "icons/workflow.png"} in records
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)


def test_kinds_page_matches_golden():
    catalog = Catalog({
        "customer": Kind("customer", "Customers", "icons/customer.png", "customers", "product", ()),
        "functions": Kind("functions", "Azure Functions | <b>", "diagrams:azure.compute.FunctionApps",
                          "azure", "platform", ("Functions",)),
        "queue": Kind("queue", "Team queue", str(ICON_DIR / "routing.png"), "integration", "existing",
                      ("Queue", "Inbox"), "repository"),
    }, "catalog.yaml")
    text, icons = K.page(catalog)
    assert_golden("kinds/kinds.md", text)
    assert sorted(icons) == ["kinds/customer.png", "kinds/functions.png", "kinds/queue.png"]
    assert all(data.startswith(b"\x89PNG\r\n\x1a\n") for data in icons.values())


def test_kinds_page_writes_icons_beside_it_and_drops_old_ones(repo):
    (repo / "out" / "kinds").mkdir(parents=True)
    (repo / "out" / "kinds" / "gone.png").write_bytes(b"old")
    result = run("kinds", "--page", "out/kinds.md")
    assert result.exit_code == 0, result.output
    text = (repo / "out" / "kinds.md").read_text(encoding="utf-8")
    assert "| ![Team queue](kinds/team_queue.png) | `team_queue` | Team queue | `integration` | existing" in text
    assert (repo / "out" / "kinds" / "team_queue.png").read_bytes().startswith(b"\x89PNG")
    assert not (repo / "out" / "kinds" / "gone.png").exists()


def test_schema_write_merges_the_repository_kinds(repo):
    result = run("schema", "--write")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["wrote schema/architecture.schema.json",
                                          "wrote schema/fragment.schema.json"]
    for name in ("architecture", "fragment"):
        enum = json.loads((repo / "schema" / f"{name}.schema.json").read_text())["$defs"]["component_kind"]["enum"]
        assert {"logic_app_standard", "team_queue", "library_function", "voice"} <= set(enum)


# --- neutral wording, and wording from the settings -----------------------------------

def test_without_settings_the_pages_are_neutral(repo):
    (repo / "diagramgen.yaml").unlink()
    (repo / "architectures" / "demo.yaml").write_text(
        ARCH.replace("kind: logic_app_standard", "kind: power_automate\n    area: integration")
            .replace("kind: team_queue", "kind: voice_carrier\n    area: integration"), encoding="utf-8")
    assert run("render", "--format", "svg", "--no-steps").exit_code == 0  # docs shows the diagrams
    assert run("docs").exit_code == 0
    index = (repo / "output" / "docs" / "index.md").read_text(encoding="utf-8")
    page = (repo / "output" / "docs" / "demo.md").read_text(encoding="utf-8")
    assert "# Reference architectures\n" in index
    assert "| Scenario | Products | Reference architecture | Steps |" in index
    assert "**Products:** Demo product" in page
    assert "## Assumptions" not in page  # no azure_foundation, no notes: no section
    assert "- [All reference architectures](index.md)" in page
    assert "| Existing system, kept |" in page  # the neutral legend text of 'existing'
    for word in ("contact", "Contact", "Azure", "CCaaS", "Microsoft product"):
        assert word not in index and word not in page.replace("Azure Communication Services", "")


def test_settings_give_the_index_and_legend_wording(repo):
    assert run("render", "--format", "svg", "--no-steps").exit_code == 0  # docs shows the diagrams
    assert run("docs").exit_code == 0
    index = (repo / "output" / "docs" / "index.md").read_text(encoding="utf-8")
    page = (repo / "output" / "docs" / "demo.md").read_text(encoding="utf-8")
    assert index.startswith("<!-- Generated by diagramgen from architectures/*.yaml; run make docs to update. -->\n\n"
                            "# Our integration patterns\n\nPick the pattern closest to your case.\n\n")
    assert index.endswith("| 2 |\n\nAsk the integration team before adding one.\n")
    assert "| Team queue | Run by another team |" in page
    assert "- [All integration patterns](index.md)" in page


def test_foundation_paragraph_only_when_asked(repo):
    set_settings(repo, """\
        docs:
          foundation: {assumed: We run on the shared platform., not_assumed: Nothing shared is assumed.}
        kinds:
          logic_app_standard: {label: Logic Apps Standard, icon: icons/workflow.png, area: integration}
          team_queue: {label: Team queue, icon: icons/queue.svg, area: integration}
        """)
    arch = repo / "architectures" / "demo.yaml"
    pages = {}
    for flag in (None, "true", "false"):
        text = ARCH if flag is None else ARCH.replace("areas:", f"assumptions: {{azure_foundation: {flag}}}\nareas:")
        arch.write_text(text, encoding="utf-8")
        assert run("render", "--format", "svg", "--no-steps").exit_code == 0  # docs shows the diagrams
        assert run("docs").exit_code == 0
        pages[flag] = (repo / "output" / "docs" / "demo.md").read_text(encoding="utf-8")
    assert "## Assumptions" not in pages[None]
    assert "## Assumptions\n\nWe run on the shared platform.\n" in pages["true"]
    assert "## Assumptions\n\nNothing shared is assumed.\n" in pages["false"]


def test_docs_of_one_file_keeps_every_architecture_in_the_index(repo):
    other = ARCH.replace("id: demo", "id: second").replace("title: Demo", "title: Second one")
    (repo / "architectures" / "second.yaml").write_text(other, encoding="utf-8")
    assert run("render", "--format", "svg", "--no-steps").exit_code == 0  # docs shows the diagrams
    assert run("docs").exit_code == 0
    result = run("docs", "architectures/second.yaml")
    assert result.exit_code == 0
    index = (repo / "output" / "docs" / "index.md").read_text(encoding="utf-8")
    assert "[Demo](demo.md)" in index and "[Second one](second.md)" in index


def test_new_takes_its_defaults_from_the_settings(repo):
    result = run("new", "probe", "--title", "Probe")
    assert result.exit_code == 0, result.output
    text = (repo / "architectures" / "probe.yaml").read_text(encoding="utf-8")
    assert "products: [The product of this scenario]\n" in text
    assert "legend:" not in text and "assumptions:" not in text and "include:" not in text
    set_settings(repo, """\
        new:
          products: [Order hub]
          legend: {product: Order hub}
          azure_foundation: true
        """)
    result = run("new", "probe_two", "--title", "Probe two")
    assert result.exit_code == 0, result.output
    text = (repo / "architectures" / "probe-two.yaml").read_text(encoding="utf-8")
    assert "products: [Order hub]\n" in text
    assert "legend:\n  product: Order hub\n" in text
    assert "assumptions:\n  azure_foundation: true" in text


# --- custom icons end to end ----------------------------------------------------------

def git(repo, *args):
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.mark.dot
def test_custom_icons_end_to_end(repo):
    """Repository kinds with a PNG and an SVG icon and a component's own icon: render,
    check-outputs (the icons recorded relative to the repository), a change to a kind's
    icon makes the render stale, and diff draws an overlay."""
    result = run("render")
    assert result.exit_code == 0, result.output
    svg = (repo / "output" / "demo.svg").read_text(encoding="utf-8")
    assert re.search(r'<symbol id="icon-queue-[0-9a-f]{12}"', svg)  # the SVG icon, rasterised
    assert '<symbol id="icon-workflow"' in svg and '<symbol id="icon-own"' in svg
    assert run("docs").exit_code == 0
    result = run("check-outputs")
    assert result.exit_code == 0, result.output
    manifest = json.loads((repo / "output" / "manifest.json").read_text(encoding="utf-8"))
    inputs = manifest["architectures"]["demo"]["render"]["inputs"]
    assert {"icons/workflow.png", "icons/queue.svg", "architectures/icons/own.png", "diagramgen.yaml",
            "architectures/demo.yaml"} <= set(inputs)
    assert "diagramgen.yaml" in manifest["architectures"]["demo"]["docs"]["inputs"]

    # a changed icon file, then a changed index title: exactly what they affect is stale
    (repo / "icons" / "queue.svg").write_text(SVG_ICON.replace("#2F6DB5", "#4E8A3A"), encoding="utf-8")
    result = run("check-outputs")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "output/manifest.json: error: demo is out of date (render: changed icons/queue.svg); "
        'run "diagramgen render && diagramgen docs" [DG603]']
    assert run("render").exit_code == 0
    set_settings(repo, SETTINGS.replace("Our integration patterns", "Our patterns"))
    result = run("check-outputs")
    assert result.stderr.splitlines() == [
        "output/manifest.json: error: demo is out of date (docs: changed diagramgen.yaml); "
        'run "diagramgen render && diagramgen docs" [DG603]']
    assert "rendered 0 architecture(s), 1 up to date" in run("render").stdout
    assert run("docs").exit_code == 0
    assert run("check-outputs").exit_code == 0

    # diff: the overlay draws the repository's icons too
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=T", "add", "-A")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=T", "commit", "-q", "-m", "base")
    arch = repo / "architectures" / "demo.yaml"
    arch.write_text(arch.read_text(encoding="utf-8").replace("  - id: queue\n", "  - id: queue\n    label: Orders\n"),
                    encoding="utf-8")
    result = run("diff", "--base", "main", "--image", "out/{id}.svg")
    assert result.exit_code == 0, result.output
    overlay = (repo / "out" / "demo.svg").read_text(encoding="utf-8")
    assert "Orders" in overlay and overlay.count("<image") == 4


@pytest.mark.dot
def test_percent_encoded_icon_name_is_a_literal_file(repo, tmp_path):
    """A file literally named %2E%2E%2F...png is that file: render draws it, never the
    file its decoded name would point to."""
    (tmp_path / "secret.png").write_bytes(grey_png(3, 5))
    literal = "%2E%2E%2F%2E%2E%2F%2E%2E%2Fsecret.png"
    (repo / "architectures" / "icons" / literal).write_bytes(grey_png(7, 7))
    arch = repo / "architectures" / "demo.yaml"
    arch.write_text(ARCH.replace("icon: icons/own.png", f'icon: "icons/{literal}"'), encoding="utf-8")
    result = run("render", "--format", "svg", "--no-steps")
    assert result.exit_code == 0, result.output
    svg = (repo / "output" / "demo.svg").read_text(encoding="utf-8")
    assert 'viewBox="0 0 7 7"' in svg and 'viewBox="0 0 3 5"' not in svg


def test_component_icon_may_be_svg_and_must_stay_in_the_folder(repo):
    (repo / "architectures" / "icons" / "own.svg").write_text(SVG_ICON, encoding="utf-8")
    arch = repo / "architectures" / "demo.yaml"
    arch.write_text(ARCH.replace("icons/own.png", "icons/own.svg"), encoding="utf-8")
    assert run("validate").exit_code == 0
    arch.write_text(ARCH.replace("icons/own.png", "../icons/workflow.png"), encoding="utf-8")
    result = run("validate")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == \
        "architectures/demo.yaml:20:11: error: icon '../icons/workflow.png' is outside the architecture folder [DG504]"


@pytest.mark.dot
def test_watch_redoes_what_a_settings_or_icon_change_affects(repo):
    from diagramgen.watch import Watcher

    (repo / "architectures" / "plain.yaml").write_text(
        ARCH.replace("id: demo", "id: plain").replace("kind: team_queue", "kind: logic_app_standard"),
        encoding="utf-8")
    w = Watcher(formats=("svg",), steps=())
    w.handle(None)
    everything = ["architectures/demo.yaml", "architectures/plain.yaml"]
    assert w.affected([str(repo / "diagramgen.yaml")]) == everything
    assert w.affected([str(repo / "architectures" / "icons" / "own.png")]) == everything  # both draw it
    assert w.affected([str(repo / "output" / "demo.svg")]) == []
    assert str((repo / "diagramgen.yaml").resolve()) in w.watch_paths()
    assert str((repo / "icons").resolve()) in w.watch_paths()


def test_kinds_page_made_from_the_same_inputs_is_left_as_it_is_without_being_made(repo, tmp_path, monkeypatch):
    from diagramgen.docs import kinds as K

    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", str(tmp_path / "cache"))
    assert run("kinds", "--page", "out/kinds.md").exit_code == 0
    n = len(list((repo / "out" / "kinds").glob("*.png")))
    made = []
    real = K.page
    monkeypatch.setattr(K, "page", lambda *a, **k: made.append(1) or real(*a, **k))
    assert run("kinds", "--page", "out/kinds.md").stdout == f"out/kinds.md and {n} icons in out/kinds: unchanged\n"
    assert made == []
    # a repository kind's icon changed: made again, and only that icon written
    (repo / "icons" / "workflow.png").write_bytes((ICON_DIR / "email.png").read_bytes())
    assert run("kinds", "--page", "out/kinds.md").stdout == f"wrote 1 icon in out/kinds ({n} unchanged)\n"
    assert made == [1]
    # a kind's label changed: the page
    set_settings(repo, SETTINGS.replace("label: Team queue", "label: Queue of the team"))
    assert run("kinds", "--page", "out/kinds.md").stdout == f"wrote out/kinds.md ({n} unchanged)\n"
    assert made == [1, 1]
    # a file that is not what was made (another mode): made again and put right
    (repo / "out" / "kinds" / "team_queue.png").chmod(0o600)
    assert run("kinds", "--page", "out/kinds.md").stdout == f"wrote 1 icon in out/kinds ({n} unchanged)\n"
    assert made == [1, 1, 1]
    # the same bytes as without the cache
    monkeypatch.setenv("DIAGRAMGEN_CACHE_DIR", "")
    assert run("kinds", "--page", "plain/kinds.md").exit_code == 0
    assert made == [1, 1, 1, 1]
    assert {p.relative_to(repo / "out"): p.read_bytes() for p in (repo / "out").rglob("*.*")} == {
        p.relative_to(repo / "plain"): p.read_bytes() for p in (repo / "plain").rglob("*.*")}
