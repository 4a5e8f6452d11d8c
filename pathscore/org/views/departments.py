"""Managing the department tree."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import CreateView, UpdateView

from pathscore.core.views import ScopedDetailView, ScopedListView, ServiceFormMixin
from pathscore.org import selectors, services
from pathscore.org.filtersets import DepartmentFilterSet
from pathscore.org.forms import DepartmentForm
from pathscore.org.models import Department
from pathscore.org.tables import DepartmentTable
from pathscore.org.views.people import OrgAdminMixin


class DepartmentListView(ScopedListView):
    model = Department
    table_class = DepartmentTable
    filterset_class = DepartmentFilterSet
    title = gettext_lazy("Departments")
    export_name = "departments"
    create_label = gettext_lazy("New department")
    paginate_by = 100

    def scoped_queryset(self):
        return selectors.departments_for_tree(self.request.user)

    def get_create_url(self):
        return reverse("org:department-create") if self.request.user.scope.manages_org else None


class DepartmentDetailView(ScopedDetailView):
    model = Department
    template_name = "org/department_detail.html"
    context_object_name = "department"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        department = self.object
        context["members"] = (
            department.members.select_related("department")
            .prefetch_related("role_grants")
            .order_by("-is_active", "name")
        )
        context["children"] = department.children.select_related("head").order_by(
            "sort_order", "name"
        )
        context["ancestors"] = (
            Department.objects.filter(pk__in=department.ancestor_ids())
            .exclude(pk=department.pk)
            .order_by("depth")
        )
        context["can_manage"] = self.request.user.scope.manages_org
        return context


class DepartmentFormMixin(OrgAdminMixin, ServiceFormMixin):
    model = Department
    form_class = DepartmentForm
    template_name = "org/department_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "viewer": self.request.user}

    def get_success_url(self):
        return self.object.get_absolute_url()


class DepartmentCreateView(DepartmentFormMixin, CreateView):
    success_message = gettext_lazy("The department was created.")

    def get_initial(self):
        parent = self.request.GET.get("parent")
        return {"parent": parent} if parent and parent.isdigit() else {}

    def perform(self, form):
        return services.department_create(**form.cleaned_data)


class DepartmentUpdateView(DepartmentFormMixin, UpdateView):
    success_message = gettext_lazy("Changes saved.")

    def get_queryset(self):
        return Department.objects.visible_to(self.request.user)

    def perform(self, form):
        department = Department.objects.get(pk=self.object.pk)
        return services.department_update(department=department, **form.cleaned_data)


class DepartmentDeactivateView(OrgAdminMixin, View):
    def post(self, request, pk):
        department = get_object_or_404(Department.objects.visible_to(request.user), pk=pk)
        try:
            services.department_deactivate(department=department)
            messages.success(request, _("The department was deactivated."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(department.get_absolute_url())
