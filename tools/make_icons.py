#!/usr/bin/env python3
"""Generate the flat icon set used by diagramgen.

Every icon is an original drawing built from simple geometric primitives in a
single consistent style: a rounded-square tile in a product colour carrying a
(mostly white) pictogram on a transparent background.  Icons are drawn at 4x
(512 px), downscaled with LANCZOS to 128x128 RGBA, quantized to a palette PNG
with alpha and written to diagramgen/icons/<name>.png.  No fonts or external
assets are used.  The output is deterministic: no randomness, no timestamps,
no PNG metadata chunks, so re-running produces byte-identical files.

Usage:  python tools/make_icons.py [output_dir]
"""
import math
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter

S = 512                      # supersampled canvas size
OUT = 128                    # final icon size
OUT_DIR = Path(__file__).resolve().parent.parent / "diagramgen" / "icons"
WHITE = "#ffffff"


# --------------------------------------------------------------------------
# primitives (all coordinates are in the 512 px canvas)
# --------------------------------------------------------------------------
def polar(cx, cy, r, deg):
    """Point at angle `deg` (PIL convention: clockwise from 3 o'clock)."""
    a = math.radians(deg)
    return (cx + r * math.cos(a), cy + r * math.sin(a))


def circle(d, cx, cy, r, fill):
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)


def ring(d, cx, cy, r, w, fill):
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=fill, width=w)


def rrect(d, box, r, fill):
    d.rounded_rectangle(box, radius=r, fill=fill)


def stroke(d, pts, w, fill):
    """Polyline with round joints and round caps."""
    d.line(pts, fill=fill, width=round(w), joint="curve")
    for x, y in (pts[0], pts[-1]):
        circle(d, x, y, w / 2, fill)


def arc(d, cx, cy, r, a0, a1, w, fill):
    """Thick arc centred on radius r, with round caps."""
    ro = r + w / 2
    d.arc((cx - ro, cy - ro, cx + ro, cy + ro), a0, a1, fill=fill, width=round(w))
    for a in (a0, a1):
        circle(d, *polar(cx, cy, r, a), w / 2, fill)


def arrow(d, pts, w, fill, head=None):
    """Polyline arrow with a filled triangular head on its last point."""
    head = head or w * 2.2
    (px, py), (tx, ty) = pts[-2], pts[-1]
    ang = math.atan2(ty - py, tx - px)
    back = (tx - head * math.cos(ang), ty - head * math.sin(ang))
    stroke(d, list(pts[:-1]) + [back], w, fill)
    side = [(back[0] + s * head * 0.8 * math.sin(ang),
             back[1] - s * head * 0.8 * math.cos(ang)) for s in (1, -1)]
    d.polygon([(tx, ty), side[0], side[1]], fill=fill)


def shape_mask(draw_fn):
    """Render `draw_fn(mask_draw)` (drawing with fill=255) into an L mask."""
    mask = Image.new("L", (S, S), 0)
    draw_fn(ImageDraw.Draw(mask))
    return mask


def with_mask(img, fill, draw_fn, angle=0, center=None):
    """Paint `fill` through a mask drawn by `draw_fn`, optionally rotated."""
    mask = shape_mask(draw_fn)
    if angle:
        mask = mask.rotate(angle, resample=Image.BICUBIC, center=center)
    img.paste(fill, (0, 0), mask)


def tile(d, colour):
    rrect(d, (16, 16, S - 16, S - 16), 104, colour)


# --------------------------------------------------------------------------
# composite pictograms
# --------------------------------------------------------------------------
def person(d, cx, top, k, fill, bg=None, outline=0):
    """Head + shoulders. k = scale (1.0 ~ 260 px tall)."""
    hr, sw, sh, gap = 62 * k, 118 * k, 110 * k, 16 * k
    head_cy, sh_top = top + hr, top + 2 * hr + gap
    if outline:
        circle(d, cx, head_cy, hr + outline, bg)
        d.chord((cx - sw - outline, sh_top - outline, cx + sw + outline,
                 sh_top + 2 * sh + outline), 180, 360, fill=bg)
    circle(d, cx, head_cy, hr, fill)
    d.chord((cx - sw, sh_top, cx + sw, sh_top + 2 * sh), 180, 360, fill=fill)


