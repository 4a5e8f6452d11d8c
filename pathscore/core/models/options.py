from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.scoping import Scope, ScopedQuerySet


def option_label(name: str, name_en: str) -> str:
    """An option's name in the active language: English when there is one and the
    language is English, the Chinese name otherwise (exports read both as plain values)."""
    if name_en and (get_language() or "").startswith("en"):
        return name_en
    return name


class OptionQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        # Option lists are company vocabulary: every signed-in user reads them.
        return Q()

    def of_kind(self, kind: str):
        return self.filter(kind=kind)

    def active(self):
        return self.filter(is_active=True)


class Option(models.Model):
    """One entry of an admin-editable dropdown list (customer types, project categories…).

    ``kind`` names the list; ``code`` is the stable key imports and rules refer to, so an
    admin may rename ``name`` without breaking anything. Entries are deactivated, never
    deleted, because old records still point at them.
    """

    kind = models.CharField(_("list"), max_length=40, db_index=True)
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60, blank=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()
    objects = OptionQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="core_option_unique_code"),
        ]
        verbose_name = _("option")
        verbose_name_plural = _("options")

    def __str__(self):
        return option_label(self.name, self.name_en)
