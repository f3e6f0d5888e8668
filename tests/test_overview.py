"""Groups of architectures: the overview page with its provenance matrix, migration
pages, the check of a hand-written overview table, and the settings that declare them."""
import json

import pytest

from diagramgen.docs import overview as O
from diagramgen.model.settings import load_settings
from diagramgen.model.validate import load_architecture

from conftest import ROOT, SHARED, invoke as run

PAGES = SHARED / "reference" / "microsoft-learn"
needs_shared = pytest.mark.skipif(
    not (PAGES / "contact-center-overview.md").is_file(),
    reason=f"{PAGES} is absent: the published reference pages live in ../shared")

# Two small scenarios of a made-up help desk: the first keeps the customer's ticketing
# system and phone provider, the second moves both to the product.
KEEP = """\
id: keep
title: Help desk that keeps its ticket tool
scenario: I want better answers without changing tools.
products: [Answer Bot]
summary: [Tickets stay where they are.]
docs_page: pages/keep.md
include:
  - {file: fragments/people.yaml, provenance: existing}
areas:
  - {id: telephony, label: Phone}
  - {id: agent, label: Agent tools}
components:
  - {id: carrier, kind: voice_carrier}
  - {id: tickets, kind: existing_crm, label: Ticket tool, capabilities: [Case management]}
  - {id: helper, kind: copilot, label: Answer Bot}
dataflow:
  - step: 1
    text: People call the help desk.
    flows: [{from: caller, to: carrier}]
  - step: 2
    text: The agent looks up the ticket and asks the bot.
    flows: [{from: tickets, to: helper}]
"""
MOVE = """\
id: move
title: Help desk moved to the suite
scenario: I want one vendor for phones and tickets.
products: [Help Suite, Answer Bot]
summary: [Everything moves.]
docs_page: pages/move.md
include:
  - fragments/people.yaml
areas:
  - {id: telephony, label: Phone}
  - {id: agent, label: Agent tools}
components:
  - {id: acs, kind: communication_services}
  - {id: desk, kind: agent_workspace, label: Suite desk, capabilities: [Case management]}
  - {id: helper, kind: copilot, label: Answer Bot}
dataflow:
  - step: 1
    text: People call the help desk.
    flows: [{from: caller, to: acs}]
  - step: 2
    text: The desk opens the case and asks the bot.
    flows: [{from: desk, to: helper}]
"""
PEOPLE = """\
areas:
  - {id: customers, label: Callers}
components:
  - {id: caller, kind: customer, label: Callers}
  - {id: phone, kind: voice, standalone: true}
"""
SETTINGS = """\
groups:
  desk:
    title: Help desk options
    intro: Two ways to run the help desk.
    architectures:
      - {id: keep, name: Keep}
      - move
    overview_page: pages/overview.md
    migrations:
      - {from: keep, to: move}
"""
# a hand-written overview page in the words of this test
OVERVIEW = """\
# Help desk options

| What you want | Products | Page |
|---|---|---|
| Better answers. | Answer Bot | [Help desk that keeps its ticket tool](keep.md) |
| One vendor. | Help Suite and answer bot. | [Help desk moved to the suite](move.md) |
"""



