#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Copyright 2026 the ConcurrentFutures authors

"""Draws Bench's JSON records as an SVG chart (Python standard library only).

    python3 scripts/bench-chart.py .build-bench/results.json docs/bench.svg

Panels:
  1. Throughput of each system divided by ConcurrentFutures' (log scale, 1x
     line; above it = faster): W1 P=2, W1 P=16, W3 (as 1/wall), W4, W5, W6.
     Whiskers span min-max of the system over ConcurrentFutures' median.
  2. Round-trip latency, p50 / p99 / p99.9 per system (log scale, us),
     whiskers min-max over the repetitions: W2 P=1 beside W2-busy P=1 (the
     same round trip with a busy-looping thread on every core), then W2 P=4.
  3. CPU per task (log scale, us; lower is better): each system's
     cpu_us_per_task for W1 P=2, W1 P=16, W2 P=1, W2-busy P=1, W5 P=2, W6 P=2.
  4. Memory: W4 peak RSS (MiB) and W7 bytes per pending task, absolute.

Systems: ConcurrentFutures, CFutures, PureSwiftFutures, Dispatch,
NIOThreadPool, JVM. Each one with any record gets a slot in every group and
in the legend; where it has no figure for a workload its slot stays empty
("n/a"), and a panel or group with no figures at all is left out. Value labels
turn vertical in a panel whose bars are too narrow for them.
"""

import json
import math
import os
import sys
from xml.sax.saxutils import escape

SYSTEMS = ["ConcurrentFutures", "CFutures", "PureSwiftFutures", "Dispatch", "NIOThreadPool", "JVM"]
COLORS = {
    "ConcurrentFutures": "#1f77b4",
    "CFutures": "#2ca02c",
    "PureSwiftFutures": "#ff7f0e",
    "Dispatch": "#9467bd",
    "NIOThreadPool": "#d62728",
    "JVM": "#8c564b",
}
BASE = "ConcurrentFutures"
WIDTH = 1000
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"
LABEL_SIZE = 9  # value labels on bars


def load(path):
    with open(path) as f:
        records = json.load(f)
    table = {}
    for r in records:
        table[(r["workload"], r["variant"], r["system"], r["metric"])] = r
    return records, table


def fmt(value):
    """A short human figure: 1.2M, 340k, 12.5, 0.83."""
    a = abs(value)
    if a >= 1e6:
        return f"{value / 1e6:.2f}M"
    if a >= 1e4:
        return f"{value / 1e3:.0f}k"
    if a >= 1e3:
        return f"{value / 1e3:.1f}k"
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def text_width(s, size, bold=False):
    """Approximate width in px of `s` in DejaVu Sans (no font metrics in the standard library)."""
    em = 0.0
    for ch in str(s):
        if ch.isdigit():
            em += 0.636
        elif ch in ".,:;|!il ":
            em += 0.318
        elif ch in "/()-":
            em += 0.36
        elif ch in "MWmw×":
            em += 0.85
        else:
            em += 0.62
    return em * size * (1.15 if bold else 1.0)


def fitting_size(s, width, size, bold=False):
    """`size`, shrunk (down to 8) until `s` fits in `width` px."""
    while size > 8 and text_width(s, size, bold) > width:
        size -= 0.5
    return size


class Svg:
    def __init__(self):
        self.parts = []

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, size=12, anchor="start", weight="normal", color="#222", rotate=None):
        transform = f" transform='rotate({rotate} {x:.1f} {y:.1f})'" if rotate is not None else ""
        self.add(
            f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size:g}' text-anchor='{anchor}' "
            f"font-weight='{weight}' fill='{color}' {FONT}{transform}>{escape(str(s))}</text>"
        )

    def line(self, x1, y1, x2, y2, color="#999", width=1, dash=None):
        d = f" stroke-dasharray='{dash}'" if dash else ""
        self.add(
            f"<line x1='{x1:.1f}' y1='{y1:.1f}' x2='{x2:.1f}' y2='{y2:.1f}' "
            f"stroke='{color}' stroke-width='{width}'{d}/>"
        )

    def rect(self, x, y, w, h, color, title=None):
        t = f"<title>{escape(title)}</title>" if title else ""
        self.add(
            f"<rect x='{x:.1f}' y='{y:.1f}' width='{max(w, 0):.1f}' height='{max(h, 0):.1f}' "
            f"fill='{color}'>{t}</rect>"
        )

    def render(self, height):
        return (
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{height}' "
            f"viewBox='0 0 {WIDTH} {height}'>\n"
            f"<rect width='100%' height='100%' fill='white'/>\n" + "\n".join(self.parts) + "\n</svg>\n"
        )


