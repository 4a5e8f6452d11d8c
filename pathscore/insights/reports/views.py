"""The report pages (报表) under ``/insights/reports/``: an index and five reports.

Every report reads its filters from the URL (so a link shares exactly what one sees),
renders a printable page and, with ``?export=xlsx``, streams the same figures as a
workbook — through the export rate limit and with a security event, like every export.
Who may open them is the dashboard's rule: managers (their subtree), HR and executives; a
salesperson is sent to their own score. Bad filter input never fails: the page says what
to correct and shows nothing rather than a guess.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Case, F, OuterRef, Subquery, When
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views import View
from django.views.decorators.cache import never_cache

from pathscore.core.choices import SecurityEventKind
from pathscore.core.export import table_body
from pathscore.core.forms import style_form
from pathscore.core.ratelimit import limited
from pathscore.core.security import record_security_event
from pathscore.insights import charts
from pathscore.insights.filters import DashboardFilterForm, Slice
from pathscore.insights.reports import selectors
from pathscore.insights.reports.forms import EvaluationFilterForm, ReportNodeFilterForm
from pathscore.insights.reports.sheets import Sheet, report_workbook
from pathscore.insights.reports.tables import FollowUpLogTable, ReportNodeTable
from pathscore.insights.views import DashboardAccessMixin, DrillDownView, _describe
from pathscore.process.choices import OPEN_STATES, NodeState
from pathscore.process.models import DelayReason, NodeInstance
from pathscore.process.tables import duration_hours, format_duration
from pathscore.scoring.choices import Dimension
from pathscore.scoring.reports import evaluation_report
from pathscore.scoring.views.reports import report_header, report_heading, report_lines

#: Rows per page of the follow-up log (the export has them all).
LOG_PAGE_SIZE = 50


def _query(request, **extra) -> str:
    """The request's filters without paging and export, with ``extra`` set."""
    params = request.GET.copy()
    for key in ("page", "export"):
        params.pop(key, None)
    for key, value in extra.items():
        params[key] = value
    return params.urlencode()


def _nodes_url(s: Slice, **extra) -> str:
    return f"{reverse('insights:report-nodes')}?{s.query(**extra)}"


@method_decorator(never_cache, name="dispatch")
class ReportView(DashboardAccessMixin, View):
    """One report. ``build`` reads the figures of a valid form (the page and the export
    share them), ``page`` adds what only the page shows, ``sheets`` lays the figures out
    for the workbook. Never cached: the evaluation shows scores (PIPL)."""

    key = ""
    title = ""
    description = ""
    icon = "bi-table"
    template_name = ""
    form_class = DashboardFilterForm

    def build(self, form) -> dict:
        """The report's figures for a valid filter form (each report its own selectors)."""
        raise NotImplementedError

    def page(self, data: dict) -> dict:
        return {}

    def describe(self, form) -> list[str]:
        return _describe(form.to_slice())

    def sheets(self, data: dict) -> list[Sheet]:
        """The workbook's sheets for ``build``'s figures (each report its own layout)."""
        raise NotImplementedError

    def get(self, request):
        form = self.form_class(request.GET, viewer=request.user)
        valid = form.is_valid()
        context = {
            "form": style_form(form),
            "problems": form.problems(),
            "title": self.title,
            "report": self,
            "printed_at": timezone.localtime(),
            "reports_url": f"{reverse('insights:reports')}?{_query(request)}",
        }
        if valid:
            data = self.build(form)
            described = self.describe(form)
            if request.GET.get("export") == "xlsx":
                return self.export(request, data, described)
            context.update(data, **self.page(data))
            context.update(described=described, export_url=f"?{_query(request, export='xlsx')}")
        return render(request, self.template_name, context)

    def export(self, request, data: dict, described: list[str]):
        refused = limited(request, "export")
        if refused is not None:
            return refused
        record_security_event(
            kind=SecurityEventKind.EXPORT,
            request=request,
            actor=request.user,
            view=type(self).__name__,
            format="xlsx",
            query=request.GET.urlencode()[:500],
        )
        return report_workbook(
            title=str(self.title),
            described=described,
            viewer=request.user,
            sheets=self.sheets(data),
            filename=f"report-{self.key}-{timezone.localdate():%Y%m%d}",
        )


