"""The team dashboard (团队看板) and the drill-down pages behind its tiles and charts.

A manager sees their department subtree, HR and executives the company; a salesperson is
sent to their own score (their view of the process). Every figure comes from
``insights.selectors`` through the same :class:`~pathscore.insights.filters.Slice`, and
every chart element links to a drill-down page listing exactly the records it counts,
with the same filters. Bad filter input never fails: the page says what was wrong and
shows nothing rather than a guess.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import F
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache

from pathscore.core.forms import style_form
from pathscore.core.localtime import DaysSince
from pathscore.core.scoping import scope_for
from pathscore.core.views import PermissionRequiredMixin, ScopedListView
from pathscore.crm.choices import ProjectStatus
from pathscore.crm.models import FollowUp, Project
from pathscore.insights import charts, figures, selectors
from pathscore.insights.access import is_salesperson_only, may_see_dashboard
from pathscore.insights.filters import DashboardFilterForm, Slice
from pathscore.insights.tables import FollowUpDrillTable, NodeDrillTable, ProjectDrillTable
from pathscore.org.models import User
from pathscore.process.models import NodeDefinition, NodeInstance
from pathscore.scoring import services as scoring_services


class DashboardAccessMixin(PermissionRequiredMixin):
    """Managers, HR and executives; a salesperson goes to their own score."""

    def allowed(self, scope) -> bool:
        return may_see_dashboard(scope) or is_salesperson_only(scope)

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and is_salesperson_only(scope_for(request.user)):
            return redirect("scoring:my-score")
        return super().dispatch(request, *args, **kwargs)


def _filter_form(form_class, request):
    form = form_class(request.GET, viewer=request.user)
    form.is_valid()
    return form


def _describe(s: Slice) -> list[str]:
    parts = [f"{s.start:%Y-%m-%d} – {s.end:%Y-%m-%d}"]
    for value in (s.department, s.customer_type, s.category):
        if value is not None:
            parts.append(str(value))
    if s.salesperson is not None:
        parts.append(s.salesperson.name)
    if s.node:
        parts.append(s.node_name or s.node)
    return parts


def _url(name: str) -> str:
    return reverse(name)


#: Above this many salespeople the per-person charts (stage conversion, follow-ups per week)
#: show one row per team: a thousand rows help nobody read a chart, and cost the page seconds.
PER_PERSON_LIMIT = 40
#: The ranking lists everyone up to the sum of these; beyond, its top and its bottom (a
#: department filter shows a team's whole list).
RANKING_TOP, RANKING_BOTTOM = 20, 10


def dashboard_context(s: Slice, query: str = "", refresh: bool = False) -> dict:
    """Everything the dashboard shows, in a fixed number of queries. ``query`` is the
    page's own query string (the key under which a company-wide view's figures are
    stored, see ``insights.figures``); ``refresh`` computes those figures again now."""
    # What the charts and the ranking show of a person: a thousand whole users were a
    # tenth of the company page's time.
    people = list(selectors.salespeople(s).only(*selectors.SHOWN_PERSON_FIELDS))
    people_ids = [person.pk for person in people]
    teams = charts.groups_of(people) if len(people) > PER_PERSON_LIMIT else None
    type_names = selectors.customer_type_names()
    f = figures.for_dashboard(s, people_ids, query=query, refresh=refresh)
    ranking = selectors.ranking(s, people)
    if ranking.stale:
        # Computing a thousand scores here would take the page as long as closing the
        # period: the job does it, and the page says the scores are on their way.
        scoring_services.live_scores_request_refresh(ranking.period)
    shown = ranking.rows
    if len(shown) > RANKING_TOP + RANKING_BOTTOM:
        shown = shown[:RANKING_TOP] + shown[-RANKING_BOTTOM:]
    selectors.with_history(s, shown)
    before = s.previous
    return {
        "kpis": f.kpis,
        "figures_at": f.computed_at,
        "figures_refresh_minutes": figures.REFRESH_MINUTES,
        "before": before,
        "links": {
            "active": f"{_url('insights:projects')}?{s.query(set='active')}",
            "due_soon": f"{_url('insights:nodes')}?{s.query(kind='due_soon')}",
            "overdue": f"{_url('insights:nodes')}?{s.query(kind='overdue')}",
            "approved": f"{_url('insights:nodes')}?{s.query(kind='approved')}",
            "followups": f"{_url('insights:followups')}?{s.query()}",
            "stalled": _url("process:stalled-projects"),
        },
        "charts": {
            "nodes": charts.projects_by_node(s, f.nodes, type_names),
            "cycle": charts.followup_cycle(s, f.cycle),
            "funnel": charts.funnel(s, f.funnel, people, teams),
            "heatmap": charts.heatmap(s, f.heatmap, people, teams),
            "types": charts.customer_types(s, f.types, type_names),
            "project_cycle": charts.cycle_distribution(s, f.project_cycle),
            "revisions": charts.revision_distribution(s, f.revisions),
            "adjustment": charts.adjustment_cycle(s, f.adjustment, teams),
        },
        "stalled": figures.stalled_rows(s, f),
        "stalled_total": f.stalled_total,
        "period": ranking.period,
        "ranking": ranking,
        "ranked": [{"row": row, "sparkline": charts.sparkline(row.history)} for row in shown],
        "ranked_hidden": len(ranking.rows) - len(shown),
        "ranked_gap_after": RANKING_TOP,
        "people_count": len(people),
        "by_team": teams is not None,
    }


@method_decorator(never_cache, name="dispatch")
class DashboardView(DashboardAccessMixin, View):
    """团队看板: KPI tiles, charts, stalled projects and the ranking by live score.

    Not cached anywhere: it shows people's scores (PIPL)."""

    template_name = "insights/dashboard.html"

    def get(self, request):
        form = _filter_form(DashboardFilterForm, request)
        context = {"form": style_form(form), "title": _("Team dashboard")}
        if form.is_valid():
            s = form.to_slice()
            query = figures.request_query(request.GET)
            refresh = request.GET.get("refresh") == "1"
            context.update(
                dashboard_context(s, query=query, refresh=refresh),
                slice=s,
                described=_describe(s),
                refresh_url=f"?{query}&refresh=1" if query else "?refresh=1",
            )
        else:
            context["problems"] = form.problems()
        return render(request, self.template_name, context)


