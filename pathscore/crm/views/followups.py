"""Follow-ups (跟进记录): the list, a record's page, the quick entry form, next actions
and customer needs.

The form is built for a phone: the floating "+" on every page opens it, the project of
the last follow-up is already picked, project and customer search as you type (htmx), and
one tap saves. A hidden ``client_key`` makes a double tap save once.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from pathscore.core.history import history_entries
from pathscore.core.scoping import scope_for
from pathscore.core.views import (
    PermissionRequiredMixin,
    ScopedDetailView,
    ScopedListView,
    ServiceFormMixin,
)
from pathscore.crm import selectors, services
from pathscore.crm.filtersets import FollowUpFilterSet
from pathscore.crm.forms import FollowUpForm, followup_target_value, parse_followup_target
from pathscore.crm.models import CustomerNeed, FollowUp
from pathscore.crm.navigation import next_actions_panel
from pathscore.crm.tables import FollowUpTable
from pathscore.crm.views.common import can_record_followups


class FollowUpWriterRequiredMixin(PermissionRequiredMixin):
    def allowed(self, scope):
        return can_record_followups(scope)


#: Service errors about the project or the customer belong to the form's picker.
_TARGET_FIELDS = {"project": "target", "customer": "target"}


def _retarget(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    moved: dict[str, list] = {}
    for field, errors in error.error_dict.items():
        moved.setdefault(_TARGET_FIELDS.get(field, field), []).extend(errors)
    return ValidationError(moved)


def _safe_next(request, fallback: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


class FollowUpListView(ScopedListView):
    model = FollowUp
    table_class = FollowUpTable
    filterset_class = FollowUpFilterSet
    title = gettext_lazy("Follow-ups")
    export_name = "followups"
    create_label = gettext_lazy("New follow-up")

    def scoped_queryset(self):
        return selectors.followups_for_list(self.request.user)

    def get_create_url(self):
        if can_record_followups(scope_for(self.request.user)):
            return reverse("crm:followup-create")
        return None


class FollowUpDetailView(ScopedDetailView):
    model = FollowUp
    template_name = "crm/followups/followup_detail.html"
    context_object_name = "followup"

    def scoped_queryset(self):
        return selectors.followup_for_detail(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        followup = self.object
        user = self.request.user
        context["needs"] = selectors.needs_for_followup(followup)
        context["can_edit"] = followup.author_id == user.pk
        context["can_complete"] = bool(
            followup.next_action
            and followup.next_action_done_at is None
            and (
                followup.author_id == user.pk
                or (followup.project is not None and followup.project.owner_id == user.pk)
            )
        )
        context["history"] = history_entries(followup, limit=30)
        return context


class _FollowUpFormView(FollowUpWriterRequiredMixin, ServiceFormMixin, FormView):
    form_class = FollowUpForm
    template_name = "crm/followups/followup_form.html"
    instance = None

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "instance": self.instance}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        user = self.request.user
        context["followup"] = self.instance
        context["target_value"] = followup_target_value(form.target_project, form.target_customer)
        context["target_project"] = form.target_project
        context["target_customer"] = form.target_customer
        context["recent_projects"] = [
            project
            for project in selectors.recent_projects_for(user)
            if project != form.target_project
        ]
        context["contact_rows"] = _checked_rows(form, "contacts")
        context["participant_rows"] = _checked_rows(form, "participants")
        return context


def _checked_rows(form, name):
    """(object, checked) pairs for a multiple-choice field, from what was typed or stored."""
    field = form.fields[name]
    value = form[name].value() or []
    chosen = {str(item.pk if hasattr(item, "pk") else item) for item in value}
    return [(obj, str(obj.pk) in chosen) for obj in field.queryset]


class FollowUpCreateView(_FollowUpFormView):
    """The quick entry. ``?project=`` or ``?customer=`` preselects; otherwise the project
    of the user's last follow-up is picked."""

    success_message = gettext_lazy("Follow-up saved.")

    def get_initial(self):
        user = self.request.user
        target = ""
        for kind in ("project", "customer"):
            pk = self.request.GET.get(kind, "")
            if pk.isdigit():
                try:
                    parse_followup_target(user, f"{kind}:{pk}")
                except ValidationError:  # a foreign or stale link picks nothing
                    continue
                else:
                    target = f"{kind}:{pk}"
                    break
        if not target:
            target = followup_target_value(selectors.last_used_project(user))
        return {
            "target": target,
            "occurred_at": timezone.localtime().replace(second=0, microsecond=0),
            "client_key": uuid.uuid4(),
        }

    def perform(self, form):
        try:
            return services.followup_create(actor=self.request.user, **form.service_arguments())
        except ValidationError as error:
            raise _retarget(error) from None

    def get_success_url(self):
        # Back to the record it is about, opened on its timeline: the new entry on top.
        followup = self.object
        record = followup.project if followup.project_id else followup.customer
        return f"{record.get_absolute_url()}?tab=followups"


