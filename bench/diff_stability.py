"""How far unchanged components move between the base render and the renders after an edit.

For a few realistic edits of architectures/premium.yaml this lays out, with `dot -Tjson`,
the base diagram, the plain diagram of the edited model, and the overlay diagram of the
diff, and prints the mean and maximum displacement (in points, 72 per inch) of the
components that the edit did not touch. Run: .venv/bin/python bench/diff_stability.py
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diagramgen.diff import overlay as O  # noqa: E402
from diagramgen.draw import scene  # noqa: E402
from diagramgen.model import Component, Flow, Step  # noqa: E402
from diagramgen.model.validate import load_architecture  # noqa: E402


def positions(dot_source: str) -> dict:
    out = subprocess.run(["dot", "-Tjson"], input=dot_source.encode(), capture_output=True, check=True).stdout
    objs = json.loads(out).get("objects", [])
    return {o["name"]: tuple(map(float, o["pos"].split(","))) for o in objs if "pos" in o}


def add_component(m):
    kb = Component("kb", "knowledge", "Knowledge base", "agent", "product", "icons/knowledge.png",
                   description="Articles.")
    comps = m.components + (kb,)
    steps = tuple(replace(s, flows=s.flows + (Flow("kb", "copilot"),)) if s.number == 6 else s for s in m.steps)
    return replace(m, components=comps, steps=steps)


def insert_step(m):
    new = Step(4, "Copilot Studio looks the customer up in Dataverse.", (Flow("copilot_studio", "dataverse"),))
    steps = [s for s in m.steps if s.number < 4] + [new] + \
        [replace(s, number=s.number + 1) for s in m.steps if s.number >= 4]
    return replace(m, steps=tuple(steps))


def move_component(m):
    return replace(m, components=tuple(replace(c, area="routing") if c.id == "supervisor" else c
                                       for c in m.components))


def stats(a: dict, b: dict, ids) -> str:
    ids = [i for i in ids if i in a and i in b]
    d = [math.dist(a[i], b[i]) for i in ids]
    # the same after removing a common shift (median dx, dy): movement relative to each other
    dx = sorted(b[i][0] - a[i][0] for i in ids)[len(ids) // 2]
    dy = sorted(b[i][1] - a[i][1] for i in ids)[len(ids) // 2]
    r = [math.dist((a[i][0] + dx, a[i][1] + dy), b[i]) for i in ids]
    return (f"mean {sum(d) / len(d):5.1f} max {max(d):5.1f} pt; minus common shift: mean {sum(r) / len(r):5.1f} "
            f"max {max(r):5.1f} pt; unmoved (<1 pt) {sum(x < 1 for x in r):2d}/{len(r)}")


def main() -> None:
    base, diags = load_architecture(ROOT / "architectures" / "premium.yaml", shown="architectures/premium.yaml")
    assert base is not None, diags
    base_pos = positions(scene.build(base))
    print("premium.yaml: displacement of unchanged components from the base render")
    for name, edit in (("add a component", add_component), ("insert a step at 4", insert_step),
                       ("move a component to another area", move_component)):
        new = edit(base)
        union, marks = O.union_model(base, new)
        unchanged = [c for c, s in marks.components.items() if s == "unchanged"]
        print(f"  {name}:")
        print(f"    plain render of the new model: {stats(base_pos, positions(scene.build(new)), unchanged)}")
        print(f"    overlay render:                {stats(base_pos, positions(O.overlay_source(base, new)), unchanged)}")


if __name__ == "__main__":
    main()