# --- Drill-downs ---------------------------------------------------------------------------


class DrillDownView(DashboardAccessMixin, ScopedListView):
    """A list of the records behind one tile or chart element, with the dashboard's
    filters (and the element's own) in the URL; exportable like every list."""

    template_name = "insights/drilldown.html"
    form_class = DashboardFilterForm
    paginate_by = 50

    def records(self, s: Slice, data: dict):
        """The scoped queryset behind this tile or chart element (each drill-down its own)."""
        raise NotImplementedError

    def describe(self, s: Slice, data: dict) -> list[str]:
        return []

    def get_queryset(self):
        self.form = _filter_form(self.form_class, self.request)
        self.filterset = None  # the form above plays its part
        self.slice = None
        if not self.form.is_valid():
            return self.model.objects.none()
        self.slice = self.form.to_slice()
        queryset = self.records(self.slice, self.form.cleaned_data)
        ordering = self.table_class.ordering_for(self.request.GET.get("sort"))
        return queryset.order_by(*ordering) if ordering else queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = style_form(self.form)
        context["problems"] = self.form.problems()
        if self.slice is not None:
            data = self.form.cleaned_data
            context["described"] = [*self.describe(self.slice, data), *_describe(self.slice)]
            context["dashboard_url"] = f"{_url('insights:dashboard')}?{self.slice.query()}"
        return context


def _people_field(label):
    return forms.ModelChoiceField(label=label, queryset=User.objects.none(), required=False)


class ProjectDrillForm(DashboardFilterForm):
    SETS = [
        ("active", gettext_lazy("Active projects")),
        ("won", gettext_lazy("Projects won in the period")),
        ("funnel", gettext_lazy("Projects started by the end of the period")),
        ("proposals", gettext_lazy("Projects whose proposals changed in the period")),
        ("revised", gettext_lazy("Projects with proposal revisions in the period")),
    ]

    set = forms.ChoiceField(label=gettext_lazy("Projects"), choices=SETS, required=False)
    reached = forms.SlugField(label=gettext_lazy("Reached node"), required=False)
    owner = _people_field(gettext_lazy("Owner"))
    cycle = forms.ChoiceField(
        label=gettext_lazy("Project cycle"),
        choices=[("", "—")] + [(key, key) for key, _low, _high in selectors.CYCLE_BUCKETS],
        required=False,
    )
    versions = forms.IntegerField(
        label=gettext_lazy("Proposal versions"),
        min_value=1,
        max_value=selectors.MOST_VERSIONS,
        required=False,
    )

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, viewer=viewer, **kwargs)
        self.fields["owner"].queryset = User.objects.visible_to(viewer)
        self.fields["cycle"].choices = [("", "—")] + [
            (key, charts.cycle_label(key)) for key, _low, _high in selectors.CYCLE_BUCKETS
        ]


