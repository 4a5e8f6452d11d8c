"""Running an appraisal period from the browser.

HR opens a period, closes it (every score frozen), publishes it once every appeal is
resolved, and after publication creates a new version with a reason. Between closing and
publication the person acknowledges their result or appeals before the deadline, and their
manager or HR adjusts it within the bound and resolves appeals.

Every action is a POST behind a confirmation page (or a form, which is its own
confirmation) and calls one service; a refusal shows the service's message. A period is
company-wide, so an action on it that the user may not take is a 403; a result or an
appeal outside the user's scope is not found (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext
from django.views import View
from django.views.decorators.cache import never_cache

from pathscore.core.choices import SecurityEventKind
from pathscore.core.forms import style_form
from pathscore.core.security import record_security_event
from pathscore.core.views import PermissionRequiredMixin, apply_validation_error
from pathscore.scoring import indicators, selectors, services
from pathscore.scoring.choices import AppealState, PeriodKind, PeriodState
from pathscore.scoring.forms import (
    AdjustmentForm,
    AppealForm,
    AppealResolutionForm,
    NewVersionForm,
    PeriodEditForm,
    PeriodForm,
)
from pathscore.scoring.models import Appeal, Period, Result

RESULTS_PER_PAGE = 50
APPEALS_PER_PAGE = 25
CONFIRM_TEMPLATE = "scoring/periods/confirm.html"
RESULT_FORM_TEMPLATE = "scoring/periods/result_form.html"


def _refuse(request):
    """A 403 for an action on something the user can see but may not change, logged."""
    record_security_event(
        kind=SecurityEventKind.PERMISSION_DENIED,
        request=request,
        actor=request.user,
        path=request.path[:300],
    )
    raise PermissionDenied


def _error_messages(error: ValidationError) -> list[str]:
    return list(error.messages)


def _score_url(result) -> str:
    return reverse("scoring:person-score", args=[result.period_id, result.person_id])


class HrOnlyMixin(PermissionRequiredMixin):
    """Opening, closing, publishing and versioning periods is HR's work."""

    def allowed(self, scope) -> bool:
        return services.is_hr(self.request.user)


# --- Creating and editing periods ------------------------------------------------------------


