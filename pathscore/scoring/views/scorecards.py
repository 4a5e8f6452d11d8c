"""Scorecards (考核方案): HR admins keep them; everyone may read the published rules.

A scorecard is edited as a draft (dimension weights, indicators with their rules), then
published with a note; the previous published version retires. Publishing refuses weights
that do not total 100 and rules that make no sense, naming the dimension or indicator.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from pathscore.core.choices import Role
from pathscore.core.forms import style_form
from pathscore.core.scoping import scope_for
from pathscore.core.views import (
    PermissionRequiredMixin,
    ScopedListView,
    apply_validation_error,
)
from pathscore.scoring import selectors, services
from pathscore.scoring.choices import ScorecardStatus
from pathscore.scoring.filtersets import ScorecardFilterSet
from pathscore.scoring.forms import (
    DimensionWeightsForm,
    ScorecardCreateForm,
    ScorecardHeaderForm,
    ScorecardItemForm,
    ScorecardItemFormSet,
    ScorecardPublishForm,
)
from pathscore.scoring.models import Scorecard
from pathscore.scoring.tables import ScorecardTable

#: Who reads scorecards in the menu (anyone signed in may open a published one).
SCORECARD_READER_ROLES = frozenset({Role.HR_ADMIN, Role.EXECUTIVE})


class ScorecardEditorMixin(PermissionRequiredMixin):
    def allowed(self, scope):
        return scope.has_role(Role.HR_ADMIN)


class ScorecardListView(ScopedListView):
    model = Scorecard
    table_class = ScorecardTable
    filterset_class = ScorecardFilterSet
    title = gettext_lazy("Scorecards")
    export_name = "scorecards"
    create_label = gettext_lazy("New scorecard")

    def scoped_queryset(self):
        return selectors.scorecards_for_list(self.request.user)

    def get_create_url(self):
        if scope_for(self.request.user).has_role(Role.HR_ADMIN):
            return reverse("scoring:scorecard-create")
        return None


def _scorecard_or_404(request, pk) -> Scorecard:
    return get_object_or_404(selectors.scorecard_for_detail(request.user), pk=pk)


def render_scorecard(request, scorecard, *, publish_form=None, status=200):
    can_edit = services.can_edit_scorecards(request.user)
    versions = list(selectors.scorecard_versions(scorecard, request.user))
    is_draft = scorecard.status == ScorecardStatus.DRAFT
    context = {
        "scorecard": scorecard,
        "title": str(scorecard),
        "layout": selectors.scorecard_layout(scorecard),
        "dimension_total": sum((d.weight for d in scorecard.dimensions.all()), 0),
        "versions": versions,
        "can_edit": can_edit,
        "is_draft": is_draft,
        "problems": services.scorecard_problems(scorecard) if is_draft and can_edit else [],
        "publish_form": style_form(publish_form or ScorecardPublishForm()),
        "has_draft": any(v.status == ScorecardStatus.DRAFT for v in versions),
    }
    return render(request, "scoring/scorecards/scorecard_detail.html", context, status=status)


class ScorecardDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        return render_scorecard(request, _scorecard_or_404(request, pk))


class ScorecardCreateView(ScorecardEditorMixin, View):
    template_name = "scoring/scorecards/scorecard_create.html"

    def show(self, form, status=200):
        return render(
            self.request,
            self.template_name,
            {"form": style_form(form), "title": _("New scorecard")},
            status=status,
        )

    def get(self, request):
        return self.show(ScorecardCreateForm())

    def post(self, request):
        form = ScorecardCreateForm(request.POST)
        if form.is_valid():
            try:
                scorecard = services.scorecard_create(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(
                    request, _("Scorecard created: add its dimensions and indicators.")
                )
                return redirect("scoring:scorecard-edit", pk=scorecard.pk)
        return self.show(form, status=400)


def _editor_errors(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            key: list(ValidationError(value).messages) for key, value in error.error_dict.items()
        }
    return {"__all__": list(error.messages)}


class ScorecardEditView(ScorecardEditorMixin, View):
    """The draft editor: name and coverage, dimension weights and the indicator rows."""

    template_name = "scoring/scorecards/scorecard_form.html"

    def load(self, request, pk) -> Scorecard:
        scorecard = _scorecard_or_404(request, pk)
        if scorecard.status != ScorecardStatus.DRAFT:
            messages.error(request, _("Only a draft can be changed: create a new draft first."))
            return None
        return scorecard

    def show(self, scorecard, header, weights, items, errors=None, status=200):
        errors = errors or {}
        return render(
            self.request,
            self.template_name,
            {
                "scorecard": scorecard,
                "title": _("Edit %(name)s") % {"name": scorecard},
                "header": style_form(header),
                "weights": style_form(weights),
                "items": items,
                "empty_item": style_form(items.empty_form),
                "errors": errors,
                "header_errors": [
                    message
                    for key in ("__all__", "name", "department", "role")
                    for message in errors.get(key, [])
                    if key not in header.fields or key == "__all__"
                ],
            },
            status=status,
        )

    def get(self, request, pk):
        scorecard = self.load(request, pk)
        if scorecard is None:
            return redirect("scoring:scorecard-detail", pk=pk)
        header = ScorecardHeaderForm(
            initial={
                "name": scorecard.name,
                "department": scorecard.department_id,
                "role": scorecard.role,
            }
        )
        weights = DimensionWeightsForm(
            initial={d.dimension: d.weight for d in scorecard.dimensions.all()}
        )
        items = ScorecardItemFormSet(
            prefix="items",
            initial=[ScorecardItemForm.initial_for(item) for item in scorecard.items.all()],
        )
        for form in items:
            style_form(form)
        return self.show(scorecard, header, weights, items)

    def post(self, request, pk):
        scorecard = self.load(request, pk)
        if scorecard is None:
            return redirect("scoring:scorecard-detail", pk=pk)
        header = ScorecardHeaderForm(request.POST)
        weights = DimensionWeightsForm(request.POST)
        items = ScorecardItemFormSet(request.POST, prefix="items")
        valid = all([header.is_valid(), weights.is_valid(), items.is_valid()])
        for form in items:
            style_form(form)
        errors = {}
        if valid:
            rows = [
                form.item()
                for form in items
                if form.has_changed() or form.initial
                if not form.cleaned_data.get("DELETE") and form.cleaned_data
            ]
            try:
                services.scorecard_save_draft(
                    scorecard=scorecard,
                    actor=request.user,
                    name=header.cleaned_data["name"],
                    department=header.cleaned_data["department"],
                    role=header.cleaned_data["role"],
                    dimensions=weights.weights(),
                    items=rows,
                )
            except ValidationError as error:
                errors = _editor_errors(error)
                for key in ("name", "department", "role"):
                    for message in errors.get(key, []):
                        header.add_error(key, message)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("scoring:scorecard-detail", pk=scorecard.pk)
        else:
            errors = {"__all__": [_("Correct the marked fields below.")]}
        return self.show(scorecard, header, weights, items, errors, status=400)


class ScorecardPublishView(ScorecardEditorMixin, View):
    def post(self, request, pk):
        scorecard = _scorecard_or_404(request, pk)
        form = ScorecardPublishForm(request.POST)
        if form.is_valid():
            try:
                services.scorecard_publish(
                    scorecard=scorecard, actor=request.user, note=form.cleaned_data["note"]
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("Scorecard published."))
                return redirect("scoring:scorecard-detail", pk=scorecard.pk)
        return render_scorecard(request, scorecard, publish_form=form, status=400)


class ScorecardNewDraftView(ScorecardEditorMixin, View):
    def post(self, request, pk):
        scorecard = _scorecard_or_404(request, pk)
        try:
            draft = services.scorecard_new_draft(code=scorecard.code, actor=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("scoring:scorecard-detail", pk=pk)
        messages.success(request, _("New draft created from the published version."))
        return redirect("scoring:scorecard-edit", pk=draft.pk)


class ScorecardDiscardView(ScorecardEditorMixin, View):
    def post(self, request, pk):
        scorecard = _scorecard_or_404(request, pk)
        try:
            services.scorecard_discard(scorecard=scorecard, actor=request.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("scoring:scorecard-detail", pk=pk)
        messages.success(request, _("Draft discarded."))
        return redirect("scoring:scorecard-list")


urlpatterns = [
    path("scorecards/", ScorecardListView.as_view(), name="scorecard-list"),
    path("scorecards/new/", ScorecardCreateView.as_view(), name="scorecard-create"),
    path("scorecards/<int:pk>/", ScorecardDetailView.as_view(), name="scorecard-detail"),
    path("scorecards/<int:pk>/edit/", ScorecardEditView.as_view(), name="scorecard-edit"),
    path("scorecards/<int:pk>/publish/", ScorecardPublishView.as_view(), name="scorecard-publish"),
    path(
        "scorecards/<int:pk>/new-draft/",
        ScorecardNewDraftView.as_view(),
        name="scorecard-new-draft",
    ),
    path("scorecards/<int:pk>/discard/", ScorecardDiscardView.as_view(), name="scorecard-discard"),
]
