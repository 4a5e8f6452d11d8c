"""Language and time zone: zh-hans and Asia/Shanghai by default, the person's choice wins."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.utils import timezone

from pathscore.notify.models import Notification
from pathscore.notify.services import notify_inbox
from pathscore.org import services
from pathscore.org.models import User

pytestmark = pytest.mark.django_db

COOKIE = settings.LANGUAGE_COOKIE_NAME


class TestLanguage:
    def test_anonymous_default_is_simplified_chinese(self, client):
        response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        assert response.status_code == 200
        # The UI follows the company default, not the browser.
        assert response["Content-Language"] == "zh-hans"
        assert '<html lang="zh-CN">' in response.content.decode()

    def test_cookie_chooses_english_before_sign_in(self, client):
        client.cookies[COOKIE] = "en"
        response = client.get("/accounts/login/")
        assert response["Content-Language"] == "en"
        assert '<html lang="en">' in response.content.decode()
        assert "Sign in" in response.content.decode()

    def test_unsupported_cookie_falls_back_to_the_default(self, client):
        client.cookies[COOKIE] = "fr"
        assert client.get("/accounts/login/")["Content-Language"] == "zh-hans"

    def test_switch_as_anonymous_sets_the_cookie(self, client):
        response = client.post("/language/", {"language": "en", "next": "/accounts/login/"})
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/"
        cookie = response.cookies[COOKIE]
        assert cookie.value == "en"
        assert cookie["samesite"] == "Lax"
        assert int(cookie["max-age"]) >= 30 * 24 * 3600
        assert client.get("/accounts/login/")["Content-Language"] == "en"

    def test_switch_when_signed_in_is_saved_on_the_account(self, personas, login):
        client = login(personas.sales_a)
        response = client.post("/language/", {"language": "en", "next": "/inbox/"})
        assert response.status_code == 302
        assert response["Location"] == "/inbox/"
        assert response.cookies[COOKIE].value == "en"
        assert User.objects.get(pk=personas.sales_a.pk).language == "en"
        # The account's language wins over a cookie on another device.
        other = login(personas.sales_a)
        other.cookies[COOKIE] = "zh-hans"
        assert other.get("/")["Content-Language"] == "en"

    def test_unsupported_language_changes_nothing(self, personas, login):
        client = login(personas.sales_a)
        response = client.post("/language/", {"language": "xx", "next": "/inbox/"})
        assert response.status_code == 302
        assert COOKIE not in response.cookies
        assert User.objects.get(pk=personas.sales_a.pk).language == "zh-hans"

    @pytest.mark.parametrize(
        "target",
        [
            "https://evil.example/",
            "//evil.example/path",
            "http://evil.example",
            "javascript:alert(1)",
            "https:///evil.example",
        ],
    )
    def test_open_redirect_is_refused(self, client, target):
        response = client.post("/language/", {"language": "en", "next": target})
        assert response.status_code == 302
        assert response["Location"] == "/"
        assert response.cookies[COOKIE].value == "en"

    def test_missing_next_goes_home(self, client):
        response = client.post("/language/", {"language": "en"})
        assert response["Location"] == "/"

    def test_get_is_not_allowed(self, client):
        assert client.get("/language/?language=en").status_code == 405

    def test_preferences_service_validates(self, personas):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError) as caught:
            services.user_set_preferences(user=personas.sales_a, language="fr")
        assert "language" in caught.value.message_dict
        with pytest.raises(ValidationError) as caught:
            services.user_set_preferences(user=personas.sales_a, time_zone="Mars/Base")
        assert "time_zone" in caught.value.message_dict
        services.user_set_preferences(user=personas.sales_a, time_zone="Europe/London")
        assert User.objects.get(pk=personas.sales_a.pk).time_zone == "Europe/London"


class TestTimeZone:
    def test_default_zone(self, personas):
        assert settings.TIME_ZONE == "Asia/Shanghai"
        assert personas.sales_a.time_zone == "Asia/Shanghai"

    def _inbox_time(self, client, note) -> str:
        html = client.get("/inbox/").content.decode()
        assert note.title in html
        return html

    def test_times_show_in_shanghai_time_by_default(self, personas, login):
        note = notify_inbox(recipient=personas.sales_a, title="节点到期提醒")
        moment = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
        Notification.objects.filter(pk=note.pk).update(created_at=moment)
        html = self._inbox_time(login(personas.sales_a), note)
        # Stored in UTC, shown eight hours later, on the next day.
        assert "2026-03-02 07:30" in html
        assert "2026-03-01 23:30" not in html

    def test_person_with_another_zone_sees_their_time(self, personas, login):
        services.user_set_preferences(user=personas.sales_a, time_zone="Europe/London")
        note = notify_inbox(recipient=personas.sales_a, title="节点到期提醒")
        moment = datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
        Notification.objects.filter(pk=note.pk).update(created_at=moment)
        html = self._inbox_time(login(User.objects.get(pk=personas.sales_a.pk)), note)
        assert "2026-03-01 23:30" in html

    def test_stored_times_are_aware_utc(self, personas):
        note = notify_inbox(recipient=personas.sales_a, title="x")
        note.refresh_from_db()
        assert timezone.is_aware(note.created_at)
        assert note.created_at.utcoffset() == datetime.timedelta(0)
