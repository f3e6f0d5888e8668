"""Rendering: DOT golden files, SVG structure, determinism, atomic writes, CLI behaviour."""
import re
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from diagramgen.cli import main
from diagramgen.draw import scene
from diagramgen.draw.render import render_architecture
from diagramgen.model.validate import load_architecture

from conftest import ARCH_DIR, assert_golden, portable

ARCHS = sorted(p.name for p in ARCH_DIR.glob("*.yaml"))
SVG = "{http://www.w3.org/2000/svg}"


def model(name):
    m, ds = load_architecture(ARCH_DIR / name, shown=f"architectures/{name}")
    assert m is not None, ds
    return m


@pytest.mark.parametrize("name", ARCHS)
def test_dot_matches_golden(name):
    assert_golden(name.replace(".yaml", ".dot"), portable(scene.build(model(name))))


@pytest.mark.parametrize("name", ARCHS)
def test_dot_has_clusters_nodes_and_numbered_badges(name):
    m = model(name)
    dot = scene.build(m)
    for a in m.areas:
        if not scene.is_flat_band(m, a.id):
            assert f"subgraph cluster_{a.id} {{" in dot
    for c in m.components:
        if not scene.is_flat_band(m, c.area):
            assert re.search(rf'^\s*{c.id} \[label=<', dot, re.M), c.id
    badge_numbers = sorted({int(n) for n in re.findall(r"^\s*_step(\d+)_", dot, re.M)})
    assert badge_numbers == list(range(1, len(m.main_steps) + 1))
    for q in m.sequences[1:]:  # further sequences: one circle id per lettered step
        found = sorted({x for x in re.findall(rf"^\s*_Step_{q.id}_([A-Z]+)_", dot, re.M)})
        assert found == sorted(s.badge for s in q.steps)


def test_badges_group_fan_out_and_fan_in():
    m = model("premium.yaml")
    step1 = scene.badges(m.steps[0])
    assert [(b.id, len(b.flows)) for b in step1] == [("_step1_from_customer", 6)]
    step2 = scene.badges(m.steps[1])
    assert [(b.id, b.hub_is_src, len(b.flows)) for b in step2] == [("_step2_to_acs", False, 2)]


@pytest.mark.dot
@pytest.mark.parametrize("name", ARCHS)
def test_svg_has_components_steps_and_edges(name):
    m = model(name)
    svg = render_architecture(m, ("svg",))[f"{m.id}.svg"]
    root = ET.fromstring(svg)
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    texts = {"".join(t.itertext()) for t in root.iter(f"{SVG}text")}
    for s in m.steps:
        assert s.badge in texts  # the number, or the letter of a lettered step
    for c in m.components:  # a long label is wrapped into lines
        assert set(scene.wrapped(c.label, scene.LABEL_WIDTH).split("\n")) <= texts, c.label
    assert m.title in texts
    edge_classes = {el.get("class") for el in root.iter() if (el.get("class") or "").startswith("edge ")}
    assert edge_classes == {f"edge flow {s.anchor}" for s in m.steps}


@pytest.mark.dot
def test_render_is_byte_identical_across_runs():
    m = model("premium.yaml")
    first = render_architecture(m)
    second = render_architecture(m)
    assert first.keys() == {"premium.svg", "premium.png", "premium.html"}
    assert first == second


@pytest.mark.dot
def test_pdf_comes_from_the_same_layout_and_is_byte_identical(tmp_path):
    m = model("premium.yaml")
    first = render_architecture(m, ("pdf", "svg"))
    assert first.keys() == {"premium.pdf", "premium.svg"}
    pdf = first["premium.pdf"]
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf.count(b"/Subtype /Image") >= len({c.kind for c in m.components})  # the icons, embedded
    assert b"/CreationDate (D:19700101000000" in pdf
    assert render_architecture(m, ("pdf",)) == {"premium.pdf": pdf}
    # the cross-reference table still points at its objects
    xref = int(re.search(rb"startxref\s+(\d+)", pdf).group(1))
    assert pdf[xref:xref + 4] == b"xref"
    offsets = [int(x) for x in re.findall(rb"^(\d{10}) 00000 n", pdf[xref:], re.M)]
    assert offsets and all(re.match(rb"\d+ 0 obj", pdf[o:o + 12]) for o in offsets)


@pytest.mark.dot
def test_cli_render_writes_only_into_out_dir(tmp_path, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(ARCH_DIR / "premium.yaml"), "--out", str(out),
                                       "--format", "svg", "--no-steps"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "premium.svg"]
    assert list(work.iterdir()) == []