# --- 1. Node completion (节点完成情况) --------------------------------------------------------


class NodeCompletionReport(ReportView):
    key = "node-completion"
    title = gettext_lazy("Node completion report")
    description = gettext_lazy(
        "Per salesperson: nodes due in the period, completed, on time, late and still open "
        "past their due date, with the on-time rate and the average days late."
    )
    icon = "bi-check2-square"
    template_name = "insights/reports/node_completion.html"

    HEADER = (
        gettext_lazy("Nodes due"),
        gettext_lazy("Completed nodes"),
        gettext_lazy("On time"),
        gettext_lazy("Completed late"),
        gettext_lazy("Overdue, still open"),
        gettext_lazy("Completion rate (%)"),
        gettext_lazy("On-time rate (%)"),
        gettext_lazy("Average days late"),
    )

    def build(self, form) -> dict:
        s = form.to_slice()
        result = selectors.node_completion(s)
        for row in result.people:
            row.url = _nodes_url(s, set="due", doer=row.person.pk)
        result.total.url = _nodes_url(s, set="due")
        for row in result.kinds:
            row.url = _nodes_url(s, set="due", code=row.code)
        return {"completion": result}

    @staticmethod
    def figures(row) -> list:
        return [
            row.due,
            row.completed,
            row.on_time,
            row.late,
            row.overdue_open,
            row.completion_rate,
            row.on_time_rate,
            row.average_days_late,
        ]

    def sheets(self, data):
        result = data["completion"]
        people = [
            [row.person.name, getattr(row.person.department, "name", ""), *self.figures(row)]
            for row in result.people
        ]
        people.append([_("Team total"), "", *self.figures(result.total)])
        header = [str(label) for label in self.HEADER]
        return [
            Sheet(_("By salesperson"), [_("Salesperson"), _("Department"), *header], people),
            Sheet(
                _("By node"),
                [_("Node"), *header],
                [[row.label, *self.figures(row)] for row in result.kinds],
            ),
        ]


# --- 2. Evaluation (考核结果) ------------------------------------------------------------------


def _dimension_label(code: str) -> str:
    try:
        return str(Dimension(code).label)
    except ValueError:
        return code


class EvaluationReport(ReportView):
    """The rows of ``scoring.reports.evaluation_report``: frozen results of a closed period,
    live scores of an open one, computed exactly as the period pages do."""

    key = "evaluation"
    title = gettext_lazy("Evaluation results")
    description = gettext_lazy(
        "For an appraisal period, one row per person: each dimension's score, the "
        "adjustment, the total and the rank in the team."
    )
    icon = "bi-award"
    template_name = "insights/reports/evaluation.html"
    form_class = EvaluationFilterForm

    def build(self, form) -> dict:
        data = form.cleaned_data
        period, department = data["appraisal"], data.get("department")
        report = evaluation_report(
            period=period,
            viewer=self.request.user,
            department_id=department.pk if department is not None else None,
        )
        person = data.get("salesperson")
        if person is not None:
            report.rows = [row for row in report.rows if row.person_id == person.pk]
        return {"evaluation": report, "period": period}

    def page(self, data: dict) -> dict:
        report, period = data["evaluation"], data["period"]
        labels = [_dimension_label(code) for code in report.dimensions]
        return {
            "dimensions": labels,
            "rows": [
                {
                    "row": row,
                    "scores": [
                        (label, row.dimensions.get(code))
                        for label, code in zip(labels, report.dimensions, strict=True)
                    ],
                    "url": reverse("scoring:person-score", args=[period.pk, row.person_id]),
                }
                for row in report.rows
            ],
        }

    def describe(self, form) -> list[str]:
        data = form.cleaned_data
        period = data["appraisal"]
        parts = [f"{period.name} ({period.starts_on:%Y-%m-%d} – {period.ends_on:%Y-%m-%d})"]
        parts += [
            value.name for value in (data.get("department"), data.get("salesperson")) if value
        ]
        return parts

    def sheets(self, data):
        report = data["evaluation"]
        return [
            Sheet(
                _("Evaluation results"),
                report_header(report),
                report_lines(report),
                preamble=report_heading(report)[1:-1],  # the title and time are in the heading
            )
        ]


