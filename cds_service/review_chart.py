"""A server-rendered SVG line chart of cards per criterion per day (no scripts, no external assets)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

WIDTH, HEIGHT, PAD = 720, 220, 36
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#17becf",
           "#bcbd22", "#393b79", "#637939", "#843c39"]


def line_chart(per_day: list[tuple[str, str, int]], since: date | None, until: date | None) -> dict[str, Any]:
    """Polyline points per criterion, axes labels and a legend, for templates/review/dashboard.html."""
    if since is None or until is None or not per_day:
        return {"series": [], "width": WIDTH, "height": HEIGHT, "max": 0, "labels": []}
    days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    index = {d.isoformat(): i for i, d in enumerate(days)}
    counts: dict[str, list[int]] = {}
    for day, criterion, n in per_day:
        if day in index:
            counts.setdefault(criterion, [0] * len(days))[index[day]] = n
    top = max((max(values) for values in counts.values()), default=0) or 1
    step = (WIDTH - 2 * PAD) / max(1, len(days) - 1)

    def point(i: int, n: int) -> str:
        return f"{PAD + i * step:.1f},{HEIGHT - PAD - n * (HEIGHT - 2 * PAD) / top:.1f}"

    series = [{"criterion": c, "colour": COLOURS[k % len(COLOURS)], "total": sum(values),
               "points": " ".join(point(i, n) for i, n in enumerate(values))}
              for k, (c, values) in enumerate(sorted(counts.items()))]
    labels = [{"x": PAD + i * step, "text": d.strftime("%d %b")}
              for i, d in enumerate(days) if i % max(1, len(days) // 6) == 0]
    return {"series": series, "width": WIDTH, "height": HEIGHT, "max": top, "labels": labels, "pad": PAD}
