"""Deviation alerts (偏差预警): the list, an alert's page with its interventions, the
interventions report and the threshold settings.

Managers see alerts about their subtree, HR and executives the company's, a salesperson
their own; anyone else's alert is a 404. Only a manager above the salesperson records
interventions and resolves. Alert pages carry people's performance figures, so they are
never cached.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache

from pathscore.core.choices import Role
from pathscore.core.forms import style_form
from pathscore.core.views import PermissionRequiredMixin, ScopedListView, apply_validation_error
from pathscore.insights import services
from pathscore.insights.access import may_see_dashboard
from pathscore.insights.alerts import explain, selectors, thresholds
from pathscore.insights.alerts.filtersets import AlertFilterSet, InterventionFilterSet
from pathscore.insights.alerts.forms import InterventionForm, ResolveForm, ThresholdForm
from pathscore.insights.alerts.tables import AlertTable, InterventionTable, figure
from pathscore.insights.models import Alert, AlertThreshold, Intervention


def may_see_alerts(scope) -> bool:
    """Managers, HR and executives; a salesperson reads their own alerts."""
    return may_see_dashboard(scope) or scope.has_role(Role.SALESPERSON)


class AlertAccessMixin(PermissionRequiredMixin):
    def allowed(self, scope) -> bool:
        return may_see_alerts(scope)


@method_decorator(never_cache, name="dispatch")
class AlertListView(AlertAccessMixin, ScopedListView):
    """Alerts, open first, filterable by kind, state, salesperson and department."""

    model = Alert
    table_class = AlertTable
    filterset_class = AlertFilterSet
    template_name = "insights/alerts/alert_list.html"
    title = gettext_lazy("Alerts")
    export_name = "alerts"

    def scoped_queryset(self):
        return selectors.alerts(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = self.request.user.scope
        context["show_interventions"] = may_see_dashboard(scope)
        context["show_settings"] = services.may_edit_thresholds(self.request.user)
        return context


def render_alert_page(
    request, alert: Alert, *, status=200, intervention_form=None, resolve_form=None
):
    can_act = alert.is_open and services.may_intervene(request.user, alert)
    context = {
        "alert": alert,
        "title": f"{alert.get_kind_display()} · {alert.person.name}",
        "summary": explain.summary(alert),
        "measure": explain.measure(alert),
        "measured": figure(alert.measured, alert.unit),
        "threshold": figure(alert.threshold, alert.unit),
        "interventions": selectors.interventions_of(alert),
        "evidence": selectors.evidence(alert, request.user),
        "drilldowns": selectors.drilldowns(alert),
        "can_act": can_act,
        "intervention_form": style_form(intervention_form or InterventionForm()),
        "resolve_form": style_form(resolve_form or ResolveForm()),
    }
    return render(request, "insights/alerts/alert_detail.html", context, status=status)


@method_decorator(never_cache, name="dispatch")
class AlertDetailView(AlertAccessMixin, View):
    def get(self, request, pk):
        alert = get_object_or_404(selectors.alert_for_page(request.user), pk=pk)
        return render_alert_page(request, alert)


@method_decorator(never_cache, name="dispatch")
class AlertActionView(AlertAccessMixin, View):
    """A manager's action on an alert they can see: 403 for anyone else who can see it."""

    form_class = None
    form_argument = ""
    success_message = ""

    def perform(self, alert: Alert, data: dict) -> None:
        """Call this action's service with the valid form data (each action view its own)."""
        raise NotImplementedError

    def post(self, request, pk):
        alert = get_object_or_404(selectors.alert_for_page(request.user), pk=pk)
        if not services.may_intervene(request.user, alert):
            raise PermissionDenied
        form = self.form_class(request.POST)
        if form.is_valid():
            try:
                self.perform(alert, form.cleaned_data)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, self.success_message)
                return redirect(alert.get_absolute_url())
        fresh = get_object_or_404(selectors.alert_for_page(request.user), pk=pk)
        return render_alert_page(request, fresh, status=400, **{self.form_argument: form})


class InterventionCreateView(AlertActionView):
    form_class = InterventionForm
    form_argument = "intervention_form"
    success_message = gettext_lazy("The intervention is recorded.")

    def perform(self, alert, data):
        services.intervention_record(alert=alert, actor=self.request.user, **data)


class AlertResolveView(AlertActionView):
    form_class = ResolveForm
    form_argument = "resolve_form"
    success_message = gettext_lazy("The alert is resolved.")

    def perform(self, alert, data):
        services.alert_resolve(alert=alert, actor=self.request.user, note=data["resolution_note"])


class InterventionAccessMixin(PermissionRequiredMixin):
    def allowed(self, scope) -> bool:
        return may_see_dashboard(scope)


@method_decorator(never_cache, name="dispatch")
class InterventionListView(InterventionAccessMixin, ScopedListView):
    """The interventions log: who did what about which alert, filterable and exportable."""

    model = Intervention
    table_class = InterventionTable
    filterset_class = InterventionFilterSet
    template_name = "insights/alerts/intervention_list.html"
    title = gettext_lazy("Interventions")
    export_name = "interventions"

    def scoped_queryset(self):
        return selectors.interventions(self.request.user)


class ThresholdAccessMixin(PermissionRequiredMixin):
    def allowed(self, scope) -> bool:
        return scope.manages_org


class ThresholdSettingsView(ThresholdAccessMixin, View):
    """The alert thresholds, each with what it means; changes are kept in history."""

    template_name = "insights/alerts/settings.html"

    def show(self, form, *, status=200):
        labels = {definition.code: definition.label for definition in thresholds.DEFINITIONS}
        changes = [
            {
                "when": row.history_date,
                "who": row.history_user.name if row.history_user else "—",
                "label": labels.get(row.code, row.code),
                "value": thresholds.plain(row.value),
            }
            for row in AlertThreshold.history.select_related("history_user").order_by(
                "-history_date", "-history_id"
            )[:20]
        ]
        context = {"form": style_form(form), "title": _("Alert thresholds"), "changes": changes}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request):
        return self.show(ThresholdForm(values=thresholds.current()))

    def post(self, request):
        form = ThresholdForm(request.POST, values=thresholds.current())
        if form.is_valid():
            try:
                changed = services.thresholds_update(actor=request.user, values=form.cleaned_data)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                if changed:
                    messages.success(request, _("The thresholds are saved."))
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect("insights:alert-settings")
        return self.show(form, status=400)


urlpatterns = [
    path("alerts/", AlertListView.as_view(), name="alert-list"),
    path("alerts/settings/", ThresholdSettingsView.as_view(), name="alert-settings"),
    path("alerts/<int:pk>/", AlertDetailView.as_view(), name="alert-detail"),
    path(
        "alerts/<int:pk>/interventions/",
        InterventionCreateView.as_view(),
        name="alert-intervene",
    ),
    path("alerts/<int:pk>/resolve/", AlertResolveView.as_view(), name="alert-resolve"),
    path("interventions/", InterventionListView.as_view(), name="intervention-list"),
]
