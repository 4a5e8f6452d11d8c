"""The API keeps the contract its schema states: one JSON error format naming the fields,
input read with the declared types and shapes, every status declared. Each test here
pins a defect the schema fuzz test (test_schema_fuzz.py) found, so it stays fixed even
where the fuzzer's examples change."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import path
from django.utils import timezone

from pathscore.org import services as org_services
from pathscore.process import services as process_services
from pathscore.process.models import DelayCategory, NodeInstance
from pathscore.scoring import services as scoring_services
from pathscore.scoring.models import TrainingCourse
from pathscore.urls import urlpatterns as real_urlpatterns
from tests.crm import factories

pytestmark = pytest.mark.django_db

JSON = "application/json"


def api(user):
    """A client sending the user's read-write token, as a script would."""
    _, secret = org_services.token_create(
        user=user, name="contract", scope="write", expires_in_days=30
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def post(client, url, data, method="post"):
    return getattr(client, method)(url, json.dumps(data), content_type=JSON)


def assert_refused(response, *fields):
    """A 400 in the one error format, naming exactly ``fields``."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert set(body["errors"]) == set(fields), body
    assert all(isinstance(m, str) for messages in body["errors"].values() for m in messages)


# --- Django's own answers under /api/ are JSON --------------------------------------------------


def explode(request):
    raise RuntimeError("secret-internal-detail")


urlpatterns = [path("api/v1/boom/", explode), *real_urlpatterns]
handler404 = "pathscore.api.errors.not_found"
handler500 = "pathscore.api.errors.server_error"


@pytest.mark.parametrize("url", ["/api/v1/customers/1.5/", "/api/v1/no-such-list/", "/api/x"])
def test_an_address_no_route_matches_is_a_json_404(personas, url):
    response = api(personas.manager_a).get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == JSON
    assert response.json() == {"detail": "未找到。", "errors": {}}


def test_pages_keep_their_html_404(personas, login):
    response = login(personas.manager_a).get("/no-such-page/")
    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


def test_a_server_error_under_the_api_is_json_without_details(personas, settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    client = api(personas.manager_a)
    client.raise_request_exception = False
    response = client.get("/api/v1/boom/")
    assert response.status_code == 500
    assert response.json() == {"detail": "服务器出现了错误。", "errors": {}}
    assert b"secret-internal-detail" not in response.content


def test_a_record_out_of_scope_is_a_translated_404(personas):
    other = factories.followup(personas.sales_b, factories.project(personas.sales_b))
    response = api(personas.manager_a).get(f"/api/v1/followups/{other.pk}/")
    assert response.status_code == 404
    # Not Django's "No FollowUp matches the given query.", which is English and names a model.
    assert response.json() == {"detail": "未找到。", "errors": {}}


# --- Bodies ------------------------------------------------------------------------------------


def test_a_body_that_is_not_json_is_refused_in_the_error_format(personas):
    client = api(personas.sales_a)
    for body in (b"\x00", b"{not json", "名称".encode("gbk")):
        response = client.post("/api/v1/customers/", body, content_type=JSON)
        assert_refused(response, "non_field_errors")
        assert "JSON parse error" not in response.json()["detail"]


def test_form_encoded_bodies_are_refused_as_unsupported(personas):
    response = api(personas.sales_a).post(
        "/api/v1/customers/", {"name": "南京供电公司", "customer_type": "grid"}
    )
    assert response.status_code == 415
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": 5, "customer_type": "grid"}, "name"),
        ({"name": "南京供电公司", "customer_type": 5}, "customer_type"),
        ({"name": "南京供电公司", "customer_type": "grid", "latitude": "+31.5"}, "latitude"),
        ({"name": "南京供电公司", "customer_type": "grid", "latitude": "3.1e1"}, "latitude"),
        ({"name": "南京供电公司", "customer_type": "grid", "latitude": True}, "latitude"),
    ],
)
def test_values_of_another_json_type_are_refused(personas, payload, field):
    assert_refused(post(api(personas.sales_a), "/api/v1/customers/", payload), field)


def test_decimals_may_be_numbers_or_plain_decimal_strings(personas):
    client = api(personas.sales_a)
    base = {"customer_type": "grid"}
    for name, latitude in (("数字纬度公司", 31.5), ("文本纬度公司", "31.5")):
        response = post(client, "/api/v1/customers/", {**base, "name": name, "latitude": latitude})
        assert response.status_code == 201, response.json()
        assert response.json()["latitude"] == "31.500000"


def test_yes_no_fields_take_only_true_or_false(personas):
    client = api(personas.hr)
    payload = {"name": "天气原因", "attribution": "external"}
    assert_refused(
        post(client, "/api/v1/delay-categories/", {**payload, "is_active": 0}), "is_active"
    )
    response = post(client, "/api/v1/delay-categories/", {**payload, "is_active": False})
    assert response.status_code == 201, response.json()


def test_errors_inside_lists_are_named_by_their_path(personas):
    project = factories.project(personas.sales_a)
    payload = {
        "project": project.pk,
        "occurred_at": timezone.now().isoformat(),
        "mode": "visit",
        "content": "现场勘查",
        "needs": ["储能系统需求评估", "   "],
    }
    assert_refused(post(api(personas.sales_a), "/api/v1/followups/", payload), "needs.1")


def test_a_followup_before_2000_is_refused(personas):
    project = factories.project(personas.sales_a)
    payload = {
        "project": project.pk,
        "occurred_at": "0492-12-01T20:48:00+12:34",
        "mode": "visit",
        "content": "现场勘查",
    }
    assert_refused(post(api(personas.sales_a), "/api/v1/followups/", payload), "occurred_at")


def test_course_indicators_must_be_a_list_of_codes(personas):
    course = TrainingCourse.objects.create(code="storage", name="储能技术培训")
    client = api(personas.hr)
    for indicators, fields in (
        (True, {"indicators"}),
        ("followup_count", {"indicators"}),
        ([None, None], {"indicators.0", "indicators.1"}),
    ):
        response = post(
            client,
            f"/api/v1/training-courses/{course.pk}/",
            {"indicators": indicators},
            method="patch",
        )
        assert_refused(response, *fields)


# --- Refusals name the request's own fields ----------------------------------------------------


def test_handing_over_to_a_deactivated_person_names_to_owner(personas):
    project = factories.project(personas.sales_a)
    response = post(
        api(personas.manager_a),
        f"/api/v1/projects/{project.pk}/handover/",
        {"to_owner": personas.deactivated.pk, "reason": "人员调整"},
    )
    assert_refused(response, "to_owner")


def test_a_month_with_another_end_names_ends_on(personas):
    start = timezone.localdate().replace(day=1)
    period = scoring_services.period_create(actor=personas.hr, kind="month", starts_on=start)
    response = post(
        api(personas.hr),
        f"/api/v1/periods/{period.pk}/",
        {"name": "本月", "ends_on": "2000-01-01"},
        method="patch",
    )
    assert_refused(response, "ends_on")


def test_deciding_a_delay_reason_answers_with_the_reason(personas):
    project = factories.project(personas.sales_a, started_on=timezone.localdate())
    process_services.process_start(project=project)
    node = NodeInstance.objects.get(project=project, state="in_progress")
    NodeInstance.objects.filter(pk=node.pk).update(
        planned_due=timezone.localdate() - dt.timedelta(days=2)
    )
    node.refresh_from_db()
    reason = process_services.delay_reason_give(
        node=node,
        user=personas.sales_a,
        category=DelayCategory.objects.get(code="customer-data"),
        text="客户未提供完整的用电数据",
    )
    response = post(
        api(personas.manager_a),
        f"/api/v1/delay-reasons/{reason.pk}/decide/",
        {"decision": "accept"},
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == reason.pk and body["node"] == node.pk
    assert body["attribution"] == "customer" and body["decision"] == "accepted"


# --- Lists -------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", ""])
def test_a_page_that_is_not_a_page_number_is_refused_by_name(personas, page):
    response = api(personas.manager_a).get("/api/v1/customers/", {"page": page})
    assert_refused(response, "page")


def test_a_page_past_the_last_is_404(personas):
    client = api(personas.manager_a)
    assert client.get("/api/v1/customers/", {"page": 2}).status_code == 404
    assert client.get("/api/v1/customers/", {"page": "9" * 40}).status_code == 404


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/departments/", {"is_active": "null"}, "is_active"),
        ("/api/v1/nodes/", {"overdue": "1"}, "overdue"),
        ("/api/v1/followups/", {"until": ""}, "until"),
        ("/api/v1/documents/", {"kind": ""}, "kind"),
        ("/api/v1/results/", {"version": "0.5"}, "version"),
        # Once a 500: a number too large for the database.
        ("/api/v1/nodes/", {"project": "2.0606281893874497e+21"}, "project"),
        ("/api/v1/nodes/", {"project": "9" * 30}, "project"),
        ("/api/v1/customers/", {"owner": "9" * 30}, "owner"),
    ],
)
def test_filter_values_of_the_wrong_shape_are_refused_by_name(personas, url, params, field):
    assert_refused(api(personas.hr).get(url, params), field)


def test_a_single_value_filter_given_twice_is_refused(personas):
    response = api(personas.hr).get("/api/v1/departments/?is_active=true&is_active=false")
    assert_refused(response, "is_active")


def test_text_filters_may_be_empty_and_multi_value_filters_repeat(personas):
    client = api(personas.hr)
    assert client.get("/api/v1/customers/", {"q": ""}).status_code == 200
    assert client.get("/api/v1/projects/?status=active&status=won").status_code == 200
    assert client.get("/api/v1/departments/", {"is_active": "true"}).status_code == 200


# --- The schema --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for url, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), url, operation


def test_every_operation_declares_its_shared_refusals(schema):
    for method, url, operation in operations(schema):
        codes = set(operation["responses"])
        assert "401" in codes, (method, url)
        if method != "GET":
            assert {"400", "403"} <= codes, (method, url)
        if "{id}" in url:
            assert "404" in codes, (method, url)
        for code, response in operation["responses"].items():
            if code.startswith("4"):
                assert "application/json" in response["content"], (method, url, code)


def test_the_error_body_is_one_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "errors"]
    assert error["properties"]["errors"]["additionalProperties"]["type"] == "array"


def test_created_answers_are_declared_as_201(schema):
    paths = schema["paths"]
    for url in (
        "/api/v1/documents/{id}/versions/",
        "/api/v1/projects/{id}/handover/",
        "/api/v1/scorecards/{id}/new-draft/",
    ):
        assert set(paths[url]["post"]["responses"]) & {"200", "201"} == {"201"}, url


def test_uploads_are_multipart_and_rate_limited_the_rest_json(schema):
    paths = schema["paths"]
    upload = paths["/api/v1/documents/"]["post"]
    assert set(upload["requestBody"]["content"]) == {"multipart/form-data"}
    assert "Retry-After" in upload["responses"]["429"]["headers"]
    body = paths["/api/v1/customers/"]["post"]["requestBody"]
    assert set(body["content"]) == {"application/json"}


def test_page_size_is_bounded_in_the_schema(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]}
    assert parameters["page_size"]["schema"]["maximum"] == 200
    assert parameters["page"]["schema"]["minimum"] == 1


def test_a_value_that_may_be_missing_is_nullable(schema):
    period = schema["components"]["schemas"]["Period"]["properties"]
    assert period["appeal_deadline"]["nullable"] is True