@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / "architectures" / "fragments").mkdir(parents=True)
    (tmp_path / "architectures" / "keep.yaml").write_text(KEEP, encoding="utf-8")
    (tmp_path / "architectures" / "move.yaml").write_text(MOVE, encoding="utf-8")
    (tmp_path / "architectures" / "fragments" / "people.yaml").write_text(PEOPLE, encoding="utf-8")
    (tmp_path / "diagramgen.yaml").write_text(SETTINGS, encoding="utf-8")
    pages = tmp_path / "architectures" / "pages"
    pages.mkdir()
    (pages / "keep.md").write_text("# Keep\n", encoding="utf-8")
    (pages / "move.md").write_text("# Move\n", encoding="utf-8")
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "overview.md").write_text(OVERVIEW, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def group(repo):
    models = [load_architecture(f"architectures/{n}.yaml")[0] for n in ("keep", "move")]
    settings = load_settings(".")
    return O.resolve(settings, models)[0], settings


# --- settings ------------------------------------------------------------------------

def test_groups_are_read_with_names_pages_and_migrations(group):
    g, _ = group
    assert [(a.id, n) for a, n in g.members] == [("keep", "Keep"), ("move", "")]
    assert g.name(g.members[1][0]) == "Help desk moved to the suite"  # no name: the title
    assert [(a.id, b.id) for a, b in g.migrations] == [("keep", "move")]
    assert g.overview_page == "pages/overview.md" and g.page == "overview/desk.md"


def test_a_group_without_architectures_compares_every_one(repo):
    (repo / "diagramgen.yaml").write_text("groups:\n  all:\n    title: Everything\n", encoding="utf-8")
    models = [load_architecture(f"architectures/{n}.yaml")[0] for n in ("keep", "move")]
    g = O.resolve(load_settings("."), models)[0]
    assert [a.id for a, _ in g.members] == ["keep", "move"] and g.migrations == ()


@pytest.mark.parametrize("body, message", [
    ("    architectures: [keep, mvoe]\n",
     "diagramgen.yaml:4:27: error: group 'desk' names architecture 'mvoe', which does not exist "
     "(did you mean 'move'?) [DG508]"),
    ("    architectures: [keep, move]\n    migrations: [{from: keep, to: keep}]\n",
     "diagramgen.yaml:5:18: error: a migration needs two different architectures, got 'keep' twice [DG511]"),
    ("    architectures: [keep]\n    migrations: [{from: keep, to: move}]\n",
     "diagramgen.yaml:5:35: error: migration of group 'desk' names 'move', which is not an architecture "
     "of the group [DG510]"),
])
def test_groups_naming_what_does_not_exist_are_errors_with_positions(repo, body, message):
    (repo / "diagramgen.yaml").write_text("groups:\n  desk:\n    title: Desk\n" + body, encoding="utf-8")
    code, out, err = run("docs")
    assert code == 1
    assert err.splitlines() == [message]
    assert not (repo / "output").exists()


@pytest.mark.parametrize("body, message", [
    ("    titel: Desk\n", "diagramgen.yaml:3:5: error: unknown key 'titel' in group (did you mean 'title'?) [DG214]"),
    ("    title: Desk\n    overview_page: /etc/passwd\n",
     "diagramgen.yaml:4:20: error: 'overview_page' must be a relative path or an http(s) URL, not an "
     "absolute path [DG216]"),
    ("    title: Desk\n    migrations: [[keep, move]]\n",
     "diagramgen.yaml:4:18: error: 'migrations'[1] must be a mapping (migration), got a list [DG201]"),
])
def test_bad_group_entries_are_reported_by_every_command(repo, body, message):
    (repo / "diagramgen.yaml").write_text("groups:\n  desk:\n" + body, encoding="utf-8")
    code, out, err = run("validate")
    assert code == 1
    assert err.splitlines()[0] == message


# --- the provenance matrix -----------------------------------------------------------

def test_matrix_rows_come_from_areas_and_split_where_the_architectures_differ(group):
    g, settings = group
    rows = O.matrix([a for a, _ in g.members], settings.catalog)
    assert [(r.label, r.cells) for r in rows] == [
        ("Callers", ((("existing", ("Callers", "Voice")),), (("product", ("Callers", "Voice")),))),
        # one component on each side, never together: alternatives, one row
        ("Phone", ((("existing", ("Voice carrier / calling plans",)),),
                   (("product", ("Azure Communication Services",)),))),
        # the agent tools differ inside the area: one row per slot (same id or kind)
        ("Agent tools: Existing CRM, Agent workspace", ((("existing", ("Ticket tool",)),),
                                                        (("product", ("Suite desk",)),))),
        ("Agent tools: Copilot", ((("product", ("Answer Bot",)),), (("product", ("Answer Bot",)),))),
    ]


def test_overview_page_has_the_scenarios_and_a_labelled_matrix(group):
    g, settings = group
    page = O.overview_page(g, settings)
    assert ("| Better answers. " not in page)  # the page's own text, not the hand-written one
    assert ("| I want better answers without changing tools. | Answer Bot | "
            "[Help desk that keeps its ticket tool](../keep.md) | "
            "[Interactive diagram](../diagrams/keep.html) |") in page.splitlines()
    assert "| Area | Keep | Help desk moved to the suite |" in page.splitlines()
    assert ("| Phone | \U0001f7e9 Voice carrier / calling plans (existing) | "
            "\U0001f7e6 Azure Communication Services (product) |") in page.splitlines()
    assert "- [From Keep to Help desk moved to the suite](keep-to-move.md): what is replaced, what is added, " \
           "what stays" in page.splitlines()
    assert "| Components in total | 1 product, 4 existing | 5 product |" in page.splitlines()


def test_cells_escape_labels(group):
    g, settings = group
    keep = g.members[0][0]
    odd = keep.__class__(**{**keep.__dict__, "components": tuple(
        c.__class__(**{**c.__dict__, "label": "a|b <i>"}) if c.id == "helper" else c for c in keep.components)})
    rows = O.matrix([odd], settings.catalog)
    assert O._cell(rows[-1].cells[0]) == "\U0001f7e6 a&#124;b &lt;i&gt; (product)"


# --- migrations ----------------------------------------------------------------------

def test_migration_matches_by_area_id_and_kind(group):
    g, _ = group
    keep, move = (a for a, _ in g.members)
    got = [(c.change, c.area, [x.id for x in c.old], [x.id for x in c.new], c.note) for c in O.match(keep, move)]
    assert got == [
        ("replaced", "Callers", ["caller"], ["caller"], "same id"),
        ("replaced", "Callers", ["phone"], ["phone"], "same id"),
        ("replaced", "Phone", ["carrier"], ["acs"], "same area"),
        ("added", "Agent tools", [], ["desk"], "before, in Ticket tool: Case management"),
        ("stays", "Agent tools", ["helper"], ["helper"], "same id"),
        ("retired", "Agent tools", ["tickets"], [], "now in Suite desk: Case management"),
    ]


def test_migration_page_lists_replaced_added_retired_and_steps(group):
    g, settings = group
    keep, move = (a for a, _ in g.members)
    lines = O.migration_page(g, keep, move, settings, "keep-to-move.svg").splitlines()
    assert "# From Keep to Help desk moved to the suite" in lines
    assert ("| Callers | \U0001f7e9 Callers, Voice (existing) | \U0001f7e6 Callers, Voice (product) | "
            "existing to product |") in lines
    assert ("| Phone | \U0001f7e9 Voice carrier / calling plans (existing) | "
            "\U0001f7e6 Azure Communication Services (product) | in its place, existing to product |") in lines
    assert "| Agent tools | \U0001f7e9 Ticket tool (existing) | now in Suite desk: Case management |" in lines
    assert "**Moves from the customer's existing systems to Microsoft:** Callers, Phone." in lines
    assert any(x.startswith("![Overlay diagram from ") and x.endswith("(keep-to-move.svg)") for x in lines)
    # step 1 carries over (same text, other flows); step 2 has no counterpart
    assert "| [1](../move.md#step-1) | [1](../keep.md#step-1) | no |" in lines
    assert "- [Step 2](../move.md#step-2): The desk opens the case and asks the bot." in lines


# --- the check of a hand-written overview table ---------------------------------------

def test_products_normalise_case_punctuation_and_separators():
    assert O.product_names("Copilot for Service or Copilot Studio.") == O.product_names(
        ["Microsoft Copilot for Service", "Microsoft Copilot Studio"])
    assert O.product_names("A, B and C") == O.product_names(["c", "b", "a"])
    assert O.product_names("A") != O.product_names(["A", "B"])


def test_hand_written_overview_passes(group):
    g, _ = group
    assert O.check_overview(OVERVIEW, g, "pages/overview.md") == []


def test_swapped_products_are_reported(group):
    g, _ = group
    text = OVERVIEW.replace("| Answer Bot |", "| X |").replace("| Help Suite and answer bot. |", "| Answer Bot |") \
        .replace("| X |", "| Help Suite and answer bot. |")
    assert [str(d) for d in O.check_overview(text, g, "pages/overview.md")] == [
        "pages/overview.md:5: error: the row of keep gives the products 'Help Suite and answer bot.', but "
        "architectures/keep.yaml has 'Answer Bot' (the products of move: are two rows swapped?) [DG425]",
        "pages/overview.md:6: error: the row of move gives the products 'Answer Bot', but "
        "architectures/move.yaml has 'Help Suite, Answer Bot' (the products of keep: are two rows swapped?) [DG425]",
    ]


def test_a_link_to_the_wrong_page_is_reported(group):
    g, _ = group
    text = OVERVIEW.replace("(move.md)", "(keep.md)")
    assert [str(d) for d in O.check_overview(text, g, "pages/overview.md")] == [
        "pages/overview.md:3: error: the table has no row for move (Help desk moved to the suite): no row "
        "links to its docs_page 'pages/move.md' [DG426]",
        "pages/overview.md:6: error: a second row links to the page of keep; line 5 does already [DG424]",
        "pages/overview.md:6: error: the row's link text reads like move (Help desk moved to the suite), but "
        "it links to 'keep.md', the page of keep [DG423]",
    ]


def test_a_missing_row_and_a_page_without_table(group):
    g, _ = group
    text = "\n".join(OVERVIEW.splitlines()[:-1]) + "\n"
    assert [str(d) for d in O.check_overview(text, g, "o.md")] == [
        "o.md:3: error: the table has no row for move (Help desk moved to the suite): no row links to its "
        "docs_page 'pages/move.md' [DG426]"]
    assert [str(d) for d in O.check_overview("# Nothing\n", g, "o.md")] == [
        "o.md:1: error: no table with a products column and links to the architectures; group 'desk' has "
        "2 architectures to list [DG420]"]


def test_check_docs_checks_the_mapped_overview_page(repo):
    code, out, err = run("check-docs")
    assert "ok pages/overview.md (the 2 architectures of group desk)" in out.splitlines(), err
    (repo / "pages" / "overview.md").write_text(OVERVIEW.replace("Answer Bot |", "Answer Robot |"),
                                                encoding="utf-8")
    code, out, err = run("check-docs", "pages/overview.md")
    assert code == 1
    assert err.splitlines() == [
        "pages/overview.md:5: error: the row of keep gives the products 'Answer Robot', but "
        "architectures/keep.yaml has 'Answer Bot' [DG425]"]
    code, out, err = run("check-docs", "pages/overview.md", "--group", "nope")
    assert (code, err.splitlines()) == (1, ["error: diagramgen.yaml declares no group 'nope' (groups: desk)"])


def test_check_docs_skips_an_absent_overview_page(repo):
    (repo / "pages" / "overview.md").unlink()
    code, out, err = run("check-docs")
    assert not any("overview.md:" in x and "error" in x for x in err.splitlines())
    assert ("pages/overview.md: note: skipped, the page is absent (the overview_page of group desk) [DG405]"
            in err.splitlines())


# --- docs and the manifest -----------------------------------------------------------

@pytest.mark.dot
def test_docs_writes_the_pages_records_them_and_removes_dropped_ones(repo):
    assert run("render")[0] == 0
    code, out, err = run("docs")
    assert code == 0, err
    docs = repo / "output" / "docs"
    assert sorted(p.name for p in (docs / "overview").iterdir()) == [
        "desk.md", "keep-to-move.md", "keep-to-move.svg"]
    svg = (docs / "overview" / "keep-to-move.svg").read_text(encoding="utf-8")
    assert "data:image/png;base64," in svg and str(repo) not in svg  # icons embedded, no local path
    assert "- [Help desk options](overview/desk.md)" in (docs / "index.md").read_text(encoding="utf-8")
    manifest = json.loads((repo / "output" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["overview"]["desk"]["outputs"] == [
        "docs/overview/desk.md", "docs/overview/keep-to-move.md", "docs/overview/keep-to-move.svg"]
    assert "architectures/keep.yaml" in manifest["overview"]["desk"]["inputs"]
    assert run("check-outputs")[1:] == ("ok: outputs of 2 architecture(s) are up to date\n", "")
    # the same input gives the same bytes
    before = {p.name: p.read_bytes() for p in (docs / "overview").iterdir()}
    assert run("docs")[0] == 0
    assert before == {p.name: p.read_bytes() for p in (docs / "overview").iterdir()}
    # an architecture of the group changes: its overview is stale
    arch = repo / "architectures" / "move.yaml"
    arch.write_text(arch.read_text(encoding="utf-8").replace("Everything moves.", "All of it moves."),
                    encoding="utf-8")
    code, out, err = run("check-outputs")
    assert code == 1
    assert ("output/manifest.json: error: overview of group 'desk' is out of date (changed "
            "architectures/move.yaml); run \"diagramgen render && diagramgen docs\" [DG603]") in err.splitlines()
    # the migration is dropped from the settings: its page and overlay go
    settings = repo / "diagramgen.yaml"
    settings.write_text(SETTINGS.split("    migrations:")[0], encoding="utf-8")
    code, out, err = run("docs")
    assert code == 0, err
    assert sorted(p.name for p in (docs / "overview").iterdir()) == ["desk.md"]
    assert "removed output/docs/overview/keep-to-move.svg" in out.splitlines()


@pytest.mark.dot
def test_docs_takes_a_migration_made_from_the_same_inputs_as_it_is(repo, monkeypatch):
    """Each migration's files are recorded with their inputs: docs makes again only the
    migrations whose architectures (or code) changed, or whose files are not as written."""
    (repo / "architectures" / "also.yaml").write_text(MOVE.replace("id: move", "id: also").replace(
        "title: Help desk moved to the suite", "title: Help desk moved elsewhere"), encoding="utf-8")
    (repo / "diagramgen.yaml").write_text(SETTINGS.replace("      - move\n", "      - move\n      - also\n") +
                                          "      - {from: keep, to: also}\n", encoding="utf-8")
    made = []
    real = O.overlay_svg
    monkeypatch.setattr(O, "overlay_svg", lambda old, new, *a, **k: made.append(f"{old.id}-to-{new.id}") or
                        real(old, new, *a, **k))

    def docs():
        made.clear()
        code, _, err = run("docs")
        assert code == 0, err
        return sorted(made)

    folder = repo / "output" / "docs" / "overview"
    assert run("render")[0] == 0
    assert docs() == ["keep-to-also", "keep-to-move"]
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert docs() == []
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == first
    assert run("check-outputs")[0] == 0
    arch = repo / "architectures" / "also.yaml"
    arch.write_text(arch.read_text(encoding="utf-8").replace("Everything moves.", "All of it moves."),
                    encoding="utf-8")
    assert run("render")[0] == 0
    assert docs() == ["keep-to-also"]
    assert run("check-outputs")[0] == 0
    # a file edited by hand, or with other line ends, is made again
    (folder / "keep-to-move.svg").write_bytes(first["keep-to-move.svg"].replace(b"\n", b"\r\n"))
    assert docs() == ["keep-to-move"]
    assert (folder / "keep-to-move.svg").read_bytes() == first["keep-to-move.svg"]
    (folder / "keep-to-move.md").unlink()
    assert docs() == ["keep-to-move"]
    assert (folder / "keep-to-move.md").read_bytes() == first["keep-to-move.md"]


@pytest.mark.dot
def test_make_draws_the_overlays_docs_will_need_while_render_runs(repo, monkeypatch):
    """make (makeall) draws the overlays of the migrations docs will make again in a
    thread of their own while render runs; docs takes them from there: each is drawn
    once, and the files are those docs makes alone."""
    import threading

    from diagramgen import makeall
    from diagramgen.docs import ahead

    (repo / "architectures" / "also.yaml").write_text(MOVE.replace("id: move", "id: also").replace(
        "title: Help desk moved to the suite", "title: Help desk moved elsewhere"), encoding="utf-8")
    (repo / "diagramgen.yaml").write_text(SETTINGS.replace("      - move\n", "      - move\n      - also\n") +
                                          "      - {from: keep, to: also}\n", encoding="utf-8")
    assert makeall.run(["--format", "svg"]) == 0
    folder = repo / "output" / "docs" / "overview"
    arch = repo / "architectures" / "also.yaml"
    arch.write_text(arch.read_text(encoding="utf-8").replace("Everything moves.", "All of it moves."),
                    encoding="utf-8")
    made = []
    real = O.make_overlay_svg
    monkeypatch.setattr(O, "make_overlay_svg", lambda old, new, *a: made.append(
        (f"{old.id}-to-{new.id}", threading.current_thread().name.startswith("diagramgen-overlays")))
        or real(old, new, *a))
    assert makeall.run(["--format", "svg"]) == 0
    assert made == [("keep-to-also", True)]  # drawn once, ahead; keep-to-move is taken as it was
    assert ahead._plans == []
    ahead = folder.joinpath("keep-to-also.svg").read_bytes()
    folder.joinpath("keep-to-also.svg").unlink()
    made.clear()
    assert run("docs")[0] == 0
    assert made == [("keep-to-also", False)]
    assert folder.joinpath("keep-to-also.svg").read_bytes() == ahead


def test_an_overlay_made_ahead_is_taken_once_asked_for_and_its_error_raised_there(monkeypatch):
    import threading

    from diagramgen.docs import ahead
    from diagramgen.draw.render import RenderError

    class Arch:
        def __init__(self, i):
            self.id = i

    a, b, c = Arch("a"), Arch("b"), Arch("c")
    made = []

    def draw(old, new, caption, link):
        made.append((old.id, new.id, caption, link))
        if new is c:
            raise RenderError("dot failed")
        return f"{old.id}>{new.id}".encode()

    monkeypatch.setattr(O, "make_overlay_svg", draw)
    jobs = [(a, b, "From A to B", "../b.md"), (a, c, "From A to C", "../c.md")]
    with ahead.overlays_ahead(lambda: (O.make_overlay_svg, jobs)):
        assert O.overlay_svg(a, b, "From A to B", "../b.md") == b"a>b"
        with pytest.raises(RenderError, match="dot failed"):
            O.overlay_svg(a, c, "From A to C", "../c.md")
        assert sorted(made) == [("a", "b", "From A to B", "../b.md"), ("a", "c", "From A to C", "../c.md")]
        # not made ahead, or asked for with another caption: made where asked
        assert O.overlay_svg(a, b, "other", "../b.md") == b"a>b"
        assert len(made) == 3
    assert ahead._plans == []
    assert O.overlay_svg(a, b, "From A to B", "../b.md") == b"a>b"
    assert len(made) == 4

    def broken():
        raise O.OverviewError("no such group")

    with ahead.overlays_ahead(broken):  # a plan that fails: nothing ahead, each made where asked
        assert O.overlay_svg(a, b, "From A to B", "../b.md") == b"a>b"
    assert len(made) == 5

    # with an Event to begin at: nothing is planned before it is set or an overlay is asked for
    planned = []

    def plan():
        planned.append(True)
        return O.make_overlay_svg, jobs

    with ahead.overlays_ahead(plan, threading.Event()):
        pass
    assert planned == [] and len(made) == 5
    with ahead.overlays_ahead(plan, threading.Event()):
        assert planned == []
        assert O.overlay_svg(a, b, "From A to B", "../b.md") == b"a>b"
        assert planned == [True]
        assert made[5] == ("a", "b", "From A to B", "../b.md")  # the first of the plan's
    assert made[6:] in ([], [("a", "c", "From A to C", "../c.md")])  # begun before leaving, or dropped


# --- this repository ---------------------------------------------------------------------

def test_every_group_of_this_repository_resolves(monkeypatch):
    monkeypatch.chdir(ROOT)
    from diagramgen.model.project import load_all
    from diagramgen.model.settings import current

    loaded = load_all()
    for g in O.resolve(current(), loaded.models):
        assert g.members
        # every row of the matrix has at least one filled cell, and every cell says its provenance
        for row in O.matrix([a for a, _ in g.members], current().catalog):
            assert any(row.cells)
            for cell in row.cells:
                assert all(p in O.PROVENANCE_ORDER for p, _ in cell)


@needs_shared
def test_the_published_overview_page_passes_and_its_mutations_fail(tmp_path, monkeypatch):
    """The published page, copied, and two damaged copies: two rows' products swapped,
    and one row linking the wrong page."""
    monkeypatch.chdir(ROOT)
    page = (PAGES / "contact-center-overview.md").read_text(encoding="utf-8")
    code, out, err = run("check-docs", str(PAGES / "contact-center-overview.md"))
    assert code == 0, err
    lines = page.splitlines()
    rows = [i for i, x in enumerate(lines) if x.startswith("|") and "](" in x]
    cells = [lines[i].split("|") for i in rows[:2]]
    cells[0][2], cells[1][2] = cells[1][2], cells[0][2]
    swapped = list(lines)
    swapped[rows[0]], swapped[rows[1]] = "|".join(cells[0]), "|".join(cells[1])
    (tmp_path / "swapped.md").write_text("\n".join(swapped) + "\n", encoding="utf-8")
    wrong = list(lines)
    first_link = lines[rows[0]].split("](")[1].split(")")[0]
    second_link = lines[rows[1]].split("](")[1].split(")")[0]
    wrong[rows[1]] = lines[rows[1]].replace(f"]({second_link})", f"]({first_link})")
    (tmp_path / "wrong.md").write_text("\n".join(wrong) + "\n", encoding="utf-8")
    code, out, err = run("check-docs", str(tmp_path / "swapped.md"), str(tmp_path / "wrong.md"),
                         "--group", "contact_center")
    assert code == 1
    a, b = rows[0] + 1, rows[1] + 1
    assert err.splitlines() == [
        f"{tmp_path}/swapped.md:{a}: error: the row of premium gives the products 'Dynamics 365 Customer "
        "Service Enterprise', but architectures/premium.yaml has 'Dynamics 365 Customer Service Premium' (the "
        "products of enterprise: are two rows swapped?) [DG425]",
        f"{tmp_path}/swapped.md:{b}: error: the row of enterprise gives the products 'Dynamics 365 Customer "
        "Service Premium', but architectures/enterprise.yaml has 'Dynamics 365 Customer Service Enterprise' "
        "(the products of premium: are two rows swapped?) [DG425]",
        f"{tmp_path}/wrong.md:{a - 2}: error: the table has no row for enterprise (Contact center using "
        "Dynamics 365 Customer Service Enterprise): no row links to its docs_page "
        "'../../shared/reference/microsoft-learn/contact-center-dynamics-365-customer-service-enterprise.md' [DG426]",
        f"{tmp_path}/wrong.md:{b}: error: a second row links to the page of premium; line {a} does already [DG424]",
        f"{tmp_path}/wrong.md:{b}: error: the row's link text reads like enterprise (Contact center using "
        "Dynamics 365 Customer Service Enterprise), but it links to "
        f"'{first_link}', the page of premium [DG423]",
    ]
