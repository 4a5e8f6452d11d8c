from django.db import models
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """Fields every business record carries: when it was created and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Revisioned(models.Model):
    """A record several people edit: ``revision`` goes up by one on every save.

    A form or an API client sends back the revision it loaded; a save against an older one
    is refused (see ``pathscore.core.concurrency``). History leaves it out: it says nothing
    a reader of the record's changes needs.
    """

    revision = models.PositiveIntegerField(_("revision"), default=1, editable=False)

    class Meta:
        abstract = True
