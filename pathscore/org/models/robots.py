from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.scoping import Scope, ScopedQuerySet, subtree_q


class DepartmentRobotQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> models.Q:
        if scope.manages_org or scope.sees_all_records:
            return models.Q()
        return subtree_q("department__path", scope.managed_paths)


class DepartmentRobot(models.Model):
    """A WeCom / DingTalk / Feishu group robot that receives a department's reminders
    and alerts (the nearest department up the tree with a robot is used)."""

    PROVIDERS = [("wecom", _("WeCom")), ("dingtalk", _("DingTalk")), ("feishu", _("Feishu"))]

    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        on_delete=models.CASCADE,
        related_name="robots",
    )
    provider = models.CharField(_("provider"), max_length=16, choices=PROVIDERS)
    url = models.URLField(_("robot URL"), max_length=400)
    is_active = models.BooleanField(_("active"), default=True)

    # The robot URL carries the robot's key (WeCom ``key=``, DingTalk ``access_token=``,
    # Feishu's hook id): whoever holds it can post into the group, so it stays out of the
    # history. A URL change still leaves its row (who, when) with a reason saying so.
    history = HistoricalRecords(excluded_fields=["url"])
    objects = DepartmentRobotQuerySet.as_manager()

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")

    def __str__(self):
        return f"{self.department} · {self.get_provider_display()}"

    def clean(self):
        from pathscore.notify.robots import validate_robot_url

        validate_robot_url(self.provider, self.url)
