"""The demo company: its organisation, its people and their roles, loaded once.

These tests load only the organisation's part of the demo (the other apps' parts are
theirs to test, and slow); ``tests/test_cli.py`` runs the whole demo end to end.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from pathscore.core.choices import Role
from pathscore.demo import loader
from pathscore.demo.loader import database_is_empty, demo_logins, load_demo
from pathscore.org.choices import DepartmentKind
from pathscore.org.models import Department, User

pytestmark = pytest.mark.django_db

EXPECTED_TEAMS = {
    "sales-east": ("liqiang", {"wangfang", "zhangwei", "liuyang", "chenjing", "yangfan"}),
    "sales-north": ("zhaomin", {"sunhao", "zhoujie", "wuxia", "zhenglei", "fengtao"}),
    "sales-southwest": ("hejun", {"luoping", "tangli", "hanbing", "caoyu", "xuqian"}),
}


@pytest.fixture(autouse=True)
def org_part_only(monkeypatch):
    from pathscore.org import demo as org_demo

    monkeypatch.setattr(loader, "demo_parts", lambda: iter([("org", org_demo.load)]))


@pytest.fixture
def demo():
    return load_demo()


def test_every_app_with_a_demo_module_contributes_in_layer_order(monkeypatch):
    monkeypatch.undo()
    from django.conf import settings

    labels = [label for label, _ in loader.demo_parts()]
    assert labels[0] == "org"
    order = [name.rsplit(".", 1)[-1] for name in settings.INSTALLED_APPS]
    assert labels == sorted(labels, key=order.index)
    assert "demo" not in labels and "core" not in labels


def roles_of(username) -> frozenset[str]:
    return User.objects.get(username=username).role_codes


def test_three_sales_teams_of_five_led_by_their_managers(demo):
    sales_centre = Department.objects.get(code="sales")
    teams = Department.objects.filter(parent=sales_centre).order_by("sort_order")
    assert [t.code for t in teams] == list(EXPECTED_TEAMS)
    for team in teams:
        manager, members = EXPECTED_TEAMS[team.code]
        assert team.kind == DepartmentKind.TEAM
        assert team.head.username == manager
        assert roles_of(manager) == {Role.SALES_MANAGER}
        salespeople = set(
            User.objects.filter(
                department=team, is_active=True, role_grants__role=Role.SALESPERSON
            ).values_list("username", flat=True)
        )
        assert salespeople == members
        for username in members:
            assert roles_of(username) == {Role.SALESPERSON}
        # The manager manages exactly their own team.
        visible = set(
            User.objects.visible_to(User.objects.get(username=manager)).values_list(
                "username", flat=True
            )
        )
        assert members <= visible
        others = set().union(*(m for c, (_, m) in EXPECTED_TEAMS.items() if c != team.code))
        assert not visible & others
    assert len(demo.shared["salespeople"]) == 15
    assert [m.username for m in demo.shared["managers"]] == ["liqiang", "zhaomin", "hejun"]


def test_support_hr_executive_auditor_and_admin(demo):
    tech = Department.objects.get(code="tech-support")
    engineers = User.objects.filter(department=tech, is_active=True)
    assert {u.username for u in engineers} == {"linfeng", "songyu", "dengxin"}
    for engineer in engineers:
        assert engineer.role_codes == {Role.TECHNICAL_SUPPORT}
    assert tech.head.username == "linfeng"

    expected = {
        "huangli": Role.HR_ADMIN,
        "gaojian": Role.EXECUTIVE,
        "qianyun": Role.AUDITOR,
        "admin": Role.SYSTEM_ADMIN,
        "mahui": Role.SALES_MANAGER,
    }
    for username, role in expected.items():
        assert roles_of(username) == {role}, username
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    assert not User.objects.filter(is_staff=True).exclude(username="admin").exists()
    # The sales director heads the whole sales centre, so sees all fifteen salespeople.
    director = User.objects.get(username="mahui")
    assert Department.objects.get(code="sales").head == director
    salespeople = User.objects.visible_to(director).filter(role_grants__role=Role.SALESPERSON)
    assert salespeople.filter(is_active=True).count() == 15


def test_everyone_signs_in_with_the_demo_password_and_has_a_department(demo, client):
    active = User.objects.filter(is_active=True)
    assert active.count() >= 26
    assert not active.filter(department__isnull=True).exists()
    assert not active.filter(role_grants__isnull=True).exists()
    assert len(set(active.values_list("employee_no", flat=True))) == active.count()
    for username in ("wangfang", "liqiang", "admin"):
        user = User.objects.get(username=username)
        assert user.check_password("pathscore-demo")
    response = client.post(
        "/accounts/login/", {"username": "liqiang", "password": "pathscore-demo"}
    )
    assert response.status_code == 302


def test_a_former_employee_is_kept_deactivated(demo):
    former = User.objects.get(username="xiemin")
    assert not former.is_active
    assert former.department.code == "sales-east"
    assert "xiemin" not in {p.username for _, people in demo_logins() for p in people}


def test_the_tree_is_consistent(demo):
    for department in Department.objects.all():
        if department.parent_id is None:
            assert department.path == f"/{department.pk}/" and department.depth == 0
        else:
            assert department.path == f"{department.parent.path}{department.pk}/"
            assert department.depth == department.parent.depth + 1
    assert Department.objects.filter(parent__isnull=True).count() == 1


def test_management_command_refuses_a_second_load():
    assert database_is_empty()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "Loading the demo company" in out.getvalue()
    assert "pathscore-demo" in out.getvalue()
    count = User.objects.count()
    with pytest.raises(CommandError, match="already holds data"):
        call_command("load_demo", stdout=io.StringIO())
    quiet = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=quiet)
    assert "was not loaded" in quiet.getvalue()
    assert User.objects.count() == count


def test_if_empty_loads_into_an_empty_database():
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert User.objects.filter(username="wangfang").exists()
    assert "Demo logins" in out.getvalue()


def test_demo_logins_lists_a_few_people_per_role(demo):
    logins = dict(demo_logins())
    assert set(logins) == {str(role.label) for role in Role}
    assert all(1 <= len(people) <= 3 for people in logins.values())
    assert [p.username for p in logins[str(Role.SYSTEM_ADMIN.label)]] == ["admin"]
