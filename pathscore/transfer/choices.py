from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ImportEntity(models.TextChoices):
    """What a file imports; each has its pipeline in ``pathscore.transfer.pipelines``."""

    CUSTOMERS = "customers", _("Customers")
    CONTACTS = "contacts", _("Contacts")
    PROJECTS = "projects", _("Projects")
    FOLLOWUPS = "followups", _("Follow-ups")
    DEPARTMENTS = "departments", _("Departments")
    USERS = "users", _("People")


class ImportStatus(models.TextChoices):
    """uploaded → validating → validated | invalid → committing → committed | failed."""

    # The state, not the column "Uploaded" (a time) of the batch list.
    UPLOADED = "uploaded", pgettext_lazy("import status", "Uploaded")
    VALIDATING = "validating", _("Checking")
    VALIDATED = "validated", _("Ready to import")
    INVALID = "invalid", _("Has errors")
    COMMITTING = "committing", _("Importing")
    COMMITTED = "committed", _("Imported")
    FAILED = "failed", _("Failed")


#: Statuses a job is working on: the batch page keeps polling while in one of them.
RUNNING_STATUSES = frozenset(
    {ImportStatus.UPLOADED, ImportStatus.VALIDATING, ImportStatus.COMMITTING}
)


class RowAction(models.TextChoices):
    CREATE = "create", _("New")
    UPDATE = "update", _("Update")
    UNCHANGED = "unchanged", _("Unchanged")
