from functools import cached_property

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q, Value
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from pathscore.core.choices import Role
from pathscore.core.scoping import Scope, ScopedQuerySet, subtree_q

#: Tags of the rows of :attr:`User.scope`'s one statement: a role, or a headed department.
_ROLE, _HEADED = "r", "d"


class UserQuerySet(ScopedQuerySet):
    def scope_filter(self, scope: Scope) -> Q:
        if scope.sees_all_records or scope.manages_org:
            return Q()
        q = Q(pk=scope.user_id) | subtree_q("department__path", scope.managed_paths)
        if scope.team_path and scope.has_role(Role.SALESPERSON):
            q |= Q(department__path=scope.team_path)
        return q

    def with_role(self, role: str):
        return self.filter(role_grants__role=role)

    def active(self):
        return self.filter(is_active=True)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def create_user(self, username, password=None, **fields):
        if not username:
            raise ValueError("username is required")
        user = self.model(username=username, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        user = self.create_user(username, password, **fields)
        RoleGrant.objects.get_or_create(user=user, role=Role.SYSTEM_ADMIN)
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: an employee with a department, a title and roles."""

    username = models.CharField(
        _("user name"),
        max_length=150,
        unique=True,
        help_text=_("Used to sign in. Letters, digits and . _ - only."),
    )
    name = models.CharField(_("name"), max_length=60)
    employee_no = models.CharField(
        _("employee number"), max_length=32, unique=True, null=True, blank=True
    )
    email = models.EmailField(_("e-mail"), blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    department = models.ForeignKey(
        "org.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    title = models.CharField(_("title"), max_length=60, blank=True)
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("Django admin access"), default=False)
    date_joined = models.DateTimeField(_("created at"), auto_now_add=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    time_zone = models.CharField(_("time zone"), max_length=40, default="Asia/Shanghai")
    #: Bumped to end every session of the user at once (deactivation, password change).
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    history = HistoricalRecords(excluded_fields=["password", "last_login", "session_epoch"])
    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.name or self.username

    def get_absolute_url(self):
        return reverse("org:user-detail", args=[self.pk])

    def get_full_name(self):
        return self.name

    def get_short_name(self):
        return self.name

    def _get_session_auth_hash(self, secret=None):
        # Django ties sessions to the password hash; the epoch lets us also end them on
        # deactivation without touching the password.
        key_salt = "pathscore.org.User.session_auth_hash"
        return salted_hmac(
            key_salt, f"{self.password}:{self.session_epoch}", secret=secret, algorithm="sha256"
        ).hexdigest()

    @cached_property
    def role_codes(self) -> frozenset[str]:
        return frozenset(self.role_grants.values_list("role", flat=True))

    def has_role(self, role: str) -> bool:
        return role in self.role_codes

    @cached_property
    def scope(self) -> Scope:
        from pathscore.org.models.departments import Department

        headed = Department.objects.filter(head=self, is_active=True)
        if "role_codes" in self.__dict__:
            roles = self.role_codes
            managed = tuple(headed.values_list("path", flat=True))
        else:
            # Every API request starts here: the roles and the headed departments come in
            # one statement (a tagged UNION ALL) instead of two.
            rows = (
                RoleGrant.objects.filter(user=self)
                .values_list(Value(_ROLE), "role")
                .union(headed.order_by().values_list(Value(_HEADED), "path"), all=True)
            )
            roles, paths = set(), []
            for kind, value in rows:
                if kind == _ROLE:
                    roles.add(value)
                else:
                    paths.append(value)
            roles = frozenset(roles)
            # The same order as the departments' own (by path), whatever the database.
            managed = tuple(sorted(paths))
            self.__dict__["role_codes"] = roles
        team_path = self.department.path if self.department_id else None
        return Scope(user_id=self.pk, roles=roles, managed_paths=managed, team_path=team_path)

    def role_labels(self) -> list[str]:
        return [str(Role(code).label) for code in sorted(self.role_codes) if code in Role.values]


class RoleGrant(models.Model):
    """One role held by one user. A user may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="org_rolegrant_unique_role")
        ]
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"
