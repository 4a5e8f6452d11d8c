"""Managing employees: list, detail, create, edit, move, deactivate, reset password."""

from functools import cached_property

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import CreateView, FormView, UpdateView

from pathscore.core.history import history_entries
from pathscore.core.views import (
    PermissionRequiredMixin,
    ScopedDetailView,
    ScopedListView,
    ServiceFormMixin,
)
from pathscore.org import selectors, services
from pathscore.org.filtersets import UserFilterSet
from pathscore.org.forms import SetPasswordForm, UserForm
from pathscore.org.models import User
from pathscore.org.tables import UserTable


class OrgAdminMixin(PermissionRequiredMixin):
    """Only system admins and HR admins change the organisation."""

    def allowed(self, scope):
        return scope.manages_org


class UserListView(ScopedListView):
    model = User
    table_class = UserTable
    filterset_class = UserFilterSet
    title = gettext_lazy("People")
    export_name = "people"
    create_label = gettext_lazy("New person")

    def scoped_queryset(self):
        return selectors.users_for_list(self.request.user)

    def get_create_url(self):
        if self.request.user.scope.manages_org:
            return reverse("org:user-create")
        return None


class UserDetailView(ScopedDetailView):
    model = User
    template_name = "org/user_detail.html"
    context_object_name = "person"

    def scoped_queryset(self):
        return selectors.users_for_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = self.request.user.scope.manages_org
        context["history"] = history_entries(self.object, limit=20)
        return context


class UserCreateView(OrgAdminMixin, ServiceFormMixin, CreateView):
    model = User
    form_class = UserForm
    template_name = "org/user_form.html"
    success_message = gettext_lazy("The person was created.")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "viewer": self.request.user}

    def perform(self, form):
        data = form.cleaned_data
        return services.user_create(
            username=data["username"],
            name=data["name"],
            password=data.get("password") or None,
            roles=data["roles"],
            department=data["department"],
            employee_no=data.get("employee_no"),
            title=data.get("title", ""),
            email=data.get("email", ""),
            mobile=data.get("mobile", ""),
            hire_date=data.get("hire_date"),
            language=data["language"],
            actor=self.request.user,
        )

    def get_success_url(self):
        return self.object.get_absolute_url()


class UserUpdateView(OrgAdminMixin, ServiceFormMixin, UpdateView):
    model = User
    form_class = UserForm
    template_name = "org/user_form.html"
    success_message = gettext_lazy("Changes saved.")

    def get_queryset(self):
        return User.objects.visible_to(self.request.user)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "viewer": self.request.user}

    def perform(self, form):
        data = dict(form.cleaned_data)
        roles = data.pop("roles")
        # The ModelForm already copied the values onto the instance; reload the stored row
        # so the service (and the history it writes) sees the real before → after.
        user = User.objects.get(pk=self.object.pk)
        return services.user_update(
            user=user, actor=self.request.user, roles=roles, request=self.request, **data
        )

    def get_success_url(self):
        return self.object.get_absolute_url()


class UserDeactivateView(OrgAdminMixin, View):
    def post(self, request, pk):
        person = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
        try:
            if person.is_active:
                services.user_deactivate(user=person, actor=request.user, request=request)
                messages.success(
                    request, _("%(name)s was deactivated and signed out.") % {"name": person.name}
                )
            else:
                services.user_reactivate(user=person, actor=request.user, request=request)
                messages.success(request, _("%(name)s was reactivated.") % {"name": person.name})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(person.get_absolute_url())


class UserSetPasswordView(OrgAdminMixin, FormView):
    form_class = SetPasswordForm
    template_name = "org/user_set_password.html"

    @cached_property
    def person(self):
        # Looked up only after the role check in dispatch, like every other edit view.
        return get_object_or_404(User.objects.visible_to(self.request.user), pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "person": self.person}

    def form_valid(self, form):
        try:
            services.user_set_password(
                user=self.person,
                password=form.cleaned_data["password"],
                actor=self.request.user,
                request=self.request,
            )
        except ValidationError as error:
            form.add_error("password", error)
            return self.form_invalid(form)
        messages.success(self.request, _("The new password is set; the person's sessions ended."))
        return redirect(self.person.get_absolute_url())