class FollowUpUpdateView(_FollowUpFormView):
    """Correct a follow-up: its author only (the service refuses anyone else)."""

    success_message = gettext_lazy("Changes saved.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.instance = get_object_or_404(
                selectors.followup_for_detail(request.user), pk=kwargs["pk"]
            )
            if request.method == "GET" and self.instance.author_id != request.user.pk:
                raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        followup = self.instance
        return {
            "target": followup_target_value(followup.project, followup.customer),
            "mode": followup.mode_id,
            "content": followup.content,
            "occurred_at": timezone.localtime(followup.occurred_at),
            "next_action": followup.next_action,
            "next_action_date": followup.next_action_date,
            "participants": [p.pk for p in followup.participants.all()],
            "contacts": [c.pk for c in followup.contacts.all()],
        }

    def perform(self, form):
        followup = FollowUp.objects.get(pk=self.instance.pk)
        try:
            return services.followup_update(
                followup=followup,
                actor=self.request.user,
                expected_revision=form.cleaned_data.get("revision"),
                **form.service_arguments(),
            )
        except ValidationError as error:
            raise _retarget(error) from None

    def get_success_url(self):
        return self.object.get_absolute_url()


class FollowUpDoneView(LoginRequiredMixin, View):
    """POST: tick off a follow-up's next action (from the home panel or the record)."""

    def post(self, request, pk):
        followup = get_object_or_404(
            FollowUp.objects.visible_to(request.user).select_related("project"), pk=pk
        )
        try:
            services.followup_complete_next_action(followup=followup, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            if not request.htmx:
                return redirect(_safe_next(request, followup.get_absolute_url()))
        if request.htmx:
            # The home panel asks for itself again: the item gone, the count right.
            return render(
                request,
                "crm/panels/next_actions.html",
                {"panel": next_actions_panel(request=request)},
            )
        messages.success(request, _("Marked done: %(action)s") % {"action": followup.next_action})
        return redirect(_safe_next(request, reverse("home")))


class NeedHandledView(LoginRequiredMixin, View):
    """POST: mark a customer need handled, or (``handled=0``) open again."""

    def post(self, request, pk):
        need = get_object_or_404(
            CustomerNeed.objects.visible_to(request.user).select_related("followup"), pk=pk
        )
        handled = request.POST.get("handled", "1") != "0"
        try:
            need = services.need_mark_handled(need=need, actor=request.user, handled=handled)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        if request.htmx:
            need = CustomerNeed.objects.select_related("handled_by").get(pk=need.pk)
            return render(
                request,
                "crm/followups/includes/need_item.html",
                {"need": need, "followup": need.followup},
            )
        return redirect(_safe_next(request, need.followup.get_absolute_url()))


class FollowUpTargetsView(LoginRequiredMixin, View):
    """htmx typeahead: the projects and customers matching ``?q=`` that the user may see,
    as radio choices, the current pick (``?target=``) kept on top."""

    def get(self, request):
        user = request.user
        query = request.GET.get("q", "").strip()[:60]
        try:
            project, customer = parse_followup_target(user, request.GET.get("target"))
        except ValidationError:
            project, customer = None, None
        projects, customers = selectors.search_targets(user, query)
        nothing_found = bool(query) and not projects and not customers
        if not query:
            projects = list(selectors.recent_projects_for(user))
        return render(
            request,
            "crm/followups/includes/targets.html",
            {
                "query": query,
                "nothing_found": nothing_found,
                "target_value": followup_target_value(project, customer),
                "target_project": project,
                "target_customer": customer,
                "projects": [p for p in projects if p != project],
                "customers": [c for c in customers if project is not None or c != customer],
            },
        )


class FollowUpContactsView(LoginRequiredMixin, View):
    """htmx: the contact choices of the picked project's or customer's company, keeping
    the ones already ticked that still belong to it."""

    def get(self, request):
        user = request.user
        try:
            _project, customer = parse_followup_target(user, request.GET.get("target"))
        except ValidationError:
            customer = None
        chosen = set(request.GET.getlist("contacts"))
        rows = [
            (contact, str(contact.pk) in chosen)
            for contact in selectors.contact_choices(user, customer)
        ]
        return render(
            request,
            "crm/followups/includes/contacts.html",
            {"contact_rows": rows, "target_customer": customer},
        )


urlpatterns = [
    path("followups/", FollowUpListView.as_view(), name="followup-list"),
    path("followups/new/", FollowUpCreateView.as_view(), name="followup-create"),
    path("followups/targets/", FollowUpTargetsView.as_view(), name="followup-targets"),
    path("followups/contacts/", FollowUpContactsView.as_view(), name="followup-contacts"),
    path("followups/<int:pk>/", FollowUpDetailView.as_view(), name="followup-detail"),
    path("followups/<int:pk>/edit/", FollowUpUpdateView.as_view(), name="followup-update"),
    path("followups/<int:pk>/done/", FollowUpDoneView.as_view(), name="followup-done"),
    path("needs/<int:pk>/handled/", NeedHandledView.as_view(), name="need-handled"),
]
