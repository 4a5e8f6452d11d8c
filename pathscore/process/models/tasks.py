from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet, subtree_q
from pathscore.process.choices import RuleAction, TaskState, TriggerEvent
from pathscore.process.models.templates import CompanyWideQuerySet


class AutomationRule(BaseModel):
    """On an event, create a hand-off task for a team or person, or notify someone.

    ``node_code`` narrows node events to one node (e.g. ``requirement_report``);
    ``document_kind`` narrows document events to one kind (e.g. ``proposal``).
    """

    name = models.CharField(_("name"), max_length=100)
    event = models.CharField(_("when"), max_length=24, choices=TriggerEvent.choices)
    node_code = models.SlugField(_("node code"), max_length=40, blank=True)
    document_kind = models.CharField(_("document kind"), max_length=32, blank=True)
    action = models.CharField(
        _("then"), max_length=16, choices=RuleAction.choices, default=RuleAction.CREATE_TASK
    )
    task_kind = models.ForeignKey(
        "core.Option",
        verbose_name=_("task kind"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "task_kind"},
    )
    assignee_department = models.ForeignKey(
        "org.Department",
        verbose_name=_("assign to team"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assign to person"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_days = models.PositiveIntegerField(_("due in days"), default=5)
    notify_owner_manager = models.BooleanField(_("notify the owner's manager"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = CompanyWideQuerySet.as_manager()

    class Meta:
        ordering = ["event", "name"]
        verbose_name = _("automation rule")
        verbose_name_plural = _("automation rules")

    def __str__(self):
        return self.name


class HandoffTaskQuerySet(ScopedQuerySet):
    """Visible to whoever sees the project, to the assignee and the assignee's team, and
    to the heads of the assigned team's department tree."""

    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records:
            return Q()
        from pathscore.crm.models import Project

        q = Q(project_id__in=Project.objects.visible_in(scope).values("pk")) | Q(
            assignee_id=scope.user_id
        )
        if scope.team_path:
            q |= Q(assignee_department__path=scope.team_path)
        if scope.managed_paths:
            q |= subtree_q("assignee_department__path", scope.managed_paths)
        return q

    def open(self):
        return self.exclude(state=TaskState.DONE)


class HandoffTask(BaseModel):
    """Work handed to another team (方案设计, 方案调整, 技术答疑…) with its response clock:
    created → acknowledged → done."""

    project = models.ForeignKey(
        "crm.Project", verbose_name=_("project"), on_delete=models.CASCADE, related_name="tasks"
    )
    kind = models.ForeignKey(
        "core.Option",
        verbose_name=_("kind"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": "task_kind"},
    )
    title = models.CharField(_("title"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    assignee_department = models.ForeignKey(
        "org.Department", verbose_name=_("team"), on_delete=models.PROTECT, related_name="tasks"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tasks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rule = models.ForeignKey(
        AutomationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    source_event = models.CharField(
        _("source"), max_length=24, choices=TriggerEvent.choices, blank=True
    )
    #: e.g. "followup:12" or "version:7" — with the rule, makes automated tasks idempotent.
    source_ref = models.CharField(max_length=60, blank=True)
    #: When the customer gave the feedback this task answers (for the relay time).
    feedback_at = models.DateTimeField(_("customer feedback given at"), null=True, blank=True)
    due_date = models.DateField(_("due"), db_index=True)
    state = models.CharField(
        _("state"), max_length=16, choices=TaskState.choices, default=TaskState.OPEN
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.TextField(_("result"), blank=True)

    history = HistoricalRecords()
    objects = HandoffTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "source_ref"],
                condition=~Q(source_ref=""),
                name="process_task_once_per_source",
            )
        ]
        indexes = [
            models.Index(fields=["assignee_department", "state"], name="process_task_team_state"),
            # The scoring indicators count a person's tasks of a period (hand-offs, relay
            # time): both in one index, not an intersection of two.
            models.Index(fields=["created_by", "created_at"], name="process_task_creator_time"),
        ]
        verbose_name = _("hand-off task")
        verbose_name_plural = _("hand-off tasks")

    def __str__(self):
        return self.title
