"""Every validation error kind, with its exact message and position."""

import pytest

from diagramgen.model.validate import load_architecture

from conftest import ARCH_DIR

HEADER = """\
id: demo
title: Demo
scenario: I want a demo.
products: [Demo product]
assumptions: {azure_foundation: false}
"""

BASE = HEADER + """\
areas:
  - id: customers
    label: Customers
  - id: telephony
    label: Telephony
components:
  - id: customer
    kind: customer
  - id: acs
    kind: communication_services
dataflow:
  - step: 1
    text: Customers call.
    flows:
      - {from: customer, to: acs}
"""


def diags(write, content, name="a.yaml"):
    path = write(name, content)
    model, ds = load_architecture(path, shown=name)
    return model, [str(d) for d in ds]


def test_valid_minimal(write):
    model, ds = diags(write, BASE)
    assert ds == []
    assert [c.id for c in model.components] == ["customer", "acs"]
    assert model.components[1].area == "telephony"  # the kind's default area
    assert model.components[1].label == "Azure Communication Services"
    assert model.steps[0].flows[0].src == "customer"


def test_unknown_component_in_flow_with_suggestion(write):
    _, ds = diags(write, BASE.replace("to: acs}", "to: acss}"))
    assert ds == ["a.yaml:20:30: error: unknown component 'acss' in flow 'to' (did you mean 'acs'?) [DG309]"]


def test_duplicate_component_id(write):
    text = BASE.replace("  - id: acs\n", "  - id: customer\n")
    _, ds = diags(write, text)
    assert ds[0] == "a.yaml:14:9: error: duplicate component id 'customer' (first defined at a.yaml:12:9) [DG305]"


def test_unknown_kind(write):
    _, ds = diags(write, BASE.replace("kind: communication_services", "kind: comunication_services"))
    assert ds == ["a.yaml:15:11: error: unknown component kind 'comunication_services' "
                  "(did you mean 'communication_services' (Azure Communication Services)?); "
                  "`diagramgen kinds` lists every kind [DG307]"]


def test_unknown_area(write):
    text = BASE.replace("    kind: customer\n", "    kind: customer\n    area: custmers\n")
    _, ds = diags(write, text)
    assert ds == ["a.yaml:14:11: error: unknown area 'custmers' (did you mean 'customers'?) [DG308]"]


def test_component_in_no_area(write):
    text = BASE.replace("  - id: telephony\n    label: Telephony\n", "")
    _, ds = diags(write, text)
    assert ds == ["a.yaml:12:9: error: component 'acs' is in no area: its kind's default area "
                  "'telephony' is not declared, so set 'area' [DG308]"]


def test_step_numbers_must_be_1_to_n(write):
    text = BASE + """\
  - step: 3
    text: Again.
    flows:
      - {from: acs, to: customer}
"""
    _, ds = diags(write, text)
    assert ds == ["a.yaml:21:11: error: steps must be numbered 1..N in order: expected step 2, got 3 [DG310]"]


def test_duplicate_step_number(write):
    text = BASE + """\
  - step: 1
    text: Again.
    flows:
      - {from: acs, to: customer}
"""
    _, ds = diags(write, text)
    assert ds == ["a.yaml:21:11: error: steps must be numbered 1..N in order: expected step 2, got 1 [DG310]"]


def test_unused_component_is_a_warning(write):
    text = BASE.replace("dataflow:", "  - id: mail\n    kind: email\n    area: customers\ndataflow:")
    model, ds = diags(write, text)
    assert model is not None
    assert ds == ["a.yaml:16:9: warning: component 'mail' is not used in any flow "
                  "(set 'standalone: true' if that is intended) [DG314]"]


def test_wrong_value_types(write):
    text = BASE.replace("title: Demo", "title: [Demo]").replace("step: 1", "step: one")
    _, ds = diags(write, text)
    assert ds == [
        "a.yaml:2:8: error: 'title' must be a string, got a list [DG201]",
        "a.yaml:17:11: error: 'step' must be a whole number, got a string ('one') [DG201]",
    ]


