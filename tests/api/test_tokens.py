"""Personal API tokens: created in the profile, stored hashed, scoped like their user."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from pathscore.core.choices import SecurityEventKind
from pathscore.core.models import SecurityEvent
from pathscore.org import services
from pathscore.org.models import ApiToken
from tests.crm import factories

pytestmark = pytest.mark.django_db


def bearer(secret, keyword="Bearer"):
    return Client(HTTP_AUTHORIZATION=f"{keyword} {secret}")


def make(user, scope="read", days=90, name="ERP sync"):
    return services.token_create(user=user, name=name, scope=scope, expires_in_days=days)


def test_secret_is_returned_once_and_stored_hashed(personas):
    token, secret = make(personas.sales_a)
    assert secret.startswith(f"ps_{token.prefix}_")
    assert len(secret) >= len("ps_") + 8 + 1 + 32
    stored = ApiToken.objects.values().get(pk=token.pk)
    assert stored["digest"] != secret
    assert secret not in {str(value) for value in stored.values()}
    assert all(secret[12:] not in str(value) for value in stored.values())
    assert SecurityEvent.objects.filter(
        kind=SecurityEventKind.TOKEN_CREATED, subject=personas.sales_a
    ).exists()


def test_bearer_token_lists_records_and_is_scoped_like_its_user(personas):
    factories.project(personas.sales_a, name="华东配网项目")
    project_b = factories.project(personas.sales_b, name="华北光伏项目")
    _, secret = make(personas.sales_a)
    client = bearer(secret)
    response = client.get("/api/v1/projects/")
    assert response.status_code == 200
    assert {row["name"] for row in response.json()["results"]} == {"华东配网项目"}
    assert client.get(f"/api/v1/projects/{project_b.pk}/").status_code == 404
    assert bearer(secret, keyword="Token").get("/api/v1/me/").json()["username"] == (
        personas.sales_a.username
    )


def test_read_token_refused_on_writes_write_token_allowed(personas):
    payload = {"name": "南京新源光伏有限公司", "customer_type": "new-energy"}
    _, read_secret = make(personas.sales_a, scope="read")
    refused = bearer(read_secret).post(
        "/api/v1/customers/", payload, content_type="application/json"
    )
    assert refused.status_code == 403
    assert refused.json()["errors"] == {}
    assert refused.json()["detail"] in {"This API token is read only.", "此 API 令牌为只读。"}
    _, write_secret = make(personas.sales_a, scope="write")
    created = bearer(write_secret).post(
        "/api/v1/customers/", payload, content_type="application/json"
    )
    assert created.status_code == 201, created.json()
    assert created.json()["owner"] == personas.sales_a.pk


def assert_unauthorised(response):
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["errors"] == {}


def test_expired_and_revoked_tokens_fail(personas):
    expired, expired_secret = make(personas.sales_a)
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert_unauthorised(bearer(expired_secret).get("/api/v1/projects/"))
    revoked, revoked_secret = make(personas.sales_a)
    assert bearer(revoked_secret).get("/api/v1/projects/").status_code == 200
    services.token_revoke(token=revoked, actor=personas.sales_a)
    assert_unauthorised(bearer(revoked_secret).get("/api/v1/projects/"))
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.TOKEN_REVOKED).count() == 1


def test_deactivated_user_fails_at_once(personas):
    token, secret = make(personas.sales_a, days=None)
    assert bearer(secret).get("/api/v1/projects/").status_code == 200
    # Even without the service (e.g. a change in the admin), is_active is checked.
    type(personas.sales_a).objects.filter(pk=personas.sales_a.pk).update(is_active=False)
    assert_unauthorised(bearer(secret).get("/api/v1/projects/"))
    type(personas.sales_a).objects.filter(pk=personas.sales_a.pk).update(is_active=True)
    personas.sales_a.refresh_from_db()
    services.user_deactivate(user=personas.sales_a, actor=personas.sysadmin)
    assert_unauthorised(bearer(secret).get("/api/v1/projects/"))
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize(
    "header",
    [
        "Bearer garbage",
        "Bearer ps_00000000_" + "x" * 43,
        "Bearer ps_short",
        "Token",
        "Bearer a b",
    ],
)
def test_garbage_and_unknown_tokens_fail(personas, header):
    make(personas.sales_a)
    assert_unauthorised(Client(HTTP_AUTHORIZATION=header).get("/api/v1/projects/"))


def test_right_prefix_wrong_secret_fails(personas):
    _, secret = make(personas.sales_a)
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    assert_unauthorised(bearer(forged).get("/api/v1/projects/"))


def test_no_header_is_still_a_401_not_a_session_403(db):
    response = Client().get("/api/v1/projects/")
    assert response.status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(personas, django_assert_max_num_queries):
    token, secret = make(personas.sales_a)
    client = bearer(secret)
    client.get("/api/v1/me/", REMOTE_ADDR="10.1.2.3")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    assert token.last_used_ip == "10.1.2.3"
    client.get("/api/v1/me/", REMOTE_ADDR="10.9.9.9")
    token.refresh_from_db()
    assert token.last_used_at == first and token.last_used_ip == "10.1.2.3"
    stale = timezone.now() - dt.timedelta(minutes=5)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=stale)
    client.get("/api/v1/me/", REMOTE_ADDR="10.9.9.9")
    token.refresh_from_db()
    assert token.last_used_at > stale and token.last_used_ip == "10.9.9.9"


def test_authentication_does_not_write_on_every_request(personas, django_assert_num_queries):
    _, secret = make(personas.sales_a)
    assert services.token_authenticate(secret=secret) is not None
    with django_assert_num_queries(1):  # the lookup only; no UPDATE within the minute
        assert services.token_authenticate(secret=secret) is not None


def test_service_validates_fields(personas):
    with pytest.raises(Exception) as caught:
        services.token_create(user=personas.sales_a, name=" ", scope="admin", expires_in_days=7)
    assert set(caught.value.message_dict) == {"name", "scope", "expires_in_days"}
    assert not ApiToken.objects.exists()


def test_only_owner_or_system_admin_revokes(personas):
    token, _ = make(personas.sales_a)
    with pytest.raises(PermissionDenied):
        services.token_revoke(token=token, actor=personas.manager_a)
    services.token_revoke(token=token, actor=personas.sysadmin)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


# Profile ----------------------------------------------------------------------------


def test_profile_creates_shows_secret_once_lists_and_revokes(personas, login):
    client = login(personas.sales_a)
    page = client.get("/accounts/profile/")
    assert page.status_code == 200 and b'data-testid="no-tokens"' in page.content
    created = client.post(
        "/accounts/profile/tokens/",
        {"name": "ERP sync", "scope": "write", "expires_in_days": "never"},
    )
    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    secret = created.context["secret"]
    assert secret.encode() in created.content
    token = ApiToken.objects.get(user=personas.sales_a)
    assert token.scope == "write" and token.expires_at is None
    listed = client.get("/accounts/profile/")
    assert secret.encode() not in listed.content
    assert token.prefix.encode() in listed.content
    assert listed.content.count(b'data-testid="token-row"') == 1
    revoked = client.post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert_unauthorised(bearer(secret).get("/api/v1/me/"))


def test_profile_form_keeps_input_and_names_the_field(personas, login):
    client = login(personas.sales_a)
    response = client.post(
        "/accounts/profile/tokens/", {"name": "", "scope": "write", "expires_in_days": "30"}
    )
    assert response.status_code == 400
    assert b'data-testid="error-name"' in response.content
    assert response.context["token_form"]["scope"].value() == "write"
    assert not ApiToken.objects.exists()


def test_default_expiry_is_90_days(personas, login):
    form = login(personas.sales_a).get("/accounts/profile/").context["token_form"]
    assert form["expires_in_days"].value() == "90"
    assert form["scope"].value() == "read"


def test_another_user_cannot_revoke_my_token(personas, login):
    token, _ = make(personas.sales_a)
    response = login(personas.manager_a).post(f"/accounts/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_profile_token_list_query_count(personas, login, django_assert_max_num_queries):
    for number in range(5):
        make(personas.sales_a, name=f"script {number}")
    client = login(personas.sales_a)
    client.get("/accounts/profile/")
    with django_assert_max_num_queries(12):
        response = client.get("/accounts/profile/")
    assert response.content.count(b'data-testid="token-row"') == 5
