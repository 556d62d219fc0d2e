"""Charts drawn on the server as inline SVG (no chart library, no CDN): the
dashboard's energy per day. Values are whole Wh; the labels show kWh."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 26


def _nice_ceiling(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 × a power of ten)."""
    if value <= 0:
        return 1000
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _kwh(wh: int) -> str:
    """An axis or tooltip label: whole Wh as kWh, at most two decimals (exact:
    integer arithmetic, never a float)."""
    whole, rest = divmod(int(wh), 1000)
    if whole >= 100 or rest == 0:
        return f"{whole + (1 if rest >= 500 and whole >= 100 else 0):,}"
    return f"{whole:,}.{rest // 10:02d}".rstrip("0").rstrip(".")


def energy_per_day_svg(days: list[tuple[date, int]], *, title: str) -> Markup:
    """Bars of energy (Wh) per day, one per entry of `days`, oldest first."""
    top = _nice_ceiling(max((wh for _, wh in days), default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar_w = max(2.0, slot * 0.68)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for i in range(5):  # gridlines with kWh labels
        value = top * i // 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_kwh(value)}</text>'
        )
    label_every = max(1, round(len(days) / 10))
    for index, (day, wh) in enumerate(days):
        height = plot_h * wh / top
        x = LEFT + slot * index + (slot - bar_w) / 2
        y = TOP + plot_h - height
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}"'
            f' height="{max(height, 0):.1f}" rx="2"><title>{day:%d %b}: {_kwh(wh)} kWh'
            f"</title></rect>"
        )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                f"{day.day}</text>"
            )
    parts.append(
        f'<text x="{LEFT + 4}" y="{TOP + 10}" font-size="10">kWh</text></svg>'
    )
    return Markup("".join(parts))
