"""Writes to the organisation: departments, users, roles, passwords, preferences.

Every function is keyword-only and atomic; callers (views, API, import, demo) hold no
business logic of their own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import date, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from pathscore.core.choices import Role, SecurityEventKind
from pathscore.core.events import publish
from pathscore.core.security import record_security_event
from pathscore.org import events
from pathscore.org.models import ApiToken, Department, RoleGrant, TokenScope, User


def path_for(department: Department) -> tuple[str, int]:
    """The materialised path and depth of a saved department under its parent."""
    if department.parent_id is None:
        return f"/{department.pk}/", 0
    parent = department.parent
    return f"{parent.path}{department.pk}/", parent.depth + 1


@transaction.atomic
def department_create(
    *,
    name: str,
    code: str,
    kind: str,
    parent: Department | None = None,
    head: User | None = None,
    sort_order: int = 0,
) -> Department:
    """Create a department under ``parent`` (or a new root) and fix its path."""
    department = Department(
        name=name, code=code, kind=kind, parent=parent, head=head, sort_order=sort_order
    )
    department.full_clean(exclude=["path"])
    department.save()
    department.path, department.depth = path_for(department)
    Department.objects.filter(pk=department.pk).update(path=department.path, depth=department.depth)
    return department


@transaction.atomic
def department_update(*, department: Department, **fields) -> Department:
    """Change a department's own fields. Moving it uses :func:`department_move`."""
    new_parent = fields.pop("parent", department.parent)
    for name, value in fields.items():
        setattr(department, name, value)
    department.full_clean(exclude=["path", "parent"])
    department.save()
    if new_parent != department.parent:
        department_move(department=department, parent=new_parent)
    return department


@transaction.atomic
def department_move(*, department: Department, parent: Department | None) -> Department:
    """Re-hang a department (and its whole subtree) under a new parent."""
    if parent is not None and parent.path.startswith(department.path):
        raise ValidationError(
            {"parent": _("A department cannot be moved under itself or one of its teams.")}
        )
    old_path, old_depth = department.path, department.depth
    department.parent = parent
    department.path, department.depth = path_for(department)
    department.save()
    shift = department.depth - old_depth
    # Rewrite every descendant's path prefix in one UPDATE, whatever the subtree size.
    Department.objects.filter(path__startswith=old_path).exclude(pk=department.pk).update(
        path=Concat(Value(department.path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + shift,
    )
    return department


@transaction.atomic
def department_deactivate(*, department: Department) -> Department:
    if department.members.filter(is_active=True).exists():
        raise ValidationError(
            _("Move or deactivate the department's active members before deactivating it.")
        )
    if department.children.filter(is_active=True).exists():
        raise ValidationError(_("Deactivate or move its sub-departments first."))
    department.is_active = False
    department.save()
    return department


def _set_roles(user: User, roles: Iterable[str]) -> bool:
    roles = list(roles)
    unknown = ", ".join(sorted(str(r) for r in roles if r not in Role.values))
    if unknown:
        raise ValidationError({"roles": _("Unknown role: %(roles)s") % {"roles": unknown}})
    wanted = {Role(r) for r in roles}
    current = set(user.role_grants.values_list("role", flat=True))
    if wanted == current:
        return False
    user.role_grants.exclude(role__in=wanted).delete()
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=r) for r in wanted - current])
    publish(
        events.ROLES_CHANGED,
        user_id=user.pk,
        added=sorted(str(role) for role in wanted - current),
        removed=sorted(str(role) for role in current - wanted),
    )
    # System admins reach Django admin; nobody else does.
    is_admin = Role.SYSTEM_ADMIN in wanted
    if user.is_staff != is_admin or user.is_superuser != is_admin:
        User.objects.filter(pk=user.pk).update(is_staff=is_admin, is_superuser=is_admin)
        user.is_staff = user.is_superuser = is_admin
    user.__dict__.pop("role_codes", None)
    user.__dict__.pop("scope", None)
    return True


@transaction.atomic
def user_create(
    *,
    username: str,
    name: str,
    password: str | None,
    roles: Iterable[str] = (),
    department: Department | None = None,
    employee_no: str | None = None,
    title: str = "",
    email: str = "",
    mobile: str = "",
    hire_date: date | None = None,
    language: str = "zh-hans",
    actor: User | None = None,
    validate_password_strength: bool = True,
) -> User:
    """Create an employee account with its roles. A None password means no login yet."""
    user = User(
        username=username,
        name=name,
        department=department,
        employee_no=employee_no or None,
        title=title,
        email=email,
        mobile=mobile,
        hire_date=hire_date,
        language=language,
    )
    if password:
        if validate_password_strength:
            try:
                validate_password(password, user)
            except ValidationError as error:
                # Name the field, so a form shows the message next to the password box.
                raise ValidationError({"password": error.error_list}) from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    _set_roles(user, roles)
    return user


