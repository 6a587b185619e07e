"""Charts as SVG drawn on the server: no script, no outside request, scale to any width
(viewBox), and each carries a title and a description for screen readers (role="img"); the
numbers themselves are always in a table beside the chart.

Also the Lorenz curve and Gini coefficient of a distribution (awarded hours by provider)."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

# Drawn small so that, scaled to a phone's width, the text is still body size.
WIDTH = 400
BAR_H = 34
GAP = 10
LABEL_W = 132
FONT = 19
INK, MID, BAR, TARGET = "#0b0c0c", "#505a5f", "#1d70b8", "#d4351c"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    text: str  # the value as a person reads it: "75%", "1 h 30 min"
    key: str | None = None  # marks the bar (data-key) so a page can tie it to its table row


def _frame(chart_id: str, title: str, desc: str, height: float, body: str) -> Markup:
    return Markup(
        f'<svg class="app-chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" preserveAspectRatio="xMinYMin meet" '
        f'xmlns="http://www.w3.org/2000/svg" focusable="false">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title><desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def bars(chart_id: str, title: str, items: list[Bar], *, top: float | None = None, target: float | None = None,
         target_text: str = "") -> Markup:
    """Horizontal bars, one per item, the value written at the end of each bar; an optional
    target drawn as a red line (the KPI)."""
    values = [b.value for b in items if b.value is not None]
    scale_top = max([top or 0, *values, target or 0]) or 1
    plot_w = WIDTH - LABEL_W - 75
    height = GAP + len(items) * (BAR_H + GAP) + (24 if target is not None else 0)
    parts = []
    for n, item in enumerate(items):
        y = GAP + n * (BAR_H + GAP)
        key = f' data-key="{escape(item.key)}"' if item.key else ""
        parts.append(f'<text x="{LABEL_W - 8}" y="{y + BAR_H * 0.68:.1f}" text-anchor="end" font-size="{FONT}" fill="{INK}"{key}>{escape(_short(item.label))}</text>')
        w = 0.0 if item.value is None else plot_w * item.value / scale_top
        parts.append(f'<rect x="{LABEL_W}" y="{y}" width="{max(w, 1):.1f}" height="{BAR_H}" fill="{BAR}"{key}/>')
        parts.append(f'<text x="{LABEL_W + w + 6:.1f}" y="{y + BAR_H * 0.68:.1f}" font-size="{FONT}" fill="{INK}">{escape(item.text)}</text>')
    if target is not None:
        x = LABEL_W + plot_w * target / scale_top
        bottom = GAP + len(items) * (BAR_H + GAP)
        parts.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{bottom}" stroke="{TARGET}" stroke-width="3" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 18}" text-anchor="middle" font-size="{FONT - 2}" fill="{TARGET}">{escape(target_text)}</text>')
    described = "; ".join(f"{b.label}: {b.text}" for b in items) or "no data"
    if target is not None:
        described += f". Target {target_text}."
    return _frame(chart_id, title, described, height, "".join(parts))


def lorenz_chart(chart_id: str, title: str, points: list[tuple[float, float]], gini: float | None) -> Markup:
    """The Lorenz curve against the line of equality, on a square plot."""
    size, pad = 230.0, 30.0

    def xy(px: float, py: float) -> str:
        return f"{pad + px * size:.1f},{pad + size - py * size:.1f}"

    parts = [
        f'<rect x="{pad}" y="{pad}" width="{size}" height="{size}" fill="none" stroke="{MID}"/>',
        f'<line x1="{pad}" y1="{pad + size}" x2="{pad + size}" y2="{pad}" stroke="{MID}" stroke-dasharray="6 4"/>',
        f'<text x="{pad + size + 8}" y="{pad + 14}" font-size="{FONT - 2}" fill="{MID}">equal</text>',
        f'<text x="{pad + size / 2}" y="{pad + size + 30}" text-anchor="middle" font-size="{FONT - 2}" fill="{INK}">share of providers</text>',
        f'<text x="18" y="{pad + size / 2}" font-size="{FONT - 2}" fill="{INK}" transform="rotate(-90 18 {pad + size / 2})" text-anchor="middle">share of hours</text>',
    ]
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(xy(x, y) for x, y in points)}" fill="none" stroke="{BAR}" stroke-width="4"/>')
    if gini is not None:
        parts.append(f'<text x="{pad + size + 8}" y="{pad + size - 10}" font-size="{FONT}" font-weight="700" fill="{INK}">Gini {gini:.2f}</text>')
    desc = (f"Gini coefficient {gini:.2f} (0 means every provider has the same hours, 1 means one provider has them all)."
            if gini is not None else "No hours awarded in this period.")
    return _frame(chart_id, title, desc, size + 2 * pad + 20, "".join(parts))


def lorenz(values: list[float]) -> tuple[list[tuple[float, float]], float | None]:
    """Lorenz points (share of providers, share of hours), fewest first, and the Gini
    coefficient: 0 equal shares, towards 1 concentrated in a few; None when nothing to share."""
    ordered = sorted(max(v, 0.0) for v in values)
    total, n = sum(ordered), len(ordered)
    if n == 0 or total <= 0:
        return [(0.0, 0.0), (1.0, 1.0)], None
    points, running = [(0.0, 0.0)], 0.0
    for i, v in enumerate(ordered, start=1):
        running += v
        points.append((i / n, running / total))
    gini = 2 * sum(i * v for i, v in enumerate(ordered, start=1)) / (n * total) - (n + 1) / n
    return points, round(gini, 4)


def _short(label: str, limit: int = 10) -> str:
    # 10 characters of 19 px text, wide letters included ("Abbey Hom…"), fit the label column.
    return label if len(label) <= limit else label[: limit - 1] + "…"


__all__ = ["Bar", "bars", "lorenz", "lorenz_chart"]
