"""Geometry of the dashboard's charts, drawn as inline SVG by the templates.

No JavaScript and no style attributes (the CSP forbids them): the templates place <rect>
and <polyline> elements with SVG presentation attributes (x, y, width, height, points),
colours come from classes in static/css/warmpath.css. Every chart has a table next to it.
"""

from collections.abc import Callable

# The box's width in the SVG's own units. The chart is drawn at most 30rem wide
# (static/css/warmpath.css) and as wide as a phone's screen (about 366 px), so a unit stays
# close to a pixel at every size and the 13-unit labels read as 12 to 16 px; a box twice
# as wide shrank them to 8 px on a phone.
WIDTH = 400
HEIGHT = 200
BAR_HEIGHT = 22
LABEL_WIDTH = 150


def _scale(value, maximum, length) -> float:
    if not maximum or not value:
        return 0.0
    return round(float(value) / float(maximum) * length, 1)


# The trend's plot area inside its WIDTH × HEIGHT box: room on the left for the scale,
# below for the week labels, and at the right so the last point is not cut by the edge.
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_BOTTOM = 28, 12, 10, 24


def number_label(value) -> str:
    """A value as a chart writes it: thousands separated, no needless decimals."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{float(value):,.1f}".removesuffix(".0")


def trend_lines(trend: list[dict], series=("asks", "intros", "wins")) -> dict:
    """A line per series across the weeks, with a dot on each week, the scale's top and
    zero on the left and the first, middle and last weeks below."""
    top = max([week[name] for week in trend for name in series] + [1])
    plot_width = WIDTH - PLOT_LEFT - PLOT_RIGHT
    plot_height = HEIGHT - PLOT_TOP - PLOT_BOTTOM
    baseline = HEIGHT - PLOT_BOTTOM
    step = plot_width / max(len(trend) - 1, 1)

    def x(i):
        return round(PLOT_LEFT + i * step, 1)

    lines = []
    for name in series:
        dots = [
            {"x": x(i), "y": round(baseline - _scale(week[name], top, plot_height), 1)}
            for i, week in enumerate(trend)
        ]
        points = " ".join(f"{dot['x']},{dot['y']}" for dot in dots)
        lines.append({"name": name, "points": points, "dots": dots})
    labelled = sorted({0, len(trend) // 2, len(trend) - 1}) if trend else []
    weeks = [
        {"x": x(i), "week_start": trend[i]["week_start"], "anchor": anchor}
        for i, anchor in zip(labelled, ("start", "middle", "end"), strict=False)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "lines": lines,
        "top": top,
        "left": PLOT_LEFT,
        "right": WIDTH - PLOT_RIGHT,
        "top_y": PLOT_TOP,
        "baseline": baseline,
        "label_y": HEIGHT - 6,
        "weeks": weeks,
    }


def horizontal_bars(
    rows: list[tuple[str, float | int | None]],
    *,
    width: int = WIDTH,
    display: Callable[[float | int | None], str] = number_label,
) -> dict:
    """Labelled horizontal bars (funnel, quality mix, comparisons); `display` writes each
    bar's value (core.money.format_money for amounts)."""
    top = max([value or 0 for _label, value in rows] + [0])
    length = width - LABEL_WIDTH - 60
    bars = [
        {
            "label": label,
            "value": value,
            "display": display(value),
            "y": i * (BAR_HEIGHT + 8),
            "text_y": i * (BAR_HEIGHT + 8) + BAR_HEIGHT - 6,
            "width": _scale(value, top, length),
            "value_x": LABEL_WIDTH + _scale(value, top, length) + 6,
        }
        for i, (label, value) in enumerate(rows)
    ]
    return {
        "width": width,
        "height": max(len(rows) * (BAR_HEIGHT + 8), BAR_HEIGHT),
        "label_width": LABEL_WIDTH,
        "bar_height": BAR_HEIGHT,
        "bars": bars,
    }


def paired_bars(rows: list[tuple[str, int, int]], *, width: int = WIDTH) -> dict:
    """Two thin bars per label, on one scale (reciprocity: what we gave, what we got)."""
    top = max([max(first, second) for _label, first, second in rows] + [0])
    length = width - LABEL_WIDTH - 60
    half = BAR_HEIGHT // 2
    pairs = []
    for i, (label, first, second) in enumerate(rows):
        y = i * (BAR_HEIGHT + 8)
        pairs.append(
            {
                "label": label,
                "text_y": y + BAR_HEIGHT - 6,
                "bars": [
                    {
                        "series": series,
                        "value": value,
                        "y": y + offset,
                        "width": _scale(value, top, length),
                        "value_x": LABEL_WIDTH + _scale(value, top, length) + 6,
                        "text_y": y + offset + half - 2,
                    }
                    for series, value, offset in (("first", first, 0), ("second", second, half))
                ],
            }
        )
    return {
        "width": width,
        "height": max(len(rows) * (BAR_HEIGHT + 8), BAR_HEIGHT),
        "label_width": LABEL_WIDTH,
        "bar_height": half,
        "pairs": pairs,
    }
