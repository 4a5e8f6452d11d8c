from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.history import HistoricalRecordsWithM2M
from pathscore.core.models import BaseModel, Revisioned
from pathscore.core.scoping import Scope, ScopedQuerySet, person_in_subtrees_q


class FollowUpQuerySet(ScopedQuerySet):
    """The author always sees what they wrote (credit follows the doer, even after a
    hand-over); whoever may see the project or the customer sees its follow-ups."""

    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        from pathscore.crm.models import Customer, Project

        q = Q(author_id=scope.user_id)
        # The team's authors before the project and customer rules: a database evaluates
        # the OR in this order and then never builds the larger lists for the team's rows.
        if scope.managed_paths:
            q |= person_in_subtrees_q("author", scope.managed_paths)
        q |= Q(project_id__in=Project.objects.visible_in(scope).values("pk"))
        q |= Q(
            project__isnull=True, customer_id__in=Customer.objects.visible_in(scope).values("pk")
        )
        return q

    def with_next_action_open(self):
        return self.filter(
            next_action_date__isnull=False, next_action_done_at__isnull=True
        ).exclude(next_action="")


class FollowUp(Revisioned, BaseModel):
    """A recorded contact with a customer (跟进记录): a visit, call, meeting or survey."""

    customer = models.ForeignKey(
        "crm.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="followups",
    )
    project = models.ForeignKey(
        "crm.Project",
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        related_name="followups",
        null=True,
        blank=True,
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="followups",
    )
    occurred_at = models.DateTimeField(_("when"))
    mode = models.ForeignKey(
        "core.Option",
        verbose_name=_("mode"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "followup_mode"},
    )
    content = models.TextField(_("what was discussed"))
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our participants"),
        related_name="followups_joined",
        blank=True,
    )
    contacts = models.ManyToManyField(
        "crm.Contact",
        verbose_name=_("customer participants"),
        related_name="followups",
        blank=True,
    )
    next_action = models.CharField(_("next action"), max_length=200, blank=True)
    next_action_date = models.DateField(_("next action planned for"), null=True, blank=True)
    next_action_done_at = models.DateTimeField(_("next action done at"), null=True, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    location_accuracy = models.FloatField(_("location accuracy (m)"), null=True, blank=True)
    #: A key the client generates per form, so a double tap or a retried sync saves once.
    client_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    #: The follow-up's key in another system (a CRM being migrated, an import file):
    #: importing a row with the same key again updates this follow-up instead of adding one.
    external_id = models.CharField(_("external ID"), max_length=64, blank=True, default="")
    #: When the same author last followed up the same project before this one (ties in
    #: time in id order), kept by ``crm.chain``: the follow-up cycle sums the gaps without
    #: a window over the period. Derived, so outside the history.
    previous_at = models.DateTimeField(_("previous follow-up at"), null=True, editable=False)
    #: It carried out a next action the same author had planned on the same project for a
    #: day within three days of this one's (the company's local days), kept by
    #: ``crm.chain`` with ``previous_at``: the "initiative" indicator counts the others.
    planned = models.BooleanField(_("carried out a planned action"), default=False, editable=False)
    #: Someone from technical support took part, kept by ``crm.joint``: the "cross-team
    #: interactions" indicator counts these.
    joint = models.BooleanField(_("with technical support"), default=False, editable=False)
    #: Its project is active (in progress), kept by ``crm.active`` with the project's
    #: status: the follow-up cycle counts gaps on active projects only, and reads this from
    #: the author index instead of looking each follow-up's project up.
    project_active = models.BooleanField(_("on an active project"), default=False, editable=False)

    history = HistoricalRecordsWithM2M(
        m2m_fields=[participants, contacts],
        # Derived from other rows, so outside the history.
        excluded_fields=["revision", "previous_at", "planned", "joint", "project_active"],
    )
    objects = FollowUpQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # The author's follow-ups in time; with the previous one's time and whether the
            # project is active, the follow-up cycle reads the index alone
            # (docs/benchmarks.md).
            models.Index(
                fields=["author", "occurred_at", "previous_at", "project_active"],
                name="crm_followup_author_cycle",
            ),
            models.Index(fields=["project", "occurred_at"], name="crm_followup_project_time"),
            models.Index(fields=["customer", "occurred_at"], name="crm_followup_customer_time"),
            models.Index(fields=["next_action_date"], name="crm_followup_next_action"),
            # "Initiative": was a follow-up planned by the same author on the same project
            # for a day near it? One short range per follow-up (docs/benchmarks.md).
            models.Index(
                fields=["project", "author", "next_action_date"], name="crm_followup_planned"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["external_id"],
                condition=~Q(external_id=""),
                name="crm_followup_unique_external_id",
            )
        ]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self):
        return f"{self.customer} · {self.occurred_at:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("crm:followup-detail", args=[self.pk])


class CustomerNeedQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        return Q(followup_id__in=FollowUp.objects.visible_in(scope).values("pk"))

    def open(self):
        return self.filter(handled_at__isnull=True)


class CustomerNeed(BaseModel):
    """A need the customer raised during a follow-up; marked handled when taken care of."""

    followup = models.ForeignKey(
        FollowUp, verbose_name=_("follow-up"), on_delete=models.CASCADE, related_name="needs"
    )
    text = models.CharField(_("need"), max_length=200)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = CustomerNeedQuerySet.as_manager()

    class Meta:
        ordering = ["followup_id", "pk"]
        verbose_name = _("customer need")
        verbose_name_plural = _("customer needs")

    def __str__(self):
        return self.text
