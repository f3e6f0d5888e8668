"""The viewer and the SVG in a real browser: headless Chromium driven by Playwright.

Chromium is Debian's (/usr/bin/chromium, installed by .ci/run; DIAGRAMGEN_CHROMIUM
overrides the path); Playwright only drives it and downloads no browser. Screenshots
go to tests/artifacts/ (not committed). Without a browser these tests are skipped,
except on CI (CI=true), where a missing browser is a failure.
"""
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from diagramgen.draw.render import render_architecture
from diagramgen.files import write_outputs
from diagramgen.model.validate import load_architecture

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
def playwright():
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def _context(playwright, **options):
    profile = tempfile.TemporaryDirectory(prefix="diagramgen-chromium-")
    ctx = playwright.chromium.launch_persistent_context(
        profile.name, executable_path=CHROMIUM, args=FLAGS, headless=True, **options)
    return ctx, profile


@pytest.fixture(scope="module")
def browser(playwright):
    ctx, profile = _context(playwright, viewport={"width": 1400, "height": 850})
    try:
        yield ctx
    finally:
        ctx.close()
        profile.cleanup()


@pytest.fixture(scope="module")
def phone(playwright):
    """A 390 px wide touch screen."""
    ctx, profile = _context(playwright, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        yield ctx
    finally:
        ctx.close()
        profile.cleanup()


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


def first_lettered_step():
    """(model, step) of the first lettered step of the shipped architectures; the test is
    skipped when none has a lettered sequence."""
    for name in ARCHS:
        m, _ = load_architecture(ARCH_DIR / name)
        for s in m.steps:
            if s.sequence:
                return m, s
    pytest.skip("no architecture has a lettered sequence")


@contextlib.contextmanager
def offline_page(browser, url, scheme="light"):
    """open_page for the body of a ``with``; when the body ends without an error, the
    page must have stayed offline (assert_offline). The page is closed either way."""
    page, events = open_page(browser, url, scheme)
    try:
        yield page, events
        assert_offline(events)
    finally:
        page.close()


@pytest.mark.parametrize("name", ARCHS)
def test_viewer_offline_zoom_and_highlight(browser, site, name):
    arch_id = name.removesuffix(".yaml").replace("-", "_")
    with offline_page(browser, (site / f"{arch_id}.html").as_uri()) as (page, events):
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


def test_viewer_dark_mode(browser, site):
    with offline_page(browser, (site / "premium.html").as_uri(), scheme="dark") as (page, events):
        bg = page.eval_on_selector("body", "b => getComputedStyle(b).backgroundColor")
        ink = page.eval_on_selector("#diagram svg g.cluster text", "t => getComputedStyle(t).fill")
        assert bg == "rgb(14, 17, 22)"
        assert ink == "rgb(230, 237, 243)"
        shot(page, "viewer-premium-dark.png")


def test_svg_copied_elsewhere_shows_every_icon(browser, site, tmp_path):
    """The SVG alone, in another directory: every icon is drawn (decoded, non-empty)."""
    copy = tmp_path / "elsewhere" / "premium.svg"
    copy.parent.mkdir()
    shutil.copy(site / "premium.svg", copy)
    with offline_page(browser, copy.as_uri()) as (page, events):
        sizes = page.eval_on_selector_all(
            "image", "els => els.map(e => { const b = e.getBBox(); return [b.width, b.height]; })")
        assert sizes and all(w > 0 and h > 0 for w, h in sizes)
        shot(page, "svg-premium-copied.png")


@pytest.mark.parametrize("how", ["document", "img"])
def test_step_view_fragment_emphasises_that_step(browser, tmp_path, how):
    """steps/<id>.svg#step-N, opened as a page or shown through <img>, draws step N's
    flows in the highlight colour and dims the rest; without a fragment nothing is dimmed."""
    import io

    from PIL import Image

    from diagramgen.draw import svg as svgmod

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
        r, g, b = (int(svgmod.HIGHLIGHT[k:k + 2], 16) for k in (1, 3, 5))
        assert styles == [f"rgb({r}, {g}, {b})", svgmod.DIM_OPACITY]
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

    r, g, b = (int(svgmod.HIGHLIGHT[k:k + 2], 16) for k in (1, 3, 5))

    def highlight_pixels(sel):
        im = Image.open(io.BytesIO(page.locator(sel).screenshot())).convert("RGB")
        px = im.tobytes()
        return sum(1 for i in range(0, len(px), 3)
                   if abs(px[i] - r) < 12 and abs(px[i + 1] - g) < 12 and abs(px[i + 2] - b) < 25)

    # the fragment's view has the highlighted flows; the plain one only icons of that hue
    a, b = highlight_pixels("#a"), highlight_pixels("#b")
    assert a > 2 * b + 50, (a, b)
    page.close()


def test_step_view_fragment_of_a_lettered_step(browser, tmp_path):
    """The fragment of a lettered step (#step-<sequence>-a) emphasises that step alone."""
    from diagramgen.draw import svg as svgmod

    m, step = first_lettered_step()
    write_outputs(tmp_path, render_architecture(m, ("svg",), steps=("svg",)))
    page, events = open_page(browser, f"{(tmp_path / 'steps' / f'{m.id}.svg').as_uri()}#{step.anchor}")
    shown = page.evaluate("""(anchor) => {
      document.getAnimations().forEach((a) => a.finish());
      const op = (g) => getComputedStyle(g).opacity;
      const edges = [...document.querySelectorAll('g.edge')];
      return {mine: edges.filter((g) => g.classList.contains(anchor)).map(op),
              rest: [...new Set(edges.filter((g) => !g.classList.contains(anchor)).map(op))],
              stroke: getComputedStyle(document.querySelector(`g.edge.${anchor} path`)).stroke}; }""", step.anchor)
    r, g, b = (int(svgmod.HIGHLIGHT[k:k + 2], 16) for k in (1, 3, 5))
    assert shown["mine"] and set(shown["mine"]) == {"1"}
    assert shown["rest"] == [svgmod.DIM_OPACITY]
    assert shown["stroke"] == f"rgb({r}, {g}, {b})"
    assert not events["errors"]
    page.close()


# --- contrast ----------------------------------------------------------------------------
# WCAG 2 contrast of each text against what is drawn behind it. Texts with letters or
# digits need 4.5:1; glyph-only texts (the legend's coloured squares and circle) are
# graphics and need 3:1. Text dimmed on purpose (the other steps of a step view) is left out.
CONTRAST_JS = """
() => {
  function rgb(s) {
    const p = (s.match(/rgba?\\(([^)]*)\\)/) || [null, ""])[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return p.length >= 3 ? {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1} : null;
  }
  function over(top, below) {  // top composited over an opaque colour
    const a = top.a;
    return {r: top.r * a + below.r * (1 - a), g: top.g * a + below.g * (1 - a), b: top.b * a + below.b * (1 - a), a: 1};
  }
  function lum(c) {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function ratio(a, b) { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
  function opacity(el) {
    let o = 1;
    for (let e = el; e && e.nodeType === 1; e = e.parentNode) { o *= parseFloat(getComputedStyle(e).opacity); }
    return o;
  }
  function htmlBackground(el) {  // the layers of background colour under an HTML element
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) { break; } }
    }
    let bg = {r: 255, g: 255, b: 255, a: 1};
    if (layers.length && layers[layers.length - 1].a >= 1) { bg = layers.pop(); }
    while (layers.length) { bg = over(layers.pop(), bg); }
    return bg;
  }
  const out = [];
  for (const t of document.querySelectorAll("text")) {
    const label = t.textContent.trim();
    if (!label || opacity(t) < 1) { continue; }
    const box = t.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    let bg = null;
    for (const el of document.elementsFromPoint(x, y)) {
      if (el instanceof SVGGeometryElement && !el.closest("text")) {
        const c = rgb(getComputedStyle(el).fill);
        if (c && c.a > 0) { bg = c; break; }
      }
    }
    if (!bg) { bg = htmlBackground(t.ownerSVGElement.parentElement || document.body); }
    const ink = rgb(getComputedStyle(t).fill);
    out.push({text: label, ratio: ratio(ink, bg), glyph: !/[\\p{L}\\p{N}]/u.test(label),
              ink: getComputedStyle(t).fill, bg: [bg.r, bg.g, bg.b].join(",")});
  }
  const walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || el.closest("svg, script, style") || opacity(el) < 1) { continue; }
    const box = el.getBoundingClientRect();
    if (box.right <= 0 || box.bottom <= 0 || box.width === 0) { continue; }  // off screen (the skip link)
    const ink = rgb(getComputedStyle(el).color);
    const bg = htmlBackground(el);
    out.push({text: n.textContent.trim(), ratio: ratio(over(ink, bg), bg), glyph: false,
              ink: getComputedStyle(el).color, bg: [bg.r, bg.g, bg.b].join(",")});
  }
  return out;
}
"""


def low_contrast(page, arch):
    texts = page.evaluate(CONTRAST_JS)
    assert len(texts) > len(arch.components)  # the title and every component's label at least
    return [t for t in texts if t["ratio"] < (3 if t["glyph"] else 4.5)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", ARCHS)
def test_every_text_has_enough_contrast(browser, site, name, scheme, tmp_path):
    """In the viewer, the SVG on its own and a step view, light and dark."""
    arch_id = name.removesuffix(".yaml").replace("-", "_")
    m, _ = load_architecture(ARCH_DIR / name)
    view = tmp_path / "view.svg"  # the step view, with the first step emphasised
    view.write_bytes(render_architecture(m, ("svg",), steps=("svg",))[f"steps/{arch_id}.svg"])
    for target in (site / f"{arch_id}.html", site / f"{arch_id}.svg", view):
        url = target.as_uri() + (f"#{m.steps[0].anchor}" if target == view else "")
        with offline_page(browser, url, scheme=scheme) as (page, events):
            if target.suffix == ".svg":  # the whole drawing on screen, at its own size
                size = page.evaluate("() => [document.documentElement.width.baseVal.value,"
                                     " document.documentElement.height.baseVal.value]")
                page.set_viewport_size({"width": int(size[0]) + 1, "height": int(size[1]) + 1})
            bad = low_contrast(page, m)
            assert bad == [], f"{target.name} ({scheme}): {bad[:5]}"
            if target.suffix == ".html":  # and with a step selected
                page.click("#steps li[data-step='2']")
                page.mouse.move(0, 0)
                bad = low_contrast(page, m)
                assert bad == [], f"{target.name} ({scheme}), step 2 selected: {bad[:5]}"


# --- touch, keyboard, natural size --------------------------------------------------------
def zoom_state(page):
    return page.evaluate("() => { const s = window.diagramPanZoom.getSizes(), p = window.diagramPanZoom.getPan();"
                         " return {zoom: s.realZoom, x: p.x, y: p.y}; }")


def test_two_finger_pinch_zooms_about_the_fingers(phone, site):
    with offline_page(phone, (site / "premium.html").as_uri()) as (page, events):
        box = page.locator("#diagram").bounding_box()
        svg_box = page.locator("#diagram svg").bounding_box()
        cx, cy = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5
        before = zoom_state(page)
        drawn = transform(page)
        # the diagram point under the fingers' midpoint, in drawing units
        px, py = (cx - svg_box["x"] - before["x"]) / before["zoom"], (cy - svg_box["y"] - before["y"]) / before["zoom"]
        cdp = phone.new_cdp_session(page)

        def touch(kind, half):
            points = [] if half is None else [{"x": cx - half, "y": cy, "id": 0}, {"x": cx + half, "y": cy, "id": 1}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        touch("touchStart", 20)
        for half in (30, 45, 60, 80):
            touch("touchMove", half)
        touch("touchEnd", None)
        after = zoom_state(page)
        assert after["zoom"] / before["zoom"] == pytest.approx(80 / 20, rel=0.02)
        assert (cx - svg_box["x"] - after["x"]) / after["zoom"] == pytest.approx(px, abs=1)
        assert (cy - svg_box["y"] - after["y"]) / after["zoom"] == pytest.approx(py, abs=1)
        changed(page, drawn)  # the new transform is drawn
        shot(page, "viewer-premium-phone-pinched.png")
        # one finger still pans
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": cx, "y": cy, "id": 0}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": cx + 50, "y": cy, "id": 0}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        moved = zoom_state(page)
        assert moved["zoom"] == pytest.approx(after["zoom"]) and moved["x"] == pytest.approx(after["x"] + 50, abs=2)


def test_skip_link_leads_past_the_diagram_links_to_step_one(browser, site):
    with offline_page(browser, (site / "premium.html").as_uri()) as (page, events):
        page.keyboard.press("Tab")
        first = page.evaluate("() => [document.activeElement.className, document.activeElement.textContent,"
                              " document.activeElement.getBoundingClientRect().left]")
        assert first[:2] == ["skip", "Skip to the steps"] and first[2] >= 0  # shown when focused
        page.keyboard.press("Enter")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.dataset.step") == "1"


def test_one_to_one_shows_the_natural_size(browser, site):
    with offline_page(browser, (site / "premium.html").as_uri()) as (page, events):
        natural = page.eval_on_selector("#diagram svg", "s => parseFloat(s.dataset.width)")
        measure = ("() => { const g = document.querySelector('#diagram svg g.graph > polygon');"
                   " const vb = window.diagramPanZoom.getSizes().viewBox;"
                   " return g.getBoundingClientRect().width / (g.getBBox().width / vb.width); }")
        fitted = page.evaluate(measure)
        before = transform(page)
        page.click("#controls [data-action=reset]")
        changed(page, before)  # drawn on the next animation frame
        assert page.evaluate(measure) == pytest.approx(natural, abs=1)
        assert fitted < natural * 0.9  # the fitted view was smaller: the button did change it
        before = transform(page)
        page.click("#controls [data-action=fit]")
        before = changed(page, before)
        page.keyboard.press("0")
        changed(page, before)
        assert page.evaluate(measure) == pytest.approx(natural, abs=1)


# --- viewer and docs pages, as a MkDocs site serves them -----------------------------------
@pytest.fixture(scope="module")
def served_site(site, tmp_path_factory):
    """The docs pages and their diagram copies built with MkDocs, served over HTTP."""
    import http.server
    import subprocess
    import sys
    import threading
    from functools import partial

    pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[test]')")
    from diagramgen.docs import pages as docs
    from diagramgen.publish import site as publish

    root = tmp_path_factory.mktemp("mkdocs")
    files = {}
    models = []
    for name in ARCHS:
        m, _ = load_architecture(ARCH_DIR / name)
        models.append(m)
        assets = publish.assets(m, str(site), "dir")
        files.update(assets)
        files[docs.page_name(m)] = docs.page(m, formats=publish.formats_of(assets, m.id)).encode()
    files["index.md"] = docs.index_page(models).encode()
    write_outputs(root / "docs", files)
    (root / "mkdocs.yml").write_text("site_name: Architectures\n")
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=root, check=True,
                   capture_output=True)
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(root / "site"))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_viewer_and_docs_pages_link_each_other(browser, served_site):
    m, _ = load_architecture(ARCH_DIR / "premium.yaml")
    page = browser.new_page()
    try:
        page.goto(f"{served_site}/diagrams/premium.html")
        page.click("header nav >> text=Docs page")
        page.wait_for_url(f"{served_site}/premium/")
        assert page.inner_text("h1") == m.title
        # the docs page's link of step 3 opens the viewer with step 3 selected
        page.click("text=Show step 3 in the diagram")
        page.wait_for_url(f"{served_site}/diagrams/premium.html#step-3")
        assert page.eval_on_selector("#steps li[data-step='3']", "li => li.classList.contains('selected')")
        edges = page.eval_on_selector_all("#diagram svg g.edge.highlight", "els => els.map(e => e.id)")
        assert edges and all(e.startswith("step-3-") for e in edges)
        # and the viewer's link of step 3 leads back to that step of the rendered page
        page.click("#steps li[data-step='3'] a")
        page.wait_for_url(f"{served_site}/premium/#step-3")
        assert page.locator("#step-3").count() == 1 and page.locator("h1").count() == 1
        page.go_back()
        page.wait_for_url(f"{served_site}/diagrams/premium.html#step-3")
        # an edge link of the diagram too
        href = page.eval_on_selector("#diagram svg g.edge.step-5 a", "a => a.href.baseVal")
        assert href == "../premium/#step-5"
        page.goto(f"{served_site}/premium/")
        page.click("text=interactive diagram")
        page.wait_for_url(f"{served_site}/diagrams/premium.html")
        assert page.locator("#diagram svg").count() == 1
    finally:
        page.close()


