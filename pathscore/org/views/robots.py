"""Group robots per department: the WeCom / DingTalk / Feishu group chats that receive a
department's reminders and alerts. System and HR admins configure them.

A robot URL carries the robot's key, so lists show it shortened; only the edit form shows
it whole.
"""

from __future__ import annotations

from urllib.parse import urlparse

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from pathscore.core.tables import Column, Table
from pathscore.core.views import ScopedListView, ServiceFormMixin
from pathscore.notify.robots import PROVIDER_HOSTS, validate_robot_url
from pathscore.org import services
from pathscore.org.models import Department, DepartmentRobot
from pathscore.org.views.people import OrgAdminMixin


def masked_url(url: str) -> str:
    """``https://qyapi.weixin.qq.com/…a1b2``: enough to recognise a robot, not to use it."""
    parsed = urlparse(url or "")
    tail = (url or "")[-4:]
    return f"{parsed.scheme}://{parsed.hostname}/…{tail}" if parsed.hostname else "—"


class RobotForm(forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    provider = forms.ChoiceField(label=_("Provider"), choices=DepartmentRobot.PROVIDERS)
    url = forms.URLField(
        label=_("Robot URL"),
        max_length=400,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(is_active=True).order_by(
            "path"
        )
        labels = dict(DepartmentRobot.PROVIDERS)
        hosts = "; ".join(
            f"{labels[code]}: {', '.join(hosts)}" for code, hosts in PROVIDER_HOSTS.items()
        )
        self.fields["url"].help_text = _(
            "The group robot's webhook address, HTTPS on the provider's own host (%(hosts)s)."
        ) % {"hosts": hosts}

    def clean(self):
        data = super().clean()
        provider, url = data.get("provider"), data.get("url")
        if provider and url:
            try:
                validate_robot_url(provider, url)
            except ValidationError as error:
                self.add_error("url", error)
        return data

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


def _robot_url(robot) -> str:
    return reverse("org:robot-update", args=[robot.pk])


class RobotTable(Table):
    columns = [
        Column(
            "department",
            _("Department"),
            accessor="department__name",
            html=lambda row, value: format_html('<a href="{}">{}</a>', _robot_url(row), value),
            order_by="department__path",
        ),
        Column("provider", _("Provider"), accessor="get_provider_display", order_by="provider"),
        Column("url", _("Robot URL"), accessor=lambda row: masked_url(row.url)),
        Column("is_active", _("Active"), order_by="is_active"),
    ]


class RobotListView(OrgAdminMixin, ScopedListView):
    model = DepartmentRobot
    table_class = RobotTable
    template_name = "org/robots/robot_list.html"
    title = _("Group robots")
    export_name = "group-robots"
    create_label = _("New robot")
    paginate_by = 100

    def scoped_queryset(self):
        return (
            super()
            .scoped_queryset()
            .select_related("department")
            .order_by("-is_active", "department__path", "pk")
        )

    def get_create_url(self):
        return reverse("org:robot-create")


class RobotFormMixin(OrgAdminMixin, ServiceFormMixin):
    form_class = RobotForm
    template_name = "org/robots/robot_form.html"
    object = None

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "object": self.object}

    def get_success_url(self):
        return reverse("org:robot-list")


class RobotCreateView(RobotFormMixin, FormView):
    success_message = _("The group robot was saved.")

    def get_initial(self):
        wanted = self.request.GET.get("department", "")
        return (
            {"department": wanted, "is_active": True} if wanted.isdigit() else {"is_active": True}
        )

    def perform(self, form):
        return services.robot_create(actor=self.request.user, **form.service_arguments())


class RobotUpdateView(RobotFormMixin, FormView):
    success_message = _("Changes saved.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = get_object_or_404(
                DepartmentRobot.objects.visible_to(request.user).select_related("department"),
                pk=kwargs["pk"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        robot = self.object
        return {
            "department": robot.department_id,
            "provider": robot.provider,
            "url": robot.url,
            "is_active": robot.is_active,
        }

    def perform(self, form):
        robot = DepartmentRobot.objects.get(pk=self.object.pk)
        return services.robot_update(
            robot=robot, actor=self.request.user, **form.service_arguments()
        )
