"""Views of the records: documents, their versions, downloads and customer feedback.

Uploads are checked by content in the services before anything is stored. A request
body larger than the upload limit is refused here before Django reads it: these views
are exempt from the CSRF middleware (which would parse the whole body to find the
token) and run the same CSRF check themselves once the size is known to be acceptable.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import FormView

from pathscore.core.history import history_entries
from pathscore.core.ratelimit import limited
from pathscore.core.scoping import scope_for
from pathscore.core.views import (
    PermissionRequiredMixin,
    ScopedDetailView,
    ScopedListView,
    ServiceFormMixin,
)
from pathscore.crm import selectors, services
from pathscore.crm.choices import PROPOSAL_KINDS
from pathscore.crm.filtersets import DocumentFilterSet
from pathscore.crm.forms import DocumentUploadForm, VersionFeedbackForm, VersionUploadForm
from pathscore.crm.models import Document, DocumentVersion, Project
from pathscore.crm.tables import DocumentTable
from pathscore.crm.views.common import can_write_documents
from pathscore.crm.views.projects import register_project_section

#: Room in a request for the form's other fields and the multipart boundaries.
UPLOAD_BODY_SLACK = 64 * 1024


class DocumentWriterRequiredMixin(PermissionRequiredMixin):
    """Uploads and feedback: refused (403) to read-only roles."""

    def allowed(self, scope):
        return can_write_documents(scope)


def _project_documents(*, project, request):
    """The Documents tab of the project page."""
    documents = list(selectors.documents_for_project(project, request.user))
    for document in documents:
        # The versions are already loaded (newest first); no further queries.
        document.latest = document.version_list[0] if document.version_list else None
        document.latest_feedback = next(
            (v for v in document.version_list if v.customer_feedback), None
        )
    return {
        "documents": documents,
        "revision_count": selectors.revision_count_for_project(project),
        "can_upload": can_write_documents(scope_for(request.user)),
        "badge": len(documents) or None,
    }


register_project_section(
    "documents",
    gettext_lazy("Documents"),
    "crm/projects/_documents.html",
    _project_documents,
    40,
    icon="bi-file-earmark-text",
)


class DocumentListView(ScopedListView):
    """Every document the user may see, filtered by kind and project, exportable."""

    model = Document
    table_class = DocumentTable
    filterset_class = DocumentFilterSet
    title = gettext_lazy("Documents")
    export_name = "documents"

    def scoped_queryset(self):
        return selectors.documents_for_list(self.request.user)


class DocumentDetailView(ScopedDetailView):
    """A document's versions V1, V2… with change notes, feedback and history."""

    model = Document
    template_name = "crm/documents/document_detail.html"
    context_object_name = "document"

    def get_queryset(self):
        return selectors.document_for_detail(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        document = self.object
        versions = list(selectors.versions_for_document(document, self.request.user))
        context["versions"] = versions
        # Only those who may see the project upload; a previous owner keeps read access.
        project_visible = (
            Project.objects.visible_to(self.request.user).filter(pk=document.project_id).exists()
        )
        context["project_visible"] = project_visible
        context["can_upload"] = project_visible and can_write_documents(
            scope_for(self.request.user)
        )
        context["next_label"] = f"V{document.version_count + 1}"
        context["is_proposal"] = document.kind in PROPOSAL_KINDS
        context["history"] = document_history(document, versions)
        return context


def document_history(document: Document, versions) -> list:
    """The document's own changes and its versions' (uploads, feedback), newest first,
    each entry labelled with what it is about."""
    entries = []
    for entry in history_entries(document):
        entry.subject = str(document)
        entries.append(entry)
    for version in versions:
        for entry in history_entries(version):
            entry.subject = version.label
            entries.append(entry)
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries


class UploadGuardMixin:
    """Refuse too many uploads (429) and an oversized request body (413) before reading
    it, then check CSRF as usual."""

    @classmethod
    def as_view(cls, **initkwargs):
        # The middleware's CSRF check reads request.POST, i.e. the whole upload; post()
        # below runs the same check after the size test instead.
        return csrf_exempt(super().as_view(**initkwargs))

    def post(self, request, *args, **kwargs):
        refused = limited(request, "upload")
        if refused is not None:
            return refused
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.UPLOAD_MAX_BYTES
        if length > limit + UPLOAD_BODY_SLACK:
            message = _("The file is %(size)s; the limit is %(limit)s.") % {
                "size": filesizeformat(length),
                "limit": filesizeformat(limit),
            }
            context = self.get_context_data(form=self.get_form_class()(), upload_refused=message)
            return self.render_to_response(context, status=413)
        return csrf_protect(self._post_checked)(request, *args, **kwargs)

    def _post_checked(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class DocumentCreateView(DocumentWriterRequiredMixin, UploadGuardMixin, ServiceFormMixin, FormView):
    """A new document on a project, uploaded as V1."""

    form_class = DocumentUploadForm
    template_name = "crm/documents/document_form.html"
    success_message = gettext_lazy("The document was uploaded as V1.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.project = get_object_or_404(
                Project.objects.visible_to(request.user).select_related("customer"),
                pk=kwargs["project_pk"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        kind = self.request.GET.get("kind")
        return {"kind": kind} if kind else {}

    def get_context_data(self, **kwargs):
        return super().get_context_data(project=self.project, **kwargs)

    def perform(self, form):
        data = form.cleaned_data
        return services.document_create(
            actor=self.request.user,
            project=self.project,
            kind=data["kind"],
            title=data["title"],
            file=data["file"],
            change_note=data["change_note"],
        )

    def get_success_url(self):
        return reverse("crm:document-detail", args=[self.object.document_id])


class VersionCreateView(DocumentWriterRequiredMixin, UploadGuardMixin, ServiceFormMixin, FormView):
    """The next version (V2, V3, …) of a document, by someone who may see its project."""

    form_class = VersionUploadForm
    template_name = "crm/documents/version_form.html"
    success_message = gettext_lazy("The new version was uploaded.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            visible_projects = Project.objects.visible_to(request.user).values("pk")
            self.document = get_object_or_404(
                Document.objects.visible_to(request.user)
                .filter(project_id__in=visible_projects)
                .select_related("project__customer"),
                pk=kwargs["pk"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            document=self.document, next_label=f"V{self.document.version_count + 1}", **kwargs
        )

    def perform(self, form):
        return services.document_add_version(
            actor=self.request.user,
            document=self.document,
            file=form.cleaned_data["file"],
            change_note=form.cleaned_data["change_note"],
        )

    def get_success_url(self):
        return reverse("crm:document-detail", args=[self.document.pk])


class VersionFeedbackView(DocumentWriterRequiredMixin, ServiceFormMixin, FormView):
    """Record what the customer said about one version."""

    form_class = VersionFeedbackForm
    template_name = "crm/documents/feedback_form.html"
    success_message = gettext_lazy("The customer's feedback was recorded.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            visible_projects = Project.objects.visible_to(request.user).values("pk")
            self.version = get_object_or_404(
                DocumentVersion.objects.visible_to(request.user)
                .filter(document__project_id__in=visible_projects)
                .select_related("document__project", "uploaded_by"),
                pk=kwargs["pk"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        initial = super().get_initial()
        if self.version.customer_feedback:
            initial.update(
                feedback=self.version.customer_feedback, feedback_on=self.version.feedback_on
            )
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            version=self.version, document=self.version.document, **kwargs
        )

    def perform(self, form):
        return services.version_record_feedback(
            actor=self.request.user,
            version=self.version,
            feedback=form.cleaned_data["feedback"],
            feedback_on=form.cleaned_data["feedback_on"],
        )

    def get_success_url(self):
        return reverse("crm:document-detail", args=[self.version.document_id])


class VersionDownloadView(LoginRequiredMixin, View):
    """Serve a version's file as an attachment to someone who may see it; else 404."""

    def get(self, request, pk):
        version = get_object_or_404(DocumentVersion.objects.visible_to(request.user), pk=pk)
        try:
            handle = version.file.storage.open(version.file.name, "rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=version.original_name,
            content_type=version.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


urlpatterns = [
    path("documents/", DocumentListView.as_view(), name="document-list"),
    path(
        "projects/<int:project_pk>/documents/new/",
        DocumentCreateView.as_view(),
        name="document-create",
    ),
    path("documents/<int:pk>/", DocumentDetailView.as_view(), name="document-detail"),
    path("documents/<int:pk>/versions/new/", VersionCreateView.as_view(), name="version-create"),
    path("versions/<int:pk>/download/", VersionDownloadView.as_view(), name="version-download"),
    path("versions/<int:pk>/feedback/", VersionFeedbackView.as_view(), name="version-feedback"),
]
