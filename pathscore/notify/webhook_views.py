"""Pages where system admins manage outbound webhooks and read their delivery log.

A secret is shown once: after creation or rotation it is kept in the session for the next
page only, then dropped.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import DetailView, FormView

from pathscore.core.choices import Role
from pathscore.core.tables import Column, Table
from pathscore.core.views import PermissionRequiredMixin, ScopedListView, ServiceFormMixin
from pathscore.notify import selectors, services
from pathscore.notify.models import Webhook, WebhookDelivery
from pathscore.notify.webhooks import event_choices

SECRET_KEY = "webhook_secret"  # nosec B105 - a context key naming where the page shows the secret, not a secret


class SystemAdminMixin(PermissionRequiredMixin):
    """Webhooks send company data out of Pathscore: system admins only."""

    def allowed(self, scope):
        return scope.has_role(Role.SYSTEM_ADMIN)


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.URLField(
        label=_("URL"),
        max_length=400,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
        help_text=_("Pathscore POSTs each event here as signed JSON."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), widget=forms.CheckboxSelectMultiple, choices=()
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    allow_private = forms.BooleanField(
        label=_("Allow a private address"),
        required=False,
        help_text=_(
            "Allow-list a receiver inside the company network (a private or loopback "
            "address, or plain http). Leave off for a receiver on the internet."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = event_choices()

    def service_arguments(self) -> dict:
        return dict(self.cleaned_data)


class WebhookTable(Table):
    columns = [
        Column("name", _("Name"), order_by="name", link=True),
        Column("url", _("URL"), order_by="url"),
        Column("events", _("Events"), accessor=lambda row: ", ".join(row.events)),
        Column("is_active", _("Active"), order_by="is_active"),
        Column("allow_private", _("Allow a private address")),
    ]


class WebhookListView(SystemAdminMixin, ScopedListView):
    model = Webhook
    table_class = WebhookTable
    template_name = "notify/webhooks/webhook_list.html"
    title = _("Webhooks")
    export_name = "webhooks"
    create_label = _("New webhook")
    paginate_by = 100

    def scoped_queryset(self):
        return super().scoped_queryset().order_by("-is_active", "name", "pk")

    def get_create_url(self):
        return reverse("webhooks:create")


class WebhookDetailView(SystemAdminMixin, DetailView):
    template_name = "notify/webhooks/webhook_detail.html"
    context_object_name = "webhook"

    def get_queryset(self):
        return Webhook.objects.visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        shown = self.request.session.pop(SECRET_KEY, None)
        if shown and shown.get("pk") == self.object.pk:
            context["secret"] = shown["secret"]
        labels = dict(event_choices())
        context["event_labels"] = [labels.get(name, name) for name in self.object.events]
        context["deliveries"] = selectors.deliveries_for(
            webhook=self.object, user=self.request.user
        )[:50]
        return context


class WebhookFormMixin(SystemAdminMixin, ServiceFormMixin):
    form_class = WebhookForm
    template_name = "notify/webhooks/webhook_form.html"
    object = None

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "object": self.object}

    def get_success_url(self):
        return reverse("webhooks:detail", args=[self.object.pk])


class WebhookCreateView(WebhookFormMixin, FormView):
    success_message = _("The webhook was saved. Copy its secret now: it is shown only once.")

    def get_initial(self):
        return {"is_active": True}

    def perform(self, form):
        webhook, secret = services.webhook_create(
            actor=self.request.user, **form.service_arguments()
        )
        self.request.session[SECRET_KEY] = {"pk": webhook.pk, "secret": secret}
        return webhook


class WebhookUpdateView(WebhookFormMixin, FormView):
    success_message = _("Changes saved.")

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = get_object_or_404(
                Webhook.objects.visible_to(request.user), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        webhook = self.object
        return {
            "name": webhook.name,
            "url": webhook.url,
            "events": webhook.events,
            "is_active": webhook.is_active,
            "allow_private": webhook.allow_private,
        }

    def perform(self, form):
        return services.webhook_update(
            webhook=Webhook.objects.get(pk=self.object.pk),
            actor=self.request.user,
            **form.service_arguments(),
        )


class WebhookActionView(SystemAdminMixin, View):
    """A POST button on a webhook's page; the service's refusal comes back as a message."""

    def post(self, request, pk):
        webhook = get_object_or_404(Webhook.objects.visible_to(request.user), pk=pk)
        try:
            self.perform(webhook)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("webhooks:detail", pk=webhook.pk)

    def perform(self, webhook):
        """Call this button's service on the webhook (each button view its own)."""
        raise NotImplementedError


class WebhookDeactivateView(WebhookActionView):
    def perform(self, webhook):
        services.webhook_deactivate(webhook=webhook, actor=self.request.user)
        messages.success(self.request, _("The webhook was deactivated."))


class WebhookRotateSecretView(WebhookActionView):
    def perform(self, webhook):
        secret = services.webhook_rotate_secret(webhook=webhook, actor=self.request.user)
        self.request.session[SECRET_KEY] = {"pk": webhook.pk, "secret": secret}
        messages.success(
            self.request, _("A new secret was issued. Copy it now: it is shown only once.")
        )


class WebhookSendTestView(WebhookActionView):
    def perform(self, webhook):
        services.webhook_send_test(webhook=webhook, actor=self.request.user)
        messages.success(self.request, _("A test event was queued; see the delivery log."))


class DeliveryRedeliverView(SystemAdminMixin, View):
    def post(self, request, pk):
        delivery = get_object_or_404(
            WebhookDelivery.objects.visible_to(request.user).select_related("webhook"), pk=pk
        )
        try:
            services.delivery_redeliver(delivery=delivery, actor=request.user)
            messages.success(request, _("The delivery was queued again."))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        return redirect("webhooks:detail", pk=delivery.webhook_id)