def headset(d, cx, cy, r, fill, mic=True):
    """Headband arc, two ear cups and an optional microphone boom."""
    w = r * 0.22
    arc(d, cx, cy, r, 180, 360, w, fill)
    cw, ch = r * 0.42, r * 0.78
    for sx in (-1, 1):
        x = cx + sx * r
        rrect(d, (x - cw / 2, cy - ch * 0.25, x + cw / 2, cy + ch * 0.75), cw * 0.4, fill)
    if mic:
        bx, by, br = cx, cy + r * 0.15, r * 1.077   # boom starts under the right cup
        arc(d, bx, by, br, 22, 98, w * 0.75, fill)
        mx, my = polar(bx, by, br, 98)
        rrect(d, (mx - r * 0.26, my - r * 0.12, mx + r * 0.04, my + r * 0.12), r * 0.12, fill)


def handset(img, cx, cy, k, fill):
    """Classic telephone handset, tilted 45 degrees."""
    def shape(m):
        ox, oy = cx + 60 * k, cy
        arc(m, ox, oy, 125 * k, 128, 232, int(62 * k), 255)
        for sy in (-1, 1):
            y = oy + sy * 120 * k
            rrect(m, (cx - 30 * k, y - 42 * k, cx + 95 * k, y + 42 * k), 34 * k, 255)
    with_mask(img, fill, shape, angle=45, center=(cx, cy))


def envelope(d, box, fill, line, lw):
    x0, y0, x1, y1 = box
    rrect(d, box, lw * 0.9, fill)
    m = lw * 1.3
    stroke(d, [(x0 + m, y0 + m), ((x0 + x1) / 2, y0 + (y1 - y0) * 0.55), (x1 - m, y0 + m)], lw, line)


def bubble(d, box, fill, tail="left", dots=None):
    """Rounded speech bubble with a tail and optional three dots."""
    x0, y0, x1, y1 = box
    h = y1 - y0
    rrect(d, box, h * 0.3, fill)
    ex, sx = (x0, 1) if tail == "left" else (x1, -1)   # tail near this edge
    d.polygon([(ex + sx * h * f, y) for f, y in ((0.22, y1 - 2), (0.12, y1 + h * 0.3), (0.55, y1 - 2))],
              fill=fill)
    if dots:
        cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, h * 0.09
        for i in (-1, 0, 1):
            circle(d, cx + i * r * 3.2, cy, r, dots)


def cloud(d, box, fill):
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    rrect(d, (x0, y0 + 0.45 * h, x1, y1), 0.275 * h, fill)
    circle(d, x0 + 0.32 * w, y0 + 0.58 * h, 0.3 * h, fill)
    circle(d, x0 + 0.6 * w, y0 + 0.42 * h, 0.42 * h, fill)


def cylinder(d, cx, top, w, h, fill, bg, bands=2, lw=18):
    eh = w * 0.32
    x0, x1 = cx - w / 2, cx + w / 2
    d.rectangle((x0, top + eh / 2, x1, top + h - eh / 2), fill=fill)
    d.ellipse((x0, top + h - eh, x1, top + h), fill=fill)
    d.ellipse((x0, top, x1, top + eh), fill=fill)
    step = (h - eh) / (bands + 1)
    for i in range(bands + 1):
        y = top + i * step
        d.arc((x0, y, x1, y + eh), 10, 170, fill=bg, width=lw)


def gear(d, cx, cy, r, fill, hole, teeth=8):
    ri = r * 0.78
    pts = [polar(cx, cy, r if k % 4 in (1, 2) else ri, 360 * k / (4 * teeth) - 360 / (8 * teeth))
           for k in range(4 * teeth)]
    d.polygon(pts, fill=fill)
    circle(d, cx, cy, ri, fill)
    circle(d, cx, cy, r * 0.34, hole)


