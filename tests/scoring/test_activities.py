"""Ratings, training and commendations: who may record them, scoping, pages and the API."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from pathscore.crm import services as crm_services
from pathscore.crm.choices import DocumentKind
from pathscore.org.models import User
from pathscore.scoring import services
from pathscore.scoring.models import Attendance, CustomerRating, QualityRating
from tests.crm import factories
from tests.crm.test_uploads import pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(personas):
    User.objects.update(language="en")
    with translation.override("en"):
        yield


@pytest.fixture
def customer_a(personas):
    return factories.customer(personas.sales_a, name="华东电网")


@pytest.fixture
def customer_b(personas):
    return factories.customer(personas.sales_b, name="华北电网")


def today():
    return timezone.localdate()


def rate(actor, person, customer, **fields):
    data = {
        "rated_on": today(),
        "domain_knowledge": 2,
        "communication": 4,
        "comment": "不了解技术细节",
        **fields,
    }
    return services.customer_rating_create(actor=actor, person=person, customer=customer, **data)


def proposal(personas, project):
    return crm_services.document_create(
        actor=personas.sales_a,
        project=project,
        kind=DocumentKind.REQUIREMENT_REPORT,
        title="需求报告",
        file=upload("需求报告.pdf", pdf_bytes("V1")),
    )


# --- Customer ratings ----------------------------------------------------------------------


def test_manager_and_hr_record_customer_ratings(personas, customer_a, customer_b):
    rating = rate(personas.manager_a, personas.sales_a, customer_a)
    assert rating.recorded_by == personas.manager_a
    assert rate(personas.hr, personas.sales_b, customer_b).person == personas.sales_b


def test_ratings_are_refused_outside_the_managed_team(personas, customer_a, customer_b):
    with pytest.raises(ValidationError) as error:
        rate(personas.manager_a, personas.sales_b, customer_a)
    assert "person" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        rate(personas.sales_a, personas.sales_a, customer_a)
    with pytest.raises(ValidationError) as error:
        rate(personas.manager_a, personas.sales_a, customer_b)  # a customer they cannot see
    assert "customer" in error.value.message_dict


def test_rating_values_and_dates_are_checked(personas, customer_a):
    with pytest.raises(ValidationError) as error:
        rate(personas.manager_a, personas.sales_a, customer_a, domain_knowledge=6)
    assert "between 1 and 5" in " ".join(error.value.messages)
    with pytest.raises(ValidationError) as error:
        rate(
            personas.manager_a,
            personas.sales_a,
            customer_a,
            rated_on=today() + datetime.timedelta(days=2),
        )
    assert "future" in " ".join(error.value.messages)
    assert not CustomerRating.objects.exists()


def test_ratings_inside_a_closed_period_are_refused(personas, customer_a):
    from pathscore.scoring.choices import PeriodState
    from pathscore.scoring.models import Period

    last_month = today() - datetime.timedelta(days=40)
    Period.objects.create(
        name="上月",
        kind="custom",
        starts_on=last_month - datetime.timedelta(days=10),
        ends_on=last_month + datetime.timedelta(days=10),
        state=PeriodState.CLOSED,
    )
    with pytest.raises(ValidationError) as error:
        rate(personas.manager_a, personas.sales_a, customer_a, rated_on=last_month)
    assert error.value.code == "closed"
    assert not CustomerRating.objects.exists()
    assert rate(personas.manager_a, personas.sales_a, customer_a).pk  # today is not frozen


def test_rating_list_is_scoped(personas, login, customer_a, customer_b):
    rate(personas.manager_a, personas.sales_a, customer_a, comment="A的评价")
    rate(personas.manager_b, personas.sales_b, customer_b, comment="B的评价")
    content = login(personas.manager_a).get(reverse("scoring:rating-list")).content.decode()
    assert "A的评价" in content and "B的评价" not in content
    content = login(personas.sales_a).get(reverse("scoring:rating-list")).content.decode()
    assert "A的评价" in content and "B的评价" not in content
    content = login(personas.hr).get(reverse("scoring:rating-list")).content.decode()
    assert "A的评价" in content and "B的评价" in content


def test_rating_page_is_forbidden_to_salespeople(personas, login):
    assert login(personas.sales_a).get(reverse("scoring:rating-create")).status_code == 403


def test_rating_form_keeps_typed_data(personas, login, customer_a):
    client = login(personas.manager_a)
    response = client.post(
        reverse("scoring:rating-create"),
        {
            "person": personas.sales_a.pk,
            "customer": customer_a.pk,
            "rated_on": (today() + datetime.timedelta(days=3)).isoformat(),
            "source": "call",
            "domain_knowledge": "2",
            "communication": "5",
            "comment": "typed comment",
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "typed comment" in content and "future" in content
    response = client.post(
        reverse("scoring:rating-create"),
        {
            "person": personas.sales_a.pk,
            "customer": customer_a.pk,
            "rated_on": today().isoformat(),
            "source": "call",
            "domain_knowledge": "2",
            "communication": "5",
        },
    )
    assert response.status_code == 302
    assert CustomerRating.objects.get().source == "call"


def test_rating_list_query_count_is_constant(
    personas, login, customer_a, django_assert_max_num_queries
):
    client = login(personas.hr)
    url = reverse("scoring:rating-list")
    rate(personas.manager_a, personas.sales_a, customer_a)
    client.get(url)
    with django_assert_max_num_queries(14):
        client.get(url)
    for _ in range(8):
        rate(personas.manager_a, personas.sales_a, customer_a)
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
    assert client.get(url, {"export": "xlsx"}).status_code == 200


# --- Quality ratings -----------------------------------------------------------------------


def test_quality_rating_is_credited_to_the_author(personas, login):
    version = proposal(personas, factories.project(personas.sales_a))
    rating = services.quality_rating_create(actor=personas.manager_a, version=version, score=90)
    assert (rating.person, rating.rated_by, rating.score) == (
        personas.sales_a,
        personas.manager_a,
        90,
    )
    with pytest.raises(ValidationError) as error:
        services.quality_rating_create(actor=personas.manager_a, version=version, score=80)
    assert "already" in " ".join(error.value.messages)
    with pytest.raises(PermissionDenied):
        services.quality_rating_create(actor=personas.sales_b, version=version, score=80)
    with pytest.raises(ValidationError) as error:
        services.quality_rating_create(actor=personas.hr, version=version, score=101)
    assert "between 0 and 100" in " ".join(error.value.messages)


def test_quality_page_needs_a_visible_version(personas, login):
    version = proposal(personas, factories.project(personas.sales_a))
    url = reverse("scoring:quality-create")
    assert login(personas.manager_b).get(url, {"version": version.pk}).status_code == 404
    assert login(personas.sales_a).get(url, {"version": version.pk}).status_code == 403
    client = login(personas.manager_a)
    assert client.get(url, {"version": version.pk}).status_code == 200
    response = client.post(
        url, {"version": version.pk, "score": "90", "rated_on": today().isoformat()}
    )
    assert response.status_code == 302
    assert QualityRating.objects.get().score == 90


# --- Training ------------------------------------------------------------------------------


@pytest.fixture
def course(personas):
    return services.training_course_create(
        actor=personas.hr,
        code="tech-basics",
        name="电力技术基础",
        indicators=["customer_feedback_rating"],
    )


def test_courses_are_kept_by_hr(personas, course):
    with pytest.raises(PermissionDenied):
        services.training_course_create(actor=personas.manager_a, code="x", name="X")
    with pytest.raises(ValidationError) as error:
        services.training_course_create(
            actor=personas.hr, code="y", name="Y", indicators=["no_such_indicator"]
        )
    assert "no_such_indicator" in " ".join(error.value.messages)


def test_sessions_and_attendance(personas, course):
    session = services.training_session_create(
        actor=personas.manager_a,
        course=course,
        held_on=today(),
        required=[personas.sales_a],
    )
    with pytest.raises(ValidationError):
        services.training_session_create(
            actor=personas.manager_a, course=course, held_on=today(), required=[personas.sales_b]
        )
    services.training_assign(actor=personas.hr, session=session, person=personas.sales_b)
    with pytest.raises(ValidationError):
        services.attendance_record(
            actor=personas.manager_a, session=session, attended_ids=[personas.sales_b.pk]
        )
    changed = services.attendance_record(
        actor=personas.manager_a, session=session, attended_ids=[personas.sales_a.pk]
    )
    assert changed == 1
    attended = dict(Attendance.objects.values_list("person__username", "attended"))
    assert attended == {"sales_a": True, "sales_b": False}


def test_session_page_ticks_attendance(personas, login, course):
    session = services.training_session_create(
        actor=personas.hr,
        course=course,
        held_on=today(),
        required=[personas.sales_a, personas.sales_b],
    )
    url = reverse("scoring:session-detail", args=[session.pk])
    content = login(personas.manager_a).get(url).content.decode()
    assert personas.sales_a.name in content and personas.sales_b.name not in content
    response = login(personas.manager_a).post(url, {"attended": [personas.sales_a.pk]})
    assert response.status_code == 302
    assert Attendance.objects.get(person=personas.sales_a).attended
    assert login(personas.sales_a).post(url, {"attended": [personas.sales_a.pk]}).status_code == 403


def test_training_list_query_count_is_constant(
    personas, login, course, django_assert_max_num_queries
):
    client = login(personas.manager_a)
    url = reverse("scoring:session-list")
    services.training_session_create(
        actor=personas.hr, course=course, held_on=today(), required=[personas.sales_a]
    )
    client.get(url)
    with django_assert_max_num_queries(14):
        client.get(url)
    for _ in range(6):
        services.training_session_create(
            actor=personas.hr,
            course=course,
            held_on=today(),
            required=[personas.sales_a, personas.sales_b],
        )
    with django_assert_max_num_queries(14):
        response = client.get(url)
    assert response.status_code == 200
    assert "1/0" not in response.content.decode()


# --- Commendations -------------------------------------------------------------------------


def test_commendations(personas, login):
    services.commendation_create(
        actor=personas.manager_a, person=personas.sales_a, title="快速响应"
    )
    with pytest.raises(ValidationError):
        services.commendation_create(actor=personas.manager_a, person=personas.sales_b, title="x")
    with pytest.raises(ValidationError) as error:
        services.commendation_create(actor=personas.hr, person=personas.sales_b, title=" ")
    assert "title" in error.value.message_dict
    assert (
        "快速响应"
        in login(personas.sales_a).get(reverse("scoring:commendation-list")).content.decode()
    )
    assert (
        "快速响应"
        not in login(personas.sales_b).get(reverse("scoring:commendation-list")).content.decode()
    )


# --- API -----------------------------------------------------------------------------------


def test_api_ratings_are_scoped_and_written_through_services(
    personas, login, customer_a, customer_b
):
    rate(personas.manager_b, personas.sales_b, customer_b)
    client = login(personas.manager_a)
    response = client.post(
        "/api/v1/customer-ratings/",
        {
            "person": personas.sales_a.pk,
            "customer": customer_a.pk,
            "rated_on": today().isoformat(),
            "domain_knowledge": 3,
            "communication": 4,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    rows = client.get("/api/v1/customer-ratings/").json()
    results = rows["results"] if isinstance(rows, dict) else rows
    assert {row["person"] for row in results} == {personas.sales_a.pk}
    other = CustomerRating.objects.get(person=personas.sales_b)
    assert client.get(f"/api/v1/customer-ratings/{other.pk}/").status_code == 404
    response = client.post(
        "/api/v1/customer-ratings/",
        {
            "person": personas.sales_b.pk,
            "customer": customer_a.pk,
            "rated_on": today().isoformat(),
            "domain_knowledge": 3,
            "communication": 4,
        },
        content_type="application/json",
    )
    assert response.status_code == 400


def test_api_training_and_commendations(personas, login, course):
    client = login(personas.hr)
    response = client.post(
        "/api/v1/training-sessions/",
        {"course": course.pk, "held_on": today().isoformat(), "required": [personas.sales_a.pk]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = client.post(
        f"/api/v1/training-sessions/{pk}/attendance/",
        {"attended": [personas.sales_a.pk]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["attendances"][0]["attended"] is True
    response = login(personas.sales_a).post(
        "/api/v1/commendations/",
        {"person": personas.sales_a.pk, "title": "self"},
        content_type="application/json",
    )
    assert response.status_code == 403
    response = login(personas.manager_a).post(
        "/api/v1/commendations/",
        {"person": personas.sales_a.pk, "title": "好"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


def test_course_pages_are_for_hr(personas, login, course):
    assert login(personas.manager_a).get(reverse("scoring:course-create")).status_code == 403
    assert login(personas.manager_a).get(reverse("scoring:course-list")).status_code == 200
    client = login(personas.hr)
    response = client.post(
        reverse("scoring:course-create"),
        {"code": "tech-basics", "name": "重复", "indicators": ["quality_score"], "is_active": "on"},
    )
    assert response.status_code == 200
    assert "exists already" in response.content.decode()
    response = client.post(
        reverse("scoring:course-edit", args=[course.pk]),
        {"name": "电力技术进阶", "indicators": ["quality_score"], "is_active": "on"},
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.name, course.indicators) == ("电力技术进阶", ["quality_score"])


def test_quality_and_commendation_lists_are_scoped(personas, login):
    version = proposal(personas, factories.project(personas.sales_a))
    services.quality_rating_create(actor=personas.manager_a, version=version, score=88)
    services.commendation_create(actor=personas.hr, person=personas.sales_b, title="北区之星")
    client = login(personas.manager_b)
    content = client.get(reverse("scoring:quality-list")).content.decode()
    assert "需求报告" not in content
    assert "北区之星" in client.get(reverse("scoring:commendation-list")).content.decode()
    content = login(personas.sales_a).get(reverse("scoring:quality-list")).content.decode()
    assert "需求报告" in content
    response = login(personas.manager_a).post(
        reverse("scoring:commendation-create"),
        {"person": personas.sales_a.pk, "title": "主动跟进", "given_on": today().isoformat()},
    )
    assert response.status_code == 302
