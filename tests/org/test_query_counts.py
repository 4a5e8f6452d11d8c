"""List pages and the home page run a fixed number of queries, however many people there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathscore.core.choices import Role
from pathscore.notify.services import notify_inbox
from pathscore.org import services
from pathscore.org.models import User

pytestmark = pytest.mark.django_db

#: A ceiling that still catches one query per row (30 extra people would blow it): the
#: home page of a manager gathers a panel from every app, one or two queries each.
CEILING = 28


def grow(personas, count):
    """Add ``count`` people spread over two teams, with roles, and a notification each."""
    start = User.objects.filter(username__startswith="grow").count()
    for number in range(start, start + count):
        user = services.user_create(
            username=f"grow{number:03d}",
            name=f"员工{number:03d}",
            password=None,
            roles=[Role.SALESPERSON] if number % 2 else [Role.SALESPERSON, Role.TECHNICAL_SUPPORT],
            department=personas.team_a if number % 2 else personas.team_b,
            employee_no=f"G-{number:03d}",
        )
        notify_inbox(recipient=personas.sales_a, title=f"提醒 {number}", url="/")
        notify_inbox(recipient=user, title="欢迎")


def queries_for(client, url) -> int:
    client.get(url)  # warm-up: the first request after sign-in writes the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(
    ("viewer", "url"),
    [
        ("hr", "/org/people/"),
        ("hr", "/org/people/?role=salesperson&sort=-name"),
        ("sysadmin", "/org/departments/"),
        ("manager_a", "/org/people/"),
        ("hr", "/"),
        ("manager_a", "/"),
        ("regional_head", "/"),
        ("sales_a", "/"),
        ("sales_a", "/inbox/"),
    ],
)
def test_query_count_does_not_grow_with_people(
    personas, login, django_assert_max_num_queries, viewer, url
):
    client = login(personas.get(viewer))
    grow(personas, 5)
    small = queries_for(client, url)
    grow(personas, 25)
    with django_assert_max_num_queries(CEILING):
        large = queries_for(client, url)
    assert large == small, (
        f"{url} as {viewer}: {small} queries with 5 extra people, {large} with 30"
    )


def test_ceiling_would_catch_a_query_per_row(personas, django_assert_max_num_queries):
    # The guard itself: reading roles row by row over 30 people exceeds the ceiling.
    grow(personas, 30)
    with pytest.raises(pytest.fail.Exception), django_assert_max_num_queries(CEILING):
        for user in User.objects.all():
            list(user.role_grants.all())