def test_unknown_key_with_suggestion(write):
    _, ds = diags(write, BASE.replace("scenario:", "scenaro:"))
    # one typo, one line: the misspelt key is not also reported as missing
    assert ds == ["a.yaml:3:1: error: unknown key 'scenaro' in architecture (did you mean 'scenario'?) [DG214]"]


def test_missing_key_reported_when_no_unknown_key_resembles_it(write):
    _, ds = diags(write, BASE.replace("scenario:", "notes:"))
    assert ds == [
        "a.yaml:1:1: error: architecture is missing the required key 'scenario' [DG215]",
        "a.yaml:3:1: error: unknown key 'notes' in architecture [DG214]",
    ]


def test_yaml_syntax_error_position(write):
    _, ds = diags(write, BASE.replace("  - id: acs\n", "  - id: acs\n   bad: [\n"))
    assert ds == ["a.yaml:15:4: error: YAML syntax: wrong indentation: this line does not fit the block "
                  "started at line 12, column 3 [DG104]"]


def test_all_problems_reported_at_once(write):
    text = (BASE.replace("kind: customer", "kind: custmer")
            .replace("to: acs}", "to: acss}").replace("title: Demo", "titel: Demo"))
    _, ds = diags(write, text)
    assert len(ds) == 3, ds
    assert [d.split(": ", 1)[0] for d in ds] == ["a.yaml:2:1", "a.yaml:13:11", "a.yaml:20:30"]


def test_flow_both_and_subject(write):
    text = BASE.replace("{from: customer, to: acs}", "{from: customer, to: acs, both: true}")
    text = text.replace("    text: Customers call.\n", "    text: Customers call.\n    subject: [acs]\n")
    model, ds = diags(write, text)
    assert ds == []
    assert model.steps[0].flows[0].both is True
    assert model.steps[0].components == ("acs",)


def test_include_fragment_with_provenance(write):
    write("fragments/t.yaml", """
        areas:
          - id: telephony
            label: Telephony
        components:
          - id: acs
            kind: communication_services
        """)
    text = BASE.replace("  - id: telephony\n    label: Telephony\n", "").replace(
        "  - id: acs\n    kind: communication_services\n", "")
    text = text.replace("areas:", "include:\n  - {file: fragments/t.yaml, provenance: existing}\nareas:", 1)
    model, ds = diags(write, text)
    assert ds == []
    assert model.component("acs").provenance == "existing"
    assert model.sources == ("a.yaml", "fragments/t.yaml")


def test_include_missing_file(write):
    text = BASE.replace("areas:", "include: [nothere.yaml]\nareas:", 1)
    _, ds = diags(write, text)
    assert ds == ["a.yaml:6:11: error: included file 'nothere.yaml' does not exist [DG302]"]


def test_custom_icon_is_used_in_the_diagram(write, tmp_path):
    from diagramgen.draw import scene
    from diagramgen.model.catalog import ICON_DIR

    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "own.png").write_bytes((ICON_DIR / "email.png").read_bytes())
    text = BASE.replace("    kind: customer\n", "    kind: customer\n    icon: icons/own.png\n")
    model, ds = diags(write, text)
    assert ds == []
    own = str((tmp_path / "icons" / "own.png").resolve())
    assert model.component("customer").icon == own
    assert model.component("acs").icon == "diagrams:azure.other.AzureCommunicationServices"
    assert f'<IMG SRC="{own}" SCALE="TRUE"/>' in scene.build(model)


def test_area_missing_from_layout_columns_is_a_warning(write):
    text = BASE.replace("components:", "layout:\n  columns:\n    - [customers]\ncomponents:", 1)
    model, ds = diags(write, text)
    assert model is not None
    assert ds == ["a.yaml:12:3: warning: area 'telephony' is not in layout columns; it is drawn after the last column [DG315]"]