def bot_head(d, cx, cy, k, fill, bg):
    """Rounded-rectangle robot head with antenna, ears and two eyes."""
    w, h = 260 * k, 190 * k
    stroke(d, [(cx, cy - h / 2), (cx, cy - h / 2 - 55 * k)], 20 * k, fill)
    circle(d, cx, cy - h / 2 - 62 * k, 26 * k, fill)
    for sx in (-1, 1):
        rrect(d, (cx + sx * w / 2 - 24 * k, cy - 34 * k, cx + sx * w / 2 + 24 * k, cy + 34 * k), 16 * k, fill)
    rrect(d, (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), 60 * k, fill)
    for sx in (-1, 1):
        circle(d, cx + sx * 58 * k, cy - 8 * k, 28 * k, bg)
    rrect(d, (cx - 50 * k, cy + 44 * k, cx + 50 * k, cy + 62 * k), 9 * k, bg)


SPARKLE_COLOURS = ("#3b82f6", "#a855f7", "#f43f5e", "#14b8a6")  # top, right, bottom, left


def sparkle(img, cx, cy, r, colours=SPARKLE_COLOURS):
    """Four-lobed rounded star, each lobe in its own colour."""
    def shape(m):
        pts = []
        for i in range(360):  # concave super-ellipse = four-pointed star
            t = 2 * math.pi * i / 360
            c, s = math.cos(t), math.sin(t)
            pts.append((cx + r * math.copysign(abs(c) ** 3.2, c),
                        cy + r * math.copysign(abs(s) ** 3.2, s)))
        m.polygon(pts, fill=255)
    mask = shape_mask(shape).filter(ImageFilter.GaussianBlur(r * 0.08))
    mask = mask.point(lambda v: 255 if v >= 90 else 0)   # rounds the tips
    for i, colour in enumerate(colours):   # split along the diagonals
        wedge = [(cx, cy), polar(cx, cy, S, 225 + 90 * i), polar(cx, cy, S, 315 + 90 * i)]
        q = shape_mask(lambda m: m.polygon(wedge, fill=255))  # noqa: B023 (called at once)
        img.paste(colour, (0, 0), ImageChops.multiply(mask, q))


def layers(d, cx, cy, hw, hh, gap, colours, bg):
    """Isometric stack of rhombus layers, colours listed bottom to top."""
    n = len(colours)
    for i, col in enumerate(colours):
        y = cy + (n - 1 - i) * gap
        for grow, fill in ((14, bg), (0, col)):
            d.polygon([(cx, y - hh - grow), (cx + hw + 2 * grow, y), (cx, y + hh + grow),
                       (cx - hw - 2 * grow, y)], fill=fill)


def badge(d, cx, cy, r, fill, tile_colour):
    """Small circular badge with a tile-coloured separation ring."""
    circle(d, cx, cy, r + 18, tile_colour)
    circle(d, cx, cy, r, fill)


def branch_arrows(d, x0, cy, x1, spread, w, fill, head=None):
    """One path splitting into two right-pointing arrows (routing glyph)."""
    mid = x0 + (x1 - x0) * 0.3
    bend = x0 + (x1 - x0) * 0.62
    stroke(d, [(x0, cy), (mid, cy)], w, fill)
    for sy in (-1, 1):
        arrow(d, [(mid, cy), (bend, cy + sy * spread), (x1, cy + sy * spread)], w, fill, head)


# --------------------------------------------------------------------------
# icon definitions: name -> (tile colour, draw function(img, draw, tile))
# --------------------------------------------------------------------------
ICONS = {}


def icon(name, colour):
    def deco(fn):
        ICONS[name] = (colour, fn)
        return fn
    return deco


@icon("customer", "#455a64")
def _customer(img, d, bg):
    person(d, 256, 110, 1.15, WHITE)


@icon("voice", "#2e7d32")
def _voice(img, d, bg):
    handset(img, 256, 256, 1.05, WHITE)