def vertical_labels(labels, bar_w):
    """Whether a panel's value labels must stand on end to stay apart."""
    return any(text_width(s, LABEL_SIZE) > bar_w - 2 for s in labels)


def label_extent(s, vertical):
    """How far (px) a value label reaches beyond the bar edge it is put at."""
    return text_width(s, LABEL_SIZE) + 3 if vertical else 12


def bar_label(svg, cx, edge, s, above, vertical, color="#222"):
    """A value label just above (or below) `edge`, centred on the bar at `cx`."""
    if not vertical:
        svg.text(cx, edge - 4 if above else edge + 11, s, size=LABEL_SIZE, anchor="middle", color=color)
    else:  # rotated -90°: the glyphs sit left of the baseline, so shift it right to centre them
        svg.text(cx + 3.2, edge - 3 if above else edge + 3, s, size=LABEL_SIZE,
                 anchor="start" if above else "end", color=color, rotate=-90)


def decade_ticks(lo, hi):
    """1, 2, 5 × powers of ten within [lo, hi]."""
    ticks, e = [], math.floor(math.log10(lo))
    while 10**e <= hi * 1.0001:
        ticks += [m * 10**e for m in (1, 2, 5) if lo * 0.9999 <= m * 10**e <= hi * 1.0001]
        e += 1
    return ticks


def power_of_two_ticks(lo, hi):
    ticks, v = [], lo
    while v <= hi * 1.0001:
        ticks.append(v)
        v *= 2
    return ticks


def log_scale(top, height, lo, hi):
    """value -> y on a log scale from `lo` (at top + height) to `hi` (at top)."""
    llo, lhi = math.log(lo), math.log(hi)

    def y(v):
        v = min(max(v, lo), hi)
        return top + height - (math.log(v) - llo) / (lhi - llo) * height

    return y


def log_axis(svg, x0, x1, top, height, lo, hi, label, ticks, tick_fmt):
    """Draws a log-scale axis with gridlines at `ticks`; returns value -> y."""
    y = log_scale(top, height, lo, hi)
    for v in ticks:
        yy = y(v)
        svg.line(x0, yy, x1, yy, color="#e3e3e3")
        svg.text(x0 - 6, yy + 4, tick_fmt(v), size=10, anchor="end", color="#555")
    svg.line(x0, top, x0, top + height, color="#666")
    svg.text(x0 - 58, top + height / 2, label, size=11, anchor="middle", color="#333", rotate=-90)
    return y


def legend(svg, y, systems):
    x = 80
    for s in systems:
        svg.rect(x, y - 10, 12, 12, COLORS[s])
        svg.text(x + 17, y, s, size=12)
        x += 30 + 8 * len(s)


def caption_sizes(captions, width):
    """One font size for a panel's bold group labels and one for their grey second lines,
    each the largest that fits every group's `width`: [(label, sub)] -> (size, sub size)."""
    return (min([fitting_size(label, width - 8, 11, bold=True) for label, _ in captions] + [11]),
            min([fitting_size(sub, width - 8, 10) for _, sub in captions if sub] + [10]))


def group_captions(svg, cx, bottom, label, sub, sizes):
    """The bold label (and grey second line) under a group of bars."""
    svg.text(cx, bottom + 18, label, size=sizes[0], anchor="middle", weight="bold")
    if sub:
        svg.text(cx, bottom + 32, sub, size=sizes[1], anchor="middle", color="#555")


