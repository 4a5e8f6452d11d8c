"""The import pages: templates and upload, a file's check (with its progress), the commit.

The upload is refused before it is read if it is too big (``UploadGuardMixin``); the check
and the write run as jobs, and the batch page polls a small fragment with htmx while they
run, then reloads itself once they are done.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView
from django_htmx.http import HttpResponseClientRefresh

from pathscore.core.export import workbook_response
from pathscore.core.scoping import scope_for
from pathscore.core.views import PermissionRequiredMixin, ScopedDetailView, ServiceFormMixin
from pathscore.crm.views.documents import UploadGuardMixin
from pathscore.transfer import progress, selectors, services
from pathscore.transfer.choices import ImportEntity, ImportStatus
from pathscore.transfer.forms import UploadForm
from pathscore.transfer.models import ImportBatch
from pathscore.transfer.pipelines import PIPELINES, pipelines_for
from pathscore.transfer.workbooks import build_template

#: Where the imported records are listed.
RECORD_LISTS = {
    ImportEntity.CUSTOMERS: "crm:customer-list",
    ImportEntity.CONTACTS: "crm:contact-list",
    ImportEntity.PROJECTS: "crm:project-list",
    ImportEntity.FOLLOWUPS: "crm:followup-list",
    ImportEntity.DEPARTMENTS: "org:department-list",
    ImportEntity.USERS: "org:user-list",
}


class ImporterRequiredMixin(PermissionRequiredMixin):
    """Whoever may import at least one kind of record."""

    def allowed(self, scope):
        return bool(pipelines_for(scope))


class ImportIndexView(ImporterRequiredMixin, UploadGuardMixin, ServiceFormMixin, FormView):
    """The templates to download, the upload form and one's recent imports."""

    form_class = UploadForm
    template_name = "transfer/index.html"

    def pipelines(self):
        return pipelines_for(scope_for(self.request.user))

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "pipelines": self.pipelines()}

    def get_form_class(self):
        # UploadGuardMixin builds an empty form to show with a refusal: give it the choices.
        pipelines = self.pipelines()

        class BoundUploadForm(UploadForm):
            def __init__(self, *args, **kwargs):
                kwargs.setdefault("pipelines", pipelines)
                super().__init__(*args, **kwargs)

        return BoundUploadForm

    def get_initial(self):
        entity = self.request.GET.get("entity")
        return {"entity": entity} if entity in PIPELINES else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["pipelines"] = self.pipelines()
        context["batches"] = selectors.recent_batches_for(self.request.user)
        return context

    def perform(self, form):
        return services.batch_upload(
            actor=self.request.user,
            entity=form.cleaned_data["entity"],
            file=form.cleaned_data["file"],
            language=translation.get_language() or "zh-hans",
        )

    def get_success_url(self):
        return self.object.get_absolute_url()


class TemplateDownloadView(ImporterRequiredMixin, View):
    """The template workbook of one kind of record, with today's lists in its dropdowns."""

    def get(self, request, entity):
        pipeline = PIPELINES.get(entity)
        if pipeline is None:
            raise Http404
        if not pipeline.allowed(scope_for(request.user)):
            raise PermissionDenied
        workbook = build_template(
            pipeline, request.user, language=translation.get_language() or "zh-hans"
        )
        return workbook_response(workbook, f"导入模板-{pipeline.sheet}")


class BatchDetailView(ScopedDetailView):
    """One import: its state and progress, then the counts, the problems by row and column,
    the first rows and the button that writes them."""

    model = ImportBatch
    template_name = "transfer/batch_detail.html"
    context_object_name = "batch"

    def scoped_queryset(self):
        return selectors.batches_for(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.object
        context.update(progress_context(batch))
        context["may_commit"] = batch.can_commit and batch.created_by_id == self.request.user.pk
        context["records_url"] = reverse(RECORD_LISTS[batch.entity])
        context["template_url"] = reverse("transfer:template", args=[batch.entity])
        context["upload_again_url"] = f"{reverse('transfer:index')}?entity={batch.entity}"
        return context


def progress_context(batch: ImportBatch) -> dict:
    """What the progress fragment shows: rows done out of how many, and the step."""
    written = progress.written(batch.pk) if batch.status == ImportStatus.COMMITTING else None
    total = batch.total_rows or 0
    done = batch.processed_rows or 0
    if written is not None:
        done, total = written, (batch.to_create + batch.to_update) or total
    percent = min(int(done * 100 / total), 100) if total else 0
    return {
        "progress_done": done,
        "progress_total": total,
        "progress_percent": percent,
        "progress_writing": written is not None,
    }


class BatchProgressView(ScopedDetailView):
    """The progress fragment the batch page polls; once the job is done, the page reloads."""

    model = ImportBatch
    template_name = "transfer/_progress.html"
    context_object_name = "batch"

    def scoped_queryset(self):
        return selectors.batches_for(self.request.user)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not self.object.is_running and getattr(request, "htmx", False):
            return HttpResponseClientRefresh()
        context = self.get_context_data(object=self.object)
        context.update(progress_context(self.object))
        return self.render_to_response(context)


class BatchCommitView(ImporterRequiredMixin, View):
    """Write a checked file's rows (by a job), all of them or none."""

    success_message = gettext_lazy("The import has started.")

    def post(self, request, pk):
        batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
        try:
            services.batch_commit(batch=batch, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, self.success_message)
        return redirect(batch.get_absolute_url())