@icon("sms", "#00897b")
def _sms(img, d, bg):
    rrect(d, (120, 96, 300, 420), 40, WHITE)
    rrect(d, (142, 136, 278, 360), 14, bg)
    circle(d, 210, 390, 14, bg)
    bubble(d, (236, 150, 412, 268), bg, tail="left")
    bubble(d, (254, 166, 396, 252), WHITE, tail="left", dots=bg)


@icon("email", "#ef6c00")
def _email(img, d, bg):
    envelope(d, (96, 136, 416, 376), WHITE, bg, 26)


@icon("webchat", "#c62828")
def _webchat(img, d, bg):
    rrect(d, (86, 100, 426, 370), 30, WHITE)
    rrect(d, (110, 160, 402, 346), 12, bg)
    for i in range(3):
        circle(d, 126 + i * 34, 130, 12, bg)
    bubble(d, (214, 232, 440, 380), bg, tail="right")
    bubble(d, (236, 250, 420, 362), "#ffca28", tail="right", dots=bg)


@icon("social", "#d81b60")
def _social(img, d, bg):
    person(d, 150, 150, 0.72, WHITE)
    person(d, 362, 150, 0.72, WHITE)
    person(d, 256, 120, 0.95, WHITE, bg=bg, outline=20)


@icon("dynamics-customer-service", "#5b2d90")
def _d365_cs(img, d, bg):
    layers(d, 256, 300, 110, 54, 42, ("#c3a6ff", "#5c9bff", "#a9d4ff"), bg)
    headset(d, 256, 232, 130, WHITE, mic=False)


@icon("dynamics-contact-center", "#1f4fc7")
def _d365_cc(img, d, bg):
    headset(d, 200, 190, 108, WHITE, mic=False)
    badge(d, 364, 364, 112, "#c9b2ff", bg)
    branch_arrows(d, 296, 364, 436, 50, 22, "#3a1d78", head=46)


@icon("dataverse", "#117865")
def _dataverse(img, d, bg):
    cx, cy, r = 256, 256, 160
    circle(d, cx, cy, r, WHITE)
    disc = shape_mask(lambda m: circle(m, cx, cy, r, 255))
    above = shape_mask(lambda m: (m.rectangle((0, 0, S, cy - 58), fill=255),
                                  m.ellipse((0, cy - 108, S, cy - 8), fill=255)))
    img.paste("#8ef0c8", (0, 0), ImageChops.multiply(disc, above))
    for dy in (-58, 50):
        d.arc((cx - r - 4, cy + dy - 50, cx + r + 4, cy + dy + 50), 0, 180, fill=bg, width=24)


@icon("copilot-studio", "#0b6e79")
def _copilot_studio(img, d, bg):
    bot_head(d, 236, 250, 1.05, WHITE, bg)
    circle(d, 372, 370, 96, bg)
    gear(d, 372, 370, 80, "#5ec8ff", bg)


@icon("copilot", "#1c1f3f")
def _copilot(img, d, bg):
    sparkle(img, 256, 256, 205)


@icon("copilot-for-service", "#1c1f3f")
def _copilot_service(img, d, bg):
    sparkle(img, 222, 222, 175)
    badge(d, 370, 370, 88, WHITE, bg)
    headset(d, 370, 370, 52, bg, mic=False)


@icon("outlook", "#0f6cbd")
def _outlook(img, d, bg):
    envelope(d, (196, 150, 430, 362), "#8cc8ff", bg, 22)
    circle(d, 190, 268, 128, bg)
    ring(d, 190, 268, 104, 44, WHITE)


@icon("microsoft-365", "#d83b01")
def _m365(img, d, bg):
    cloud(d, (86, 120, 426, 380), WHITE)
    for row in range(2):
        for col in range(3):
            x, y = 184 + col * 58, 260 + row * 58
            rrect(d, (x, y, x + 44, y + 44), 8, bg)


@icon("power-automate", "#0066ff")
def _power_automate(img, d, bg):
    for x in (150, 270):
        stroke(d, [(x, 136), (x + 100, 256), (x, 376)], 58, WHITE)


