"""The generated docs folder builds with real MkDocs (Python-Markdown) in strict mode:
as the docs_dir itself, with and without directory URLs, and copied into an existing
site; user text shows literally, with no stray backslash."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner
from lxml import html as lhtml

from diagramgen.cli import main

from conftest import copy_project

pytestmark = pytest.mark.dot

mkdocs = pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[test]')")

# every character Markdown or HTML gives a meaning to, in the texts a page shows
ODD = r"R&D <team> ~ops~ *star* _snake_case_ a\b | pipe # hash [x](y) `code` {: .c} ^^up^^ &amp;"
WEIRD = f"""\
id: weird
title: 'Odd {ODD}'
scenario: '1. {ODD}'
products: ['P & Q']
summary: ['- {ODD}']
assumptions: {{azure_foundation: false}}
areas:
  - {{id: customers, label: 'Customers {ODD}'}}
  - {{id: telephony, label: Telephony}}
components:
  - {{id: customer, kind: customer, label: 'Cust <i> & ~x~', description: '{ODD}'}}
  - {{id: acs, kind: communication_services}}
dataflow:
  - step: 1
    text: '{ODD}'
    flows: [{{from: customer, to: acs, label: 'a_b & <c>'}}]
"""


def run_cli(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output + result.stderr
    return result


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A repository with every architecture plus one full of special characters,
    rendered and documented as `make` does it."""
    root = tmp_path_factory.mktemp("repo")
    copy_project(root)
    (root / "architectures" / "weird.yaml").write_text(WEIRD, encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        run_cli("render", "--format", "png,svg,html", "--no-steps")
        run_cli("docs")
    finally:
        os.chdir(cwd)
    return root


def build(config_dir, config: str):
    cfg = config_dir / "mkdocs.yml"
    cfg.write_text(textwrap.dedent(config), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(cfg)],
                            capture_output=True, text=True, cwd=config_dir)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return config_dir / "site"


def main_text(path):
    doc = lhtml.fromstring(path.read_bytes())
    (main,) = doc.xpath("//*[@role='main']")
    for bad in main.xpath(".//script|.//style"):
        bad.getparent().remove(bad)
    return main, main.text_content()


VALIDATION = """
validation:
  omitted_files: warn
  absolute_links: warn
  unrecognized_links: warn
  anchors: warn
"""


def test_docs_folder_is_a_strict_mkdocs_docs_dir(generated):
    site = build(generated, "site_name: Architectures\ndocs_dir: output/docs\n" + VALIDATION)
    ids = sorted(p.stem for p in (generated / "architectures").glob("*.yaml"))
    for page in (generated / "output" / "docs").glob("*.md"):
        name = page.stem
        html_page = site / ("index.html" if name == "index" else f"{name}/index.html")
        main, text = main_text(html_page)
        assert "\\" not in text.replace("a\\b", ""), f"stray backslash in {html_page}"
        if name == "index":
            continue
        (img,) = main.xpath(".//img")
        assert img.get("src") == f"../diagrams/{name}.svg" and len(img.get("alt")) <= 249
        assert (site / "diagrams" / f"{name}.svg").is_file() and (site / "diagrams" / f"{name}.html").is_file()
        # the viewer links back to this page, as the site serves it
        viewer = (site / "diagrams" / f"{name}.html").read_text(encoding="utf-8")
        assert f'<a href="../{name}/">Docs page</a>' in viewer
        hrefs = main.xpath(".//a/@href")
        assert f"../diagrams/{name}.html#step-1" in hrefs and f"../diagrams/{name}.png" in hrefs
        assert main.xpath(".//details/summary")[0].text == "Diagram description"
    assert len(ids) == len(list((site / "diagrams").glob("*.svg")))


def test_special_characters_show_literally_in_python_markdown(generated):
    site = build(generated, "site_name: Architectures\ndocs_dir: output/docs\n")
    main, text = main_text(site / "weird" / "index.html")
    flat = " ".join(text.split())
    assert flat.count(ODD) >= 4  # scenario, summary, step text, component description
    assert f"Odd {ODD}" in flat and "Cust <i> & ~x~" in flat and "(a_b & <c>)" in flat
    assert "1. " + ODD in flat and "- " + ODD in flat  # no list opened by the text
    assert not main.xpath(".//i|.//del|.//em[not(text()='Flows:')]|.//code|.//sup|.//ins")
    assert [a.get("href") for a in main.xpath(".//a") if a.get("href") == "y"] == []
    assert "\\" not in text.replace("a\\b", "")
    assert "&amp;" in flat and "&amp;amp;" not in flat


def test_no_clash_between_pages_and_viewers_without_directory_urls(generated):
    site = build(generated, "site_name: Architectures\ndocs_dir: output/docs\nuse_directory_urls: false\n"
                 + VALIDATION)
    page = (site / "premium.html").read_text(encoding="utf-8")
    viewer = (site / "diagrams" / "premium.html").read_text(encoding="utf-8")
    assert "<h1" in page and "Dataflow" in page and 'id="stage"' in viewer
    assert 'src="diagrams/premium.svg"' in page


def test_docs_folder_copied_into_an_existing_site(generated, tmp_path):
    docs = tmp_path / "docs"
    (docs / "guides").mkdir(parents=True)
    (docs / "index.md").write_text("# Our site\n\nSee [the architectures](architectures/index.md).\n")
    (docs / "guides" / "start.md").write_text("# Start\n\nThe [premium diagram](../architectures/premium.md).\n")
    shutil.copytree(generated / "output" / "docs", docs / "architectures")
    site = build(tmp_path, "site_name: Existing\n" + VALIDATION)
    main, text = main_text(site / "architectures" / "premium" / "index.html")
    assert main.xpath(".//img/@src") == ["../diagrams/premium.svg"]
    assert (site / "architectures" / "diagrams" / "premium.svg").is_file()
    assert "\\" not in text
