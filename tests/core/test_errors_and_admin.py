"""Django admin is for system admins only; error pages are the product's own, never a traceback."""

from __future__ import annotations

import pytest
from django.conf import settings

from pathscore.core.choices import SecurityEventKind
from pathscore.core.models import SecurityEvent
from pathscore.org.models import User

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


def template_names(response) -> list[str]:
    return [t.name for t in response.templates]


class TestDjangoAdmin:
    @pytest.mark.parametrize("url", ["/admin/", "/admin/org/user/", "/admin/org/department/"])
    def test_system_admin_enters(self, personas, login, url):
        response = login(personas.sysadmin).get(url)
        assert response.status_code == 200

    @pytest.mark.parametrize("name", ["hr", "executive", "sales_a", "manager_a", "auditor", "tech"])
    @pytest.mark.parametrize("url", ["/admin/", "/admin/org/user/"])
    def test_everyone_else_is_sent_to_the_admin_login(self, personas, login, name, url):
        response = login(personas.get(name)).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")

    def test_staff_flag_alone_does_not_open_the_admin(self, personas, login):
        # Only the role counts; a stray is_staff (e.g. set in the database) is not enough.
        User.objects.filter(pk=personas.hr.pk).update(is_staff=True, is_superuser=True)
        response = login(User.objects.get(pk=personas.hr.pk)).get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")

    def test_anonymous_is_sent_to_the_admin_login(self, client):
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


class TestNotFound:
    def test_404_in_chinese_by_default(self, client):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert template_names(response)[0] == "errors/404.html"
        assert response["Content-Language"] == "zh-hans"
        html = response.content.decode()
        assert '<html lang="zh-CN">' in html
        assert '<h1 class="h4 mt-3">' in html
        assert "Traceback" not in html
        assert "Using the URLconf" not in html  # Django's technical 404 page

    def test_404_in_english_with_the_cookie(self, client):
        client.cookies[COOKIE] = "en"
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert template_names(response)[0] == "errors/404.html"
        assert response["Content-Language"] == "en"
        html = response.content.decode()
        assert '<html lang="en">' in html
        assert "Page not found" in html
        assert "Traceback" not in html

    def test_foreign_object_is_the_same_404_page(self, personas, login):
        response = login(personas.manager_a).get(f"/org/people/{personas.sales_b.pk}/")
        assert response.status_code == 404
        assert template_names(response)[0] == "errors/404.html"

    def test_forbidden_is_the_product_403_page_and_is_logged(self, personas, login):
        response = login(personas.sales_a).get("/org/people/new/")
        assert response.status_code == 403
        assert template_names(response)[0] == "errors/403.html"
        assert "Traceback" not in response.content.decode()
        event = SecurityEvent.objects.get(kind=SecurityEventKind.PERMISSION_DENIED)
        assert event.actor == personas.sales_a
        assert event.detail["path"] == "/org/people/new/"


class TestServerError:
    @pytest.fixture
    def failing_site(self, settings, client):
        settings.ROOT_URLCONF = "tests.core.urls_errors"
        settings.DEBUG = False
        client.raise_request_exception = False
        return client

    def test_500_is_the_product_page_without_a_traceback(self, failing_site):
        response = failing_site.get("/boom/")
        assert response.status_code == 500
        assert "errors/500.html" in template_names(response)
        html = response.content.decode()
        assert "Traceback" not in html
        assert "RuntimeError" not in html
        assert "hunter2" not in html
        assert 'href="/"' in html

    def test_500_in_english(self, failing_site):
        failing_site.cookies[COOKIE] = "en"
        response = failing_site.get("/boom/")
        assert response.status_code == 500
        assert "Something went wrong" in response.content.decode()

    def test_500_for_a_signed_in_user(self, personas, failing_site):
        failing_site.force_login(personas.sales_a)
        response = failing_site.get("/boom/")
        assert response.status_code == 500
        assert "errors/500.html" in template_names(response)
        assert "hunter2" not in response.content.decode()
