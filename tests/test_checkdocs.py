"""check-docs: the published pages pass, mutated copies fail with exact messages."""
import dataclasses
import os
import shutil

import pytest

from diagramgen.docs.checkdocs import architecture_for, check_page, mentions, page_path, parse_dataflow, words
from diagramgen.model import Flow, Step
from diagramgen.model.project import load_all
from diagramgen.model.settings import current

from conftest import ARCH_DIR, ROOT, SHARED, copy_project, invoke as run

PAGES = SHARED / "reference" / "microsoft-learn"
needs_shared = pytest.mark.skipif(
    not PAGES.is_dir(), reason=f"{PAGES} is absent: the published reference pages live in ../shared")
PAGE_OF = {
    "premium": "contact-center-dynamics-365-customer-service-premium.md",
    "enterprise": "contact-center-dynamics-365-customer-service-enterprise.md",
    "contact_center": "contact-center-existing-crm-dynamics-365-contact-center.md",
    "copilot_service": "contact-center-existing-crm-ccaas-solution-copilot-service-copilot-studio.md",
}
ARCH_FILE = {"premium": "premium.yaml", "enterprise": "enterprise.yaml",
             "contact_center": "contact-center.yaml", "copilot_service": "copilot-service.yaml"}


@pytest.fixture(scope="module")
def models():
    loaded = load_all([], default_dir=str(ARCH_DIR))
    assert loaded.ok
    return {m.id: m for m in loaded.models}



@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)


# --- matching --------------------------------------------------------------------

def test_words_ignore_case_zero_width_spaces_and_line_breaks():
    assert words("Azure\u200b Communications\n  SERVICES.") == ("azure", "communications", "services")


def test_mentions_whole_words_with_plural(models):
    ws = models["premium"].component("workspace")
    assert mentions("Agent\u200b workspaces include Copilot", ws)
    acs = models["premium"].component("acs")
    assert mentions("Azure Communications\nServices provides PSTN", acs)
    assert mentions("via ACS.", acs)
    assert not mentions("ACSL and friends", acs)
    crm = models["contact_center"].component("crm")
    assert not mentions("CRMX", crm) and mentions("three CRMs", crm)


def test_parse_finds_items_with_their_lines():
    md = "# T\n\n## Data flow\n\n1. One [link](x.md) `code`\n   more\n2. Two\n\n## Next\n\n1. not this\n"
    section = parse_dataflow(md)
    assert (section.heading_line, section.list_line) == (3, 5)
    assert [(i.line, i.text) for i in section.items] == [(5, "One link code more"), (7, "Two")]


# --- the published pages -----------------------------------------------------------

@needs_shared
@pytest.mark.parametrize("arch_id", sorted(PAGE_OF))
def test_published_page_passes(models, arch_id):
    page = PAGES / PAGE_OF[arch_id]
    assert check_page(page.read_text(encoding="utf-8"), models[arch_id], "page.md") == []


@needs_shared
def test_every_architecture_maps_to_its_page(models, in_repo):
    loaded = load_all([])
    for arch_id, name in PAGE_OF.items():
        assert architecture_for(str(PAGES / name), loaded.models).id == arch_id


@needs_shared
def test_cli_without_arguments_checks_all_mapped_pages(in_repo):
    code, out, err = run("check-docs")
    assert code == 0, err
    assert (
        "ok ../shared/reference/microsoft-learn/contact-center-dynamics-365-customer-service-enterprise.md "
        "(7 steps of architectures/enterprise.yaml)") in out.splitlines()
    # one line per architecture whose docs_page is a file here; any other mapping is a note
    pages = [page_path(m) for m in load_all([]).models if m.docs_page]
    pages += [g.overview_page for g in current().groups if g.overview_page]  # the groups' overview pages
    assert len(out.splitlines()) == len([p for p in pages if p and os.path.isfile(p)])
    assert len(err.splitlines()) == len(pages) - len(out.splitlines())
    assert all(": note: skipped, " in line for line in err.splitlines())


# --- mutated copies of a published page ---------------------------------------------

def _copy(tmp_path, arch_id):
    dst = tmp_path / "page.md"
    shutil.copyfile(PAGES / PAGE_OF[arch_id], dst)
    return dst


def _mutate(path, fn):
    lines = path.read_text(encoding="utf-8").split("\n")
    fn(lines)
    path.write_text("\n".join(lines), encoding="utf-8")


