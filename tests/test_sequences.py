"""Further dataflow sequences (lettered steps) through the format, the diagram, the docs
page, the diff, and check-docs' reading of several lists, nested items and names."""
import dataclasses
import re
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from diagramgen.diff.compare import DiffResult, diff_architectures
from diagramgen.diff.report import render_text
from diagramgen.docs import pages as docs
from diagramgen.docs.checkdocs import check_page, parse_dataflow
from diagramgen.draw import scene
from diagramgen.draw.render import render_architecture
from diagramgen.model import DocsCheck, Step, letters
from diagramgen.model.validate import load_architecture

from conftest import assert_golden

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "sequences" / "two-sequences.yaml"
SHOWN = "tests/fixtures/sequences/two-sequences.yaml"


@pytest.fixture(scope="module")
def arch():
    m, diags = load_architecture(FIXTURE, shown=SHOWN)
    assert m is not None, diags
    return m


def page(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


MAIN = """\
1. The order app saves the order in Dataverse.
1. Dataverse passes the order to the order function and keeps a copy in the archive.
1. The order function tells the order app that the order is complete.
"""
INTEGRATION = """\
1. The order function sends the order to the ERP.
1. The ERP confirms the order back to Dataverse.
"""
GOOD = f"# Orders\n\n## Dataflow\n\nThe order flow:\n\n{MAIN}\nThen the ERP integration:\n\n{INTEGRATION}\n## Next\n"


def errors(text: str, arch) -> list:
    return [str(d) for d in check_page(text, arch, "p.md")]


# --- the model ---------------------------------------------------------------------

def test_steps_carry_their_sequence_label_key_and_anchor(arch):
    assert [(s.sequence, s.number, s.badge, s.key, s.anchor) for s in arch.steps] == [
        ("", 1, "1", "1", "step-1"), ("", 2, "2", "2", "step-2"), ("", 3, "3", "3", "step-3"),
        ("integration", 1, "A", "integration-a", "step-integration-a"),
        ("integration", 2, "B", "integration-b", "step-integration-b")]
    assert [(q.id, q.title, len(q.steps)) for q in arch.sequences] == [
        ("", "Order flow", 3), ("integration", "ERP integration", 2)]
    assert arch.stats()["sequences"] == 2 and arch.stats()["steps"] == 5


def test_letters_run_on_after_z():
    assert [letters(n) for n in (1, 2, 26, 27, 52, 703)] == ["A", "B", "Z", "AA", "AZ", "AAA"]


def test_lettered_steps_out_of_order_and_numbers_are_errors(tmp_path):
    text = FIXTURE.read_text().replace("step: B", "step: C")
    bad = tmp_path / "a.yaml"
    bad.write_text(text)
    _, diags = load_architecture(bad, shown="a.yaml")
    assert [str(d) for d in diags] == [
        "a.yaml:40:15: error: the steps of sequence 'integration' are lettered A, B, C ... in order: "
        "expected step B, got C [DG310]"]
    bad.write_text(FIXTURE.read_text().replace("step: A", "step: 1"))
    _, diags = load_architecture(bad, shown="a.yaml")
    assert [str(d) for d in diags] == [
        "a.yaml:36:15: error: 'step' must be upper-case letters (A, B, C ...), got a number (1) [DG201]"]


def test_a_second_further_sequence_is_refused(tmp_path):
    text = FIXTURE.read_text()
    extra = text[text.index("  - id: integration"):].replace("id: integration", "id: other")
    bad = tmp_path / "a.yaml"
    bad.write_text(text + extra)
    _, diags = load_architecture(bad, shown="a.yaml")
    assert [str(d) for d in diags] == ["a.yaml:33:3: error: 'sequences' has 2 items, over the limit of 1 [DG212]"]


# --- the diagram ---------------------------------------------------------------------

def test_lettered_badges_in_dot(arch):
    dot = scene.build(arch)
    assert re.search(r'^\s*_Step_integration_A_from_fn \[label=A .*class="step step-integration-a"', dot, re.M)
    assert 'id="step-integration-a-fn-erp"' in dot or "id=\"step-integration-a-" in dot
    assert re.search(r'^\s*_step1_from_app \[label=1 ', dot, re.M)  # the main dataflow as before
    # no circle id can be a component id: ids are lower case, further sequences' start upper case
    assert not any(c.id.startswith("Step_") for c in arch.components)
    assert "a number: Order flow; a letter: ERP integration" in dot


def test_three_character_labels_get_a_wider_circle(arch):
    assert scene.badge_size("9") == scene.badge_size("10") == ("0.28", "12")
    assert scene.badge_size("100") == scene.badge_size("AAA") == scene.badge_size("2000") == ("0.5", "12")
    # step AAA (the 703rd of a lettered sequence) as the model would hold it
    steps = tuple(dataclasses.replace(s, label="AAA") if s.badge == "A" else s for s in arch.steps)
    dot = scene.build(dataclasses.replace(arch, steps=steps))
    line = next(x for x in dot.splitlines() if x.strip().startswith("_Step_integration_AAA_from_fn ["))
    assert "label=AAA " in line and "fontsize=12 " in line and "height=0.5 " in line and "width=0.5" in line
    two = next(x for x in dot.splitlines() if x.strip().startswith("_Step_integration_B_from_erp ["))
    assert "fontsize=12 " in two and "width=0.28" in two


# advance widths of DejaVu Sans (units per em 2048) of the characters a circle can hold
_ADVANCE = {**{d: 1303 for d in "0123456789"}, "A": 1401, "B": 1405, "W": 2025, "X": 1403}


@pytest.mark.dot
# 2000 steps at most: labels up to "2000", and lettered up to "BXX" (the widest "BWW")
@pytest.mark.parametrize("label", ["10", "100", "999", "2000", "AAA", "BWW", "BXX"])
def test_three_character_labels_fit_their_circles_in_the_svg(arch, label):
    steps = tuple(dataclasses.replace(s, label=label) if s.badge == "A" else s for s in arch.steps)
    svg = render_architecture(dataclasses.replace(arch, steps=steps), ("svg",))[f"{arch.id}.svg"]
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    group = next(g for g in root.iter(f"{ns}g") if g.get("id") == f"_Step_integration_{label}_from_fn")
    circle = next(group.iter(f"{ns}ellipse"))
    text = next(t for t in group.iter(f"{ns}text"))
    assert text.text == label
    width = sum(_ADVANCE[ch] for ch in label) / 2048 * float(text.get("font-size"))
    diameter = 2 * float(circle.get("rx"))
    assert width + 4 <= diameter, (label, width, diameter)  # 2 pt clear of the edge each side


@pytest.mark.dot
def test_lettered_badges_in_svg_and_step_views(arch):
    files = render_architecture(arch, ("svg",), steps=("svg",))
    svg = files["orders.svg"].decode()
    assert re.search(r'<g id="_Step_integration_A_from_fn" class="node step step-integration-a">', svg)
    assert '<title>Step A: The order function sends the order to the ERP.</title>' in svg
    assert 'xlink:href="docs/orders.md#step-integration-a"' in svg
    assert sorted(k for k in files if k.startswith("steps/")) == ["steps/orders.svg"]
    # one view: each step's anchor is a fragment target, and its rules emphasise that step
    view = files["steps/orders.svg"].decode()
    for anchor in ("step-1", "step-2", "step-3", "step-integration-a", "step-integration-b"):
        assert f'<g id="{anchor}" class="view"/>' in view
        assert f"#{anchor}:target~g g.{anchor}.edge path" in view
    assert 'xlink:href="../docs/orders.md#step-integration-b"' in view


@pytest.mark.dot
def test_lettered_step_pngs_are_named_by_anchor(arch):
    files = render_architecture(arch, ("svg",), steps=("svg", "png"))
    assert sorted(k for k in files if k.endswith(".png")) == [
        "steps/orders-step-1.png", "steps/orders-step-2.png", "steps/orders-step-3.png",
        "steps/orders-step-integration-a.png", "steps/orders-step-integration-b.png"]
    assert files["steps/orders-step-integration-b.png"][:8] == b"\x89PNG\r\n\x1a\n"


# --- the docs page ---------------------------------------------------------------------

def test_docs_page_golden(arch):
    assert_golden("docs/two-sequences.md", docs.page(arch))


def test_generated_page_passes_check_docs(arch):
    assert errors(docs.page(arch), arch) == []


# --- the diff ------------------------------------------------------------------------------

def test_steps_are_compared_within_their_sequence(arch):
    main = arch.main_steps
    inserted = Step(2, "The order app prints the order.", main[0].flows)
    steps = (main[0], inserted) + tuple(dataclasses.replace(s, number=s.number + 1) for s in main[1:])
    integ = [s for s in arch.steps if s.sequence]
    integ[1] = dataclasses.replace(integ[1], text="The ERP confirms the order to Dataverse.")
    new = dataclasses.replace(arch, steps=steps + tuple(integ))
    lines = render_text(DiffResult("", "", (diff_architectures(arch, new),))).splitlines()
    assert lines[1:] == [
        "  step 2 inserted: The order app prints the order.",
        '  step B of integration reworded: "The ERP confirms the order back to Dataverse." -> '
        '"The ERP confirms the order to Dataverse."',
        "  steps 2\u20133 renumbered to 3\u20134"]


# --- check-docs: lists, nesting, all-1. items -----------------------------------------------

def test_lists_separated_by_prose_map_to_the_sequences(arch):
    section = parse_dataflow(GOOD)
    assert [(x.line, len(x.items)) for x in section.lists] == [(7, 3), (13, 2)]
    assert errors(GOOD, arch) == []


def test_nested_items_are_the_steps_by_default(arch):
    nested = "1. The order flow\n" + textwrap.indent(MAIN, "   ")
    text = f"## Dataflow\n\n{nested}\nIntegration:\n\n{INTEGRATION}"
    assert errors(text, arch) == []


def test_one_list_whose_items_hold_the_sequences(arch):
    text = ("## Dataflow\n\n1. The order flow\n" + textwrap.indent(MAIN, "   ")
            + "1. The ERP integration\n" + textwrap.indent(INTEGRATION, "   "))
    assert errors(text, arch) == []


def test_explicit_choice_of_nested_items(arch):
    # three top-level items fit the three steps, but the steps are the nested items
    text = ("## Dataflow\n\n1. Saving\n" + textwrap.indent(MAIN.split("\n", 1)[0] + "\n", "   ")
            + "1. Passing on\n" + textwrap.indent("".join(MAIN.splitlines(True)[1:]), "   ")
            + "1. Notes: none.\n\n" + "Integration:\n\n" + INTEGRATION)
    assert errors(text, arch) == [
        "p.md:8: error: step 3: the item does not mention Order function (fn), Order app (app), which the step "
        "is about (accepted names: Order function, Azure Function, Function app; Order app) [DG418]"]
    nested = dataclasses.replace(arch, docs_check=DocsCheck(items="nested"))
    assert errors(text, nested) == []


def test_what_was_found_when_the_lists_do_not_fit(arch):
    one_list = f"## Dataflow\n\n{MAIN}"
    assert errors(one_list, arch) == [
        f"p.md:1: error: the Dataflow section has 1 ordered list (3 items), but {SHOWN} has 2 sequences "
        "(3 and 2 steps): each sequence needs its own ordered list, in the order of the file (main dataflow "
        "first; prose between the lists is fine) [DG412]"]
    short = "1. The order flow\n" + textwrap.indent("".join(MAIN.splitlines(True)[:2]), "   ")
    text = f"## Dataflow\n\n{short}\nIntegration:\n\n{INTEGRATION}"
    top = dataclasses.replace(arch, docs_check=DocsCheck(items="top"))
    assert errors(text, top)[0] == (
        f"p.md:3: error: list 1 of the Dataflow section has 1 item, but the main dataflow of {SHOWN} has "
        "3 steps (the section has 2 ordered lists (1 and 2 items; list 1 has 1 item with 2 nested items); "
        "the steps were read from the top-level items; to read the items nested in the top-level ones, "
        f"set 'docs_check: {{items: nested}}' in {SHOWN}) [DG413]")
    assert errors(text, arch)[0] == (
        f"p.md:4: error: list 1 of the Dataflow section has 2 items, but the main dataflow of {SHOWN} has "
        "3 steps (the section has 2 ordered lists (1 and 2 items; list 1 has 1 item with 2 nested items); "
        "the steps were read from the items nested in the top-level ones; to read the top-level items, "
        f"set 'docs_check: {{items: top}}' in {SHOWN}) [DG413]")


# --- check-docs: mutated copies --------------------------------------------------------------

def test_swapped_items_are_caught(arch):
    a, b, c = MAIN.splitlines(True)
    assert errors(GOOD.replace(MAIN, a + c + b), arch) == [
        "p.md:8: error: steps 2 and 3 are swapped: the item at line 8 describes step 3 and the item at "
        "line 9 describes step 2 [DG416]"]


def test_deleted_item_is_caught(arch):
    x, y = INTEGRATION.splitlines(True)
    assert errors(GOOD.replace(INTEGRATION, x), arch) == [
        f"p.md:13: error: list 2 of the Dataflow section has 1 item, but sequence 'integration' of {SHOWN} "
        "has 2 steps [DG413]",
        "p.md:13: error: step B of integration has no item in the Dataflow list (expected after line 13; "
        "it is about ERP (erp), Microsoft Dataverse (db)) [DG415]"]


def test_replaced_hub_name_is_caught(arch):
    # step 2 fans out from Dataverse: its hub must be named
    text = GOOD.replace("1. Dataverse passes", "1. The ERP passes")
    assert errors(text, arch) == [
        "p.md:8: error: step 2: the item does not mention Microsoft Dataverse (db), which the step is about "
        "(accepted names: Microsoft Dataverse, Dataverse) [DG418]"]
    # the lenient rule is content with any end of the step's flows
    lenient = dataclasses.replace(arch, docs_check=DocsCheck(names="any"))
    assert errors(text, lenient) == []


def test_an_item_naming_other_steps_components_in_place_of_its_own(arch):
    text = GOOD.replace("saves the order in Dataverse", "saves the order in the order function and the archive")
    assert errors(text, arch) == [
        "p.md:7: error: step 1: the item names Order function (fn), Archive (store), which the step does "
        "not involve, but not Microsoft Dataverse (db): a wrong component? (if the item is right, declare "
        "the step's 'subject') [DG419]"]


def test_an_item_naming_its_main_component_passes(arch):
    # step 1 is one flow, order app -> Dataverse: naming either end is enough by default
    text = GOOD.replace("saves the order in Dataverse", "saves the order")
    assert errors(text, arch) == []
    strict = dataclasses.replace(arch, docs_check=DocsCheck(names="all"))
    assert errors(text, strict) == [
        "p.md:7: error: step 1: the item does not mention Microsoft Dataverse (db), which the step is about "
        "(accepted names: Microsoft Dataverse, Dataverse) [DG418]"]


# --- check-docs: page shapes authors write ------------------------------------------------

NUMBERED = "1. The order app saves the order in Dataverse.\n" \
           "2. Dataverse passes the order to the order function and keeps a copy in the archive.\n"
LAST = "3. The order function tells the order app that the order is complete.\n"


def test_a_list_split_by_an_unindented_paragraph_continues_when_its_numbers_do(arch):
    # "3." after a paragraph, a note or a table starts a new list in CommonMark, with the
    # start number 3: it renders, and reads, as the list continued
    for between in ("The archive keeps the copy for a year.",
                    "> **Note**\n> Dataverse can be replaced by SQL.",
                    "| a | b |\n|---|---|\n| 1 | 2 |"):
        text = f"## Dataflow\n\n{NUMBERED}\n{between}\n\n{LAST}\nIntegration:\n\n{INTEGRATION}"
        assert [(x.line, len(x.items)) for x in parse_dataflow(text).lists] == [(3, 3), (12 + between.count("\n"), 2)]
        assert errors(text, arch) == []


def test_a_list_restarted_by_an_unindented_paragraph_says_so(arch):
    main_only = dataclasses.replace(arch, steps=arch.main_steps, extra_sequences=())
    text = f"## Dataflow\n\n{NUMBERED}\nThe archive keeps the copy for a year.\n\n1. {LAST[3:]}"
    assert errors(text, main_only) == [
        f"p.md:3: error: the Dataflow list has 2 item(s), but {SHOWN} has 3 step(s) (the section has 2 ordered "
        "lists (2 and 1 items), and list 1 was read for this sequence: a paragraph, note or table between two "
        "items ends a list unless it is indented under its item) [DG413]",
        # on one line: the count first, then what follows from it
        "p.md:4: error: step 3 has no item in the Dataflow list (expected after line 4; it is about "
        "Order function (fn), Order app (app)) [DG415]"]


def test_a_dataflow_heading_per_sequence(arch):
    text = (f"# Orders\n\n## Order flow\n\n### Dataflow\n\n{MAIN}\n"
            f"## ERP integration\n\n### Data flow\n\n{INTEGRATION}\n## Components\n\n1. not a step\n")
    assert [(x.line, len(x.items)) for x in parse_dataflow(text).lists] == [(7, 3), (15, 2)]
    assert errors(text, arch) == []
    # a Dataflow heading left empty, the list under a later one
    text = f"## Dataflow\n\nSee below.\n\n## Details\n\n## Dataflow\n\n{MAIN}\n{INTEGRATION}"
    assert parse_dataflow(text).heading_line == 1
    assert [(x.line, len(x.items)) for x in parse_dataflow(text).lists] == [(9, 5)]


@pytest.mark.parametrize("letter", ["{}.", "{})", "({})", "**{}.**"])
@pytest.mark.parametrize("case", [str.upper, str.lower])
def test_lettered_bullets_in_either_case(arch, letter, case):
    lettered = "".join(f"- {letter.format(case(c))} {line[3:]}\n"
                       for c, line in zip("AB", INTEGRATION.splitlines()))
    text = f"## Dataflow\n\n{MAIN}\nIntegration:\n\n{lettered}"
    assert errors(text, arch) == []


def test_diagnostics_on_one_line_come_in_the_order_found(arch):
    # the count first, then the steps without an item in step order (not sorted as text)
    main_only = dataclasses.replace(arch, steps=arch.main_steps, extra_sequences=())
    assert errors(f"## Dataflow\n\n{NUMBERED[:NUMBERED.index(chr(10)) + 1]}", main_only) == [
        f"p.md:3: error: the Dataflow list has 1 item(s), but {SHOWN} has 3 step(s) [DG413]",
        "p.md:3: error: step 2 has no item in the Dataflow list (expected after line 3; it is about "
        "Microsoft Dataverse (db), Order function (fn), Archive (store)) [DG415]",
        "p.md:3: error: step 3 has no item in the Dataflow list (expected after line 3; it is about "
        "Order function (fn), Order app (app)) [DG415]"]


@pytest.mark.parametrize("html, passes", [
    ("Dataverse<br>passes", True), ("Dataverse<br/>passes", True), ("Dataverse<sup>1</sup> passes", True),
    ("<b>Data</b>verse passes", True), ("Data<wbr>verse passes", True),
    ("<span>Dataverse</span>passes", False),  # renders "Dataversepasses": one word
])
def test_html_tags_between_words(arch, html, passes):
    # step 2 fans out from Dataverse, which its item must name
    text = GOOD.replace("1. Dataverse passes", f"1. {html}")
    assert errors(text, arch) == ([] if passes else [
        "p.md:8: error: step 2: the item does not mention Microsoft Dataverse (db), which the step is about "
        "(accepted names: Microsoft Dataverse, Dataverse) [DG418]"])


def test_numbers_running_on_from_one_sequence_into_the_next(arch):
    # the integration list numbered 4, 5 after the main 1-3: two lists, one per sequence
    running = "".join(f"{n}. {line[3:]}\n" for n, line in zip((4, 5), INTEGRATION.splitlines()))
    text = GOOD.replace(INTEGRATION, running)
    assert [(x.line, len(x.items)) for x in parse_dataflow(text).lists] == [(7, 5)]
    assert errors(text, arch) == []
