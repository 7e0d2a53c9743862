"""The weekly report as an .xlsx workbook (openpyxl): one sheet per part of `selectors.weekly_report`,
with native Excel charts for the overview rates, the Pareto tables and the live sessions' returns."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from shouhou.core.clock import local_tz
from shouhou.core.spreadsheets import xlsx_neutralise

from .metrics import METRICS, Rate, TimeStats
from .selectors import DIMENSION_LABELS

BOLD = Font(bold=True)
PCT = "0.0%"


def _header(ws, row: list[str]) -> None:
    ws.append(row)
    for cell in ws[ws.max_row]:
        cell.font = BOLD


def _ratio(value) -> float | None:
    if isinstance(value, Rate):
        value = value.ratio
    return None if value is None else float(value)


def _widths(ws, first: int = 24, rest: int = 14) -> None:
    ws.column_dimensions["A"].width = first
    for i in range(2, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(i)].width = rest


def _sheet_overview(wb: Workbook, data: dict) -> None:
    ws = wb.active
    ws.title = _("总览")
    ws.append([_("%(shop)s 售后周报 %(week)s") % {"shop": data["shop"].name, "week": data["week"]}])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([_("%(start)s 至 %(end)s（不含）") % {"start": f"{data['start']:%Y-%m-%d}",
                                                  "end": f"{data['end']:%Y-%m-%d}"}])
    ws.append([])
    _header(ws, [_("比率指标"), _("比率"), _("分子"), _("分母")])
    first = ws.max_row + 1
    for c in data["cards"]:
        if isinstance(c.result, Rate):
            ws.append([c.label, _ratio(c.result), c.result.numerator, c.result.denominator])
            ws.cell(ws.max_row, 2).number_format = PCT
    last = ws.max_row
    left_out = sum(c.left_out or 0 for c in data["cards"])
    if left_out:  # below the chart's rows, so the chart reads only the rates
        ws.append([_("SLA 达成率不含系统自动关闭、无客服经手的 %(n)s 张工单") % {"n": left_out}])
    ws.append([])
    _header(ws, [_("时长指标"), _("样本数"), _("平均（工作时间，分钟）"), _("中位（工作时间，分钟）"),
                 _("平均（自然时间，分钟）"), _("中位（自然时间，分钟）")])
    for c in data["cards"]:
        if isinstance(c.result, TimeStats):
            r = c.result
            ws.append([c.label, r.count, *(minutes(v) for v in (r.avg_business_seconds, r.median_business_seconds,
                                                                r.avg_wall_seconds, r.median_wall_seconds))])
    if last >= first:
        chart = BarChart()
        chart.title = _("比率指标")
        chart.y_axis.number_format = "0%"
        chart.add_data(Reference(ws, min_col=2, min_row=first - 1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        ws.add_chart(chart, "H3")
    _widths(ws)


def _sheet_sessions(wb: Workbook, data: dict) -> None:
    ws = wb.create_sheet(_("直播场次退货"))
    _header(ws, [_("直播场次"), _("主播"), _("退货单"), _("订单行"), _("退货率"), _("原因分布"),
                 _("该场累计退货单"), _("该场订单行"), _("该场累计退货率")])
    for r in data["sessions"]:
        whole = r.session_rate
        ws.append([r.label, r.host, r.rate.numerator, r.rate.denominator, _ratio(r.rate),
                   _("、").join(f"{label} {n}" for _code, label, n in r.reasons),
                   *((whole.numerator, whole.denominator, _ratio(whole)) if whole else (None, None, None))])
        ws.cell(ws.max_row, 5).number_format = PCT
        ws.cell(ws.max_row, 9).number_format = PCT
    if ws.max_row > 1:
        chart = BarChart()
        chart.title = _("退货单（按直播场次）")
        chart.add_data(Reference(ws, min_col=3, min_row=1, max_row=ws.max_row), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=2, max_row=ws.max_row))
        ws.add_chart(chart, "H2")
    _widths(ws, 28)


def _sheet_pareto(wb: Workbook, data: dict) -> None:
    for kind, title in (("reason", _("帕累托-退货原因")), ("complaint_type", _("帕累托-差评类型"))):
        ws = wb.create_sheet(title)
        _header(ws, [_("问题"), _("数量"), _("占比"), _("累计占比")])
        for r in data["pareto"][kind]:
            ws.append([r.label, r.count, float(r.share), float(r.cumulative)])
            ws.cell(ws.max_row, 3).number_format = PCT
            ws.cell(ws.max_row, 4).number_format = PCT
        if ws.max_row > 1:
            bars = BarChart()
            bars.title = title
            bars.add_data(Reference(ws, min_col=2, min_row=1, max_row=ws.max_row), titles_from_data=True)
            bars.set_categories(Reference(ws, min_col=1, min_row=2, max_row=ws.max_row))
            line = LineChart()
            line.add_data(Reference(ws, min_col=4, min_row=1, max_row=ws.max_row), titles_from_data=True)
            line.y_axis.axId = 200
            line.y_axis.number_format = "0%"
            line.y_axis.crosses = "max"
            bars += line
            ws.add_chart(bars, "F2")
        _widths(ws)


def _sheet_rising(wb: Workbook, data: dict) -> None:
    ws = wb.create_sheet(_("本周上升问题"))
    _header(ws, [_("类别"), _("问题"), _("本周"), _("上周"), _("增加")])
    for r in data["rising"]:
        ws.append([r.kind_label, r.label, r.this_week, r.last_week, r.increase])
    _widths(ws, 14, 18)


def _metric_headers(key: str) -> list[str]:
    """Three columns a metric: a time as median and mean in business minutes and its sample, a rate as
    the ratio, numerator and denominator."""
    label = METRICS[key].label_str
    if METRICS[key].kind == "time":
        return [_("%(metric)s 中位（工作时间，分钟）") % {"metric": label},
                _("%(metric)s 平均（工作时间，分钟）") % {"metric": label}, _("%(metric)s 样本") % {"metric": label}]
    return [label, _("%(metric)s 分子") % {"metric": label}, _("%(metric)s 分母") % {"metric": label}]


def _cell_values(value) -> list:
    if value is None:
        return [None, None, None]
    if isinstance(value, Rate):
        return [_ratio(value), value.numerator, value.denominator]
    return [minutes(value.median_business_seconds), minutes(value.avg_business_seconds), value.count]


def minutes(seconds) -> float | None:
    """Durations are written in minutes (one decimal), the unit named in every header: a bare 5400 read as
    nothing in particular."""
    return None if seconds is None else round(float(seconds) / 60, 1)


def _sheet_agents(wb: Workbook, data: dict) -> None:
    ws = wb.create_sheet(_("客服绩效"))
    keys = ["first_response", "resolution", "sla", "csat", "recovery"]
    header = [_("客服")]
    for key in keys:
        header += _metric_headers(key)
    _header(ws, header)
    for r in data["agents"]:
        row = [r.label]
        for key in keys:
            row += _cell_values(r.values.get(key))
        ws.append(row)
        for i, key in enumerate(keys):
            if METRICS[key].kind != "time":
                ws.cell(ws.max_row, 2 + 3 * i).number_format = PCT
    _widths(ws, 16, 16)


def _sheet_reply_rates(wb: Workbook, data: dict) -> None:
    """Daily reply rates per buyer message (docs/metrics.md, 回复率): one row per agent (and the team) and day."""
    history = data.get("reply_rates")
    if history is None:
        return
    ws = wb.create_sheet(_("回复率"))
    header = [_("客服"), _("日期"), _("顾客消息")]
    for minutes in history.target_minutes:
        header += [_("%(minutes)s 分钟回复率") % {"minutes": minutes},
                   _("%(minutes)s 分钟内人工回复") % {"minutes": minutes}, _("计入消息")]
    _header(ws, header)
    for label, rows in [(_("团队"), history.team), *history.agents]:
        for day, row in zip(history.days, rows, strict=True):
            if row is None:
                continue
            values = [str(label), day.isoformat(), row.messages]
            for rate in row.rates:
                values += [rate.ratio, rate.answered, rate.counted]
            ws.append(values)
            for i in range(len(row.rates)):
                ws.cell(ws.max_row, 4 + 3 * i).number_format = PCT
    _widths(ws, 16, 14)


def _sheet_breakdowns(wb: Workbook, data: dict) -> None:
    for dim, rows in data["breakdowns"].items():
        ws = wb.create_sheet(str(DIMENSION_LABELS[dim])[:31])
        keys = list(rows[0].values) if rows else []
        header = [str(DIMENSION_LABELS[dim])]
        for key in keys:
            header += _metric_headers(key)
        _header(ws, header)
        for r in rows:
            row = [r.label]
            for key in keys:
                row += _cell_values(r.values.get(key))
            ws.append(row)
            for i, key in enumerate(keys):
                if METRICS[key].kind != "time":
                    ws.cell(ws.max_row, 2 + 3 * i).number_format = PCT
        _widths(ws, 22, 12)


def _sheet_actions(wb: Workbook, data: dict) -> None:
    ws = wb.create_sheet(_("改进行动"))
    _header(ws, [_("分组"), _("发现的问题"), _("维度"), _("负责人"), _("截止"), _("整改类型"), _("整改措施"), _("状态"),
                 _("指标"), _("整改前"), _("整改后"), _("公告")])
    groups = {"overdue": _("已逾期"), "due_this_week": _("本周到期"), "open": _("进行中"),
              "recently_done": _("近期完成")}
    for key, title in groups.items():
        for a in data["actions"][key]:
            ws.append([title, a.finding, a.get_dimension_display(), str(a.owner or ""),
                       a.due_date.isoformat() if a.due_date else "", a.get_fix_type_display(), a.fix_description,
                       a.get_status_display(), a.get_metric_display(), _num(a.baseline_value), _num(a.after_value),
                       # the shop's day, not the stored UTC one (07:30 in Beijing is the day before in UTC)
                       f"{a.announced_at.astimezone(local_tz()):%Y-%m-%d}" if a.announced_at else ""])
    _widths(ws, 10, 16)


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def weekly_workbook(data: dict) -> Workbook:
    wb = Workbook()
    _sheet_overview(wb, data)
    _sheet_sessions(wb, data)
    _sheet_pareto(wb, data)
    _sheet_rising(wb, data)
    _sheet_agents(wb, data)
    _sheet_reply_rates(wb, data)
    _sheet_breakdowns(wb, data)
    _sheet_actions(wb, data)
    xlsx_neutralise(wb)  # host names, session titles, findings come from outsiders: text stays text
    return wb


def weekly_workbook_bytes(data: dict) -> bytes:
    buffer = io.BytesIO()
    weekly_workbook(data).save(buffer)
    return buffer.getvalue()
