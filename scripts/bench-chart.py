#!/usr/bin/env python3
"""Draws Bench's JSON records as an SVG chart (Python standard library only).

    python3 scripts/bench-chart.py .build-bench/results.json docs/bench.svg

Panels:
  1. Throughput of each system divided by ConcurrentFutures' (log scale, 1x
     line; above it = faster): W1 P=2, W1 P=16, W3 (as 1/wall), W4, W5, W6.
     Whiskers span min-max of the system over ConcurrentFutures' median.
  2. W2 round-trip latency, p50 / p99 / p99.9 per system (log scale, us),
     whiskers min-max over the repetitions.
  3. Memory: W4 peak RSS (MiB) and W7 bytes per pending task, absolute.
"""

import json
import math
import os
import sys
from xml.sax.saxutils import escape

SYSTEMS = ["ConcurrentFutures", "CFutures", "PureSwiftFutures", "Dispatch", "NIOThreadPool"]
COLORS = {
    "ConcurrentFutures": "#1f77b4",
    "CFutures": "#2ca02c",
    "PureSwiftFutures": "#ff7f0e",
    "Dispatch": "#9467bd",
    "NIOThreadPool": "#d62728",
}
BASE = "ConcurrentFutures"
WIDTH = 1000
FONT = "font-family='DejaVu Sans, Helvetica, Arial, sans-serif'"


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


