"""Generic views every app builds on, and the pages that belong to no app.

``ScopedListView`` and ``ScopedDetailView`` start from ``Model.objects.visible_to(user)``,
so a list never shows and a detail page never serves another team's record: a foreign
object is simply not found (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView, TemplateView

from pathscore.core.choices import SecurityEventKind
from pathscore.core.concurrency import StaleRevision
from pathscore.core.export import csv_response, xlsx_response
from pathscore.core.filtersets import SecurityEventFilterSet
from pathscore.core.forms import style_form
from pathscore.core.models import SecurityEvent
from pathscore.core.navigation import panels_for
from pathscore.core.ratelimit import limited
from pathscore.core.scoping import scope_for
from pathscore.core.security import record_security_event
from pathscore.core.tables import SecurityEventTable


class ScopedQuerysetMixin(LoginRequiredMixin):
    """Every object a view can reach comes from ``visible_to(request.user)``."""

    model = None

    def scoped_queryset(self):
        if self.model is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs a model")
        return self.model.objects.visible_to(self.request.user)

    def get_queryset(self):
        return self.scoped_queryset()


class ScopedListView(ScopedQuerysetMixin, ListView):
    """A filtered, sortable, paginated, exportable list.

    Subclasses set ``model``, ``table_class``, ``filterset_class`` and a title. The same
    FilterSet drives the HTML list, the export and the API. With ``?export=xlsx`` or
    ``?export=csv`` the filtered rows are streamed as a file.
    """

    table_class = None
    filterset_class = None
    paginate_by = 25
    template_name = "core/list.html"
    partial_template_name = "core/includes/table.html"
    title = ""
    export_name = "export"
    create_url = None
    create_label = ""

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(
                self.request.GET or None, queryset=queryset, request=self.request
            )
            style_form(self.filterset.form)
            queryset = self.filterset.qs
        else:
            self.filterset = None
        ordering = self.table_class.ordering_for(self.request.GET.get("sort"))
        if ordering:
            queryset = queryset.order_by(*ordering)
        elif not queryset.ordered:
            queryset = queryset.order_by("-pk")
        return queryset

    def get(self, request, *args, **kwargs):
        export = request.GET.get("export")
        if export in {"xlsx", "csv"}:
            refused = limited(request, "export")
            if refused is not None:
                return refused
            # The export reads the queryset batch by batch as it writes (core.export).
            rows = self.get_queryset()
            record_security_event(
                kind=SecurityEventKind.EXPORT,
                request=request,
                actor=request.user,
                view=type(self).__name__,
                format=export,
                query=request.GET.urlencode()[:500],
            )
            if export == "xlsx":
                return xlsx_response(self.table_class, rows, self.export_name)
            return csv_response(self.table_class, rows, self.export_name)
        return super().get(request, *args, **kwargs)

    def get_template_names(self):
        if getattr(self.request, "htmx", False) and not self.request.htmx.boosted:
            return [self.partial_template_name]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["table"] = self.table_class(
            context["object_list"], order=self.request.GET.get("sort")
        )
        context["filter"] = self.filterset
        context["title"] = self.title
        context["create_url"] = self.get_create_url()
        context["create_label"] = self.create_label
        query = self.request.GET.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        return context

    def get_create_url(self):
        return self.create_url


class ScopedDetailView(ScopedQuerysetMixin, DetailView):
    """A detail page for an object the user may see; anything else is a 404."""


@method_decorator(never_cache, name="dispatch")
class HomeView(LoginRequiredMixin, TemplateView):
    """The role-aware home page: panels contributed by every app the user's roles reach.

    Never cached: panels show the person's own work and score (PIPL)."""

    template_name = "core/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = scope_for(self.request.user)
        panels = []
        for panel in panels_for(scope):
            panel_context = panel.context(request=self.request, scope=scope)
            if panel_context is not None:
                panels.append({"template": panel.template, "context": panel_context})
        context["panels"] = panels
        return context


def error_404(request, exception=None):
    return render(request, "errors/404.html", status=404)


def error_403(request, exception=None):
    return render(request, "errors/403.html", status=403)


def error_500(request):
    # Rendered without the request: no context processors, no database, no traceback.
    return HttpResponseServerError(loader.get_template("errors/500.html").render())


def error_400(request, exception=None):
    return render(request, "errors/400.html", status=400)


class ServiceFormMixin:
    """Hand a valid form to a service; a service's ValidationError lands on the form.

    Subclasses implement ``perform(form)`` calling the service and returning the object.
    The form is re-rendered with everything the user typed and the error next to its field.
    A record someone else saved since the form was loaded is a 409: the form comes back as
    typed with the message on top, now carrying the record's new revision, so saving again
    is a deliberate choice to replace the other change.
    """

    success_message = ""

    def get_form(self, form_class=None):
        return style_form(super().get_form(form_class))

    def form_invalid(self, form):
        return super().form_invalid(style_form(form))

    def perform(self, form):
        raise ImproperlyConfigured(f"{type(self).__name__} must define perform()")

    def form_valid(self, form):
        try:
            self.object = self.perform(form)
        except ValidationError as error:
            if isinstance(error, StaleRevision):
                return self.conflict(form, error)
            apply_validation_error(form, error)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return redirect(self.get_success_url())

    def conflict(self, form, error: StaleRevision):
        if "revision" in form.fields:
            form.data = form.data.copy()
            form.data[form.add_prefix("revision")] = str(error.current_revision)
        hint = gettext("Reload to see their change; your input is kept below.")
        for message in error.messages:
            form.add_error(None, f"{message} {hint}")
        response = self.form_invalid(form)
        response.status_code = 409
        return response


def apply_validation_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        for item in error.messages:
            form.add_error(None, item)


class PermissionRequiredMixin(LoginRequiredMixin):
    """Refuse (403) a signed-in user whose scope fails ``allowed(scope)``."""

    def allowed(self, scope) -> bool:
        return False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.allowed(scope_for(request.user)):
            record_security_event(
                kind=SecurityEventKind.PERMISSION_DENIED,
                request=request,
                actor=request.user,
                path=request.path[:300],
            )
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SecurityLogView(ScopedListView):
    """The append-only security log, readable by auditors only (others see it empty)."""

    model = SecurityEvent
    filterset_class = SecurityEventFilterSet
    table_class = SecurityEventTable

    title = _("Security log")
    export_name = "security-log"
    paginate_by = 50

    def scoped_queryset(self):
        return super().scoped_queryset().select_related("actor")