def _item(lines, n):
    return next(i for i, line in enumerate(lines) if line.startswith(f"{n}. "))


def _check(path, arch_id):
    return run("check-docs", str(path), "--arch", f"architectures/{ARCH_FILE[arch_id]}")


@needs_shared
def test_swapped_items_are_reported_as_a_swap(tmp_path, in_repo):
    page = _copy(tmp_path, "premium")

    def swap(lines):
        a, b = _item(lines, 4), _item(lines, 6)
        lines[a], lines[b] = "4." + lines[b][2:], "6." + lines[a][2:]
    _mutate(page, swap)
    code, out, err = _check(page, "premium")
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"{page}:44: error: steps 4 and 6 are swapped: the item at line 44 describes step 6 "
        "and the item at line 48 describes step 4 [DG416]"]


@needs_shared
def test_deleted_item_names_the_missing_step(tmp_path, in_repo):
    page = _copy(tmp_path, "enterprise")
    _mutate(page, lambda lines: lines.__delitem__(slice(_item(lines, 3), _item(lines, 3) + 2)))
    code, _, err = _check(page, "enterprise")
    assert code == 1
    assert err.splitlines() == [
        f"{page}:36: error: the Dataflow list has 6 item(s), but architectures/enterprise.yaml has 7 step(s) [DG413]",
        f"{page}:38: error: step 3 has no item in the Dataflow list (expected after line 38; "
        "it is about Unified routing (routing)) [DG415]"]


@needs_shared
def test_replaced_component_name_is_reported(tmp_path, in_repo):
    page = _copy(tmp_path, "contact_center")

    def replace(lines):
        i = _item(lines, 2)
        lines[i] = lines[i].replace("Azure Communications Services", "A telephony partner")
    _mutate(page, replace)
    code, _, err = _check(page, "contact_center")
    assert code == 1
    assert err.splitlines() == [
        f"{page}:40: error: step 2: the item does not mention Azure Communication Services (acs), "
        "which the step is about (accepted names: Azure Communication Services, "
        "Azure Communications Services, ACS) [DG418]"]


@needs_shared
def test_added_item_is_reported(tmp_path, in_repo):
    page = _copy(tmp_path, "copilot_service")

    def add(lines):
        i = _item(lines, 7)
        lines[i + 1:i + 1] = ["", "8. Customers receive a satisfaction survey by email."]
    _mutate(page, add)
    code, _, err = _check(page, "copilot_service")
    assert code == 1
    assert err.splitlines() == [
        f"{page}:36: error: the Dataflow list has 8 item(s), but architectures/copilot-service.yaml has 7 step(s) [DG413]",
        f"{page}:50: error: item 8 matches no step of architectures/copilot-service.yaml "
        "(an extra item, or one whose step was removed) [DG414]"]


@needs_shared
def test_step_added_to_the_architecture_is_reported(models):
    arch = models["premium"]
    survey = Step(11, "A survey goes out by email.", (Flow("customer", "email"),))
    grown = dataclasses.replace(arch, steps=arch.steps + (survey,))
    text = (PAGES / PAGE_OF["premium"]).read_text(encoding="utf-8")
    assert [str(d) for d in check_page(text, grown, "page.md")] == [
        f"page.md:38: error: the Dataflow list has 10 item(s), but {arch.path} has 11 step(s) [DG413]",
        "page.md:56: error: step 11 has no item in the Dataflow list (expected after line 56; "
        "it is about Customers (customer), Email (email)) [DG415]"]


@needs_shared
def test_items_moved_out_of_order(models):
    lines = (PAGES / PAGE_OF["premium"]).read_text(encoding="utf-8").split("\n")
    a, b, c = _item(lines, 2), _item(lines, 3), _item(lines, 4)
    lines[a], lines[b], lines[c] = "2." + lines[b][2:], "3." + lines[c][2:], "4." + lines[a][2:]
    assert [str(d) for d in check_page("\n".join(lines), models["premium"], "p.md")] == [
        # step 2's flows (voice and SMS to ACS) share one end, ACS: the one it must name
        "p.md:40: error: step 2: the item at line 40 describes step 3 instead (it does not mention "
        "Azure Communication Services (acs)); the items are out of order [DG417]",
        "p.md:42: error: step 3: the item at line 42 describes step 4 instead (it does not mention "
        "Microsoft Dataverse (dataverse)); the items are out of order [DG417]",
        "p.md:44: error: step 4: the item at line 44 describes step 2 instead (it does not mention "
        "Copilot Studio (copilot_studio)); the items are out of order [DG417]"]


