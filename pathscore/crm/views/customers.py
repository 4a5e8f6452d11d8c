"""Views of the records: customers and their contacts."""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView, UpdateView

from pathscore.core.history import history_entries
from pathscore.core.scoping import scope_for
from pathscore.core.views import ScopedDetailView, ScopedListView, ServiceFormMixin
from pathscore.crm import selectors, services
from pathscore.crm.filtersets import ContactFilterSet, CustomerFilterSet
from pathscore.crm.forms import ContactForm, CustomerForm
from pathscore.crm.models import Contact, Customer, Project
from pathscore.crm.tables import ContactTable, CustomerTable
from pathscore.crm.views.common import (
    CustomerFromQueryMixin,
    RecordWriterRequiredMixin,
    Section,
    SectionedDetailMixin,
    can_assign_owner,
    can_write_records,
)

#: How many follow-ups a customer's timeline shows; the follow-up list has them all.
TIMELINE_LIMIT = 50


def customers_for_list(viewer):
    """Customers ``viewer`` may see, with type, owner and the number of projects on them
    that the viewer may see (one query, however many rows)."""
    scope = scope_for(viewer)
    if scope.sees_all_records:
        project_count = Count("projects")
    else:
        project_count = Count(
            "projects", filter=Q(projects__in=Project.objects.visible_in(scope).values("pk"))
        )
    return (
        Customer.objects.visible_to(viewer)
        .select_related("customer_type", "owner")
        .annotate(project_count=project_count)
    )


def _changed(form) -> dict:
    """The cleaned values of the fields the user actually changed."""
    return {name: form.cleaned_data[name] for name in form.changed_data if name in form.fields}


# --- Customers -----------------------------------------------------------------------------


class CustomerListView(ScopedListView):
    model = Customer
    table_class = CustomerTable
    filterset_class = CustomerFilterSet
    title = _("Customers")
    export_name = "customers"
    create_label = _("New customer")

    def scoped_queryset(self):
        return customers_for_list(self.request.user)

    def get_create_url(self):
        return (
            reverse("crm:customer-create")
            if can_write_records(scope_for(self.request.user))
            else None
        )


def _customer_overview(*, customer, request):
    viewer = request.user
    projects = (
        Project.objects.visible_to(viewer)
        .filter(customer=customer)
        .select_related("owner", "category")
        .order_by("-created_at", "-pk")
    )
    return {
        "contacts": customer.contacts.order_by("-is_active", "name"),
        "projects": projects,
        "can_write": can_write_records(scope_for(viewer)),
    }


def _customer_followups(*, customer, request):
    followups = selectors.followups_for_customer(customer, request.user)
    count = followups.count()
    return {"followups": followups[:TIMELINE_LIMIT], "badge": count or None}


def _customer_history(*, customer, request):
    return {"history": history_entries(customer)}


CUSTOMER_SECTIONS = [
    Section(
        "overview",
        _("Projects and contacts"),
        "crm/customers/_overview.html",
        _customer_overview,
        10,
        icon="bi-kanban",
    ),
    Section(
        "followups",
        _("Follow-ups"),
        "crm/includes/followup_timeline.html",
        _customer_followups,
        20,
        icon="bi-chat-left-text",
    ),
    Section(
        "history",
        _("History"),
        "crm/customers/_history.html",
        _customer_history,
        90,
        icon="bi-clock-history",
    ),
]


class CustomerDetailView(SectionedDetailMixin, ScopedDetailView):
    sections = CUSTOMER_SECTIONS
    model = Customer
    template_name = "crm/customers/customer_detail.html"
    context_object_name = "customer"

    def scoped_queryset(self):
        return super().scoped_queryset().select_related("customer_type", "owner__department")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_write"] = can_write_records(scope_for(self.request.user))
        return context


class CustomerFormMixin(RecordWriterRequiredMixin, ServiceFormMixin):
    model = Customer
    form_class = CustomerForm
    template_name = "crm/customers/customer_form.html"
    duplicate = None

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "viewer": self.request.user,
            "can_assign": can_assign_owner(scope_for(self.request.user)),
        }

    def call_service(self, form):
        """The create or update service this form calls (each subclass names its own)."""
        raise NotImplementedError

    def perform(self, form):
        try:
            return self.call_service(form)
        except services.DuplicateCustomerError as error:
            # The field error names the customer or its department; a visible one is linked.
            self.duplicate = error.existing if error.visible else None
            raise

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "duplicate": self.duplicate}

    def get_success_url(self):
        return self.object.get_absolute_url()


