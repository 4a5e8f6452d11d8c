from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel, Revisioned
from pathscore.core.scoping import Scope, ScopedQuerySet, person_in_subtrees_q
from pathscore.crm.choices import DecisionRole
from pathscore.crm.validators import validate_credit_code


class CustomerQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        from pathscore.crm.models.projects import Project

        # The customers one owns, those of one's team, and those of every project one may
        # see (including, through the process engine, projects behind hand-off tasks).
        q = Q(owner_id=scope.user_id)
        q |= Q(pk__in=Project.objects.visible_in(scope).values("customer_id"))
        if scope.managed_paths:
            q |= person_in_subtrees_q("owner", scope.managed_paths)
        return q


class Customer(Revisioned, BaseModel):
    """A company we sell to: a grid company, an industrial plant, a new-energy developer…"""

    name = models.CharField(_("name"), max_length=120)
    customer_type = models.ForeignKey(
        "core.Option",
        verbose_name=_("customer type"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "customer_type"},
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_credit_code],
        help_text=_("18 characters, as printed on the business licence."),
    )
    region = models.CharField(_("region"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    latitude = models.DecimalField(
        _("site latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("site longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account owner"),
        on_delete=models.PROTECT,
        related_name="customers",
    )
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords(excluded_fields=["revision"])
    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["owner", "name"], name="crm_customer_owner")]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("crm:customer-detail", args=[self.pk])


class ContactQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        return Q(customer_id__in=Customer.objects.visible_in(scope).values("pk"))


class Contact(Revisioned, BaseModel):
    """A person at a customer, with their place in the customer's decision chain."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=60)
    title = models.CharField(_("title"), max_length=60, blank=True)
    decision_role = models.CharField(
        _("role in the decision"),
        max_length=32,
        choices=DecisionRole.choices,
        default=DecisionRole.OTHER,
    )
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    phone = models.CharField(_("office phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords(excluded_fields=["revision"])
    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["customer__name", "name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self):
        return f"{self.name}（{self.customer.name}）" if self.customer_id else self.name

    def get_absolute_url(self):
        return reverse("crm:contact-detail", args=[self.pk])