class PeriodCreateView(HrOnlyMixin, View):
    template_name = "scoring/periods/period_form.html"

    def render(self, form):
        context = {"form": style_form(form), "title": _("New appraisal period"), "period": None}
        return render(self.request, self.template_name, context)

    def get(self, request):
        return self.render(PeriodForm())

    def post(self, request):
        form = PeriodForm(request.POST)
        if not form.is_valid():
            return self.render(form)
        data = form.cleaned_data
        kind, day = data["kind"], data["starts_on"]
        if kind == PeriodKind.CUSTOM:
            starts_on, ends_on = day, data["ends_on"]
        else:
            starts_on, ends_on = services.period_bounds(kind, day)
        try:
            period = services.period_create(
                actor=request.user,
                kind=kind,
                starts_on=starts_on,
                ends_on=ends_on,
                name=data["name"],
                adjustment_bound=data["adjustment_bound"],
                appeal_days=data["appeal_days"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.render(form)
        messages.success(
            request,
            _("%(name)s is open: %(start)s – %(end)s.")
            % {"name": period.name, "start": period.starts_on, "end": period.ends_on},
        )
        return redirect("scoring:period-detail", pk=period.pk)


class PeriodEditView(HrOnlyMixin, View):
    template_name = "scoring/periods/period_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.period = get_object_or_404(Period, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def render(self, form):
        context = {
            "form": style_form(form),
            "title": _("Edit %(name)s") % {"name": self.period.name},
            "period": self.period,
        }
        return render(self.request, self.template_name, context)

    def get(self, request, pk):
        if self.period.state != PeriodState.OPEN:
            try:
                services.ensure_period_open(self.period)
            except ValidationError as error:
                for text in _error_messages(error):
                    messages.error(request, text)
            return redirect("scoring:period-detail", pk=pk)
        initial = {
            "name": self.period.name,
            "ends_on": self.period.ends_on,
            "adjustment_bound": self.period.adjustment_bound,
            "appeal_days": self.period.appeal_days,
        }
        return self.render(PeriodEditForm(initial=initial, period=self.period))

    def post(self, request, pk):
        form = PeriodEditForm(
            request.POST, period=self.period, initial={"ends_on": self.period.ends_on}
        )
        if not form.is_valid():
            return self.render(form)
        data = form.cleaned_data
        try:
            services.period_update(
                period=self.period,
                actor=request.user,
                name=data["name"],
                ends_on=data["ends_on"],
                adjustment_bound=data["adjustment_bound"],
                appeal_days=data["appeal_days"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.render(form)
        messages.success(request, _("Period saved."))
        return redirect("scoring:period-detail", pk=pk)


# --- The period page -------------------------------------------------------------------------


def _department_filter(request):
    """The department chosen in ``?department=`` among those the user may filter by."""
    departments = list(selectors.score_departments(request.user))
    wanted = request.GET.get("department", "")
    chosen = next((d for d in departments if str(d.pk) == wanted), None)
    return departments, chosen


@method_decorator(never_cache, name="dispatch")
class PeriodDetailView(LoginRequiredMixin, View):
    """The state, dates, deadlines and counts of a period, HR's actions on it, and the
    scores of the people the viewer may see (live while the period is open)."""

    template_name = "scoring/periods/period_detail.html"

    def get(self, request, pk):
        period = get_object_or_404(Period.objects.visible_to(request.user), pk=pk)
        if not selectors.can_see_team_scores(request.user):
            # A salesperson sees nobody's score but their own.
            return redirect("scoring:person-score", pk=period.pk, person_pk=request.user.pk)
        departments, department = _department_filter(request)
        sort = request.GET.get("sort", "-total")
        if sort not in selectors.RESULT_SORTS:
            sort = "-total"
        live = period.state == PeriodState.OPEN
        if live:
            rows = selectors.live_results(period, request.user, department=department, sort=sort)
            counts = {"results": len(rows)}
            open_appeals = []
        else:
            rows = selectors.period_results(period, request.user, department=department, sort=sort)
            counts = selectors.period_counts(period, request.user)
            open_appeals = selectors.decorate_appeals(
                selectors.period_open_appeals(period, request.user), request.user
            )
        page = Paginator(rows, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        sort_query = query.copy()
        sort_query.pop("sort", None)
        context = {
            "period": period,
            "title": period.name,
            "live": live,
            "page": page,
            "counts": counts,
            "open_appeals": open_appeals,
            "deadline": services.appeal_deadline(period),
            "departments": departments,
            "department": department,
            "sort": sort,
            "query_without_page": query.urlencode(),
            "query_without_sort": sort_query.urlencode(),
            "is_hr": services.is_hr(request.user),
        }
        return render(request, self.template_name, context)


# --- HR's actions on a period ----------------------------------------------------------------


class PeriodActionView(HrOnlyMixin, View):
    """GET asks for confirmation; POST calls the service. A refusal is shown on the
    confirmation page with the service's message."""

    form_class = None
    title = ""
    button = ""
    button_class = "btn-primary"
    testid = ""

    def dispatch(self, request, *args, **kwargs):
        self.period = get_object_or_404(Period, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def explanation(self) -> str:
        return ""

    def extra_context(self) -> dict:
        return {}

    def render(self, form=None, errors=()):
        context = {
            "period": self.period,
            "title": str(self.title) % {"name": self.period.name},
            "explanation": self.explanation(),
            "button": self.button,
            "button_class": self.button_class,
            "testid": self.testid,
            "form": style_form(form) if form is not None else None,
            "errors": list(errors),
            "cancel_url": reverse("scoring:period-detail", args=[self.period.pk]),
            **self.extra_context(),
        }
        return render(self.request, CONFIRM_TEMPLATE, context)

    def get(self, request, pk):
        return self.render(self.form_class() if self.form_class else None)

    def post(self, request, pk):
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            return self.render(form)
        try:
            message = self.perform(form)
        except ValidationError as error:
            if form is not None and hasattr(error, "error_dict"):
                apply_validation_error(form, error)
                return self.render(form)
            return self.render(form, errors=_error_messages(error))
        messages.success(request, message)
        return redirect("scoring:period-detail", pk=self.period.pk)

    def perform(self, form) -> str:
        """Call the period service; return the success message (each action its own)."""
        raise NotImplementedError


class PeriodCloseView(PeriodActionView):
    title = gettext_lazy("Close %(name)s")
    button = gettext_lazy("Close the period")
    button_class = "btn-warning"
    testid = "confirm-close"

    def explanation(self):
        return _(
            "Closing freezes every score of %(name)s with its inputs and rules. Afterwards only "
            "adjustments within the bound, acknowledgements and appeals change a result; each "
            "person is told and may appeal for %(days)s days."
        ) % {"name": self.period.name, "days": self.period.appeal_days}

    def perform(self, form):
        services.period_close(period=self.period, actor=self.request.user)
        frozen = Result.objects.filter(period=self.period, version=self.period.version).count()
        return ngettext(
            "%(name)s is closed: %(count)s result frozen.",
            "%(name)s is closed: %(count)s results frozen.",
            frozen,
        ) % {"name": self.period.name, "count": frozen}


class PeriodPublishView(PeriodActionView):
    title = gettext_lazy("Publish %(name)s")
    button = gettext_lazy("Publish the results")
    button_class = "btn-success"
    testid = "confirm-publish"

    def explanation(self):
        return _(
            "Publishing makes the results of %(name)s final: nothing changes afterwards, "
            "except through a new version with a reason. Each person is told their score."
        ) % {"name": self.period.name}

    def extra_context(self):
        return {
            "open_appeals": selectors.decorate_appeals(
                selectors.period_open_appeals(self.period, self.request.user), self.request.user
            )
        }

    def perform(self, form):
        services.period_publish(period=self.period, actor=self.request.user)
        return _("%(name)s is published.") % {"name": self.period.name}


class PeriodNewVersionView(PeriodActionView):
    form_class = NewVersionForm
    title = gettext_lazy("New version of %(name)s")
    button = gettext_lazy("Create the new version")
    testid = "confirm-new-version"

    def explanation(self):
        return _(
            "A new version reopens the published results of %(name)s for adjustments and "
            "appeals; version %(version)s stays readable, and the changes are listed."
        ) % {"name": self.period.name, "version": self.period.version}

    def perform(self, form):
        services.period_new_version(
            period=self.period, actor=self.request.user, reason=form.cleaned_data["reason"]
        )
        return _("Version %(version)s of %(name)s is open for adjustments and appeals.") % {
            "version": self.period.version,
            "name": self.period.name,
        }


@method_decorator(never_cache, name="dispatch")
class PeriodChangesView(LoginRequiredMixin, View):
    """What a version changed against the previous one, person by person."""

    template_name = "scoring/periods/changes.html"

    def get(self, request, pk):
        period = get_object_or_404(Period.objects.visible_to(request.user), pk=pk)
        try:
            version = int(request.GET.get("version") or period.version)
        except ValueError:
            raise Http404 from None
        if not 2 <= version <= period.version:
            raise Http404
        context = {
            "period": period,
            "title": _("Changes in version %(version)s of %(name)s")
            % {"version": version, "name": period.name},
            "changes": selectors.version_changes(period, request.user, version),
            "versions": range(period.version, 1, -1),
        }
        return render(request, self.template_name, context)


# --- Responses to a result: acknowledge, appeal, adjust, resolve -----------------------------


class ResultMixin(LoginRequiredMixin):
    """The result (or appeal) in the user's scope, else 404."""

    def get_result(self, pk) -> Result:
        return get_object_or_404(
            Result.objects.visible_to(self.request.user).select_related(
                "period", "person", "department", "scorecard"
            ),
            pk=pk,
        )

    def result_context(self, result) -> dict:
        return {
            "result": result,
            "period": result.period,
            "person": result.person,
            "deadline": services.appeal_deadline(result.period),
            "score_url": _score_url(result),
        }


@method_decorator(never_cache, name="dispatch")
class ResultAcknowledgeView(ResultMixin, View):
    def render(self, result, errors=()):
        context = {
            **self.result_context(result),
            "title": _("Acknowledge your result for %(name)s") % {"name": result.period.name},
            "explanation": _(
                "You accept your score of %(total)s. Once acknowledged, the result can no "
                "longer be appealed."
            )
            % {"total": result.total},
            "button": pgettext("appraisal result", "Acknowledge"),
            "button_class": "btn-success",
            "testid": "confirm-acknowledge",
            "errors": list(errors),
            "cancel_url": _score_url(result),
        }
        return render(self.request, CONFIRM_TEMPLATE, context)

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.result = self.get_result(kwargs["pk"])
        if self.result.person_id != request.user.pk:
            _refuse(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        return self.render(self.result)

    def post(self, request, pk):
        try:
            services.result_acknowledge(result=self.result, person=request.user)
        except ValidationError as error:
            return self.render(self.result, errors=_error_messages(error))
        messages.success(request, _("You have acknowledged your result."))
        return redirect(_score_url(self.result))


class _ResultFormView(ResultMixin, View):
    """A form about one result whose valid data goes to a service."""

    title = ""
    button = ""
    testid = ""

    def allowed(self, result) -> bool:
        """Whether the user may take this action on the result (each form its own rule)."""
        raise NotImplementedError

    def load(self, pk):
        return self.get_result(pk)

    def result_of(self, obj) -> Result:
        return obj

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.object = self.load(kwargs["pk"])
        self.result = self.result_of(self.object)
        if not self.allowed(self.result):
            _refuse(request)
        return super().dispatch(request, *args, **kwargs)

    def make_form(self, data=None):
        """The bound or blank form of this action (each view its own form)."""
        raise NotImplementedError

    def extra_context(self) -> dict:
        return {}

    def render(self, form):
        context = {
            **self.result_context(self.result),
            "title": str(self.title) % {"name": self.result.person.name},
            "form": style_form(form),
            "button": self.button,
            "testid": self.testid,
            "cancel_url": _score_url(self.result),
            **self.extra_context(),
        }
        return render(self.request, RESULT_FORM_TEMPLATE, context)

    def get(self, request, pk):
        return self.render(self.make_form())

    def post(self, request, pk):
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render(form)
        try:
            message = self.perform(form)
        except ValidationError as error:
            apply_validation_error(form, error)
            return self.render(form)
        messages.success(request, message)
        return redirect(self.success_url())

    def success_url(self) -> str:
        return _score_url(self.result)


@method_decorator(never_cache, name="dispatch")
class ResultAppealView(_ResultFormView):
    title = gettext_lazy("Appeal against your result")
    button = gettext_lazy("Submit the appeal")
    testid = "submit-appeal"

    def allowed(self, result):
        return result.person_id == self.request.user.pk

    def make_form(self, data=None):
        return AppealForm(data)

    def perform(self, form):
        services.appeal_submit(
            result=self.result, person=self.request.user, reason=form.cleaned_data["reason"]
        )
        return _("Your appeal is submitted: your manager and HR have been told.")


def _indicator_choices(result) -> list[tuple[str, str]]:
    choices = []
    for item in result.items or []:
        code = item["indicator"]
        try:
            name = str(indicators.get(code).name)
        except KeyError:
            name = code
        points = item.get("points")
        if points is not None:
            name = _("%(name)s (now %(points)s points)") % {"name": name, "points": points}
        choices.append((code, name))
    return choices


@method_decorator(never_cache, name="dispatch")
class ResultAdjustView(_ResultFormView):
    title = gettext_lazy("Adjust the score of %(name)s")
    button = gettext_lazy("Save the adjustment")
    testid = "save-adjustment"

    def allowed(self, result):
        return services.manages_result(self.request.user, result)

    def make_form(self, data=None):
        return AdjustmentForm(data, indicators=_indicator_choices(self.result))

    def extra_context(self):
        return {"show_bound": True}

    def perform(self, form):
        data = form.cleaned_data
        services.result_adjust(
            result=self.result,
            actor=self.request.user,
            points=data["points"],
            reason=data["reason"],
            indicator=data["indicator"],
        )
        return _("Adjustment saved: the score of %(name)s is now %(total)s.") % {
            "name": self.result.person.name,
            "total": self.result.total,
        }


@method_decorator(never_cache, name="dispatch")
class AppealResolveView(_ResultFormView):
    title = gettext_lazy("Resolve the appeal of %(name)s")
    button = gettext_lazy("Resolve the appeal")
    testid = "resolve-appeal"

    def load(self, pk):
        return get_object_or_404(
            Appeal.objects.visible_to(self.request.user).select_related(
                "result__period", "result__person", "result__department", "resolved_by"
            ),
            pk=pk,
        )

    def result_of(self, appeal):
        return appeal.result

    def allowed(self, result):
        return services.manages_result(self.request.user, result)

    def make_form(self, data=None):
        return AppealResolutionForm(data)

    def extra_context(self):
        return {"appeal": self.object, "show_bound": True}

    def get(self, request, pk):
        if self.object.state != AppealState.OPEN:
            messages.info(request, _("This appeal has been resolved already."))
            return redirect(_score_url(self.result))
        return super().get(request, pk)

    def perform(self, form):
        data = form.cleaned_data
        upheld = data["decision"] == AppealResolutionForm.UPHOLD
        services.appeal_resolve(
            appeal=self.object,
            actor=self.request.user,
            upheld=upheld,
            resolution=data["resolution"],
            points=data["points"],
        )
        self.result.refresh_from_db()
        if upheld:
            return _("The appeal is upheld: the score of %(name)s is %(total)s.") % {
                "name": self.result.person.name,
                "total": self.result.total,
            }
        return _("The appeal is rejected.")


# --- The appeals list ------------------------------------------------------------------------


@method_decorator(never_cache, name="dispatch")
class AppealListView(LoginRequiredMixin, View):
    """Appeals in the user's scope, open ones first, each with its deadline and a link to
    resolve it for those who may."""

    template_name = "scoring/periods/appeal_list.html"

    def get(self, request):
        state = request.GET.get("state", "")
        if state not in AppealState.values:
            state = ""
        appeals = selectors.appeals_for_list(request.user, state=state)
        page = Paginator(appeals, APPEALS_PER_PAGE).get_page(request.GET.get("page"))
        page.object_list = selectors.decorate_appeals(page.object_list, request.user)
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "title": _("Appeals"),
            "page": page,
            "state": state,
            "states": AppealState.choices,
            "query_without_page": query.urlencode(),
        }
        return render(request, self.template_name, context)


urlpatterns = [
    path("periods/new/", PeriodCreateView.as_view(), name="period-create"),
    path("periods/<int:pk>/", PeriodDetailView.as_view(), name="period-detail"),
    path("periods/<int:pk>/edit/", PeriodEditView.as_view(), name="period-edit"),
    path("periods/<int:pk>/close/", PeriodCloseView.as_view(), name="period-close"),
    path("periods/<int:pk>/publish/", PeriodPublishView.as_view(), name="period-publish"),
    path(
        "periods/<int:pk>/new-version/",
        PeriodNewVersionView.as_view(),
        name="period-new-version",
    ),
    path("periods/<int:pk>/changes/", PeriodChangesView.as_view(), name="period-changes"),
    path(
        "results/<int:pk>/acknowledge/",
        ResultAcknowledgeView.as_view(),
        name="result-acknowledge",
    ),
    path("results/<int:pk>/appeal/", ResultAppealView.as_view(), name="result-appeal"),
    path("results/<int:pk>/adjust/", ResultAdjustView.as_view(), name="result-adjust"),
    path("appeals/", AppealListView.as_view(), name="appeal-list"),
    path("appeals/<int:pk>/resolve/", AppealResolveView.as_view(), name="appeal-resolve"),
]