# --- pages without a Dataflow list, CLI errors -----------------------------------------

def test_page_without_dataflow_heading_or_list(models):
    arch = models["premium"]
    assert [str(d) for d in check_page("# Title\n\nText.\n", arch, "a.md")] == [
        "a.md:1: error: no 'Dataflow' heading found [DG410]"]
    assert [str(d) for d in check_page("# T\n\n## Dataflow\n\n- a\n- b\n", arch, "a.md")] == [
        "a.md:3: error: the Dataflow section has no numbered list [DG411]"]


def test_cli_page_without_mapping_needs_arch(tmp_path, in_repo):
    page = tmp_path / "x.md"
    page.write_text("## Dataflow\n\n1. Customers\n", encoding="utf-8")
    code, out, err = run("check-docs", str(page))
    assert (code, out) == (1, "")
    assert err == f"{page}: error: no architecture has this page as its docs_page; pass --arch FILE [DG403]\n"


def test_cli_missing_page_is_an_error(tmp_path, in_repo):
    code, _, err = run("check-docs", str(tmp_path / "nope.md"), "--arch", "architectures/premium.yaml")
    assert code == 1 and err == f"{tmp_path / 'nope.md'}: error: no such file [DG401]\n"
    # without --arch too: a mistyped path is not a page that needs --arch
    assert run("check-docs", str(tmp_path / "nope.md")) == (1, "", f"{tmp_path / 'nope.md'}: error: no such file [DG401]\n")


def test_cli_skips_absent_mapped_pages_with_a_note(tmp_path, monkeypatch):
    copy_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("check-docs")
    assert (code, out) == (0, "")
    # one note per architecture with a docs_page: the pages are not beside this copy
    assert len(err.splitlines()) == len([m for m in load_all([]).models if m.docs_page]) + len(
        [g for g in current().groups if g.overview_page])  # and one per group's overview page
    assert (
        "../shared/reference/microsoft-learn/contact-center-existing-crm-dynamics-365-contact-center.md: "
        "note: skipped, the page is absent (architectures/contact-center.yaml maps to it) [DG405]") in err.splitlines()


def test_page_path_resolves_against_the_architecture_file(models):
    assert page_path(models["premium"]).endswith(
        "shared/reference/microsoft-learn/contact-center-dynamics-365-customer-service-premium.md")


def _named_in_naively(comps, text):
    """named_in's rule, spelt out: every name tried at every position of the text."""
    from diagramgen.docs.checkdocs import names

    ws = words(text)
    found = []
    for c in comps:
        for n in names(c):
            needle = words(n)
            k = len(needle)
            found += [(i, i + k, c.id) for i in range(len(ws) - k + 1) if k
                      and ws[i:i + k - 1] == needle[:-1] and ws[i + k - 1] in (needle[-1], needle[-1] + "s", needle[-1] + "es")]
    out = {}
    for a, b, cid in found:
        if not any(x <= a and b <= y and (y - x) > (b - a) and other != cid for x, y, other in found):
            out.setdefault(cid, set()).add((a, b))
    return out


def test_indexed_name_matching_agrees_with_trying_every_name_everywhere():
    """check_page matches each item once against names filed by their first words; the
    result, and its order, are those of trying every name at every position."""
    import random
    from types import SimpleNamespace

    from diagramgen.docs.checkdocs import name_index, named_in
    from diagramgen.model import Component

    rnd = random.Random(5)
    vocab = ["agent", "agents", "workspace", "workspaces", "crm", "crms", "copilot", "box", "boxes",
             "teams", "queue", "Unified", "routing", "CRM", "s", "es"]
    comps = [Component(f"c{i}", "k", " ".join(rnd.sample(vocab, rnd.randint(1, 4))), "a", "product", "i",
                       aliases=tuple(" ".join(rnd.sample(vocab, rnd.randint(1, 3))) for _ in range(rnd.randint(0, 2))))
             for i in range(30)]
    arch = SimpleNamespace(components=comps)
    index = name_index(arch)
    hits = 0
    for _ in range(400):
        text = " ".join(rnd.choice(vocab) for _ in range(rnd.randint(0, 14)))
        expected = _named_in_naively(comps, text)
        got = named_in(arch, text, index)
        assert (list(got.items()) == list(expected.items())), text
        assert named_in(arch, text) == got
        hits += len(expected)
    assert hits