# --- 3. Follow-up log (跟进记录) --------------------------------------------------------------


class FollowUpLogReport(ReportView):
    key = "followups"
    title = gettext_lazy("Follow-up log")
    description = gettext_lazy(
        "Every follow-up in the period: when, who, which customer and project, how, what "
        "was discussed and the next action."
    )
    icon = "bi-journal-text"
    template_name = "insights/reports/followups.html"

    def build(self, form) -> dict:
        rows = selectors.followup_log(form.to_slice())
        ordering = FollowUpLogTable.ordering_for(self.request.GET.get("sort"))
        return {"log": rows.order_by(*ordering) if ordering else rows}

    def page(self, data: dict) -> dict:
        page = Paginator(data["log"], LOG_PAGE_SIZE).get_page(self.request.GET.get("page"))
        return {
            "page_obj": page,
            "paginator": page.paginator,
            "is_paginated": page.has_other_pages(),
            "object_list": page.object_list,
            "table": FollowUpLogTable(page.object_list, order=self.request.GET.get("sort")),
            "query_without_page": _query(self.request),
        }

    def sheets(self, data):
        columns = FollowUpLogTable.columns
        # Streamed in batches of value tuples: the whole period may hold a hundred
        # thousand follow-ups.
        return [
            Sheet(
                _("Follow-ups"),
                [str(column.label) for column in columns],
                table_body(FollowUpLogTable, data["log"]),
            )
        ]


# --- 4. Delays (延期分析) ---------------------------------------------------------------------


class DelayReport(ReportView):
    key = "delays"
    title = gettext_lazy("Delay analysis")
    description = gettext_lazy(
        "Nodes due in the period that were completed late or are still overdue, by the "
        "category of their delay reason and by team: how many, days late and share."
    )
    icon = "bi-hourglass-split"
    template_name = "insights/reports/delays.html"

    def build(self, form) -> dict:
        s = form.to_slice()
        result = selectors.delays(
            s, no_reason_label=_("No reason given yet"), no_team_label=_("No department")
        )
        for row in result.categories:
            row.url = _nodes_url(s, set="delayed", reason=row.key)
        for row in result.teams:
            row.url = _nodes_url(s, set="delayed", team=row.key) if row.key else ""
        return {"delays": result, "all_url": _nodes_url(s, set="delayed")}

    def page(self, data: dict) -> dict:
        rows = data["delays"].categories
        return {"chart": charts.delays_by_category(rows, lambda row: row.url)}

    def sheets(self, data):
        result = data["delays"]
        header = [_("Delayed nodes"), _("Days late in all"), _("Average days late"), _("Share (%)")]

        def lines(rows, *extra):
            for row in rows:
                yield [
                    row.label,
                    *(getattr(row, name) for name in extra),
                    row.count,
                    row.days,
                    row.average_days,
                    row.share,
                ]

        return [
            Sheet(
                _("By reason category"),
                [_("Delay reason category"), _("Attribution"), *header],
                lines(result.categories, "attribution"),
            ),
            Sheet(_("By team"), [_("Team"), *header], lines(result.teams)),
        ]


# --- 5. Collaboration (协作响应) --------------------------------------------------------------


class CollaborationReport(ReportView):
    key = "collaboration"
    title = gettext_lazy("Collaboration response")
    description = gettext_lazy(
        "Hand-off tasks created in the period, by assigned team and task kind: how many, "
        "average and longest time to acknowledgement and to done, and how many are overdue."
    )
    icon = "bi-people"
    template_name = "insights/reports/collaboration.html"

    def build(self, form) -> dict:
        return {"teams": selectors.collaboration(form.to_slice())}

    def page(self, data: dict) -> dict:
        for team in data["teams"]:
            for row in (team, *team["kinds"]):
                for measure in ("to_acknowledge", "to_done"):
                    row[f"avg_{measure}_text"] = format_duration(row[f"avg_{measure}"])
                    row[f"max_{measure}_text"] = format_duration(row[f"max_{measure}"])
        return {}

    def sheets(self, data):
        def lines():
            for team in data["teams"]:
                for kind, row in (
                    (_("All kinds"), team),
                    *((k["kind_label"], k) for k in team["kinds"]),
                ):
                    yield [
                        team["assignee_department__name"],
                        kind,
                        row["total"],
                        row["open"],
                        row["overdue"],
                        duration_hours(row["avg_to_acknowledge"]),
                        duration_hours(row["max_to_acknowledge"]),
                        duration_hours(row["avg_to_done"]),
                        duration_hours(row["max_to_done"]),
                    ]

        header = [
            _("Team"),
            _("Task kind"),
            _("Tasks"),
            _("Open"),
            _("Overdue"),
            _("Average hours to acknowledge"),
            _("Longest hours to acknowledge"),
            _("Average hours to done"),
            _("Longest hours to done"),
        ]
        return [Sheet(_("Collaboration response"), header, lines())]


