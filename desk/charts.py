"""The Stats tab's chart: monthly sales and refunds of one currency as SVG geometry (the template only
prints numbers). No database reads: `desk.selectors.stats` gives it the month groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

CHART_MONTHS = 12


@dataclass
class ChartBar:
    label: str
    month: datetime
    sales: int
    refunds: int
    x: float = 0
    sales_y: float = 0
    sales_h: float = 0
    refunds_x: float = 0
    refunds_y: float = 0
    refunds_h: float = 0
    label_x: float = 0


@dataclass
class Chart:
    currency: str
    bars: list[ChartBar] = field(default_factory=list)
    max_value: int = 0
    width: int = 1100
    height: int = 230
    plot_top: int = 14
    plot_bottom: int = 200
    bar_width: float = 0

    @property
    def is_empty(self) -> bool:
        return not any(b.sales or b.refunds for b in self.bars)

    @property
    def gridlines(self) -> list[dict]:
        span = self.plot_bottom - self.plot_top
        return [{"y": self.plot_bottom - span * f, "value": round(self.max_value * f)} for f in (0, 0.5, 1)]


def _month_starts(now: datetime, months: int) -> list[datetime]:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = [first]
    for _ in range(months - 1):
        starts.append((starts[-1] - timedelta(days=1)).replace(day=1))
    return list(reversed(starts))


def monthly_chart(groups: list[dict], currency: str, now: datetime) -> Chart:
    """Monthly sales and refunds of one currency over the last CHART_MONTHS months (from the groups)."""
    by_month = {(r["month"].year, r["month"].month): r for r in groups}
    chart = Chart(currency=currency)
    for start in _month_starts(now, CHART_MONTHS):
        row = by_month.get((start.year, start.month), {})
        chart.bars.append(ChartBar(start.strftime("%b"), start, row.get("sales", 0), row.get("refunds", 0)))
    _layout(chart)
    return chart


def _layout(chart: Chart) -> None:
    """Bar geometry in SVG user units, so the template only prints numbers."""
    left, right = 64, 8
    slot = (chart.width - left - right) / len(chart.bars)
    chart.bar_width = round(slot * 0.34, 1)
    chart.max_value = max([max(b.sales, b.refunds) for b in chart.bars] + [1])
    span = chart.plot_bottom - chart.plot_top
    for i, bar in enumerate(chart.bars):
        bar.x = round(left + i * slot + slot * 0.14, 1)
        bar.refunds_x = round(bar.x + chart.bar_width + 2, 1)
        bar.label_x = round(bar.x + chart.bar_width + 1, 1)
        bar.sales_h = round(span * bar.sales / chart.max_value, 1)
        bar.refunds_h = round(span * bar.refunds / chart.max_value, 1)
        bar.sales_y = round(chart.plot_bottom - bar.sales_h, 1)
        bar.refunds_y = round(chart.plot_bottom - bar.refunds_h, 1)