def throughput_panel(svg, table, systems, top):
    groups = []  # (label, {system: (ratio, lo, hi)}, base text)
    for workload, variant, metric, unit in [
        ("W1", "P=2", "throughput", "tasks/s"),
        ("W1", "P=16", "throughput", "tasks/s"),
        ("W3", "P=64", "wall_over_floor", "x"),
        ("W4", "P=2", "throughput", "items/s"),
        ("W5", "P=2", "throughput", "futures/s"),
        ("W6", "P=2", "throughput", "tasks/s"),
    ]:
        base = table.get((workload, variant, BASE, metric))
        if not base or not base["median"]:
            continue
        bars = {}
        for s in systems:
            r = table.get((workload, variant, s, metric))
            if not r or not r["median"] or not r["min"] or not r["max"]:
                continue
            if metric == "wall_over_floor":  # lower is better: invert to a speed
                bars[s] = (base["median"] / r["median"], base["median"] / r["max"], base["median"] / r["min"])
            else:
                bars[s] = (r["median"] / base["median"], r["min"] / base["median"], r["max"] / base["median"])
        if metric == "wall_over_floor":
            label, sub = f"{workload} {variant} IO fan-out", f"CF: {base['median']:.2f}x floor"
        else:
            names = {"W1": "throughput", "W4": "ordered map", "W5": "as_completed", "W6": "bounded queue"}
            label, sub = f"{workload} {variant} {names[workload]}", f"CF: {fmt(base['median'])} {unit}"
        groups.append((label, bars, sub))
    if not groups:
        return top
    svg.text(
        WIDTH / 2, top + 16,
        "Throughput ÷ ConcurrentFutures' (log scale; above 1× = faster; W3 as 1 / wall time)",
        size=15, anchor="middle", weight="bold",
    )
    plot_top, plot_h = top + 40, 300
    x0, x1 = 90, WIDTH - 20
    group_w = (x1 - x0) / len(groups)
    bar_w = min(22, (group_w - 24) / len(systems))
    vertical = vertical_labels([f"{b[0]:.2g}" for _, bars, _ in groups for b in bars.values()] + ["n/a"], bar_w)
    values = [v for _, bars, _ in groups for b in bars.values() for v in b if v > 0]
    lo = 2 ** math.floor(math.log2(min(values + [1.0]) * 0.9))
    hi = 2 ** math.ceil(math.log2(max(values + [1.0]) * 1.1))
    # one more octave at either end while a value label would leave the plot
    for _ in range(8):
        y = log_scale(plot_top, plot_h, lo, hi)
        up = min([plot_top] + [min(y(b[0]), y(b[2])) - label_extent(f"{b[0]:.2g}", vertical)
                               for _, bars, _ in groups for b in bars.values() if b[0] >= 1])
        down = max([plot_top + plot_h] + [max(y(b[0]), y(b[1])) + label_extent(f"{b[0]:.2g}", vertical)
                                          for _, bars, _ in groups for b in bars.values() if b[0] < 1])
        if up < plot_top - 4:
            hi *= 2
        elif down > plot_top + plot_h + 4:
            lo /= 2
        else:
            break
    y = log_axis(svg, x0, x1, plot_top, plot_h, lo, hi, "× ConcurrentFutures",
                 power_of_two_ticks(lo, hi),
                 lambda v: f"{v:g}×" if v >= 1 else f"1/{1 / v:g}×")
    svg.line(x0, y(1), x1, y(1), color="#333", width=1.5)
    sizes = caption_sizes([(label, sub) for label, _, sub in groups], group_w)
    for gi, (label, bars, sub) in enumerate(groups):
        gx = x0 + gi * group_w + (group_w - bar_w * len(systems)) / 2
        for si, s in enumerate(systems):
            bx = gx + si * bar_w
            cx = bx + bar_w / 2
            if s not in bars:
                bar_label(svg, cx, y(1), "n/a", True, vertical, color="#888")
                continue
            ratio, rlo, rhi = bars[s]
            ytop, ybase = y(ratio), y(1)
            # at least 3 px, so that the 1× baseline system shows as a bar too
            if abs(ybase - ytop) < 3:
                ytop = ybase - 1.5
                ybase = ybase + 1.5
            svg.rect(bx + 1, min(ytop, ybase), bar_w - 2, abs(ybase - ytop), COLORS[s],
                     f"{s}: {ratio:.2f}× (min–max {rlo:.2f}–{rhi:.2f})")
            ytop = y(ratio)
            svg.line(cx, y(rlo), cx, y(rhi), color="#222", width=1)
            if ratio >= 1:
                bar_label(svg, cx, min(ytop, y(rhi)), f"{ratio:.2g}", True, vertical)
            else:
                bar_label(svg, cx, max(ytop, y(rlo)), f"{ratio:.2g}", False, vertical)
        group_captions(svg, x0 + gi * group_w + group_w / 2, plot_top + plot_h, label, sub, sizes)
    return plot_top + plot_h + 50


