"""Several aggregates in one round trip: the same numbers as each read alone."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext

from pathscore.insights import onetrip
from pathscore.insights.selectors import _only_aggregates
from pathscore.org.models import Department, User

pytestmark = pytest.mark.django_db


def test_one_row_answers_what_each_aggregate_answers_alone(personas):
    people = User.objects.all()
    inactive = User.objects.filter(is_active=False)
    with CaptureQueriesContext(connection) as captured:
        row = onetrip.one_row(
            _only_aggregates(people, people=Count("pk"), with_department=Count("department")),
            _only_aggregates(inactive, inactive=Count("pk")),
            _only_aggregates(Department.objects.all(), departments=Count("pk")),
        )
    assert len(captured) == 1
    assert row == {
        "people": people.count(),
        "with_department": people.filter(department__isnull=False).count(),
        "inactive": inactive.count(),
        "departments": Department.objects.count(),
    }


def test_one_row_counts_nothing_for_a_set_that_cannot_match(personas):
    row = onetrip.one_row(
        _only_aggregates(User.objects.none(), nobody=Count("pk")),
        _only_aggregates(User.objects.filter(Q(pk__in=[])), none_either=Count("pk")),
        _only_aggregates(User.objects.all(), everyone=Count("pk")),
    )
    assert row == {"nobody": 0, "none_either": 0, "everyone": User.objects.count()}
    assert onetrip.one_row(_only_aggregates(User.objects.none(), nobody=Count("pk"))) == {
        "nobody": 0
    }