@icon("power-bi", "#f2c811")
def _power_bi(img, d, bg):
    for i, (h, col) in enumerate(((130, "#7a4a00"), (210, "#5a3600"), (290, "#3b2300"))):
        x = 132 + i * 92
        rrect(d, (x, 400 - h, x + 68, 400), 18, col)


@icon("power-apps", "#742774")
def _power_apps(img, d, bg):
    with_mask(img, "#d58be0", lambda m: rrect(m, (146, 146, 366, 366), 40, 255), angle=45, center=(256, 256))
    rrect(d, (160, 190, 352, 330), 22, WHITE)
    rrect(d, (176, 226, 336, 314), 8, bg)


@icon("routing", "#1e88e5")
def _routing(img, d, bg):
    circle(d, 132, 256, 50, WHITE)
    branch_arrows(d, 150, 256, 408, 118, 40, WHITE)


@icon("agent-workspace", "#3f51b5")
def _agent_workspace(img, d, bg):
    rrect(d, (90, 100, 422, 340), 26, WHITE)
    rrect(d, (226, 330, 286, 392), 0, WHITE)
    rrect(d, (170, 384, 342, 414), 15, WHITE)
    person(d, 256, 140, 0.62, bg)
    headset(d, 256, 200, 62, bg, mic=False)


@icon("supervisor", "#00838f")
def _supervisor(img, d, bg):
    person(d, 168, 140, 0.9, WHITE)
    for i, h in enumerate((90, 150, 210)):
        x = 292 + i * 54
        rrect(d, (x, 400 - h, x + 40, 400), 12, "#ffd54f")


@icon("bot", "#0288d1")
def _bot(img, d, bg):
    bot_head(d, 256, 280, 1.15, WHITE, bg)


@icon("ivr", "#558b2f")
def _ivr(img, d, bg):
    handset(img, 184, 290, 0.85, WHITE)
    for r in range(4):
        for c in range(3):
            if r < 3 or c == 1:
                circle(d, 308 + c * 50, 118 + r * 50, 19, WHITE)


GREY_GREEN = "#5e7f72"


@icon("existing-ccaas", GREY_GREEN)
def _existing_ccaas(img, d, bg):
    headset(d, 256, 214, 132, WHITE)


@icon("existing-crm", GREY_GREEN)
def _existing_crm(img, d, bg):
    rrect(d, (84, 126, 428, 386), 30, WHITE)
    person(d, 178, 180, 0.5, bg)
    for i, w in enumerate((130, 110, 90)):
        rrect(d, (262, 194 + i * 48, 262 + w, 218 + i * 48), 12, bg)


@icon("existing-platform", GREY_GREEN)
def _existing_platform(img, d, bg):
    cloud(d, (80, 110, 432, 360), WHITE)
    cylinder(d, 256, 210, 150, 190, bg, WHITE, bands=2, lw=14)


@icon("voice-carrier", "#37474f")
def _voice_carrier(img, d, bg):
    cx, top = 256, 190
    stroke(d, [(196, 420), (cx, top), (316, 420)], 26, WHITE)
    stroke(d, [(216, 350), (296, 350)], 22, WHITE)
    stroke(d, [(234, 284), (278, 284)], 20, WHITE)
    circle(d, cx, top, 28, WHITE)
    for r in (70, 124):
        arc(d, cx, top, r, 210, 260, 24, WHITE)
        arc(d, cx, top, r, 280, 330, 24, WHITE)


@icon("knowledge", "#8e5a2b")
def _knowledge(img, d, bg):
    d.polygon([(82, 150), (246, 178), (246, 392), (82, 364)], fill=WHITE)
    d.polygon([(266, 178), (430, 150), (430, 364), (266, 392)], fill=WHITE)
    for i in range(3):
        y = 226 + i * 44
        stroke(d, [(116, y - 14), (212, y + 2)], 14, bg)
        stroke(d, [(300, y + 2), (396, y - 14)], 14, bg)