@transaction.atomic
def user_update(
    *,
    user: User,
    actor: User | None = None,
    roles: Iterable[str] | None = None,
    request=None,
    **fields,
) -> User:
    """Change an employee's fields and, if given, their roles (logged as a security event)."""
    for name, value in fields.items():
        if name == "employee_no":
            value = value or None
        setattr(user, name, value)
    user.full_clean(exclude=["password"])
    user.save()
    if roles is not None and _set_roles(user, roles):
        record_security_event(
            kind=SecurityEventKind.ROLES_CHANGED,
            request=request,
            actor=actor,
            subject=user,
            roles=sorted(user.role_codes),
        )
    return user


@transaction.atomic
def user_move(*, user: User, department: Department) -> User:
    """Move an employee to another department."""
    user.department = department
    user.save(update_fields=["department"])
    user.__dict__.pop("scope", None)
    return user


def _end_sessions(user: User) -> None:
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])


@transaction.atomic
def user_deactivate(*, user: User, actor: User | None = None, request=None) -> User:
    """Deactivate an account: every one of its sessions and API tokens ends at once."""
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    user.is_active = False
    user.save(update_fields=["is_active"])
    _end_sessions(user)
    _revoke_all_tokens(user)
    record_security_event(
        kind=SecurityEventKind.USER_DEACTIVATED, request=request, actor=actor, subject=user
    )
    return user


@transaction.atomic
def user_reactivate(*, user: User, actor: User | None = None, request=None) -> User:
    user.is_active = True
    user.save(update_fields=["is_active"])
    record_security_event(
        kind=SecurityEventKind.USER_REACTIVATED, request=request, actor=actor, subject=user
    )
    return user


@transaction.atomic
def user_set_password(
    *, user: User, password: str, actor: User | None = None, request=None
) -> User:
    """An administrator sets a new password: every session of the user ends."""
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    _end_sessions(user)
    record_security_event(
        kind=SecurityEventKind.PASSWORD_RESET, request=request, actor=actor, subject=user
    )
    return user


@transaction.atomic
def user_change_own_password(
    *, user: User, old_password: str, new_password: str, request=None
) -> User:
    """The user changes their own password; their other sessions end, this one stays."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("Your current password is not correct.")})
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _end_sessions(user)
    if request is not None:
        from django.contrib.auth import update_session_auth_hash

        update_session_auth_hash(request, user)
    record_security_event(
        kind=SecurityEventKind.PASSWORD_CHANGED, request=request, actor=user, subject=user
    )
    return user


def user_set_preferences(
    *, user: User, language: str | None = None, time_zone: str | None = None
) -> User:
    """Save the user's language and/or time zone."""
    from django.conf import settings

    changed = []
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            raise ValidationError({"language": _("Unsupported language.")})
        user.language = language
        changed.append("language")
    if time_zone is not None:
        import zoneinfo

        if time_zone not in zoneinfo.available_timezones():
            raise ValidationError({"time_zone": _("Unknown time zone.")})
        user.time_zone = time_zone
        changed.append("time_zone")
    if changed:
        user.save(update_fields=changed)
    return user


# --- Group robots --------------------------------------------------------------------------

ROBOT_FIELDS = ("department", "provider", "url", "is_active")


def _save_robot(robot, actor: User):
    from pathscore.notify.robots import validate_robot_url

    robot.url = (robot.url or "").strip()
    problems = {}
    try:
        robot.clean_fields()
    except ValidationError as error:
        problems.update(error.message_dict)
    if "url" not in problems and "provider" not in problems:
        try:
            validate_robot_url(robot.provider, robot.url)
        except ValidationError as error:
            problems["url"] = error.messages
    if problems:
        raise ValidationError(problems)
    if robot.is_active:
        other = (
            type(robot)
            .objects.filter(department=robot.department, is_active=True)
            .exclude(pk=robot.pk)
            .first()
        )
        if other is not None:
            raise ValidationError(
                {
                    "department": _(
                        "%(department)s already has an active %(provider)s robot; "
                        "deactivate it first."
                    )
                    % {
                        "department": robot.department.name,
                        "provider": other.get_provider_display(),
                    }
                }
            )
    robot.save()
    # The URL carries the robot's key: who changed it is worth keeping.
    record_security_event(
        kind=SecurityEventKind.SETTINGS_CHANGED,
        actor=actor,
        setting="group_robot",
        robot=robot.pk,
        department=robot.department_id,
        provider=robot.provider,
        active=robot.is_active,
    )
    return robot


def _require_org_admin(actor: User) -> None:
    if not actor.scope.manages_org:
        raise ValidationError(_("Only a system admin or an HR admin configures group robots."))


