"""Choices shared by every app: roles are the vocabulary of the scoping rule."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SALESPERSON = "salesperson", _("Salesperson")
    SALES_MANAGER = "sales_manager", _("Sales manager")
    TECHNICAL_SUPPORT = "technical_support", _("Technical support")
    HR_ADMIN = "hr_admin", _("HR admin")
    EXECUTIVE = "executive", _("Executive")
    SYSTEM_ADMIN = "system_admin", _("System admin")
    AUDITOR = "auditor", _("Auditor")


#: Roles that read every business record in the company.
COMPANY_WIDE_ROLES = frozenset({Role.HR_ADMIN, Role.EXECUTIVE})
#: Roles that manage the organisation (departments and users).
ORG_ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.HR_ADMIN})


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOCKED_OUT = "locked_out", _("Locked out")
    LOGOUT = "logout", _("Logout")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset by an administrator")
    USER_DEACTIVATED = "user_deactivated", _("User deactivated")
    USER_REACTIVATED = "user_reactivated", _("User reactivated")
    ROLES_CHANGED = "roles_changed", _("Roles changed")
    PERMISSION_DENIED = "permission_denied", _("Permission denied")
    EXPORT = "export", _("Export")
    SETTINGS_CHANGED = "settings_changed", _("Settings changed")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