@icon("azure-cloud", "#0078d4")
def _azure_cloud(img, d, bg):
    cloud(d, (80, 130, 432, 380), WHITE)


# --- Dynamics 365 business apps: one glyph and one tile colour per app
@icon("dynamics-sales", "#283593")
def _d365_sales(img, d, bg):
    # a sales funnel: three bands narrowing into a spout
    d.polygon([(92, 112), (420, 112), (292, 300), (292, 404), (220, 436), (220, 300)], fill=WHITE)
    for y in (178, 244):
        d.rectangle((60, y - 10, 452, y + 10), fill=bg)


@icon("customer-insights-data", "#7b1fa2")
def _ci_data(img, d, bg):
    # records from several sources unified into one customer profile
    for x, y in ((122, 122), (390, 122), (122, 390), (390, 390)):
        stroke(d, [(x, y), (256, 256)], 24, WHITE)
        circle(d, x, y, 46, WHITE)
    circle(d, 256, 256, 128, bg)
    circle(d, 256, 256, 110, WHITE)
    person(d, 256, 178, 0.56, bg)


@icon("customer-insights-journeys", "#c2185b")
def _ci_journeys(img, d, bg):
    # a customer journey: a winding path through touchpoints to a flag
    stroke(d, [(120, 392), (300, 392), (300, 262), (212, 262), (212, 150), (352, 150)], 30, WHITE)
    for x, y in ((120, 392), (300, 262), (212, 150)):
        circle(d, x, y, 40, WHITE)
        circle(d, x, y, 17, bg)
    stroke(d, [(386, 190), (386, 70)], 22, WHITE)
    d.polygon([(386, 64), (462, 96), (386, 128)], fill=WHITE)


@icon("field-service", "#b45309")
def _field_service(img, d, bg):
    # an open-ended wrench, tilted
    def shape(m):
        circle(m, 256, 140, 100, 255)
        m.rectangle((222, 20, 290, 150), fill=0)
        rrect(m, (214, 196, 298, 450), 42, 255)
        circle(m, 256, 402, 18, 0)
    with_mask(img, WHITE, shape, angle=-45, center=(256, 256))


@icon("dynamics-finance", "#1b5e20")
def _d365_finance(img, d, bg):
    # a calculator: display strip and a grid of keys
    rrect(d, (128, 76, 384, 436), 34, WHITE)
    rrect(d, (164, 112, 348, 184), 14, bg)
    for r in range(3):
        for c in range(3):
            x, y = 186 + c * 70, 242 + r * 66
            rrect(d, (x - 24, y - 22, x + 24, y + 22), 10, bg)


@icon("supply-chain", "#0369a1")
def _supply_chain(img, d, bg):
    # a delivery truck
    rrect(d, (64, 146, 304, 336), 16, WHITE)
    d.polygon([(318, 196), (392, 196), (448, 264), (448, 336), (318, 336)], fill=WHITE)
    d.polygon([(346, 220), (384, 220), (420, 266), (346, 266)], fill=bg)
    for x in (146, 370):
        circle(d, x, 352, 60, bg)
        circle(d, x, 352, 44, WHITE)
        circle(d, x, 352, 16, bg)


@icon("dynamics-commerce", "#4d7c0f")
def _d365_commerce(img, d, bg):
    # a shopping bag with two handles
    arc(d, 256, 196, 74, 180, 360, 26, WHITE)
    rrect(d, (110, 186, 402, 436), 34, WHITE)
    for x in (182, 330):
        circle(d, x, 236, 16, bg)
    arc(d, 256, 236, 74, 0, 180, 22, bg)


@icon("project-operations", "#9a3412")
def _project_operations(img, d, bg):
    # a Gantt chart: staggered task bars against a time axis
    stroke(d, [(100, 96), (100, 416), (424, 416)], 22, WHITE)
    for i, (x0, x1) in enumerate(((140, 290), (210, 360), (276, 420))):
        y = 150 + i * 82
        rrect(d, (x0, y - 26, x1, y + 26), 22, WHITE)


