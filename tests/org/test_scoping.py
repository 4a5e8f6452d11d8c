"""The one scoping rule, as it applies to the organisation itself."""

import pytest

from pathscore.core.models import SecurityEvent
from pathscore.notify.models import Notification
from pathscore.notify.services import notify_inbox
from pathscore.org.models import Department, User

pytestmark = pytest.mark.django_db


def usernames(queryset):
    return set(queryset.values_list("username", flat=True))


def test_salesperson_sees_self_and_own_team_only(personas):
    visible = usernames(User.objects.visible_to(personas.sales_a))
    assert "sales_a" in visible
    assert "manager_a" in visible
    assert "sales_b" not in visible
    assert "hr" not in visible


def test_manager_sees_own_subtree(personas):
    visible = usernames(User.objects.visible_to(personas.manager_a))
    assert {"sales_a", "manager_a", "deactivated"} <= visible
    assert "sales_b" not in visible
    assert "manager_b" not in visible


def test_regional_head_sees_teams_below(personas):
    visible = usernames(User.objects.visible_to(personas.regional_head))
    assert {"sales_a", "manager_a", "regional_head"} <= visible
    assert "sales_b" not in visible


@pytest.mark.parametrize("name", ["hr", "executive", "sysadmin"])
def test_company_wide_roles_see_everyone(personas, name):
    assert User.objects.visible_to(personas.get(name)).count() == User.objects.count()


def test_anonymous_and_deactivated_see_nothing(personas):
    from django.contrib.auth.models import AnonymousUser

    assert not User.objects.visible_to(AnonymousUser()).exists()
    assert not User.objects.visible_to(None).exists()
    assert not User.objects.visible_to(personas.deactivated).exists()
    assert not Department.objects.visible_to(personas.deactivated).exists()


def test_departments_follow_the_subtree(personas):
    names = set(
        Department.objects.visible_to(personas.regional_head).values_list("code", flat=True)
    )
    assert names == {"t-east", "t-team-a"}
    assert set(Department.objects.visible_to(personas.sales_b).values_list("code", flat=True)) == {
        "t-team-b"
    }


def test_security_log_is_the_auditors_alone(personas):
    assert SecurityEvent.objects.exists()
    assert (
        SecurityEvent.objects.visible_to(personas.auditor).count() == SecurityEvent.objects.count()
    )
    for name in ("hr", "executive", "sysadmin", "manager_a"):
        assert not SecurityEvent.objects.visible_to(personas.get(name)).exists()


def test_inbox_is_personal_even_for_hr(personas):
    notify_inbox(recipient=personas.sales_a, title="提醒")
    assert Notification.objects.visible_to(personas.sales_a).count() == 1
    assert not Notification.objects.visible_to(personas.hr).exists()
    assert not Notification.objects.visible_to(personas.manager_a).exists()


@pytest.mark.parametrize(
    ("viewer", "target", "status"),
    [
        ("sales_a", "sales_b", 404),
        ("manager_a", "sales_b", 404),
        ("manager_a", "sales_a", 200),
        ("regional_head", "sales_a", 200),
        ("hr", "sales_b", 200),
        ("tech", "sales_a", 404),
        ("auditor", "sales_a", 404),
    ],
)
def test_foreign_person_page_is_404(personas, login, viewer, target, status):
    client = login(personas.get(viewer))
    response = client.get(personas.get(target).get_absolute_url())
    assert response.status_code == status


def test_foreign_department_page_is_404(personas, login):
    client = login(personas.manager_a)
    assert client.get(personas.team_b.get_absolute_url()).status_code == 404
    assert client.get(personas.team_a.get_absolute_url()).status_code == 200


def test_api_applies_the_same_rule(personas, login):
    client = login(personas.manager_a)
    response = client.get("/api/v1/users/")
    assert response.status_code == 200
    names = {row["username"] for row in response.json()["results"]}
    assert "sales_a" in names and "sales_b" not in names
    assert client.get(f"/api/v1/users/{personas.sales_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/users/{personas.sales_a.pk}/").status_code == 200


def test_the_scope_reads_roles_and_headed_departments_in_one_statement(personas):
    """A request's first question, asked once: every role, every active headed department
    (in path order), and nothing from an inactive one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from pathscore.core.choices import Role
    from pathscore.org import services
    from pathscore.org.models import RoleGrant

    head = personas.regional_head
    services.user_update(user=head, roles=[Role.SALES_MANAGER, Role.HR_ADMIN])
    # Headed, then closed: it no longer widens the scope.
    Department.objects.filter(pk=personas.tech_dept.pk).update(head=head, is_active=False)
    # A second subtree, headed directly: both paths, in path order.
    Department.objects.filter(pk=personas.team_b.pk).update(head=head)
    # As a token brings its user: with the department, whose path the scope needs.
    fresh = User.objects.select_related("department").get(pk=head.pk)
    with CaptureQueriesContext(connection) as context:
        scope = fresh.scope
    assert len(context) == 1
    assert (
        scope.roles
        == frozenset(RoleGrant.objects.filter(user=head).values_list("role", flat=True))
        == {Role.SALES_MANAGER, Role.HR_ADMIN}
    )
    expected = tuple(
        sorted(Department.objects.filter(head=head, is_active=True).values_list("path", flat=True))
    )
    assert (
        scope.managed_paths == expected == tuple(sorted((personas.east.path, personas.team_b.path)))
    )
    # The roles came with it: asking for them again costs nothing.
    with CaptureQueriesContext(connection) as context:
        assert fresh.role_codes == scope.roles
    assert len(context) == 0


def test_a_scope_without_roles_or_headed_departments(personas):
    from pathscore.org.models import RoleGrant

    RoleGrant.objects.filter(user=personas.sales_a).delete()
    fresh = User.objects.get(pk=personas.sales_a.pk)
    assert fresh.scope.roles == frozenset()
    assert fresh.scope.managed_paths == ()
    assert fresh.scope.team_path == personas.team_a.path