def log_bar_panel(svg, systems, top, title, subtitle, axis_label, groups, sets=(), plot_h=260):
    """Bars rising from the bottom of a log scale (lower is better), one slot per system.

    groups: (label, sub, {system: (median, min, max)}), min and max None for no whisker;
    sets: (caption, first group, group count), each captioned under its groups and
    parted from the next by a dashed line. Returns the y below the panel."""
    svg.text(WIDTH / 2, top + 16, title, size=15, anchor="middle", weight="bold")
    header = 40
    if subtitle:
        svg.text(WIDTH / 2, top + 33, subtitle, size=11, anchor="middle", color="#555")
        header = 50
    values = [v for _, _, bars in groups for b in bars.values() for v in b if v is not None and v > 0]
    lo = 10 ** math.floor(math.log10(min(values) * 0.9))
    hi = 10 ** math.ceil(math.log10(max(values) * 1.1))
    x0, x1 = 90, WIDTH - 20
    group_w = (x1 - x0) / len(groups)
    bar_w = min(22, (group_w - 20) / len(systems))
    vertical = vertical_labels([fmt(b[0]) for _, _, bars in groups for b in bars.values()] + ["n/a"], bar_w)
    # room above the plot for the tallest bars' labels: move the plot down
    y = log_scale(0, plot_h, lo, hi)
    reach = max([0] + [label_extent(fmt(med), vertical) - min(y(med), y(vhi if vhi is not None else med))
                       for _, _, bars in groups for med, _, vhi in bars.values()])
    plot_top = top + header + max(0, reach - 6)
    bottom = plot_top + plot_h
    y = log_axis(svg, x0, x1, plot_top, plot_h, lo, hi, axis_label, decade_ticks(lo, hi), lambda v: f"{v:g}")
    sizes = caption_sizes([(label, sub) for label, sub, _ in groups], group_w)
    for gi, (label, sub, bars) in enumerate(groups):
        gx = x0 + gi * group_w + (group_w - bar_w * len(systems)) / 2
        for si, s in enumerate(systems):
            bx = gx + si * bar_w
            cx = bx + bar_w / 2
            if s not in bars:
                bar_label(svg, cx, bottom, "n/a", True, vertical, color="#888")
                continue
            med, vlo, vhi = bars[s]
            spread = f" (min–max {vlo:.2f}–{vhi:.2f})" if vlo is not None else ""
            svg.rect(bx + 1, y(med), bar_w - 2, bottom - y(med), COLORS[s], f"{s}: {med:.2f} µs{spread}")
            if vlo is not None:
                svg.line(cx, y(vlo), cx, y(vhi), color="#222")
            bar_label(svg, cx, min(y(med), y(vhi if vhi is not None else med)), fmt(med), True, vertical)
        group_captions(svg, x0 + gi * group_w + group_w / 2, bottom, label, sub, sizes)
    set_size = min([fitting_size(caption, count * group_w - 8, 11, bold=True) for caption, _, count in sets] + [11])
    for si, (caption, first, count) in enumerate(sets):
        if si > 0:
            svg.line(x0 + first * group_w, plot_top, x0 + first * group_w, bottom, color="#aaa", dash="4 3")
        svg.text(x0 + (first + count / 2) * group_w, bottom + 34, caption,
                 size=set_size, anchor="middle", weight="bold")
    return bottom + (50 if sets or any(sub for _, sub, _ in groups) else 36)


