"""The evaluation report of a period as an .xlsx download (考核报表).

One row per person the viewer may see — managers their subtree, HR and executives
everyone — with each indicator's value and points, the dimension scores, the computed
total, the adjustment, the total and the rank in the team. The rows come from
``scoring.reports``; this view only lays them out, in the viewer's language.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views import View
from django.views.decorators.cache import never_cache
from openpyxl import Workbook

from pathscore.core.choices import SecurityEventKind
from pathscore.core.export import neutralise, workbook_response
from pathscore.core.ratelimit import limited
from pathscore.core.security import record_security_event
from pathscore.core.views import PermissionRequiredMixin
from pathscore.scoring.choices import Dimension
from pathscore.scoring.models import Period
from pathscore.scoring.reports import Report, can_export_report, evaluation_report


def _dimension_label(code: str) -> str:
    try:
        return str(Dimension(code).label)
    except ValueError:
        return code


def report_heading(report: Report) -> list[list]:
    """The lines above the table: what the report covers and whether it is frozen."""
    period = report.period
    if report.live:
        state = _("Open: live scores, not frozen; they change until the period closes")
    else:
        state = str(period.get_state_display())
    return [
        [_("Evaluation report"), period.name],
        [_("Dates"), f"{period.starts_on:%Y-%m-%d} – {period.ends_on:%Y-%m-%d}"],
        [_("Version"), period.version],
        [_("State"), state],
        [
            _("Department"),
            report.department.name if report.department else _("Everyone you may see"),
        ],
        [_("Exported at"), timezone.localtime().strftime("%Y-%m-%d %H:%M")],
    ]


def report_header(report: Report) -> list[str]:
    header = [_("Employee no."), pgettext("person", "Name"), _("Department")]
    for column in report.columns:
        name = f"{column.name} ({column.unit})" if column.unit else column.name
        header.append(_("%(indicator)s: value") % {"indicator": name})
        header.append(_("%(indicator)s: points") % {"indicator": column.name})
    for code in report.dimensions:
        header.append(_("%(dimension)s score") % {"dimension": _dimension_label(code)})
    header += [_("Computed total"), _("Adjustment"), _("Total score"), _("Rank in team")]
    return header


def report_lines(report: Report):
    """The table's rows, every cell made safe for a spreadsheet."""
    for row in report.rows:
        line = [neutralise(row.employee_no), neutralise(row.name), neutralise(row.department)]
        for column in report.columns:
            value, points = row.values.get(column.code, (None, None))
            line += [value, points]
        line += [row.dimensions.get(code) for code in report.dimensions]
        line += [row.computed_total, row.adjustment, row.total, row.rank]
        yield line


@method_decorator(never_cache, name="dispatch")
class PeriodReportView(PermissionRequiredMixin, View):
    """GET ``?department=<id>`` (optional: that department's subtree)."""

    def allowed(self, scope) -> bool:
        return can_export_report(self.request.user)

    def get(self, request, pk):
        period = get_object_or_404(Period.objects.visible_to(request.user), pk=pk)
        refused = limited(request, "export")
        if refused is not None:
            return refused
        report = evaluation_report(
            period=period, viewer=request.user, department_id=request.GET.get("department")
        )
        record_security_event(
            kind=SecurityEventKind.EXPORT,
            request=request,
            actor=request.user,
            view=type(self).__name__,
            format="xlsx",
            period=period.pk,
            version=period.version,
            rows=len(report.rows),
            query=request.GET.urlencode()[:500],
        )
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=_("Evaluation report")[:31])
        for line in report_heading(report):
            sheet.append([neutralise(cell) for cell in line])
        sheet.append([])
        sheet.append(report_header(report))
        for line in report_lines(report):
            sheet.append(line)
        return workbook_response(workbook, f"evaluation-report-{period.pk}-v{period.version}")


urlpatterns = [
    path("periods/<int:pk>/report.xlsx", PeriodReportView.as_view(), name="period-report"),
]
