from django.db import models
from django.utils.translation import gettext_lazy as _


class DepartmentKind(models.TextChoices):
    COMPANY = "company", _("Company")
    BRANCH = "branch", _("Branch / region")
    TEAM = "team", _("Team")
