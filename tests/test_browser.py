"""The viewer and the SVG in a real browser: headless Chromium driven by Playwright.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run; DIAGRAMGEN_CHROMIUM
overrides the path); Playwright only drives it and downloads no browser. Screenshots
go to tests/artifacts/ (not committed). Without a browser these tests are skipped,
except on CI (CI=true), where a missing browser is a failure.
"""
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from diagramgen.render import render_architecture, write_outputs
from diagramgen.validate import load_architecture

from conftest import ARCH_DIR

ARCHS = sorted(p.name for p in ARCH_DIR.glob("*.yaml"))
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = os.environ.get("DIAGRAMGEN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [pytest.mark.browser, pytest.mark.dot]


def _missing():
    if not Path(CHROMIUM).is_file():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set DIAGRAMGEN_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="diagramgen-chromium-") as profile:
        ctx = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=FLAGS, headless=True,
            viewport={"width": 1400, "height": 850})
        try:
            yield ctx
        finally:
            ctx.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Every architecture rendered (SVG, PNG, viewer) into a fresh directory."""
    out = tmp_path_factory.mktemp("site")
    for name in ARCHS:
        m, ds = load_architecture(ARCH_DIR / name)
        assert m is not None, ds
        write_outputs(out, render_architecture(m))
    return out


def open_page(browser, url, scheme="light"):
    page = browser.new_page()
    page.emulate_media(color_scheme=scheme)
    events = {"console": [], "requests": [], "errors": []}
    page.on("console", lambda msg: events["console"].append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: events["errors"].append(str(exc)))
    page.on("request", lambda req: events["requests"].append(req.url))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, events


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), timeout=20000)


VIEWPORT = "#diagram svg g.svg-pan-zoom_viewport"


def transform(page):
    return page.eval_on_selector(VIEWPORT, "g => g.getAttribute('transform')")


def changed(page, before):
    """Wait (svg-pan-zoom redraws on the next animation frame) until the pan/zoom
    transform differs from ``before``; return it. Fails if it never changes."""
    page.wait_for_function(f"prev => document.querySelector('{VIEWPORT}').getAttribute('transform') !== prev",
                           arg=before, timeout=5000)
    return transform(page)


def assert_offline(events):
    assert events["errors"] == []
    assert [c for c in events["console"] if c.startswith(("error", "warning"))] == []
    assert [u for u in events["requests"] if not u.startswith(("file://", "data:"))] == []


@pytest.mark.parametrize("name", ARCHS)
def test_viewer_offline_zoom_and_highlight(browser, site, name):
    arch_id = name.removesuffix(".yaml").replace("-", "_")
    page, events = open_page(browser, (site / f"{arch_id}.html").as_uri())
    try:
        before = transform(page)
        page.click("#controls [data-action=zoom-in]")
        after_button = changed(page, before)
        box = page.locator("#diagram").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, -400)
        after_wheel = changed(page, after_button)
        page.keyboard.press("-")
        changed(page, after_wheel)
        page.keyboard.press("f")
        page.hover("#steps li[data-step='2']")
        highlighted = page.eval_on_selector_all(
            "#diagram svg .highlight", "els => els.map(e => e.getAttribute('class'))")
        edges = [c for c in highlighted if c.split()[0] == "edge"]
        assert edges and all("step-2" in c.split() for c in highlighted)
        assert page.eval_on_selector("#diagram svg", "s => s.classList.contains('focus')")
        shot(page, f"viewer-{arch_id}-step2.png")
        page.mouse.move(5, 5)
        page.keyboard.press("Escape")
        assert page.eval_on_selector_all("#diagram svg .highlight", "els => els.length") == 0
        assert_offline(events)
    finally:
        page.close()


def test_viewer_dark_mode(browser, site):
    page, events = open_page(browser, (site / "premium.html").as_uri(), scheme="dark")
    try:
        bg = page.eval_on_selector("body", "b => getComputedStyle(b).backgroundColor")
        ink = page.eval_on_selector("#diagram svg g.cluster text", "t => getComputedStyle(t).fill")
        assert bg == "rgb(14, 17, 22)"
        assert ink == "rgb(230, 237, 243)"
        shot(page, "viewer-premium-dark.png")
        assert_offline(events)
    finally:
        page.close()


def test_svg_copied_elsewhere_shows_every_icon(browser, site, tmp_path):
    """The SVG alone, in another directory: every icon is drawn (decoded, non-empty)."""
    copy = tmp_path / "elsewhere" / "premium.svg"
    copy.parent.mkdir()
    shutil.copy(site / "premium.svg", copy)
    page, events = open_page(browser, copy.as_uri())
    try:
        sizes = page.eval_on_selector_all(
            "image", "els => els.map(e => { const b = e.getBBox(); return [b.width, b.height]; })")
        assert sizes and all(w > 0 and h > 0 for w, h in sizes)
        shot(page, "svg-premium-copied.png")
        assert_offline(events)
    finally:
        page.close()


@pytest.mark.parametrize("how", ["document", "img"])
def test_step_view_fragment_emphasises_that_step(browser, tmp_path, how):
    """steps/<id>.svg#step-N, opened as a page or shown through <img>, draws step N's
    flows in the highlight colour and dims the rest; without a fragment nothing is dimmed."""
    from diagramgen import svg as svgmod
    from PIL import Image
    import io

    m, ds = load_architecture(ARCH_DIR / "enterprise.yaml")
    assert m is not None, ds
    write_outputs(tmp_path, render_architecture(m, ("svg",), steps=("svg",)))
    view = tmp_path / "steps" / "enterprise.svg"
    if how == "document":
        page, events = open_page(browser, f"{view.as_uri()}#step-3")
        styles = page.evaluate("""() => {
          document.getAnimations().forEach((a) => a.finish());  // the page's fade transition
          const path = document.querySelector('g.edge.step-3 path');
          const other = document.querySelector('g.edge.step-1');
          return [getComputedStyle(path).stroke, getComputedStyle(other).opacity]; }""")
        assert styles == ["rgb(217, 72, 15)", svgmod.DIM_OPACITY]
        page.goto(view.as_uri())
        assert page.evaluate("() => { document.getAnimations().forEach((a) => a.finish()); "
                             "return getComputedStyle(document.querySelector('g.edge.step-1')).opacity; }") == "1"
        assert not events["errors"]
        page.close()
        return
    (tmp_path / "img.html").write_text(
        '<body style="margin:0"><img id="a" src="steps/enterprise.svg#step-3" width="900">'
        '<img id="b" src="steps/enterprise.svg" width="900"></body>', encoding="utf-8")
    page, _ = open_page(browser, (tmp_path / "img.html").as_uri())

    def highlight_pixels(sel):
        im = Image.open(io.BytesIO(page.locator(sel).screenshot())).convert("RGB")
        px = im.tobytes()
        return sum(1 for i in range(0, len(px), 3)
                   if abs(px[i] - 0xd9) < 12 and abs(px[i + 1] - 0x48) < 12 and px[i + 2] < 40)

    # the fragment's view has the highlighted flows; the plain one only icons of that hue
    a, b = highlight_pixels("#a"), highlight_pixels("#b")
    assert a > 2 * b + 50, (a, b)
    page.close()
