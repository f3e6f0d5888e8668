"""The JSON Schema: generated from diagramgen.model.schema, committed, and in agreement with the validator."""
import json

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.model.schema import json_schema_text
from diagramgen.model.settings import load_settings
from diagramgen.model.validate import load_architecture

from conftest import ARCH_DIR, ROOT

SCHEMA_DIR = ROOT / "schema"
FRAGMENTS = sorted((ARCH_DIR / "fragments").glob("*.yaml"))
ARCHS = sorted(ARCH_DIR.glob("*.yaml"))


def schema(name):
    return json.loads((SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8"))


def schema_errors(name, text):
    """Messages of the JSON Schema validator for YAML text, as an editor would show them."""
    v = jsonschema.Draft202012Validator(schema(name))
    return sorted(e.message for e in v.iter_errors(yaml.safe_load(text)))


@pytest.mark.parametrize("name", ["architecture", "fragment"])
def test_committed_schema_is_up_to_date(name):
    # the committed schema lists the built-in kinds and this repository's own
    committed = (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")
    assert committed == json_schema_text(name, load_settings(str(ROOT)).catalog), \
        f"schema/{name}.schema.json is stale: run `make schema` and commit the result"


@pytest.mark.parametrize("name", ["architecture", "fragment"])
def test_schema_is_valid_json_schema(name):
    jsonschema.Draft202012Validator.check_schema(schema(name))


def test_schema_command_prints_the_committed_schema():
    for args, name in ((["schema"], "architecture"), (["schema", "--fragment"], "fragment")):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0
        assert result.output == (SCHEMA_DIR / f"{name}.schema.json").read_text(encoding="utf-8")


def test_kind_enum_comes_from_the_catalog():
    from diagramgen.model.catalog import default_catalog

    kinds = schema("architecture")["$defs"]["component_kind"]["enum"]
    repository = load_settings(str(ROOT)).repo_kinds
    assert kinds == sorted(set(default_catalog().kinds) | set(repository))
    assert "communication_services" in kinds and "copilot_studio" in kinds


@pytest.mark.parametrize("path", ARCHS + FRAGMENTS, ids=lambda p: p.name)
def test_every_file_names_its_schema_and_passes_it(path):
    name = "fragment" if path.parent.name == "fragments" else "architecture"
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target == (SCHEMA_DIR / f"{name}.schema.json").resolve()
    assert schema_errors(name, path.read_text(encoding="utf-8")) == []


BASE = """\
id: demo
title: Demo
scenario: I want a demo.
products: [Demo product]
assumptions: {azure_foundation: false}
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
      - {from: customer, to: acs, both: true}
"""

# (name, text, schema messages): the validator rejects each of these too.
BOTH_REJECT = [
    ("unknown key", BASE.replace("scenario:", "scenaro:"),
     ["'scenario' is a required property",
      "Additional properties are not allowed ('scenaro' was unexpected)"]),
    ("unknown kind", BASE.replace("kind: customer", "kind: custmer"), ["'custmer' is not one of"]),
    ("wrong type", BASE.replace("title: Demo", "title: [Demo]"), ["['Demo'] is not of type 'string'"]),
    ("step not a number", BASE.replace("step: 1", "step: one"), ["'one' is not of type 'integer'"]),
    ("bad id", BASE.replace("id: acs", "id: ACS").replace("to: acs", "to: ACS"),
     ["'ACS' does not match", "'ACS' does not match"]),
    ("bad provenance", BASE.replace("kind: customer", "kind: customer\n    provenance: mine"),
     ["'mine' is not one of ['product', 'existing', 'platform']"]),
    ("missing flows", BASE.replace("    flows:\n      - {from: customer, to: acs, both: true}\n", ""),
     ["'flows' is a required property"]),
    ("empty dataflow", BASE[:BASE.index("dataflow:")] + "dataflow: []\n", ["[] should be non-empty"]),
    ("blank title", BASE.replace("title: Demo", "title: '  '"), ["'  ' does not match"]),
    ("control character", BASE.replace("title: Demo", 'title: "De\\u0007mo"'), ["'De\\x07mo' does not match"]),
    ("flow both not a boolean", BASE.replace("both: true", "both: maybe"),
     ["'maybe' is not of type 'boolean'"]),
    ("step out of range", BASE.replace("step: 1", "step: 0"), ["0 is less than the minimum of 1"]),
]

# Only the validator rejects these: they need the whole file (and its fragments) to judge.
VALIDATOR_ONLY = [
    ("flow to an unknown component", BASE.replace("to: acs", "to: acss")),
    ("steps not numbered 1..N", BASE.replace("step: 1", "step: 2")),
    ("unknown area", BASE.replace("kind: customer", "kind: customer\n    area: custmers")),
    ("duplicate component id", BASE.replace("id: acs", "id: customer").replace("to: acs", "to: customer")),
    ("include that does not exist", BASE + "include: [fragments/nope.yaml]\n"),
]


def validator_errors(write, text):
    path = write("a.yaml", text)
    _, ds = load_architecture(path, shown="a.yaml")
    return [str(d) for d in ds if d.is_error]


def test_valid_sample_passes_both(write):
    assert validator_errors(write, BASE) == []
    assert schema_errors("architecture", BASE) == []


@pytest.mark.parametrize("name,text,expected", BOTH_REJECT, ids=[c[0] for c in BOTH_REJECT])
def test_schema_and_validator_reject_the_same_samples(write, name, text, expected):
    assert validator_errors(write, text), name
    got = schema_errors("architecture", text)
    assert len(got) == len(expected), got
    for message, start in zip(got, sorted(expected)):
        assert message.startswith(start), (message, start)


@pytest.mark.parametrize("name,text", VALIDATOR_ONLY, ids=[c[0] for c in VALIDATOR_ONLY])
def test_validator_is_stricter_on_references_between_ids(write, name, text):
    assert validator_errors(write, text), name
    assert schema_errors("architecture", text) == []


def test_fragment_schema_rejects_architecture_keys():
    assert schema_errors("fragment", "id: demo\nareas: []\n") == [
        "Additional properties are not allowed ('id' was unexpected)"]
