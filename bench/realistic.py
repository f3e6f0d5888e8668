"""Seeded realistic architectures for scale measurements.

``realistic(n, seed)`` returns the YAML text of an architecture with ``n`` components laid
out the way the real files are: areas of 5-15 components (every sixth nested in the one
before), top-level areas in about sqrt(1.2 x areas) layout columns with several areas
stacked in each column, about 1.5 flows per component in numbered steps of 1-3 flows
(55 % of flows stay inside their area, 35 % go to a neighbouring area, 10 % anywhere;
10 % are two-way), and a third of the components with 1-3 capabilities.

``bands=True`` adds what most real files have under everything: a Microsoft Dataverse
foundation band with three components that about one component in ten sends data to
(one step each, after the others), and an Azure foundation band whose two components
have no flows.
"""
from __future__ import annotations

import math
import random

KINDS = ["customer", "voice", "sms", "email", "web_chat", "social", "communication_services",
         "copilot_studio", "unified_routing", "agent_workspace", "copilot", "knowledge", "teams",
         "supervisor", "power_platform", "dataverse", "entra_id", "monitor", "storage", "functions"]
WORDS = ["routing", "intake", "queue", "summary", "search", "case", "voice", "chat", "insight",
         "record", "alert", "transcript", "identity", "report", "policy", "forecast"]


def realistic(n: int, seed: int = 1, flows_per_component: float = 1.5, max_steps: int = 0,
              bands: bool = False) -> str:
    rnd = random.Random(seed * 7919 + n)
    sizes = []
    left = n
    while left > 0:
        k = min(left, rnd.randint(5, 15))
        sizes.append(k)
        left -= k
    areas = [f"area_{i:03d}" for i in range(len(sizes))]
    parent = {a: areas[i - 1] for i, a in enumerate(areas) if i % 6 == 5}  # every sixth nests
    top = [a for a in areas if a not in parent]
    n_cols = max(1, round(math.sqrt(1.2 * len(top))))
    columns = [top[i * len(top) // n_cols:(i + 1) * len(top) // n_cols] for i in range(n_cols)]
    columns = [c for c in columns if c]

    lines = [f"id: realistic_{n}_{seed}", f"title: Realistic architecture, {n} components, seed {seed}",
             "scenario: A seeded architecture shaped like the real ones, for measuring scale.",
             "products: [Synthetic product]", "assumptions: {azure_foundation: false}", "areas:"]

    def area_block(a, indent):
        pad = " " * indent
        out = [f"{pad}- id: {a}", f"{pad}  label: Area {a[-3:]}"]
        kids = [k for k, p in parent.items() if p == a]
        if kids:
            out.append(f"{pad}  areas:")
            for k in kids:
                out += area_block(k, indent + 4)
        return out

    for a in top:
        lines += area_block(a, 2)
    if bands:
        lines += ["  - {id: dataverse_band, label: Microsoft Dataverse, band: true}",
                  "  - {id: azure_band, label: Azure foundation, band: true}"]
    lines.append("layout:\n  columns:")
    for col in columns:
        lines.append(f"    - [{', '.join(col)}]")
    lines.append("components:")
    comps, area_of, members = [], {}, {a: [] for a in areas}
    for a, k in zip(areas, sizes):
        for _ in range(k):
            c = f"c{len(comps):04d}"
            comps.append(c)
            area_of[c] = a
            members[a].append(c)
    for i, c in enumerate(comps):
        lines += [f"  - id: {c}", f"    kind: {rnd.choice(KINDS)}", f"    label: Component {i}",
                  f"    area: {area_of[c]}"]
        if rnd.random() < 1 / 3:
            caps = ", ".join(f"{rnd.choice(WORDS).title()} {rnd.choice(WORDS)}" for _ in range(rnd.randint(1, 3)))
            lines.append(f"    capabilities: [{caps}]")

    def pick_pair():
        src = rnd.choice(comps)
        a = area_of[src]
        r = rnd.random()
        if r < .55 and len(members[a]) > 1:
            pool = members[a]
        elif r < .90:
            i = areas.index(a)
            near = [x for x in (areas[i - 1] if i else None, areas[i + 1] if i + 1 < len(areas) else None) if x]
            pool = members[rnd.choice(near)] if near else comps
        else:
            pool = comps
        return src, rnd.choice(pool)

    total = round(n * flows_per_component)
    pairs, steps = set(), []
    made = tries = 0
    while made < total and tries < total * 20 and not (max_steps and len(steps) >= max_steps):
        flows = []
        for _ in range(rnd.randint(1, 3)):
            tries += 1
            s, d = pick_pair()
            if s == d or (s, d) in pairs or (d, s) in pairs:
                continue
            pairs.add((s, d))
            flows.append(f"      - {{from: {s}, to: {d}{', both: true' if rnd.random() < .1 else ''}}}")
        if flows:
            steps.append(flows)
            made += len(flows)
    if bands:
        lines += [f"  - {{id: {c}, kind: {kind}, label: {label}, area: {area}{extra}}}" for c, kind, label, area, extra in (
            ("dv_tables", "dataverse", "Dataverse tables", "dataverse_band", ""),
            ("dv_search", "dataverse", "Dataverse search", "dataverse_band", ""),
            ("dv_files", "storage", "Dataverse files", "dataverse_band", ""),
            ("az_monitor", "monitor", "Azure Monitor", "azure_band", ", standalone: true"),
            ("az_identity", "entra_id", "Microsoft Entra ID", "azure_band", ", standalone: true"))]
        for k, c in enumerate(rnd.sample(comps, max(3, n // 10))):
            target = ("dv_tables", "dv_search", "dv_files")[k % 3]
            pairs.add((c, target))
            steps.append([f"      - {{from: {c}, to: {target}}}"])
    lines.append("dataflow:")
    for k, flows in enumerate(steps, start=1):
        lines += [f"  - step: {k}", f"    text: Step {k} moves {rnd.choice(WORDS)} data along.", "    flows:"] + flows
    used = {x for p in pairs for x in p}
    text = "\n".join(lines) + "\n"
    for i, c in enumerate(comps):
        if c not in used:
            text = text.replace(f"    label: Component {i}\n", f"    label: Component {i}\n    standalone: true\n", 1)
    return text


if __name__ == "__main__":
    import sys

    sys.stdout.write(realistic(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1))