class CustomerCreateView(CustomerFormMixin, CreateView):
    success_message = _("The customer was created.")

    def call_service(self, form):
        data = form.cleaned_data
        return services.customer_create(
            actor=self.request.user,
            name=data["name"],
            customer_type=data["customer_type"],
            credit_code=data.get("credit_code"),
            region=data.get("region", ""),
            address=data.get("address", ""),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            owner=data.get("owner"),
            notes=data.get("notes", ""),
        )


class CustomerUpdateView(CustomerFormMixin, UpdateView):
    success_message = _("Changes saved.")

    def get_queryset(self):
        return Customer.objects.visible_to(self.request.user)

    def call_service(self, form):
        # The form copied the typed values onto its instance; the service works on the
        # stored row so history records the real before → after.
        customer = Customer.objects.get(pk=self.object.pk)
        changes = _changed(form)
        if not changes:
            return customer
        return services.customer_update(
            customer=customer,
            actor=self.request.user,
            expected_revision=form.cleaned_data.get("revision"),
            **changes,
        )


# --- Contacts ------------------------------------------------------------------------------


class ContactListView(ScopedListView):
    model = Contact
    table_class = ContactTable
    filterset_class = ContactFilterSet
    title = _("Contacts")
    export_name = "contacts"
    create_label = _("New contact")

    def scoped_queryset(self):
        return super().scoped_queryset().select_related("customer")

    def get_create_url(self):
        return (
            reverse("crm:contact-create")
            if can_write_records(scope_for(self.request.user))
            else None
        )


def _contact_followups(*, contact, request):
    followups = selectors.followups_for_list(request.user).filter(contacts=contact)
    count = followups.count()
    return {"followups": followups[:TIMELINE_LIMIT], "badge": count or None}


def _contact_history(*, contact, request):
    return {"history": history_entries(contact)}


CONTACT_SECTIONS = [
    Section(
        "followups",
        _("Follow-ups"),
        "crm/includes/followup_timeline.html",
        _contact_followups,
        20,
        icon="bi-chat-left-text",
    ),
    Section(
        "history",
        _("History"),
        "crm/customers/_history.html",
        _contact_history,
        90,
        icon="bi-clock-history",
    ),
]


class ContactDetailView(SectionedDetailMixin, ScopedDetailView):
    sections = CONTACT_SECTIONS
    model = Contact
    template_name = "crm/contacts/contact_detail.html"
    context_object_name = "contact"

    def scoped_queryset(self):
        return super().scoped_queryset().select_related("customer__customer_type")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_write"] = can_write_records(scope_for(self.request.user))
        return context


class ContactFormMixin(RecordWriterRequiredMixin, ServiceFormMixin):
    model = Contact
    form_class = ContactForm
    template_name = "crm/contacts/contact_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "viewer": self.request.user}


class ContactCreateView(CustomerFromQueryMixin, ContactFormMixin, CreateView):
    success_message = _("The contact was added.")

    def perform(self, form):
        data = dict(form.cleaned_data)
        return services.contact_create(
            actor=self.request.user,
            customer=data.pop("customer"),
            name=data.pop("name"),
            **data,
        )

    def get_success_url(self):
        # Back to the customer, where the next contact is one tap away.
        return self.object.customer.get_absolute_url()


class ContactUpdateView(ContactFormMixin, UpdateView):
    success_message = _("Changes saved.")

    def get_queryset(self):
        return Contact.objects.visible_to(self.request.user).select_related("customer")

    def perform(self, form):
        contact = Contact.objects.get(pk=self.object.pk)
        changes = _changed(form)
        if not changes:
            return contact
        return services.contact_update(
            contact=contact,
            actor=self.request.user,
            expected_revision=form.cleaned_data.get("revision"),
            **changes,
        )

    def get_success_url(self):
        return self.object.get_absolute_url()


urlpatterns = [
    path("customers/", CustomerListView.as_view(), name="customer-list"),
    path("customers/new/", CustomerCreateView.as_view(), name="customer-create"),
    path("customers/<int:pk>/", CustomerDetailView.as_view(), name="customer-detail"),
    path("customers/<int:pk>/edit/", CustomerUpdateView.as_view(), name="customer-update"),
    path("contacts/", ContactListView.as_view(), name="contact-list"),
    path("contacts/new/", ContactCreateView.as_view(), name="contact-create"),
    path("contacts/<int:pk>/", ContactDetailView.as_view(), name="contact-detail"),
    path("contacts/<int:pk>/edit/", ContactUpdateView.as_view(), name="contact-update"),
]
