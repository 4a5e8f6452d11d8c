"""Bulk lookups the pipelines share: option lists, people, customers, departments.

Each lookup is filled once per file with a few queries (``load``) and then answers every
row from memory (``resolve``), so checking a file costs the same number of queries
whether it has ten rows or fifty thousand.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from pathscore.core.models import Option
from pathscore.core.options import get_option_list
from pathscore.crm.models import Customer
from pathscore.crm.validators import CREDIT_CODE_ALPHABET
from pathscore.org.models import Department, User
from pathscore.transfer.pipelines.base import RowProblem, chunked


def _casefold(text) -> str:
    return str(text or "").strip().casefold()


class OptionLists:
    """The entries of the option lists a file uses, by name, English name or code."""

    def __init__(self, kinds):
        self.by_kind: dict[str, dict[str, Option]] = defaultdict(dict)
        self.active: dict[str, list[Option]] = defaultdict(list)
        if not kinds:
            return
        for option in Option.objects.filter(kind__in=set(kinds)).order_by("sort_order", "pk"):
            names = self.by_kind[option.kind]
            for name in (option.code, option.name_en, option.name):
                if name:
                    names[_casefold(name)] = option
            if option.is_active:
                self.active[option.kind].append(option)

    def resolve(self, kind: str, text: str, column: str) -> Option:
        option = self.by_kind[kind].get(_casefold(text))
        if option is None:
            listed = "、".join(o.name for o in self.active[kind][:12])
            raise RowProblem(
                _("“%(value)s” is not in the list %(list)s. Choose one of: %(choices)s.")
                % {"value": text, "list": get_option_list(kind).label, "choices": listed},
                column,
            )
        if not option.is_active:
            raise RowProblem(_("Choose an active entry of the list."), column)
        return option


class People:
    """People named in a file, by user name (or by name when it is unique)."""

    def __init__(self):
        self.by_username: dict[str, User] = {}
        self.by_name: dict[str, list[User]] = defaultdict(list)

    def load(self, texts) -> None:
        texts = {str(t).strip() for t in texts if t and str(t).strip()}
        texts -= set(self.by_username)
        if not texts:
            return
        for chunk in chunked(sorted(texts)):
            for user in User.objects.filter(username__in=chunk).select_related("department"):
                self.by_username[user.username] = user
        unknown = sorted(t for t in texts if t not in self.by_username)
        for chunk in chunked(unknown):
            for user in User.objects.filter(name__in=chunk, is_active=True).select_related(
                "department"
            ):
                self.by_name[user.name].append(user)

    def resolve(self, text: str, column: str) -> User:
        text = str(text).strip()
        user = self.by_username.get(text)
        if user is not None:
            return user
        named = self.by_name.get(text, [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise RowProblem(
                _("Several people are named “%(name)s”: give the user name instead.")
                % {"name": text},
                column,
            )
        raise RowProblem(_("No one has the user name “%(value)s”.") % {"value": text}, column)


def check_assignable(ctx, person: User, column: str) -> User:
    """The importer themselves or someone they manage (HR: anyone), as the services require
    of a record's owner (``crm.services._check_owner``)."""
    if person.pk == ctx.actor.pk:
        return person
    scope = ctx.scope
    managed = (
        scope.is_manager
        and person.department_id
        and any(person.department.path.startswith(p) for p in scope.managed_paths)
    )
    if not (scope.sees_all_records or managed):
        raise RowProblem(_("You can only assign records to people you manage."), column)
    if not person.is_active:
        raise RowProblem(_("%(name)s is deactivated.") % {"name": person.name}, column)
    return person


def looks_like_credit_code(text: str) -> bool:
    text = str(text).strip().upper()
    return len(text) == 18 and all(ch in CREDIT_CODE_ALPHABET for ch in text)


class Customers:
    """Customers the importer can see, by unified social credit code or exact name."""

    def __init__(self, actor):
        self.actor = actor
        self.by_code: dict[str, Customer] = {}
        self.by_name: dict[str, list[Customer]] = defaultdict(list)

    def load(self, texts) -> None:
        texts = {str(t).strip() for t in texts if t and str(t).strip()}
        codes = sorted({t.upper() for t in texts if looks_like_credit_code(t)})
        names = sorted(t for t in texts if not looks_like_credit_code(t))
        visible = Customer.objects.visible_to(self.actor)
        for chunk in chunked(codes):
            for customer in visible.filter(credit_code__in=chunk):
                self.by_code[customer.credit_code] = customer
        for chunk in chunked(names):
            for customer in visible.filter(name__in=chunk).order_by("pk"):
                self.by_name[customer.name].append(customer)

    def add(self, customer: Customer) -> None:
        if customer.credit_code:
            self.by_code[customer.credit_code] = customer
        self.by_name[customer.name].append(customer)

    def resolve(self, text: str, column: str) -> Customer:
        text = str(text).strip()
        if looks_like_credit_code(text):
            customer = self.by_code.get(text.upper())
            if customer is None:
                raise RowProblem(
                    _("No customer you can see has the credit code %(code)s.")
                    % {"code": text.upper()},
                    column,
                )
            return customer
        named = self.by_name.get(text, [])
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise RowProblem(
                _("Several customers are named “%(name)s”: give the credit code instead.")
                % {"name": text},
                column,
            )
        raise RowProblem(
            _("Unknown customer “%(name)s”: no customer you can see has this name.")
            % {"name": text},
            column,
        )


class Departments:
    """Every department, by code, by full path of names (华东区/华东一部) or by a name
    only one department has."""

    SEPARATOR = "/"

    def __init__(self, *, active_only: bool = False):
        departments = list(Department.objects.order_by("path"))
        by_pk = {d.pk: d for d in departments}
        self.all = departments
        self.by_code = {d.code.casefold(): d for d in departments}
        self.by_path: dict[str, Department] = {}
        self.path_of: dict[int, str] = {}
        self.by_name: dict[str, list[Department]] = defaultdict(list)
        for department in departments:  # ordered by path: parents come first
            parent = by_pk.get(department.parent_id)
            names = self.path_of.get(parent.pk, "") if parent else ""
            path = f"{names}{self.SEPARATOR}{department.name}" if names else department.name
            self.path_of[department.pk] = path
            self.by_path[normalise_path(path)] = department
            self.by_name[department.name].append(department)

    def find(self, text: str) -> Department | None:
        text = str(text).strip()
        found = self.by_code.get(text.casefold()) or self.by_path.get(normalise_path(text))
        if found is None:
            named = self.by_name.get(text, [])
            if len(named) == 1:
                found = named[0]
        return found

    def resolve(self, text: str, column: str) -> Department:
        department = self.find(text)
        if department is None:
            if len(self.by_name.get(str(text).strip(), [])) > 1:
                raise RowProblem(
                    _("Several departments are named “%(name)s”: give its code or full path.")
                    % {"name": text},
                    column,
                )
            raise RowProblem(_("Unknown department “%(value)s”.") % {"value": text}, column)
        return department


def normalise_path(text: str) -> str:
    parts = [part.strip() for part in str(text).replace("\\", "/").replace("／", "/").split("/")]
    return "/".join(part for part in parts if part)