def test_cli_render_invalid_file_writes_nothing(tmp_path, write):
    bad = write("bad.yaml", "id: x\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(bad), "--out", str(out)])
    assert result.exit_code == 1
    assert "error: architecture is missing the required key 'title'" in result.output
    assert not out.exists()


def test_cli_validate_exit_codes(write):
    good = ARCH_DIR / "premium.yaml"
    assert CliRunner().invoke(main, ["validate", str(good)]).exit_code == 0
    bad = write("bad.yaml", "id: [x\n")
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(f"{bad}:1:5: error: YAML syntax:")  # the unclosed [


def test_cli_missing_dot_gives_install_hint(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(main, ["render", str(ARCH_DIR / "premium.yaml"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.output.strip() == ("error: Graphviz 'dot' was not found on PATH; install Graphviz "
                                      "(Debian/Ubuntu: apt-get install graphviz, macOS: brew install graphviz)")
    assert not (tmp_path / "o").exists()


def test_cli_bad_format_is_a_usage_error():
    result = CliRunner().invoke(main, ["render", "--format", "gif"])
    assert result.exit_code == 2
    assert "choose from svg, png, html, pdf" in result.output


@pytest.mark.dot
def test_cli_render_good_and_bad_file_writes_nothing(tmp_path, write):
    bad = write("bad.yaml", "id: x\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(ARCH_DIR / "premium.yaml"), str(bad), "--out", str(out),
                                       "--progress"])
    assert result.exit_code == 1
    assert f"{bad}:1:1: error: architecture is missing the required key 'title' [DG215]" in result.output.splitlines()
    assert "rendered" not in result.output
    assert not out.exists()


def test_long_labels_wrap_instead_of_stretching_the_diagram():
    assert scene.wrapped("Azure Communication", scene.LABEL_WIDTH) == "Azure Communication"  # fits: unchanged
    assert scene.wrapped("Existing CRM data platform and cloud", scene.LABEL_WIDTH) == \
        "Existing CRM data\nplatform and cloud"  # at a space
    long = " ".join(["word"] * 30)
    assert all(len(line) <= scene.LABEL_WIDTH for line in scene.wrapped(long, scene.LABEL_WIDTH).split("\n"))
    assert scene.wrapped("x" * 100, 40).split("\n") == ["x" * 40, "x" * 40, "x" * 20]


def test_a_long_title_wraps_flush_left_instead_of_widening_the_diagram(write):
    assert scene.title_row("Short title") == \
        '<TR><TD ALIGN="LEFT"><FONT POINT-SIZE="22" COLOR="#1F2A37">Short title</FONT></TD></TR>'
    lines = ["A " + " ".join(["long"] * 19), " ".join(["long"] * 20), "long title & <more>"]
    title = " ".join(lines)
    assert scene.title_row(title) == (
        '<TR><TD ALIGN="LEFT" BALIGN="LEFT"><FONT POINT-SIZE="22" COLOR="#1F2A37">'
        + "<BR/>".join(lines).replace("&", "&amp;").replace("<m", "&lt;m").replace("e>", "e&gt;")
        + "</FONT></TD></TR>")
    m, diags = load_architecture(write("titled.yaml", f"""\
id: titled
title: "{title}"
scenario: I want a long title.
products: [Demo]
areas:
  - {{id: first, label: First}}
components:
  - {{id: app, kind: power_apps, area: first}}
  - {{id: store, kind: storage, area: first}}
dataflow:
  - step: 1
    text: The app keeps a record.
    flows:
      - {{from: app, to: store}}
"""), shown="titled.yaml")
    assert m is not None, diags
    svg = render_architecture(m, formats=("svg",))["titled.svg"].decode("utf-8")
    drawn = re.findall(r'<text text-anchor="start" x="([\d.]+)"[^>]*font-size="22.00"[^>]*>([^<]*)</text>', svg)
    assert [t for _x, t in drawn] == [line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                                       for line in lines]
    assert len({x for x, _t in drawn}) == 1  # flush left


def _cluster_of(dot: str, node: str) -> str:
    """The innermost cluster whose body declares ``node`` (a brace-depth scan of the DOT)."""
    stack: list = []
    for line in dot.splitlines():
        opened = re.match(r"^\s*subgraph (cluster_\w+) \{", line)
        if opened:
            stack.append(opened.group(1))
        elif line.strip() == "}":
            if stack:
                stack.pop()
        elif re.match(rf"^\s*{node} \[", line):
            return stack[-1] if stack else ""
    raise AssertionError(f"{node} not declared")


def test_a_wide_fan_inside_one_area_keeps_its_circle_inside_it():
    """Step 1 fans out from Customers to six channels, all in one area: the circle is
    declared in that area, so it cannot sit on the area's border or title."""
    dot = scene.build(model("enterprise.yaml"))
    assert _cluster_of(dot, "_step1_from_customer") == "cluster_customers"
    assert _cluster_of(dot, "_step3_to_routing") == ""  # between areas: outside them


def _realistic(n: int, seed: int) -> str:
    """A seeded architecture shaped like the real ones (bench/realistic.py)."""
    from conftest import realistic

    return realistic(n, seed)


def test_areas_stacked_in_a_column_share_a_rank_without_flat_edges(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(_realistic(100, 1), encoding="utf-8")
    m, ds = load_architecture(path)
    assert m is not None, ds
    assert any(len(col) > 1 for col in m.columns)
    dot = scene.build(m)
    groups = [set(re.findall(r'"([^"]+)"', g)) for g in re.findall(r"\{rank=same;([^}]*)\}", dot)]
    assert groups
    invisible = re.findall(r'^\t"?(\w+)"? -> "?(\w+)"? \[[^\n]*style=invis', dot, flags=re.M)
    assert invisible  # columns are still kept left to right
    for a, b in invisible:
        assert not any(a in g and b in g for g in groups), f"flat invisible edge {a} -> {b}"


@pytest.mark.dot
def test_a_hundred_components_in_stacked_areas_render(tmp_path):
    # dot 2.43 lost an invisible edge stacking areas in a column and wrote nothing
    path = tmp_path / "big.yaml"
    path.write_text(_realistic(100, 1), encoding="utf-8")
    m, ds = load_architecture(path)
    assert m is not None, ds
    files = render_architecture(m, ("svg",))
    assert files[f"{m.id}.svg"].count(b'class="node') >= 100


@pytest.mark.dot
def test_layout_does_not_depend_on_the_folder_the_icons_are_in(tmp_path):
    """dot's layout could follow the text of the image paths it was given, so two
    checkouts in different folders drew the same overlay differently; run_dot hands dot
    the same short names wherever the icons are."""
    import html
    import shutil
    from pathlib import Path

    from diagramgen.diff import overlay as diff
    from diagramgen.draw.render import run_dot
    from diagramgen.model.project import load_all

    models = load_all([]).models
    source = diff.overlay_source(models[0], models[-1], "compare")
    paths = sorted(set(re.findall(r'<IMG SRC="([^"]+)"', source)))
    assert paths

    def drawn_from(root: Path) -> str:
        text = source
        for i, p in enumerate(paths):
            copy = root / f"icon{i}{Path(html.unescape(p)).suffix}"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(html.unescape(p), copy)
            text = text.replace(f'SRC="{p}"', f'SRC="{copy}"')
        return run_dot(text, ["svg"])["svg"].decode("utf-8").replace(str(root), "ROOT")

    assert drawn_from(tmp_path / "a") == drawn_from(tmp_path / "a-folder-with-a-much-longer-name" / "below")


def _source_naming(*names):
    return "".join(f'<IMG SRC="{n}"/>' for n in names)


def test_dots_svg_names_the_icons_as_the_source_does():
    from diagramgen.draw.render import _real_image_names

    source = _source_naming("/icons/a.png", "/other/b&amp;c.PNG", "/icons/a.png")
    svg = (b'<svg><image xlink:href="_icon_0.png" width="1"/><image xlink:href="_icon_1.png"/>'
           b'<text>_icon_0.png "_icon_2.png" _icon_1.png</text><image xlink:href="_icon_10.png"/></svg>')
    out = _real_image_names({"svg": svg, "png": b"png"}, source)
    assert out == {"png": b"png", "svg": (
        b'<svg><image xlink:href="/icons/a.png" width="1"/><image xlink:href="/other/b&amp;c.PNG"/>'
        b'<text>_icon_0.png "_icon_2.png" _icon_1.png</text><image xlink:href="_icon_10.png"/></svg>')}
    assert _real_image_names({"png": b"png"}, source) == {"png": b"png"}
    assert _real_image_names({"svg": svg}, "no icons") == {"svg": svg}


def test_a_real_icon_name_that_looks_like_a_short_one_is_replaced_name_after_name():
    from diagramgen.draw.render import _real_image_names

    # the first icon's real name is the second's short name: names are replaced in order
    # of first mention, so the second replacement also renames the first icon
    source = _source_naming("_icon_1.png", "/icons/b.png")
    svg = b'<svg><image xlink:href="_icon_0.png"/><image xlink:href="_icon_1.png"/></svg>'
    assert _real_image_names({"svg": svg}, source)["svg"] == (
        b'<svg><image xlink:href="/icons/b.png"/><image xlink:href="/icons/b.png"/></svg>')


@pytest.mark.parametrize("name", sorted(p.name for p in ARCH_DIR.glob("*.yaml")))
def test_the_fonts_made_ready_are_those_of_the_page(name):
    """Every size of text a page's DOT asks for is among the fonts the Graphviz server
    makes ready before its runs (scene.TEXT_FONTS), in the page's font."""
    from diagramgen.draw.theme import FONT

    m, ds = load_architecture(ARCH_DIR / name)
    assert m is not None, ds
    source = scene.build(m)
    sizes = set(re.findall(r'POINT-SIZE="([0-9.]+)"', source)) | set(re.findall(r'fontsize="?([0-9.]+)', source))
    ready = {f.rpartition(" ")[2] for f in scene.TEXT_FONTS}
    assert sizes and sizes <= ready, sizes - ready
    assert all(f.rpartition(" ")[0] == FONT for f in scene.TEXT_FONTS)
    assert f'fontname="{FONT}"' in source