class ProjectDrillDownView(DrillDownView):
    model = Project
    table_class = ProjectDrillTable
    form_class = ProjectDrillForm
    title = gettext_lazy("Projects")
    export_name = "dashboard-projects"

    def records(self, s: Slice, data: dict):
        chosen = data.get("set") or "active"
        if chosen == "won":
            projects = selectors.won_projects(s)
            if data.get("cycle"):
                projects = projects.filter(cycle_bucket=data["cycle"])
        elif chosen == "funnel":
            projects = selectors.funnel_projects(s)
            if data.get("reached"):
                projects = selectors.reached_projects(s, data["reached"])
        elif chosen == "proposals":
            documents = selectors.proposal_documents(s)
            if data.get("versions"):
                documents = selectors.documents_with_versions(s, data["versions"])
            projects = selectors.projects(s).filter(pk__in=documents.values("project"))
        elif chosen == "revised":
            projects = selectors.revised_projects(s)
        else:
            projects = selectors.projects(s).filter(status=ProjectStatus.ACTIVE)
            if data.get("node"):
                projects = selectors.at_node_projects(s, data["node"])
        if data.get("owner") is not None:
            projects = projects.filter(owner=data["owner"])
        return (
            projects.select_related("customer__customer_type", "owner", "category")
            .annotate(
                node_name=F("process__current_node__definition__name"),
                days_at_node=DaysSince(s.today, "process__current_since"),
            )
            .order_by("-days_at_node", "pk")
        )

    def describe(self, s: Slice, data: dict) -> list[str]:
        chosen = data.get("set") or "active"
        parts = [str(dict(ProjectDrillForm.SETS)[chosen])]
        # The current node is in the slice's own description.
        codes = [code for code in (data.get("reached"),) if code]
        names = (
            dict(NodeDefinition.objects.filter(code__in=codes).values_list("code", "name"))
            if codes
            else {}
        )
        if data.get("reached"):
            parts.append(
                _("reached %(node)s") % {"node": names.get(data["reached"], data["reached"])}
            )
        if data.get("owner") is not None:
            parts.append(data["owner"].name)
        if data.get("cycle"):
            parts.append(charts.cycle_label(data["cycle"]))
        if data.get("versions"):
            parts.append(charts.versions_label(data["versions"]))
        return parts


class FollowUpDrillForm(DashboardFilterForm):
    author = _people_field(gettext_lazy("Recorded by"))
    week = forms.DateField(
        label=gettext_lazy("Week of"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    active = forms.BooleanField(label=gettext_lazy("Active projects only"), required=False)

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, viewer=viewer, **kwargs)
        self.fields["author"].queryset = User.objects.visible_to(viewer)


class FollowUpDrillDownView(DrillDownView):
    model = FollowUp
    table_class = FollowUpDrillTable
    form_class = FollowUpDrillForm
    title = gettext_lazy("Follow-ups")
    export_name = "dashboard-followups"

    def records(self, s: Slice, data: dict):
        week = data.get("week")
        if week is not None:
            monday = week - dt.timedelta(days=week.weekday())
            followups = selectors.week_followups(s, monday)
        else:
            followups = selectors.followups_between(s, s.start, s.end)
        if data.get("author") is not None:
            followups = followups.filter(author=data["author"])
        if data.get("active"):
            followups = followups.filter(project__status=ProjectStatus.ACTIVE)
        return followups.select_related("author", "customer", "project", "mode").order_by(
            "-occurred_at", "-pk"
        )

    def describe(self, s: Slice, data: dict) -> list[str]:
        parts = []
        if data.get("author") is not None:
            parts.append(data["author"].name)
        if data.get("week") is not None:
            parts.append(_("week of %(day)s") % {"day": f"{data['week']:%Y-%m-%d}"})
        if data.get("active"):
            parts.append(_("active projects only"))
        return parts


class NodeDrillForm(DashboardFilterForm):
    KINDS = [
        ("due_soon", gettext_lazy("Nodes due within 7 days")),
        ("overdue", gettext_lazy("Overdue nodes")),
        ("approved", gettext_lazy("Nodes approved in the period (on-time rate)")),
    ]

    kind = forms.ChoiceField(label=gettext_lazy("Nodes"), choices=KINDS, required=False)


class NodeDrillDownView(DrillDownView):
    model = NodeInstance
    table_class = NodeDrillTable
    form_class = NodeDrillForm
    title = gettext_lazy("Nodes")
    export_name = "dashboard-nodes"

    def records(self, s: Slice, data: dict):
        kind = data.get("kind") or "overdue"
        if kind == "due_soon":
            nodes = selectors.due_soon_nodes(s)
        elif kind == "approved":
            nodes = selectors.approved_nodes(s)
        else:
            nodes = selectors.overdue_nodes(s)
        return nodes.select_related("definition", "project__owner").order_by("planned_due", "pk")

    def describe(self, s: Slice, data: dict) -> list[str]:
        return [str(dict(NodeDrillForm.KINDS)[data.get("kind") or "overdue"])]


urlpatterns = [
    path("", DashboardView.as_view(), name="dashboard"),
    path("projects/", ProjectDrillDownView.as_view(), name="projects"),
    path("followups/", FollowUpDrillDownView.as_view(), name="followups"),
    path("nodes/", NodeDrillDownView.as_view(), name="nodes"),
]
