"""Rate limits: exports and uploads answer 429 with Retry-After once a user is over the
limit, through the pages and the API alike; other users are not affected."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.utils import translation

from pathscore.core.ratelimit import Rate, retry_after
from pathscore.env import ConfigError, env_rate
from tests.crm import factories
from tests.crm.test_uploads import pdf_bytes, post_document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _tight_limits(settings):
    settings.PATHSCORE_RATE_LIMITS = {"export": "2/10m", "upload": "1/h"}
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


def test_rates_are_parsed_and_bad_ones_refused(monkeypatch):
    assert Rate.parse("30/10m") == Rate(30, 600)
    assert Rate.parse("100/h") == Rate(100, 3600)
    for bad in ("30", "0/h", "x/h", "5/10w"):
        with pytest.raises(ValueError):
            Rate.parse(bad)
    monkeypatch.setenv("PATHSCORE_EXPORT_RATE", "lots")
    with pytest.raises(ConfigError, match="PATHSCORE_EXPORT_RATE"):
        env_rate("PATHSCORE_EXPORT_RATE", "30/10m")
    monkeypatch.setenv("PATHSCORE_EXPORT_RATE", "off")
    assert env_rate("PATHSCORE_EXPORT_RATE", "30/10m") == ""


def test_the_window_counts_and_says_how_long_to_wait():
    start = 6000.0  # the start of a 10-minute window
    assert retry_after("export", "user:1", now=start) is None
    assert retry_after("export", "user:1", now=start + 1) is None
    assert retry_after("export", "user:1", now=start + 60) == 540
    assert retry_after("export", "user:2", now=start + 60) is None  # someone else
    assert retry_after("export", "user:1", now=start + 600) is None  # the next window


def test_an_action_without_a_limit_is_never_refused(settings):
    settings.PATHSCORE_RATE_LIMITS = {"export": ""}
    assert all(retry_after("export", "user:1") is None for _ in range(5))


def test_list_exports_are_limited_per_user(personas, login):
    factories.customer(personas.sales_a)
    client = login(personas.sales_a)
    for _ in range(2):
        assert client.get("/customers/", {"export": "csv"}).status_code == 200
    refused = client.get("/customers/", {"export": "xlsx"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    # Browsing the list is not an export; another person still exports.
    assert client.get("/customers/").status_code == 200
    assert login(personas.sales_b).get("/customers/", {"export": "csv"}).status_code == 200


@pytest.mark.parametrize(
    ("language", "heading"), [("zh-hans", "请求过于频繁"), ("en", "Too many requests")]
)
def test_the_429_page_speaks_the_users_language(personas, login, language, heading):
    personas.sales_a.language = language
    personas.sales_a.save(update_fields=["language"])
    client = login(personas.sales_a)
    for _ in range(2):
        client.get("/customers/", {"export": "csv"})
    refused = client.get("/customers/", {"export": "csv"})
    assert refused.status_code == 429
    assert heading in refused.content.decode()


def test_uploads_are_limited_on_the_page_and_in_the_api(personas, login):
    project = factories.project(personas.sales_a)
    client = login(personas.sales_a)
    first = post_document(client, project, "方案.pdf", pdf_bytes("V1"))
    assert first.status_code == 302
    second = post_document(client, project, "方案2.pdf", pdf_bytes("V2"))
    assert second.status_code == 429
    api = client.post(
        "/api/v1/documents/",
        {"project": project.pk, "kind": "proposal", "title": "方案", "file": io.BytesIO(b"x")},
    )
    assert api.status_code == 429
    assert int(api["Retry-After"]) > 0
    # Reading documents through the API is not limited.
    assert client.get("/api/v1/documents/").status_code == 200


def _period_with_results(personas):
    import datetime as dt

    from django.utils import timezone

    from pathscore.scoring import services

    today = timezone.localdate()
    period = services.period_create(
        actor=personas.hr,
        kind="custom",
        starts_on=today - dt.timedelta(days=30),
        ends_on=today - dt.timedelta(days=1),
        name="限流考核期",
    )
    services.period_close(period=period, actor=personas.hr)
    return period


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("manager_a", "/projects/?export=xlsx"),
        ("manager_a", "/insights/reports/followups/?export=xlsx"),
        ("hr", "/scoring/periods/{period}/report.xlsx"),
        ("auditor", "/security-log/?export=csv"),
    ],
)
def test_every_kind_of_export_is_limited(personas, login, settings, who, url):
    """Lists, reports, the evaluation report and the security log all count against the
    same per-person export limit and answer 429 past it."""
    settings.PATHSCORE_RATE_LIMITS = {"export": "1/h", "upload": "1/h"}
    if "{period}" in url:
        url = url.format(period=_period_with_results(personas).pk)
    client = login(getattr(personas, who))
    assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0


def test_a_locked_sign_in_is_a_429(personas, client):
    """Sign-in attempts are limited by the lockout (tests/core/test_auth.py::TestLockout):
    past the limit the answer is 429, like every other limit."""
    for _ in range(5):
        response = client.post(
            "/accounts/login/", {"username": "sales_a", "password": "wrong-password"}
        )
    assert response.status_code == 429
