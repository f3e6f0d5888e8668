"""Seeded synthetic architectures for scale measurements.

``synthesize(n, seed)`` returns the YAML text of an architecture with ``n`` components,
about two flows per component and 8-15 areas (some nested), using catalog kinds.
"""
from __future__ import annotations

import random

KINDS = ["customer", "voice", "sms", "email", "web_chat", "social", "communication_services",
         "copilot_studio", "unified_routing", "agent_workspace", "copilot", "knowledge", "teams",
         "supervisor", "power_platform", "dataverse", "entra_id", "monitor", "storage", "functions"]


def synthesize(n: int, seed: int = 1, flows_per_component: float = 2.0) -> str:
    rnd = random.Random(seed * 1000 + n)
    n_areas = rnd.randint(8, 15)
    areas = [f"area_{i:02d}" for i in range(n_areas)]
    nested = {a: areas[i - 1] for i, a in enumerate(areas) if i % 5 == 4}  # every fifth nests
    lines = [f"id: synth_{n}", f"title: Synthetic architecture with {n} components",
             "scenario: A seeded synthetic architecture for measuring scale.",
             "products: [Synthetic product]", "assumptions: {azure_foundation: false}", "areas:"]

    def area_block(a, indent):
        pad = " " * indent
        out = [f"{pad}- id: {a}", f"{pad}  label: Area {a[-2:]}"]
        kids = [k for k, p in nested.items() if p == a]
        if kids:
            out.append(f"{pad}  areas:")
            for k in kids:
                out += area_block(k, indent + 4)
        return out

    for a in areas:
        if a not in nested:
            lines += area_block(a, 2)
    lines.append("layout:\n  columns:")
    top = [a for a in areas if a not in nested]
    for a in top:
        lines.append(f"    - [{a}]")
    lines.append("components:")
    comps = [f"c{i:03d}" for i in range(n)]
    # components go to areas in contiguous blocks, so flows mostly run left to right
    for i, c in enumerate(comps):
        area = areas[min(i * n_areas // n, n_areas - 1)]
        lines += [f"  - id: {c}", f"    kind: {rnd.choice(KINDS)}", f"    label: Component {i}",
                  f"    area: {area}"]
    lines.append("dataflow:")
    total = int(n * flows_per_component)
    steps, made, pairs = [], 0, set()
    while made < total:
        size = rnd.randint(1, 4)
        flows = []
        for _ in range(size):
            i = rnd.randrange(n - 1)
            j = min(n - 1, i + rnd.randint(1, max(2, n // 6)))
            if (i, j) in pairs:
                continue
            pairs.add((i, j))
            flows.append(f"      - {{from: {comps[i]}, to: {comps[j]}{', both: true' if rnd.random() < .1 else ''}}}")
        if flows:
            steps.append(flows)
            made += len(flows)
    for k, flows in enumerate(steps, start=1):
        lines += [f"  - step: {k}", f"    text: Synthetic step {k}.", "    flows:"] + flows
    # every component should take part in a flow; the rest are marked standalone
    used = {x for (i, j) in pairs for x in (i, j)}
    text = "\n".join(lines) + "\n"
    for i in range(n):
        if i not in used:
            text = text.replace(f"    label: Component {i}\n", f"    label: Component {i}\n    standalone: true\n", 1)
    return text


if __name__ == "__main__":
    import sys

    sys.stdout.write(synthesize(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1))


def mutate(text: str, fraction: float = 0.05, seed: int = 2) -> str:
    """Change ``fraction`` of the components (relabelled) and of the flows (each moved to
    another target) of a synthetic architecture, deterministically."""
    import re

    rnd = random.Random(seed)
    labels = re.findall(r"    label: (Component \d+)\n", text)
    for label in rnd.sample(labels, max(1, int(len(labels) * fraction))):
        text = text.replace(f"    label: {label}\n", f"    label: {label} (changed)\n", 1)
    flows = re.findall(r"      - \{from: (c\d+), to: (c\d+)", text)
    n = len(labels)
    for src, dst in rnd.sample(flows, max(1, int(len(flows) * fraction))):
        i = int(src[1:])
        new = f"c{min(n - 1, i + 1 + rnd.randrange(max(1, n // 6))):03d}"
        if new != dst and new != src:
            text = text.replace(f"{{from: {src}, to: {dst}", f"{{from: {src}, to: {new}", 1)
    return text
