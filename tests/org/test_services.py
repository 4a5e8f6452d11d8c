"""Writes to the organisation: the department tree, accounts, roles."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from pathscore.core.choices import Role, SecurityEventKind
from pathscore.core.models import SecurityEvent
from pathscore.org import services
from pathscore.org.choices import DepartmentKind
from pathscore.org.models import Department, RoleGrant, User

pytestmark = pytest.mark.django_db


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def visible_usernames(viewer):
    return set(User.objects.visible_to(fresh(viewer)).values_list("username", flat=True))


class TestDepartmentTree:
    def test_create_sets_path_and_depth(self, personas):
        company, east, team_a = (
            fresh(personas.company),
            fresh(personas.east),
            fresh(personas.team_a),
        )
        assert (company.path, company.depth) == (f"/{company.pk}/", 0)
        assert (east.path, east.depth) == (f"/{company.pk}/{east.pk}/", 1)
        assert (team_a.path, team_a.depth) == (f"/{company.pk}/{east.pk}/{team_a.pk}/", 2)
        assert team_a.ancestor_ids() == [company.pk, east.pk, team_a.pk]
        assert team_a.is_within(east) and not team_a.is_within(personas.north)

    def test_create_validates(self, personas):
        with pytest.raises(ValidationError) as caught:
            services.department_create(name="重复", code="t-east", kind=DepartmentKind.TEAM)
        assert "code" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            services.department_create(name="", code="ok-code", kind="planet")
        assert {"name", "kind"} <= set(caught.value.message_dict)
        assert not Department.objects.filter(code="ok-code").exists()

    def test_move_rewrites_the_whole_subtree(self, personas):
        squad = services.department_create(
            name="华东一部一组", code="t-squad", kind=DepartmentKind.TEAM, parent=personas.team_a
        )
        cell = services.department_create(
            name="华东一部一组一班", code="t-cell", kind=DepartmentKind.TEAM, parent=squad
        )
        east = fresh(personas.east)
        north = fresh(personas.north)
        services.department_move(department=east, parent=north)

        east, team_a, squad, cell = map(fresh, (east, personas.team_a, squad, cell))
        assert (east.path, east.depth) == (f"{north.path}{east.pk}/", 2)
        assert (team_a.path, team_a.depth) == (f"{east.path}{team_a.pk}/", 3)
        assert (squad.path, squad.depth) == (f"{team_a.path}{squad.pk}/", 4)
        assert (cell.path, cell.depth) == (f"{squad.path}{cell.pk}/", 5)
        assert east.parent == north
        # Departments outside the subtree are untouched.
        team_b = fresh(personas.team_b)
        assert team_b.path == f"{north.path}{team_b.pk}/" and team_b.depth == 2
        # The head of the new parent now manages the moved subtree.
        services.department_update(department=north, head=personas.manager_b)
        assert "sales_a" in visible_usernames(personas.manager_b)

    def test_move_to_the_root(self, personas):
        services.department_move(department=fresh(personas.east), parent=None)
        east, team_a = fresh(personas.east), fresh(personas.team_a)
        assert (east.path, east.depth) == (f"/{east.pk}/", 0)
        assert (team_a.path, team_a.depth) == (f"/{east.pk}/{team_a.pk}/", 1)

    def test_moving_a_team_changes_who_manages_it(self, personas):
        assert "sales_a" in visible_usernames(personas.regional_head)
        services.department_update(department=fresh(personas.team_a), parent=fresh(personas.north))
        assert fresh(personas.team_a).path.startswith(fresh(personas.north).path)
        assert "sales_a" not in visible_usernames(personas.regional_head)
        assert "manager_a" in visible_usernames(personas.manager_a)

    @pytest.mark.parametrize("target", ["east", "team_a"])
    def test_cannot_move_under_itself_or_a_descendant(self, personas, target):
        east = fresh(personas.east)
        before = dict(Department.objects.values_list("code", "path"))
        with pytest.raises(ValidationError) as caught:
            services.department_move(department=east, parent=fresh(personas.get(target)))
        assert list(caught.value.message_dict) == ["parent"]
        assert dict(Department.objects.values_list("code", "path")) == before
        assert fresh(personas.east).parent_id == personas.company.pk

    def test_deactivate_refuses_with_active_members(self, personas):
        with pytest.raises(ValidationError):
            services.department_deactivate(department=fresh(personas.team_a))
        assert fresh(personas.team_a).is_active

    def test_deactivate_refuses_with_active_sub_departments(self, personas):
        with pytest.raises(ValidationError):
            services.department_deactivate(department=fresh(personas.north))
        assert fresh(personas.north).is_active

    def test_deactivate_an_empty_department(self, personas):
        empty = services.department_create(
            name="华南一部", code="t-south", kind=DepartmentKind.TEAM, parent=personas.company
        )
        services.department_deactivate(department=empty)
        assert not fresh(empty).is_active

    def test_deactivate_after_members_leave(self, personas):
        tech_dept = fresh(personas.tech_dept)
        services.user_move(user=fresh(personas.tech), department=personas.office)
        services.department_deactivate(department=tech_dept)
        assert not fresh(tech_dept).is_active


class TestUserCreate:
    def create(self, **overrides):
        data = {
            "username": "newcomer",
            "name": "新同事",
            "password": "Transformer-Check-77",
            "roles": [Role.SALESPERSON],
        }
        data.update(overrides)
        return services.user_create(**data)

    def test_creates_with_roles_and_hashed_password(self, personas):
        user = self.create(department=personas.team_a, employee_no="E-1")
        user = fresh(user)
        assert user.check_password("Transformer-Check-77")
        assert user.password != "Transformer-Check-77"
        assert user.role_codes == frozenset({Role.SALESPERSON})
        assert not user.is_staff and not user.is_superuser
        assert user.department == personas.team_a
        assert user.language == "zh-hans" and user.time_zone == "Asia/Shanghai"

    def test_no_password_means_no_login(self, personas):
        user = self.create(password=None)
        assert not fresh(user).has_usable_password()

    @pytest.mark.parametrize(
        "password", ["short-1", "1234567890123", "password1234", "newcomer2026"]
    )
    def test_weak_passwords_are_refused_on_the_password_field(self, personas, password):
        with pytest.raises(ValidationError) as caught:
            self.create(password=password)
        assert list(caught.value.message_dict) == ["password"]
        assert not User.objects.filter(username="newcomer").exists()

    def test_weak_password_allowed_only_when_asked(self, personas):
        user = self.create(password="weak", validate_password_strength=False)
        assert fresh(user).check_password("weak")

    def test_unique_username(self, personas):
        with pytest.raises(ValidationError) as caught:
            self.create(username="sales_a")
        assert "username" in caught.value.message_dict
        assert User.objects.filter(username="sales_a").count() == 1

    def test_unique_employee_no_and_blank_is_not_a_duplicate(self, personas):
        self.create(username="first", employee_no="HY-7")
        with pytest.raises(ValidationError) as caught:
            self.create(username="second", employee_no="HY-7")
        assert "employee_no" in caught.value.message_dict
        assert not User.objects.filter(username="second").exists()
        assert not RoleGrant.objects.filter(user__username="second").exists()
        # Several people without an employee number are fine (stored as NULL).
        self.create(username="third", employee_no="")
        self.create(username="fourth", employee_no=None)
        assert User.objects.filter(username__in=["third", "fourth"], employee_no=None).count() == 2


class TestRoles:
    def test_changing_roles_is_a_security_event(self, personas):
        user = fresh(personas.sales_a)
        services.user_update(
            user=user, actor=personas.hr, roles=[Role.SALESPERSON, Role.SALES_MANAGER]
        )
        assert fresh(user).role_codes == {Role.SALESPERSON, Role.SALES_MANAGER}
        event = SecurityEvent.objects.get(kind=SecurityEventKind.ROLES_CHANGED)
        assert event.actor == personas.hr
        assert event.subject == personas.sales_a
        assert event.detail["roles"] == ["sales_manager", "salesperson"]

    def test_unchanged_roles_log_nothing(self, personas):
        services.user_update(user=fresh(personas.sales_a), roles=[Role.SALESPERSON], title="组长")
        assert not SecurityEvent.objects.filter(kind=SecurityEventKind.ROLES_CHANGED).exists()
        assert fresh(personas.sales_a).title == "组长"

    def test_roles_none_leaves_roles_alone(self, personas):
        services.user_update(user=fresh(personas.hr), roles=None, title="绩效主管")
        assert fresh(personas.hr).role_codes == {Role.HR_ADMIN}

    def test_system_admin_role_grants_and_removes_django_admin(self, personas):
        user = fresh(personas.tech)
        services.user_update(user=user, roles=[Role.TECHNICAL_SUPPORT, Role.SYSTEM_ADMIN])
        stored = fresh(user)
        assert stored.is_staff and stored.is_superuser
        services.user_update(user=stored, roles=[Role.TECHNICAL_SUPPORT])
        stored = fresh(user)
        assert not stored.is_staff and not stored.is_superuser
        assert stored.role_codes == {Role.TECHNICAL_SUPPORT}
        assert SecurityEvent.objects.filter(kind=SecurityEventKind.ROLES_CHANGED).count() == 2

    def test_unknown_role_is_refused(self, personas):
        with pytest.raises(ValidationError) as caught:
            services.user_update(user=fresh(personas.sales_a), roles=["emperor"], title="皇帝")
        assert list(caught.value.message_dict) == ["roles"]
        assert "emperor" in caught.value.message_dict["roles"][0]
        # Nothing is half-saved: the title change went back with the refused roles.
        assert fresh(personas.sales_a).title == "客户经理"
        assert fresh(personas.sales_a).role_codes == {Role.SALESPERSON}

    def test_scope_follows_a_role_change_on_the_same_instance(self, personas):
        user = fresh(personas.sales_a)
        assert not user.scope.sees_all_records
        services.user_update(user=user, roles=[Role.EXECUTIVE])
        assert user.scope.sees_all_records


class TestUserUpdateAndMove:
    def test_update_validates_and_saves_nothing_on_error(self, personas):
        user = fresh(personas.sales_a)
        with pytest.raises(ValidationError) as caught:
            services.user_update(user=user, email="not-an-email", title="新头衔")
        assert "email" in caught.value.message_dict
        assert fresh(personas.sales_a).title == "客户经理"

    def test_move_to_another_department(self, personas):
        services.user_move(user=fresh(personas.sales_a), department=personas.team_b)
        assert fresh(personas.sales_a).department == personas.team_b
        assert "sales_a" in visible_usernames(personas.manager_b)
        assert "sales_a" not in visible_usernames(personas.manager_a)

    def test_history_keeps_each_change(self, personas):
        user = fresh(personas.sales_a)
        services.user_update(user=user, title="高级客户经理")
        records = list(user.history.order_by("history_date", "history_id"))
        assert records[-1].title == "高级客户经理"
        assert records[-2].title == "客户经理"
        assert records[-1].history_type == "~"