def test_no_architecture_files_is_an_error(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from diagramgen.cli import main

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == ("architectures: error: no architecture files (*.yaml) found here; "
                                             "run diagramgen in the project folder or name the files [DG114]")


def test_two_thousand_components_and_steps_are_within_the_limits(tmp_path):
    """The README's limits admit 2,000 components and 2,000 steps in one file."""
    from conftest import realistic

    path = tmp_path / "huge.yaml"
    path.write_text(realistic(2000, 1, flows_per_component=2.0, max_steps=2000), encoding="utf-8")
    m, ds = load_architecture(path)
    assert m is not None, [str(d) for d in ds]
    assert (len(m.components), len(m.steps)) == (2000, 2000)


def _shape(node):
    """A node tree as plain tuples: tag, value and position of every node."""
    import yaml

    here = (node.tag, node.start_mark.line, node.start_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return here + (node.value,)
    if isinstance(node, yaml.MappingNode):
        return here + (tuple((_shape(k), _shape(v)) for k, v in node.value),)
    return here + (tuple(_shape(x) for x in node.value),)


def test_libyaml_path_composes_the_same_nodes_as_the_careful_one():
    """Files the fast path (libyaml) accepts compose to the same tags, values and positions
    as through PyYAML's pure-Python loader; for every bad file it either does the same or
    leaves the file to the careful path, which gives the diagnostic."""

    from diagramgen.model import loader

    if loader._pyyaml().fast is None:
        pytest.skip("PyYAML is built without libyaml")
    from conftest import ROOT

    files = [p for p in sorted(ARCH_DIR.rglob("*.yaml")) + sorted((ROOT / "tests" / "bad").rglob("*.yaml"))
             if p.is_file()]
    fast_count = 0
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        fast = loader._compose_fast(text)
        if fast is None:
            continue
        fast_count += 1
        careful = loader._pyyaml().careful(text)
        try:
            assert _shape(fast) == _shape(careful.get_single_node()), path
        finally:
            careful.dispose()
    assert fast_count >= len(list(ARCH_DIR.rglob("*.yaml")))
    for bad in ("a: &x 1\nb: *x\n", "a: [1, 2\n", "a:\n\tb: 1\n", "- " * 60 + "x\n"):
        assert loader._compose_fast(bad) is None, bad


def test_positions_after_a_unicode_line_separator_count_line_feeds_only():
    """libyaml counts U+2028 as a line break, as PyYAML does; parse() still gives the line
    an editor shows for every node after one."""
    from diagramgen.model import loader

    doc = loader.parse('title: "A\u2028B\x85C"\nnext: 1\n', "x.yaml")
    key = doc.root.value[1][0]
    assert (key.value, key.start_mark.line, key.start_mark.column) == ("next", 1, 0)


def _band_architecture(n_components: int, flows_to_band: bool) -> str:
    lines = ["id: big", "title: Big", "scenario: Many components and a platform band.", "products: [P]",
             "assumptions: {azure_foundation: false}", "areas:", "  - {id: work, label: Work}",
             "  - {id: platform, label: Platform, band: true}", "components:",
             "  - {id: store, kind: dataverse, area: platform}"]
    lines += [f"  - {{id: c{k}, kind: functions, area: work}}" for k in range(n_components - 1)]
    lines += ["dataflow:", "  - step: 1", "    text: Each component calls the next.", "    flows:"]
    lines += [f"      - {{from: c{k}, to: c{k + 1}}}" for k in range(n_components - 2)]
    if flows_to_band:
        lines += ["  - step: 2", "    text: The last one saves.", "    flows:",
                  f"      - {{from: c{n_components - 2}, to: store}}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("n, flows_to_band, warned", [(101, True, True), (100, True, False), (101, False, False)])
def test_a_band_that_flows_reach_in_a_large_architecture_is_a_warning(write, n, flows_to_band, warned):
    model, ds = diags(write, _band_architecture(n, flows_to_band))
    assert model is not None
    band_warning = ("a.yaml:8:10: warning: area 'platform' is a foundation band that flows reach, in an architecture "
                    f"of {n} components: routing those flows takes seconds at this size, tens of seconds past a few "
                    "hundred components; draw it as an ordinary area (without 'band: true') or split the "
                    "architecture into views [DG317]")
    others = [d for d in ds if "[DG317]" not in d]
    assert [d for d in ds if "[DG317]" in d] == ([band_warning] if warned else [])
    assert all("[DG314]" in d for d in others)  # the unused band component when no flow reaches it