REPORTS = (
    NodeCompletionReport,
    EvaluationReport,
    FollowUpLogReport,
    DelayReport,
    CollaborationReport,
)


@method_decorator(never_cache, name="dispatch")
class ReportIndexView(DashboardAccessMixin, View):
    """报表: the five reports, each opened with the filters the index was reached with."""

    def get(self, request):
        query = _query(request)
        reports = [
            {
                "title": report.title,
                "description": report.description,
                "icon": report.icon,
                "key": report.key,
                "url": reverse(f"insights:report-{report.key}") + (f"?{query}" if query else ""),
            }
            for report in REPORTS
        ]
        return render(
            request,
            "insights/reports/index.html",
            {"title": pgettext("insights", "Reports"), "reports": reports},
        )


# --- The nodes behind a figure ---------------------------------------------------------------


def _latest_reason(field: str):
    return Subquery(
        DelayReason.objects.filter(node=OuterRef("pk"))
        .order_by("-created_at", "-pk")
        .values(field)[:1]
    )


class ReportNodesView(DrillDownView):
    """The nodes counted by one figure of the node completion or the delay report, with
    the report's filters; exportable like every list."""

    model = NodeInstance
    table_class = ReportNodeTable
    form_class = ReportNodeFilterForm
    template_name = "insights/reports/nodes.html"
    title = gettext_lazy("Nodes")
    export_name = "report-nodes"

    def records(self, s: Slice, data: dict):
        chosen = data.get("set") or "due"
        if chosen == "delayed":
            nodes = selectors.delayed_in(s, category=data.get("reason"), team=data.get("team"))
        else:
            nodes = selectors.due_nodes(s)
            nodes = {
                "completed": nodes.filter(state=NodeState.APPROVED),
                "on_time": nodes.filter(state=NodeState.APPROVED, days_late=0),
                "late": nodes.filter(state=NodeState.APPROVED, days_late__gt=0),
                "overdue": nodes.filter(state__in=OPEN_STATES, planned_due__lt=s.today),
            }.get(chosen, nodes)
        if data.get("doer") is not None:
            nodes = nodes.filter(doer=data["doer"].pk)
        if data.get("code"):
            nodes = nodes.filter(definition__code=data["code"])
        return (
            nodes.select_related("definition", "project")
            .annotate(
                credited_name=Case(
                    When(submitted_by__isnull=False, then=F("submitted_by__name")),
                    default=F("project__owner__name"),
                ),
                reason_name=_latest_reason("category__name"),
                reason_name_en=_latest_reason("category__name_en"),
            )
            .order_by("planned_due", "pk")
        )

    def describe(self, s: Slice, data: dict) -> list[str]:
        parts = [str(dict(ReportNodeFilterForm.SETS)[data.get("set") or "due"])]
        if data.get("doer") is not None:
            parts.append(data["doer"].name)
        if data.get("code"):
            parts.append(self.form.node_names.get(data["code"], data["code"]))
        if data.get("reason"):
            parts.append(str(dict(self.form.fields["reason"].choices).get(data["reason"], "")))
        if data.get("team") is not None:
            parts.append(data["team"].name)
        return parts

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reports_url"] = reverse("insights:reports")
        return context


urlpatterns = [
    path("reports/", ReportIndexView.as_view(), name="reports"),
    *(
        path(f"reports/{report.key}/", report.as_view(), name=f"report-{report.key}")
        for report in REPORTS
    ),
    path("reports/nodes/", ReportNodesView.as_view(), name="report-nodes"),
]
