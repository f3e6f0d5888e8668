"""How the pictures look: every colour and font the draw stage uses, in one place.

``scene`` draws with these colours (Graphviz attributes), ``svg`` maps each light colour
to its dark-mode one and marks the emphasised step, ``viewer`` styles its page with the
same palette, and the docs pages' provenance marks follow it. Also the wording of the
tooltips that components and steps carry in every picture. Imports nothing of the
package but the model.
"""
from __future__ import annotations

FONT = "DejaVu Sans"
INK = "#1F2A37"
MUTED = "#5B6775"
EDGE = "#3D4F63"
BADGE = "#0F3B5F"
AREA_FILL = "#F7F9FB"  # an area's background
AREA_BORDER = "#9AA5B1"
OVERLAY_UNCHANGED_BADGE = "#8A96A3"  # a diff overlay's step circle that keeps its number

# provenance -> (fill, border): blue for the scenario's product, green for what the
# customer keeps, grey for shared Microsoft platform (as in the published legends)
PROVENANCE_STYLE = {
    "product": ("#DCEBF8", "#2F6DB5"),
    "existing": ("#DFF2D8", "#4E8A3A"),
    "platform": ("#ECEEF0", "#7A8591"),
}
BAND_TINT = {"product": "#EEF4FB", "existing": "#EEF8EA", "platform": "#EEF0F2"}
# the docs pages' marks and colour words for the provenances (overview matrix, legend)
PROVENANCE_MARKS = {"product": "\U0001f7e6", "existing": "\U0001f7e9", "platform": "\u2b1c"}  # blue, green, white square
PROVENANCE_COLOUR_NAMES = {"product": "blue", "existing": "green", "platform": "grey"}

OVERLAY_STYLE = {  # a diff overlay: status -> (fill, border, text, edge)
    "added": ("#DDF3DC", "#1E8E3E", INK, "#1E8E3E"),
    "removed": ("#FCE3E1", "#C5221F", INK, "#C5221F"),
    "changed": ("#FDEBD0", "#E37400", INK, "#E37400"),
    "unchanged": ("#F5F6F7", "#B3BBC4", "#6B7785", "#B3BBC4"),
}

# Light colour -> dark-mode colour, applied by attribute selectors on dot's own
# presentation attributes (CSS wins over presentation attributes). Every fill the scene
# uses has an entry (tests/test_svg.py checks it), so no light text is left on a light
# fill; tests/test_browser.py measures the contrast of every text in both schemes.
DARK_FILLS = {
    "white": "#0e1116",       # background, capability pills
    "#f7f9fb": "#161b22",     # area clusters
    "#eef0f2": "#1b2028",     # band clusters
    "#1f2a37": "#e6edf3",     # ink
    "#dcebf8": "#15324f",     # product cards
    "#dff2d8": "#1c3a17",     # existing cards
    "#eceef0": "#262c34",     # platform cards
    "#eef4fb": "#132234",     # product bands
    "#eef8ea": "#16271a",     # existing bands (the existing CRM's platform)
    "#2f6db5": "#5b9be0",     # legend swatches: the card borders' colours
    "#4e8a3a": "#6fb356",
    "#7a8591": "#8b96a3",
    "#3d4f63": "#9fb3c8",     # arrowheads
    "#0f3b5f": "#2f6db5",     # step badges
}
DARK_STROKES = {
    "white": "#0e1116",
    "#3d4f63": "#9fb3c8",
    "#9aa5b1": "#4a5563",
    "#0f3b5f": "#2f6db5",
    "#2f6db5": "#5b9be0",
    "#4e8a3a": "#6fb356",
    "#7a8591": "#8b96a3",
}
HIGHLIGHT = "#c2410c"  # the emphasised step; white step numbers on it: 5.2:1
HIGHLIGHT_DARK = "#ff8a4c"
DIM_OPACITY = "0.2"  # what is not the emphasised step

# The viewer page's palette (CSS custom properties), light and dark.
VIEWER_LIGHT = {"bg": "#ffffff", "fg": INK.lower(), "muted": MUTED.lower(), "panel": "#f4f6f8", "line": "#d5dbe1",
                "accent": HIGHLIGHT, "on-accent": "#ffffff", "badge": BADGE.lower()}
VIEWER_DARK = {"bg": DARK_FILLS["white"], "fg": DARK_FILLS[INK.lower()], "muted": "#9aa7b4", "panel": "#161b22",
               "line": "#30363d", "accent": HIGHLIGHT_DARK, "on-accent": DARK_FILLS["white"],
               "badge": DARK_FILLS[BADGE.lower()]}


def component_tooltip(c) -> list:
    """The lines of a component's tooltip: label, kind, provenance, description."""
    parts = [c.label, f"kind: {c.kind}", f"provenance: {c.provenance}"]
    if c.description:
        parts.append(c.description)
    return parts


def step_tooltip(step, name=None) -> str:
    """A step circle's tooltip: ``Step 4: text``; ``name`` replaces the number (a diff
    overlay says ``4 (was 3)`` or ``3 (removed)``)."""
    return f"Step {name or step.badge}: {step.text}"
