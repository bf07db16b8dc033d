"""The organizer's registration curve: registrations per day as bars and the running total as a
line, laid out in SVG units so the manage page draws it without JavaScript.
"""

from __future__ import annotations

from datetime import date, timedelta


def registration_curve(daily: list[tuple[str, int]]) -> dict | None:
    """Bars (one per day, quiet days included) and the cumulative line, in SVG units."""
    if not daily:
        return None
    counts = dict(daily)
    first, last = date.fromisoformat(daily[0][0]), date.fromisoformat(daily[-1][0])
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    width, height, left, right, top, bottom = 320, 170, 30, 30, 14, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / len(days)
    peak = max(counts.values())
    total = sum(counts.values())
    labelled = {round(i * (len(days) - 1) / 4) for i in range(5)} if len(days) > 1 else {0}
    bars, points, running = [], [], 0
    for i, day in enumerate(days):
        n = counts.get(day.isoformat(), 0)
        running += n
        bar_h = plot_h * n / peak
        centre = left + step * (i + 0.5)
        bars.append(
            {
                "day": day.isoformat(),
                "count": n,
                "x": round(left + step * i + step * 0.12, 2),
                "y": round(top + plot_h - bar_h, 2),
                "width": round(max(step * 0.76, 0.8), 2),
                "height": round(bar_h, 2),
                "centre": round(centre, 2),
                "label": f"{day.month}/{day.day}" if i in labelled else None,
                "anchor": "start" if i == 0 and len(days) > 1 else "end" if i == len(days) - 1 and i else "middle",
            }
        )
        points.append(f"{centre:.2f},{top + plot_h - plot_h * running / total:.2f}")
    busiest = max(daily, key=lambda item: item[1])
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "baseline": top + plot_h,
        "bars": bars,
        "line": " ".join(points),
        "peak": peak,
        "total": total,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "busiest": busiest,
    }
