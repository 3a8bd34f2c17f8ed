"""Charts drawn on the server as SVG (no JavaScript, no CDN): horizontal bars and a line."""
from __future__ import annotations

from html import escape

from markupsafe import Markup

BAR_H, GAP, LABEL_W, WIDTH = 22, 6, 56, 320


def bars(rows: list[tuple[str, float | None, str]], title: str) -> Markup:
    """One bar per row: (label, fraction 0..1 or None, the text shown after the bar)."""
    height = max(len(rows), 1) * (BAR_H + GAP)
    span = WIDTH - LABEL_W - 70
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">'
             f"<title>{escape(title)}</title>"]
    for i, (label, value, shown) in enumerate(rows):
        y = i * (BAR_H + GAP)
        w = 0 if value is None else round(span * max(0.0, min(value, 1.0)), 1)
        colour = "#c0392b" if value is not None and value < 0.5 else "#1e8449"
        parts.append(f'<text x="0" y="{y + 16}" class="label">{escape(label)}</text>'
                     f'<rect x="{LABEL_W}" y="{y}" width="{span}" height="{BAR_H}" class="track"/>'
                     f'<rect x="{LABEL_W}" y="{y}" width="{w}" height="{BAR_H}" fill="{colour}"/>'
                     f'<text x="{LABEL_W + span + 6}" y="{y + 16}" class="value">{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def line(points: list[tuple[str, float | None]], title: str) -> Markup:
    """A line over the days: (label, fraction 0..1 or None); labels under the first and last points."""
    height, top, bottom, left, right = 140, 10, 24, 34, WIDTH - 10
    usable = [(i, v) for i, (_, v) in enumerate(points) if v is not None]
    step = (right - left) / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return round(left + i * step, 1), round(top + (1 - v) * (height - top - bottom), 1)

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">'
             f"<title>{escape(title)}</title>"]
    for frac in (0, 0.5, 1):
        _, y = xy(0, frac)
        parts.append(f'<line x1="{left}" x2="{right}" y1="{y}" y2="{y}" class="grid"/>'
                     f'<text x="0" y="{y + 4}" class="value">{frac * 100:.0f}%</text>')
    if usable:
        path = " ".join(f"{x},{y}" for x, y in (xy(i, v) for i, v in usable))
        parts.append(f'<polyline points="{path}" class="line"/>')
        parts += [f'<circle cx="{x}" cy="{y}" r="3" class="dot"/>' for x, y in (xy(i, v) for i, v in usable)]
    if points:
        parts.append(f'<text x="{left}" y="{height - 6}" class="value">{escape(points[0][0])}</text>')
        if len(points) > 1:
            parts.append(f'<text x="{right}" y="{height - 6}" class="value" text-anchor="end">'
                         f"{escape(points[-1][0])}</text>")
    parts.append("</svg>")
    return Markup("".join(parts))