class Svg:
    def __init__(self):
        self.parts = []

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, size=12, anchor="start", weight="normal", color="#222", rotate=None):
        transform = f" transform='rotate({rotate} {x:.1f} {y:.1f})'" if rotate is not None else ""
        self.add(
            f"<text x='{x:.1f}' y='{y:.1f}' font-size='{size}' text-anchor='{anchor}' "
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


def log_axis(svg, x0, x1, top, height, lo, hi, label, ticks, tick_fmt):
    """Draws a log-scale axis with gridlines at `ticks`; returns value -> y."""
    llo, lhi = math.log(lo), math.log(hi)

    def y(v):
        v = min(max(v, lo), hi)
        return top + height - (math.log(v) - llo) / (lhi - llo) * height

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


def throughput_panel(svg, table, top):
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
        for s in SYSTEMS:
            r = table.get((workload, variant, s, metric))
            if not r or not r["median"]:
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
    values = [v for _, bars, _ in groups for b in bars.values() for v in b if v > 0]
    lo = 2 ** math.floor(math.log2(min(values + [1.0]) * 0.9))
    hi = 2 ** math.ceil(math.log2(max(values + [1.0]) * 1.1))
    plot_top, plot_h = top + 40, 300
    x0, x1 = 90, WIDTH - 20
    y = log_axis(svg, x0, x1, plot_top, plot_h, lo, hi, "× ConcurrentFutures",
                 power_of_two_ticks(lo, hi),
                 lambda v: f"{v:g}×" if v >= 1 else f"1/{1 / v:g}×")
    svg.line(x0, y(1), x1, y(1), color="#333", width=1.5)
    group_w = (x1 - x0) / len(groups)
    bar_w = min(22, (group_w - 24) / len(SYSTEMS))
    for gi, (label, bars, sub) in enumerate(groups):
        gx = x0 + gi * group_w + (group_w - bar_w * len(SYSTEMS)) / 2
        for si, s in enumerate(SYSTEMS):
            bx = gx + si * bar_w
            if s not in bars:
                svg.text(bx + bar_w / 2, y(1) - 4, "n/a", size=9, anchor="middle", color="#888")
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
            cx = bx + bar_w / 2
            svg.line(cx, y(rlo), cx, y(rhi), color="#222", width=1)
            ty = min(ytop, y(rhi)) - 4 if ratio >= 1 else max(ytop, y(rlo)) + 11
            svg.text(cx, ty, f"{ratio:.2g}", size=9, anchor="middle", color="#222")
        cx = x0 + gi * group_w + group_w / 2
        svg.text(cx, plot_top + plot_h + 18, label, size=11, anchor="middle", weight="bold")
        svg.text(cx, plot_top + plot_h + 32, sub, size=10, anchor="middle", color="#555")
    return plot_top + plot_h + 50


def latency_panel(svg, table, top):
    groups = []
    for variant in ("P=1", "P=4"):
        for metric, name in (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9")):
            bars = {}
            for s in SYSTEMS:
                r = table.get(("W2", variant, s, metric))
                if r:
                    bars[s] = (r["median"], r["min"], r["max"])
            if bars:
                groups.append((f"{variant} {name}", bars))
    if not groups:
        return top
    svg.text(WIDTH / 2, top + 16,
             "W2 round-trip latency: submit one task, block on its result (µs, log scale; lower is better)",
             size=15, anchor="middle", weight="bold")
    values = [v for _, bars in groups for b in bars.values() for v in b if v > 0]
    lo = 10 ** math.floor(math.log10(min(values) * 0.9))
    hi = 10 ** math.ceil(math.log10(max(values) * 1.1))
    plot_top, plot_h = top + 40, 260
    x0, x1 = 90, WIDTH - 20
    y = log_axis(svg, x0, x1, plot_top, plot_h, lo, hi, "µs", decade_ticks(lo, hi), lambda v: f"{v:g}")
    group_w = (x1 - x0) / len(groups)
    bar_w = min(22, (group_w - 20) / len(SYSTEMS))
    for gi, (label, bars) in enumerate(groups):
        gx = x0 + gi * group_w + (group_w - bar_w * len(SYSTEMS)) / 2
        for si, s in enumerate(SYSTEMS):
            if s not in bars:
                continue
            med, vlo, vhi = bars[s]
            bx = gx + si * bar_w
            svg.rect(bx + 1, y(med), bar_w - 2, plot_top + plot_h - y(med), COLORS[s],
                     f"{s}: {med:.1f} µs (min–max {vlo:.1f}–{vhi:.1f})")
            cx = bx + bar_w / 2
            svg.line(cx, y(vlo), cx, y(vhi), color="#222")
            svg.text(cx, min(y(med), y(vhi)) - 4, fmt(med), size=9, anchor="middle")
        if gi == 3:
            svg.line(x0 + gi * group_w, plot_top, x0 + gi * group_w, plot_top + plot_h, color="#aaa", dash="4 3")
        svg.text(x0 + gi * group_w + group_w / 2, plot_top + plot_h + 18, label, size=11,
                 anchor="middle", weight="bold")
    return plot_top + plot_h + 36


def memory_panel(svg, table, top):
    groups = []
    for workload, variant, metric, label, scale, unit in [
        ("W4", "P=2", "peak_rss", "W4 ordered map: peak RSS of the process", 1 / 2**20, "MiB"),
        ("W7", "P=1", "bytes_per_task", "W7 memory per pending task", 1, "bytes"),
    ]:
        bars = {}
        for s in SYSTEMS:
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
    for gi, (label, unit, bars) in enumerate(groups):
        vmax = max(v for b in bars.values() for v in b) * 1.15
        bar_w = min(60, (group_w - 60) / len(SYSTEMS))
        gx = x0 + gi * group_w + (group_w - bar_w * len(SYSTEMS)) / 2
        for si, s in enumerate(SYSTEMS):
            bx = gx + si * bar_w
            if s not in bars:
                svg.text(bx + bar_w / 2, plot_top + plot_h - 4, "n/a", size=10, anchor="middle", color="#888")
                continue
            med, vlo, vhi = bars[s]
            h = med / vmax * plot_h
            svg.rect(bx + 3, plot_top + plot_h - h, bar_w - 6, h, COLORS[s], f"{s}: {med:.1f} {unit}")
            svg.text(bx + bar_w / 2, plot_top + plot_h - h - 4, f"{med:.1f}", size=10, anchor="middle")
        svg.text(x0 + gi * group_w + group_w / 2, plot_top + plot_h + 18, f"{label} ({unit})",
                 size=11, anchor="middle", weight="bold")
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
    y = throughput_panel(svg, table, y)
    y = latency_panel(svg, table, y + 10)
    y = memory_panel(svg, table, y + 10)
    out = argv[2]
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        f.write(svg.render(y + 10))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