def test_viewer_address_selects_a_lettered_step_and_follows_changes(browser, site):
    """#step-<sequence>-a selects that lettered step (the docs pages link it so), and a
    later change of the address selects the new step, its flows alone highlighted."""
    m, step = first_lettered_step()
    with offline_page(browser, f"{(site / f'{m.id}.html').as_uri()}#{step.anchor}") as (page, events):
        def state():
            return page.evaluate("""() => ({
              selected: [...document.querySelectorAll('#steps li.selected')].map((li) => li.dataset.step),
              edges: [...document.querySelectorAll('#diagram svg g.edge.highlight')].map((g) => g.getAttribute('class'))})""")
        shown = state()
        assert shown["selected"] == [step.key]
        assert shown["edges"] and all(step.anchor in c.split() for c in shown["edges"])
        page.evaluate("() => document.activeElement && document.activeElement.blur()")
        assert state()["selected"] == [step.key]  # kept, not only shown while focused
        other = m.steps[0]
        page.evaluate(f"() => {{ window.location.hash = '{other.anchor}'; }}")
        page.wait_for_function("key => document.querySelector('#steps li.selected')?.dataset.step === key",
                               arg=other.key, timeout=5000)
        assert all(other.anchor in c.split() for c in state()["edges"])


def test_zoom_buttons_have_names_and_finger_sized_targets(phone, site):
    with offline_page(phone, (site / "premium.html").as_uri()) as (page, events):
        names = ["Zoom in", "Zoom out", "Fit to screen", "Natural size 1:1"]
        for name in names:
            button = page.get_by_role("button", name=name, exact=True)
            assert button.count() == 1, name
            box = button.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44, (name, box)
        assert page.eval_on_selector_all("#controls button", "bs => bs.length") == len(names)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_focused_step_link_of_the_diagram_is_drawn_in_the_highlight_colour(browser, site, scheme):
    """Tab onto a flow's link in the viewer: its lines turn thick and orange (an outline
    around an edge a few pixels high is all but invisible)."""
    from diagramgen.draw import svg as svgmod

    with offline_page(browser, (site / "premium.html").as_uri(), scheme=scheme) as (page, events):
        links = page.evaluate("() => document.querySelectorAll('#diagram svg g.edge.flow a').length")
        for _ in range(12 + links):  # the header, the buttons, then the diagram's links
            page.keyboard.press("Tab")
            if page.evaluate("() => !!document.activeElement.closest('#diagram svg g.edge.flow')"):
                break
        drawn = page.evaluate("""() => [...document.activeElement.querySelectorAll('path')].map((p) => {
          const s = getComputedStyle(p); return [s.stroke, s.strokeWidth]; })""")
        colour = svgmod.HIGHLIGHT if scheme == "light" else svgmod.HIGHLIGHT_DARK
        r, g, b = (int(colour[k:k + 2], 16) for k in (1, 3, 5))
        assert drawn and all(d == [f"rgb({r}, {g}, {b})", "4px"] for d in drawn), drawn
        page.keyboard.press("Tab")  # and back to normal when focus moves on
        assert page.evaluate("() => getComputedStyle(document.querySelector('#diagram svg g.edge.flow a path'))"
                             ".strokeWidth") != "4px"
