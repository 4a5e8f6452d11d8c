"""Views of the records: contract negotiation — terms and the milestones after agreement."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from pathscore.core.history import history_entries
from pathscore.core.scoping import scope_for
from pathscore.core.views import ServiceFormMixin
from pathscore.crm import selectors, services
from pathscore.crm.choices import MilestoneKind
from pathscore.crm.forms import ContractTermForm, MilestoneForm
from pathscore.crm.models import ContractTerm, Project
from pathscore.crm.tables import format_cny
from pathscore.crm.views.common import RecordWriterRequiredMixin, can_write_records
from pathscore.crm.views.projects import register_project_section


def contract_url(project) -> str:
    """The project page, opened on its Contract tab."""
    return f"{project.get_absolute_url()}?tab=contract"


def _project_contract(*, project, request):
    """The Contract tab of the project page: terms, how many are agreed, milestones."""
    contract = selectors.contract_for_project(project)
    return {
        "contract": contract,
        "can_write": can_write_records(scope_for(request.user)),
        "signed_amount": format_cny(project.signed_amount),
        "badge": f"{contract.agreed}/{contract.total}" if contract.total else None,
    }


register_project_section(
    "contract",
    gettext_lazy("Contract"),
    "crm/projects/_contract.html",
    _project_contract,
    50,
    icon="bi-file-earmark-check",
)


class ProjectFormMixin(RecordWriterRequiredMixin, ServiceFormMixin):
    """A form about a project the user may see; any other project is a 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.project = get_object_or_404(
                Project.objects.visible_to(request.user).select_related("customer"),
                pk=kwargs["project_pk"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(project=self.project, **kwargs)

    def get_success_url(self):
        return contract_url(self.project)


class TermCreateView(ProjectFormMixin, FormView):
    """Add a term under negotiation (price, payment schedule, warranty…)."""

    form_class = ContractTermForm
    template_name = "crm/contracts/term_form.html"
    success_message = gettext_lazy("The term was added.")

    def get_initial(self):
        topic = self.request.GET.get("topic")
        return {"topic": topic} if topic else {}

    def perform(self, form):
        return services.term_create(
            actor=self.request.user, project=self.project, **form.cleaned_data
        )


class TermUpdateView(RecordWriterRequiredMixin, ServiceFormMixin, FormView):
    """Change a term or its state; the page shows every earlier change."""

    form_class = ContractTermForm
    template_name = "crm/contracts/term_form.html"
    success_message = gettext_lazy("Changes saved.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.term = get_object_or_404(
                ContractTerm.objects.visible_to(request.user).select_related(
                    "project__customer", "updated_by"
                ),
                pk=kwargs["pk"],
            )
            self.project = self.term.project
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.term}

    def get_initial(self):
        term = self.term
        return {
            "topic": term.topic,
            "description": term.description,
            "state": term.state,
            "note": term.note,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            project=self.project, term=self.term, history=history_entries(self.term), **kwargs
        )

    def perform(self, form):
        # A fresh copy: a refused change must not linger on the object the page shows.
        term = ContractTerm.objects.get(pk=self.term.pk)
        data = dict(form.cleaned_data)
        return services.term_update(
            term=term,
            actor=self.request.user,
            expected_revision=data.pop("revision", None),
            **data,
        )

    def get_success_url(self):
        return contract_url(self.project)


class MilestoneRecordView(ProjectFormMixin, FormView):
    """Record the day a milestone was reached; "signed" wins the project."""

    form_class = MilestoneForm
    template_name = "crm/contracts/milestone_form.html"
    success_message = gettext_lazy("The milestone was recorded.")

    def get_initial(self):
        initial = super().get_initial()
        kind = self.request.GET.get("kind")
        if kind in MilestoneKind.values:
            initial["kind"] = kind
            existing = self.project.milestones.filter(kind=kind).first()
            if existing is not None:
                initial.update(reached_on=existing.reached_on, note=existing.note)
        if self.project.signed_amount is not None:
            initial["signed_amount"] = self.project.signed_amount
        return initial

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.project.estimated_amount is not None:
            # A hint, not a value: the signed amount must be typed deliberately.
            form.fields["signed_amount"].widget.attrs["placeholder"] = str(
                self.project.estimated_amount
            )
        return form

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            contract=selectors.contract_for_project(self.project), **kwargs
        )

    def perform(self, form):
        data = form.cleaned_data
        return services.milestone_record(
            actor=self.request.user,
            project=self.project,
            kind=data["kind"],
            reached_on=data["reached_on"],
            note=data["note"],
            signed_amount=data["signed_amount"],
        )


urlpatterns = [
    path("projects/<int:project_pk>/terms/new/", TermCreateView.as_view(), name="term-create"),
    path("terms/<int:pk>/edit/", TermUpdateView.as_view(), name="term-update"),
    path(
        "projects/<int:project_pk>/milestones/",
        MilestoneRecordView.as_view(),
        name="milestone-record",
    ),
]
