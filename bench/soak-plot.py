#!/usr/bin/env python3
"""Slopes and an SVG plot of bench/soak.sh samples (no plotting library needed).

usage: soak-plot.py samples.tsv out.svg
Prints, for each series, its first and last value and the least-squares slope per hour over the samples after
the first minute (start-up and JIT warm-up excluded).
"""
import sys

rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
header, data = rows[0], [[float(x) if x else 0.0 for x in r] for r in rows[1:] if len(r) == len(rows[0])]
series = ["rss_mib", "gc_heap_mib", "handles", "threads"]


def slope_per_hour(points):
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    return 0.0 if sxx == 0 else sum((p[0] - mx) * (p[1] - my) for p in points) / sxx * 3600


t = header.index("t_s")
steady = [r for r in data if r[t] >= 60]
for name in series:
    i = header.index(name)
    values = [r[i] for r in steady]
    if not values:
        continue
    print(f"{name}: first {values[0]:.1f}, last {values[-1]:.1f}, min {min(values):.1f}, max {max(values):.1f}, "
          f"slope {slope_per_hour([(r[t], r[i]) for r in steady]):+.2f}/hour (least squares, t >= 60 s)")

# Four small panels, one per series.
width, height, pad = 900, 640, 50
panel_h = (height - pad) / len(series)
tmax = max((r[t] for r in data), default=1) or 1
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<rect width="{width}" height="{height}" fill="white"/>',
       f'<text x="{pad}" y="20" font-size="14">SidecarProxy soak: samples every 10 s (x: seconds)</text>']
for k, name in enumerate(series):
    i = header.index(name)
    values = [r[i] for r in data]
    top = 30 + k * panel_h
    lo, hi = min(values, default=0), max(values, default=1)
    lo, hi = 0, hi * 1.1 if hi > 0 else 1
    def xy(r):
        x = pad + (r[t] / tmax) * (width - 2 * pad)
        y = top + panel_h - 20 - (r[i] - lo) / (hi - lo) * (panel_h - 40)
        return f"{x:.1f},{y:.1f}"
    svg.append(f'<text x="{pad}" y="{top + 12}">{name} (0 to {hi:.0f})</text>')
    svg.append(f'<line x1="{pad}" y1="{top + panel_h - 20}" x2="{width - pad}" y2="{top + panel_h - 20}" stroke="#999"/>')
    svg.append(f'<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="{" ".join(xy(r) for r in data)}"/>')
    svg.append(f'<text x="{width - pad}" y="{top + panel_h - 6}" text-anchor="end">{tmax:.0f} s</text>')
svg.append("</svg>")
open(sys.argv[2], "w").write("\n".join(svg))