# --- the three pages beyond contact centers: every item written "1." ----------------

NEW_PAGES = {
    "field_service_sap": ("field-service-sap-architecture.md", "field-service-sap.yaml"),
    "contact_deduplication": ("sales-customer-insights-contact-deduplication-agent.md", "contact-deduplication.yaml"),
    "dataverse_master_data": ("dataverse-master-data-system.md", "dataverse-master-data.yaml"),
}


def _items_of(lines):
    """Line indexes of the Dataflow items (all written '1.') of a page, in order."""
    start = lines.index("## Dataflow")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("## "))
    return [i for i in range(start, end) if lines[i].startswith("1. ")]


def _new_page(tmp_path, arch_id, mutate=None):
    lines = (PAGES / NEW_PAGES[arch_id][0]).read_text(encoding="utf-8").split("\n")
    if mutate:
        mutate(lines, _items_of(lines))
    page = tmp_path / "page.md"
    page.write_text("\n".join(lines), encoding="utf-8")
    return page, run("check-docs", str(page), "--arch", f"architectures/{NEW_PAGES[arch_id][1]}")


@needs_shared
@pytest.mark.parametrize("arch_id", sorted(NEW_PAGES))
def test_new_pages_pass_unmodified(tmp_path, in_repo, arch_id):
    _, (code, out, err) = _new_page(tmp_path, arch_id)
    assert (code, err) == (0, "") and out.startswith("ok ")


def _swap(x, y):
    def mutate(lines, items):
        lines[items[x - 1]], lines[items[y - 1]] = lines[items[y - 1]], lines[items[x - 1]]
    return mutate


def _replace(n, old, new):
    def mutate(lines, items):
        assert old in lines[items[n - 1]]
        lines[items[n - 1]] = lines[items[n - 1]].replace(old, new)
    return mutate


@needs_shared
@pytest.mark.parametrize("arch_id, mutate, first_error", [
    ("field_service_sap", _swap(2, 3),
     "steps 2 and 3 are swapped: the item at line 43 describes step 3 and the item at line 44 describes step 2"),
    ("contact_deduplication", _swap(4, 5), "step 4: the item does not mention PCF control (pcf)"),
    ("dataverse_master_data", _swap(2, 3), "step 2: the item does not mention Microsoft Dataverse (dataverse)"),
    ("field_service_sap", lambda lines, items: lines.__delitem__(items[3]),
     "list 1 of the Dataflow section has 7 items, but the main dataflow of "
     "architectures/field-service-sap.yaml has 8 steps"),
    ("contact_deduplication", lambda lines, items: lines.__delitem__(items[3]),
     "the Dataflow list has 6 item(s), but architectures/contact-deduplication.yaml has 7 step(s)"),
    ("dataverse_master_data", lambda lines, items: lines.__delitem__(items[2]),
     "the Dataflow list has 5 item(s), but architectures/dataverse-master-data.yaml has 6 step(s)"),
    ("field_service_sap", _replace(15, "Logic App or Function App", "API Management"),
     "step G of integration: the item does not mention Service Bus queue (inbound) (queue_in), "
     "Logic App (inbound) (logic_in)"),
    ("contact_deduplication", _replace(7, "Dataverse merge API", "Customer Insights - Data API"),
     "step 7: the item does not mention Dataverse merge API (merge_api), Contacts (contacts)"),
    ("dataverse_master_data", _replace(5, "Service Bus Topic", "Storage Account"),
     "step 5: the item does not mention Logic App (Standard) (logic_app), Azure Service Bus topic (topic)"),
], ids=["swap-fs", "swap-dedup", "swap-dv", "delete-fs", "delete-dedup", "delete-dv",
        "rename-fs", "rename-dedup", "rename-dv"])
def test_mutated_new_pages_are_caught(tmp_path, in_repo, arch_id, mutate, first_error):
    page, (code, out, err) = _new_page(tmp_path, arch_id, mutate)
    assert (code, out) == (1, "")
    first = err.splitlines()[0]
    assert first.startswith(f"{page}:") and ": error: " + first_error in first, first