def latency_panel(svg, table, systems, top):
    groups, sets = [], []
    for workload, variant, caption in [
        ("W2", "P=1", "W2 P=1: pool of 1, nothing else running"),
        ("W2-busy", "P=1", "W2-busy P=1: the same, every core busy"),
        ("W2", "P=4", "W2 P=4: pool of 4"),
    ]:
        first = len(groups)
        for metric, name in (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9")):
            bars = {}
            for s in systems:
                r = table.get((workload, variant, s, metric))
                if r and r["median"] > 0 and r["min"] > 0:
                    bars[s] = (r["median"], r["min"], r["max"])
            if bars:
                groups.append((name, None, bars))
        if len(groups) > first:
            sets.append((caption, first, len(groups) - first))
    if not groups:
        return top
    return log_bar_panel(
        svg, systems, top,
        "Round-trip latency: submit one task, block on its result (µs, log scale; lower is better)",
        None, "µs", groups, sets)


def cpu_panel(svg, records, systems, top):
    cpu = {}  # the same on every record of a workload × variant × system: take the first
    for r in records:
        cpu.setdefault((r["workload"], r["variant"], r["system"]), r.get("cpu_us_per_task"))
    groups = []
    for workload, variant, name in [
        ("W1", "P=2", "throughput"),
        ("W1", "P=16", "throughput"),
        ("W2", "P=1", "round trip"),
        ("W2-busy", "P=1", "loaded round trip"),
        ("W5", "P=2", "as_completed"),
        ("W6", "P=2", "bounded queue"),
    ]:
        bars = {}
        for s in systems:
            v = cpu.get((workload, variant, s))
            if isinstance(v, (int, float)) and v > 0:  # 0: not measured; none on a log scale
                bars[s] = (v, None, None)
        if bars:
            groups.append((f"{workload} {variant}", name, bars))
    if not groups:
        return top
    return log_bar_panel(
        svg, systems, top,
        "CPU per task (µs, log scale; lower is better)",
        "user + sys CPU time of the system over its timed run ÷ its tasks, median over the repetitions"
        + ("; W2-busy without the busy threads' own" if any(g[0].startswith("W2-busy") for g in groups) else ""),
        "µs CPU per task", groups)


def memory_panel(svg, table, systems, top):
    groups = []
    for workload, variant, metric, label, scale, unit in [
        ("W4", "P=2", "peak_rss", "W4 ordered map: peak RSS of the process", 1 / 2**20, "MiB"),
        ("W7", "P=1", "bytes_per_task", "W7 memory per pending task", 1, "bytes"),
    ]:
        bars = {}
        for s in systems:
            r = table.get((workload, variant, s, metric))
            if r:
                bars[s] = (r["median"] * scale, r["min"] * scale, r["max"] * scale)
        if bars:
            groups.append((label, unit, bars))
    if not groups:
        return top
    svg.text(WIDTH / 2, top + 16, "Memory (absolute; lower is better; each group on its own linear scale)",
             size=15, anchor="middle", weight="bold")
    plot_top, plot_h = top + 40, 180
    x0, x1 = 90, WIDTH - 20
    group_w = (x1 - x0) / len(groups)
    svg.line(x0, plot_top + plot_h, x1, plot_top + plot_h, color="#666")
    sizes = caption_sizes([(f"{label} ({unit})", None) for label, unit, _ in groups], group_w)
    for gi, (label, unit, bars) in enumerate(groups):
        vmax = max(v for b in bars.values() for v in b) * 1.15 or 1
        bar_w = min(60, (group_w - 60) / len(systems))
        gx = x0 + gi * group_w + (group_w - bar_w * len(systems)) / 2
        for si, s in enumerate(systems):
            bx = gx + si * bar_w
            if s not in bars:
                svg.text(bx + bar_w / 2, plot_top + plot_h - 4, "n/a", size=10, anchor="middle", color="#888")
                continue
            med, vlo, vhi = bars[s]
            h = med / vmax * plot_h
            svg.rect(bx + 3, plot_top + plot_h - h, bar_w - 6, h, COLORS[s], f"{s}: {med:.1f} {unit}")
            svg.text(bx + bar_w / 2, plot_top + plot_h - h - 4, f"{med:.1f}", size=10, anchor="middle")
        group_captions(svg, x0 + gi * group_w + group_w / 2, plot_top + plot_h, f"{label} ({unit})", None, sizes)
    return plot_top + plot_h + 36


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    records, table = load(argv[1])
    svg = Svg()
    reps = sorted({r["repetitions"] for r in records})
    svg.text(WIDTH / 2, 26, "ConcurrentFutures Bench", size=20, anchor="middle", weight="bold")
    svg.text(WIDTH / 2, 46,
             f"medians of {'/'.join(map(str, reps))} repetitions after a warm-up, systems interleaved; "
             "whiskers: min–max", size=12, anchor="middle", color="#444")
    present = [s for s in SYSTEMS if any(r["system"] == s for r in records)]
    legend(svg, 72, present)
    y = 86
    if present:
        y = throughput_panel(svg, table, present, y)
        y = latency_panel(svg, table, present, y + 10)
        y = cpu_panel(svg, records, present, y + 10)
        y = memory_panel(svg, table, present, y + 10)
    out = argv[2]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        f.write(svg.render(y + 10))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
