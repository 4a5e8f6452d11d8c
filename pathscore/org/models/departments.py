from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.models import BaseModel
from pathscore.core.scoping import Scope, ScopedQuerySet, subtree_q
from pathscore.org.choices import DepartmentKind


class DepartmentQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records or scope.manages_org:
            return Q()
        q = subtree_q("path", scope.managed_paths)
        if scope.team_path:
            q |= Q(path=scope.team_path)
        return q

    def subtree_of(self, department: "Department"):
        return self.filter(path__startswith=department.path)


class Department(BaseModel):
    """A node of the organisation tree: company → branch/region → team.

    ``path`` is the materialised path of primary keys (``/1/4/9/``), so a whole subtree is
    one indexed ``LIKE 'prefix%'`` query. The head of a department manages its subtree.
    """

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True, allow_unicode=False)
    kind = models.CharField(
        _("kind"), max_length=16, choices=DepartmentKind.choices, default=DepartmentKind.TEAM
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = DepartmentQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("org:department-detail", args=[self.pk])

    @property
    def indent(self) -> range:
        return range(self.depth)

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def is_within(self, other: "Department") -> bool:
        return self.path.startswith(other.path)