# --- Power Platform
@icon("power-pages", "#0e7c86")
def _power_pages(img, d, bg):
    # a web page (header and blocks) in front of a globe
    rrect(d, (80, 96, 340, 400), 24, WHITE)
    rrect(d, (108, 124, 312, 166), 10, bg)
    for i in range(3):
        rrect(d, (108, 192 + i * 56, 250 - 40 * (i % 2), 222 + i * 56), 10, bg)
    circle(d, 344, 334, 118, bg)
    circle(d, 344, 334, 100, WHITE)
    ring_w = 16
    d.ellipse((344 - 46, 334 - 100, 344 + 46, 334 + 100), outline=bg, width=ring_w)
    stroke(d, [(244, 334), (444, 334)], ring_w, bg)
    stroke(d, [(344, 234), (344, 434)], ring_w, bg)


@icon("pcf-control", "#86198f")
def _pcf_control(img, d, bg):
    # a form with two fields and a component plugged into it (a puzzle piece)
    rrect(d, (72, 90, 360, 420), 26, WHITE)
    for y in (140, 212):
        rrect(d, (104, y, 328, y + 40), 10, bg)
    def piece(m):
        rrect(m, (236, 270, 420, 446), 20, 255)
        circle(m, 328, 270, 40, 255)       # knob on top
        circle(m, 236, 358, 40, 0)         # socket on the left
    d.rounded_rectangle((220, 254, 436, 462), radius=30, fill=bg)
    circle(d, 328, 270, 56, bg)
    with_mask(img, "#f0abfc", piece)


# --- Copilot
@icon("copilot-agent", "#312e81")
def _copilot_agent(img, d, bg):
    # an agent: a robot head with the Copilot sparkle beside it
    bot_head(d, 216, 304, 1.0, WHITE, bg)
    circle(d, 376, 150, 104, bg)
    sparkle(img, 376, 150, 96)


# --- Azure messaging: a Service Bus topic (one message out to many subscribers)
@icon("service-bus-topic", "#0072c6")
def _service_bus_topic(img, d, bg):
    envelope(d, (60, 176, 250, 318), WHITE, bg, 18)
    stroke(d, [(262, 247), (300, 247)], 22, WHITE)
    for dy in (-118, 0, 118):
        arrow(d, [(300, 247), (352, 247 + dy * 0.9), (446, 247 + dy * 0.9)], 22, WHITE, head=50)


# --- existing systems
@icon("sap", GREY_GREEN)
def _sap(img, d, bg):
    # an enterprise resource planning system: two meshing gears (no vendor mark)
    gear(d, 206, 214, 132, WHITE, bg, teeth=9)
    gear(d, 352, 362, 92, WHITE, bg, teeth=7)


@icon("external-system", GREY_GREEN)
def _external_system(img, d, bg):
    # a system outside the solution: a box with an arrow leaving it
    d.rounded_rectangle((92, 148, 364, 420), radius=34, outline=WHITE, width=36)
    d.rectangle((246, 120, 400, 274), fill=bg)
    arrow(d, [(214, 354), (420, 148)], 36, WHITE, head=96)


# --------------------------------------------------------------------------
def render(name):
    colour, fn = ICONS[name]
    img = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    tile(d, colour)
    fn(img, d, colour)
    return img.resize((OUT, OUT), Image.LANCZOS)


def save(img, path):
    # Fresh image object: no info/metadata carried; Pillow writes no timestamps.
    # Quantize to a palette PNG with alpha: the icons are flat, so this is
    # visually lossless and keeps files around 2-3 KB.
    clean = Image.frombytes(img.mode, img.size, img.tobytes())
    pal = clean.quantize(colors=128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    pal.save(path, format="PNG", optimize=True)


def main(argv):
    out = Path(argv[1]) if len(argv) > 1 else OUT_DIR
    out.mkdir(parents=True, exist_ok=True)
    for name in ICONS:
        save(render(name), out / f"{name}.png")
    print(f"wrote {len(ICONS)} icons to {out}")


if __name__ == "__main__":
    main(sys.argv)