@transaction.atomic
def robot_create(*, actor: User, **fields):
    """Connect a department's WeCom / DingTalk / Feishu group robot. The URL must be HTTPS on
    the provider's own host."""
    from pathscore.org.models import DepartmentRobot

    _require_org_admin(actor)
    return _save_robot(
        DepartmentRobot(**{k: v for k, v in fields.items() if k in ROBOT_FIELDS}), actor
    )


@transaction.atomic
def robot_update(*, robot, actor: User, **changes):
    """Change a robot's provider or URL, or switch it off (reminders then use the nearest
    robot further up the tree)."""
    _require_org_admin(actor)
    previous_url = robot.url
    for name, value in changes.items():
        if name in ROBOT_FIELDS:
            setattr(robot, name, value)
    if (robot.url or "").strip() != previous_url:
        # The URL is kept out of the history (it holds the robot's key): say it changed.
        robot._change_reason = _("Robot URL changed")
    return _save_robot(robot, actor)


# Personal API tokens ------------------------------------------------------------------

#: Expiry choices offered when creating a token, in days (``None``: never expires).
TOKEN_EXPIRY_DAYS = (30, 90, 365, None)
TOKEN_DEFAULT_EXPIRY_DAYS = 90
#: last_used_at is refreshed at most this often, so a busy script does not write per call.
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
_SECRET_MARK = "ps_"  # nosec B105 - the public prefix every token starts with, not a secret


def token_digest(secret: str) -> str:
    """The stored form of a secret: its SHA-256, hex encoded."""
    return hashlib.sha256(secret.encode()).hexdigest()


def token_prefix_of(secret: str) -> str | None:
    """The prefix inside a well-formed secret (``ps_<prefix>_<random>``), else ``None``."""
    length = ApiToken.PREFIX_LENGTH
    start = len(_SECRET_MARK)
    if not secret.startswith(_SECRET_MARK) or len(secret) < start + length + 33:
        return None
    if secret[start + length] != "_":
        return None
    return secret[start : start + length]


@transaction.atomic
def token_create(
    *, user: User, name: str, scope: str, expires_in_days: int | None, request=None
) -> tuple[ApiToken, str]:
    """Create a personal API token and return it with its secret.

    The secret is returned only here: the database keeps its digest, so nobody, not even
    an administrator, can read it back later.
    """
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = [_("Give the token a name, e.g. the script that uses it.")]
    if scope not in TokenScope.values:
        errors["scope"] = [_("Choose read only or read and write.")]
    if expires_in_days not in TOKEN_EXPIRY_DAYS:
        errors["expires_in_days"] = [_("Choose one of the offered expiry periods.")]
    if not user.is_active:
        errors["__all__"] = [_("A deactivated account cannot create API tokens.")]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(ApiToken.PREFIX_LENGTH // 2)
    secret = f"{_SECRET_MARK}{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = (
        timezone.now() + timedelta(days=expires_in_days) if expires_in_days is not None else None
    )
    token = ApiToken(
        user=user,
        name=name[:80],
        prefix=prefix,
        digest=token_digest(secret),
        scope=scope,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    record_security_event(
        kind=SecurityEventKind.TOKEN_CREATED,
        request=request,
        actor=user,
        subject=user,
        token=token.prefix,
        name=token.name,
        scope=token.scope,
    )
    return token, secret


@transaction.atomic
def token_revoke(*, token: ApiToken, actor: User, request=None) -> ApiToken:
    """Revoke a token at once. Its owner or a system administrator may do this."""
    if actor.pk != token.user_id and not actor.scope.has_role(Role.SYSTEM_ADMIN):
        raise PermissionDenied(_("Only the token's owner or a system admin may revoke it."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_security_event(
            kind=SecurityEventKind.TOKEN_REVOKED,
            request=request,
            actor=actor,
            subject=token.user,
            token=token.prefix,
            name=token.name,
        )
    return token


def _revoke_all_tokens(user: User) -> None:
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


def token_authenticate(*, secret: str, ip: str | None = None) -> ApiToken | None:
    """The usable token (with its active user) that ``secret`` belongs to, or ``None``.

    The user's ``is_active`` is checked on every call, so deactivation works at once.
    Last use is recorded with a conditional UPDATE at most once per
    :data:`TOKEN_USE_RESOLUTION`, not on every request.
    """
    prefix = token_prefix_of(secret)
    if prefix is None:
        return None
    digest = token_digest(secret)
    # The user's department comes along: the request's scope needs its path.
    candidates = ApiToken.objects.usable().filter(prefix=prefix).select_related("user__department")
    token = next((t for t in candidates if hmac.compare_digest(t.digest, digest)), None)
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    stale_before = now - TOKEN_USE_RESOLUTION
    if token.last_used_at is None or token.last_used_at < stale_before:
        # Conditional, so concurrent requests write once; losing the race is harmless.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale_before)
        ).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
    return token
