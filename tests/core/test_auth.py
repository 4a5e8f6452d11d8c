"""Signing in and out, lockout, session lifetimes, password changes, deactivation."""

from __future__ import annotations

import types
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from pathscore.core import middleware
from pathscore.core.choices import SecurityEventKind
from pathscore.core.models import SecurityEvent
from pathscore.core.testing.personas import PASSWORD
from pathscore.org import services
from pathscore.org.models import User

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def sign_in(client, username, password, data_next=None, **extra):
    data = {"username": username, "password": password}
    if data_next is not None:
        data["next"] = data_next
    return client.post(LOGIN, data, **extra)


def login_error(response) -> str:
    """The text of the sign-in error box."""
    html = response.content.decode()
    marker = 'data-testid="login-error">'
    assert marker in html, "no sign-in error shown"
    return html.split(marker, 1)[1].split("</div>", 1)[0].strip()


def signed_in(client) -> bool:
    return client.get("/").status_code == 200


def kinds(**filters):
    return list(
        SecurityEvent.objects.filter(**filters).order_by("id").values_list("kind", flat=True)
    )


class TestSignIn:
    def test_success_redirects_home_and_logs_the_event(self, personas, client):
        response = sign_in(client, "sales_a", PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == "/"
        assert signed_in(client)
        event = SecurityEvent.objects.get(kind=SecurityEventKind.LOGIN)
        assert event.actor == personas.sales_a
        assert event.subject == personas.sales_a
        assert event.username == "sales_a"
        assert event.ip_address == "127.0.0.1"

    def test_wrong_password_and_unknown_user_look_identical(self, personas, client):
        wrong = sign_in(client, "sales_a", "not-the-password")
        unknown = sign_in(Client(), "nobody-here", "not-the-password")
        assert wrong.status_code == unknown.status_code == 200
        assert login_error(wrong) == login_error(unknown)
        assert login_error(wrong)
        assert not signed_in(client)
        assert kinds().count(SecurityEventKind.LOGIN_FAILED) == 2
        assert set(
            SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED).values_list(
                "username", flat=True
            )
        ) == {"sales_a", "nobody-here"}

    def test_the_form_keeps_the_user_name_but_not_the_password(self, personas, client):
        response = sign_in(client, "sales_a", "typed-secret-123")
        html = response.content.decode()
        assert 'value="sales_a"' in html
        assert "typed-secret-123" not in html

    def test_deactivated_user_cannot_sign_in_and_gets_the_same_message(self, personas, client):
        refused = sign_in(client, "deactivated", PASSWORD)
        wrong = sign_in(Client(), "sales_a", "not-the-password")
        assert refused.status_code == 200
        assert login_error(refused) == login_error(wrong)
        assert not signed_in(client)
        assert not SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN).exists()

    def test_logout_needs_post_and_logs_the_event(self, personas, client):
        sign_in(client, "sales_a", PASSWORD)
        assert client.get("/accounts/logout/").status_code == 405
        assert signed_in(client)
        response = client.post("/accounts/logout/")
        assert response.status_code == 302
        assert response["Location"] == LOGIN
        assert not signed_in(client)
        event = SecurityEvent.objects.get(kind=SecurityEventKind.LOGOUT)
        assert event.actor == personas.sales_a

    def test_next_is_followed_only_on_this_site(self, personas, client):
        response = sign_in(client, "sales_a", PASSWORD, data_next="/inbox/")
        assert response["Location"] == "/inbox/"
        for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
            other = Client()
            response = other.post(
                LOGIN, {"username": "sales_b", "password": PASSWORD, "next": target}
            )
            assert response.status_code == 302
            assert response["Location"] == "/", target

    def test_signed_in_user_visiting_login_goes_home(self, personas, login):
        client = login(personas.sales_a)
        response = client.get(LOGIN)
        assert response.status_code == 302
        assert response["Location"] == "/"


class TestLockout:
    def fail(self, client, username, times, **extra):
        return [sign_in(client, username, "wrong-password", **extra) for _ in range(times)]

    @pytest.mark.parametrize("username", ["sales_a", "ghost-account"])
    def test_five_failures_lock_the_account_even_for_the_right_password(
        self, personas, client, username
    ):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        responses = self.fail(client, username, 5)
        assert [r.status_code for r in responses[:4]] == [200] * 4
        # The fifth failure reaches the limit: from now on every attempt is the lockout page.
        assert responses[4].status_code == 429
        password = PASSWORD if username == "sales_a" else "anything"
        sixth = sign_in(client, username, password)
        assert sixth.status_code == 429
        assert sixth.context["locked_out"] is True
        assert sixth.context["lockout_minutes"] == 15
        assert "Too many failed sign-in attempts. Try again in 15 minutes." in login_error(sixth)
        assert "org/login.html" in [t.name for t in sixth.templates]
        assert not signed_in(client)
        assert SecurityEvent.objects.filter(
            kind=SecurityEventKind.LOCKED_OUT, username=username
        ).exists()

    def test_known_and_unknown_accounts_are_locked_alike(self, personas, client):
        self.fail(client, "sales_a", 5)
        self.fail(client, "ghost-account", 5)
        known = sign_in(client, "sales_a", PASSWORD)
        unknown = sign_in(client, "ghost-account", PASSWORD)
        assert known.status_code == unknown.status_code == 429
        assert login_error(known) == login_error(unknown)

    def test_lockout_is_per_user_name_and_address(self, personas, client):
        self.fail(client, "sales_a", 5)
        assert sign_in(client, "sales_a", PASSWORD).status_code == 429
        # Another account from the same address is not affected …
        other = Client()
        assert sign_in(other, "sales_b", PASSWORD).status_code == 302
        # … nor the same account from another address.
        elsewhere = Client(REMOTE_ADDR="10.1.2.3")
        assert sign_in(elsewhere, "sales_a", PASSWORD).status_code == 302

    def test_success_resets_the_failure_count(self, personas, client):
        self.fail(client, "sales_a", 4)
        assert sign_in(client, "sales_a", PASSWORD).status_code == 302
        client.post("/accounts/logout/")
        responses = self.fail(client, "sales_a", 4)
        assert [r.status_code for r in responses] == [200] * 4
        assert sign_in(client, "sales_a", PASSWORD).status_code == 302

    def test_security_log_records_the_whole_story(self, personas, client):
        self.fail(client, "sales_a", 5)
        sign_in(client, "sales_a", PASSWORD)
        story = kinds(username="sales_a")
        assert story[:4] == [SecurityEventKind.LOGIN_FAILED] * 4
        assert story.count(SecurityEventKind.LOCKED_OUT) >= 2
        assert SecurityEventKind.LOGIN not in story


class FakeClock:
    """Replaces the ``time`` module the session middleware reads."""

    def __init__(self, start: float):
        self.now = start

    def advance(self, seconds: float):
        self.now += seconds

    def time(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    import time

    fake = FakeClock(time.time())
    monkeypatch.setattr(middleware, "time", types.SimpleNamespace(time=fake.time))
    return fake


class TestSessionLifetime:
    def test_idle_session_ends(self, personas, login, clock, settings):
        settings.SESSION_IDLE_SECONDS = 30 * 60
        client = login(personas.sales_a)
        assert client.get("/").status_code == 200
        clock.advance(29 * 60)
        assert client.get("/").status_code == 200
        clock.advance(31 * 60)
        response = client.get("/org/departments/")
        assert response.status_code == 302
        target = urlsplit(response["Location"])
        assert target.path == LOGIN
        assert parse_qs(target.query) == {"next": ["/org/departments/"], "expired": ["1"]}
        # The session is gone for good, not only for one request.
        clock.advance(1)
        assert client.get("/").status_code == 302
        assert client.get("/")["Location"].startswith(LOGIN)
        assert SecurityEvent.objects.filter(
            kind=SecurityEventKind.LOGOUT, actor=personas.sales_a
        ).exists()

    def test_activity_keeps_the_session_alive_until_the_absolute_limit(
        self, personas, login, clock, settings
    ):
        settings.SESSION_IDLE_SECONDS = 60 * 60
        settings.SESSION_ABSOLUTE_SECONDS = 3 * 3600
        client = login(personas.sales_a)
        assert client.get("/").status_code == 200
        for _ in range(3):  # 150 minutes of activity, never idle for an hour
            clock.advance(50 * 60)
            assert client.get("/").status_code == 200
        clock.advance(31 * 60)  # 181 minutes after sign-in
        response = client.get("/")
        assert response.status_code == 302
        assert "expired=1" in response["Location"]
        assert client.get("/").status_code == 302

    def test_stale_timestamps_in_the_session_end_it(self, personas, login):
        import time

        client = login(personas.sales_a)
        assert client.get("/").status_code == 200
        session = client.session
        assert session[middleware.SESSION_STARTED_KEY] <= time.time()
        session[middleware.SESSION_SEEN_KEY] = int(time.time()) - settings.SESSION_IDLE_SECONDS - 5
        session.save()
        assert client.get("/").status_code == 302

        client = login(personas.sales_a)
        assert client.get("/").status_code == 200
        session = client.session
        session[middleware.SESSION_STARTED_KEY] = (
            int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 5
        )
        session[middleware.SESSION_SEEN_KEY] = int(time.time())
        session.save()
        assert client.get("/").status_code == 302

    def test_expiry_on_the_api_answers_without_a_redirect(self, personas, login, clock, settings):
        client = login(personas.sales_a)
        assert client.get("/api/v1/me/").status_code == 200
        clock.advance(settings.SESSION_IDLE_SECONDS + 60)
        response = client.get("/api/v1/me/")
        assert response.status_code in (401, 403)
        assert client.get("/").status_code == 302

    def test_login_page_says_the_session_expired(self, personas, client):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        response = client.get(f"{LOGIN}?expired=1")
        assert response.context["expired"] is True
        assert "Your session has expired" in response.content.decode()
        assert client.get(LOGIN).context["expired"] is False


NEW_PASSWORD = "Substation-Visit-2026"


class TestPasswordChange:
    def post(self, client, old, new, again=None):
        return client.post(
            "/accounts/password/",
            {"old_password": old, "new_password": new, "new_password_again": again or new},
        )

    def test_change_keeps_this_session_and_ends_the_others(self, personas, login):
        this = login(personas.sales_a)
        other = Client()
        other.force_login(personas.sales_a)
        assert signed_in(this) and signed_in(other)
        response = self.post(this, PASSWORD, NEW_PASSWORD)
        assert response.status_code == 302
        assert response["Location"] == "/accounts/profile/"
        assert signed_in(this)
        assert not signed_in(other)
        user = User.objects.get(pk=personas.sales_a.pk)
        assert user.check_password(NEW_PASSWORD)
        event = SecurityEvent.objects.get(kind=SecurityEventKind.PASSWORD_CHANGED)
        assert event.actor == personas.sales_a and event.subject == personas.sales_a
        # The new password works at the sign-in form, the old one does not.
        assert sign_in(Client(), "sales_a", PASSWORD).status_code == 200
        assert sign_in(Client(), "sales_a", NEW_PASSWORD).status_code == 302

    def test_wrong_current_password(self, personas, login):
        client = login(personas.sales_a)
        response = self.post(client, "not-my-password", NEW_PASSWORD)
        assert response.status_code == 200
        form = response.context["form"]
        assert list(form.errors) == ["old_password"]
        assert 'data-testid="error-old_password"' in response.content.decode()
        assert User.objects.get(pk=personas.sales_a.pk).check_password(PASSWORD)
        assert signed_in(client)

    def test_mismatched_new_passwords(self, personas, login):
        client = login(personas.sales_a)
        response = self.post(client, PASSWORD, NEW_PASSWORD, "Something-else-2026")
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["new_password_again"]
        assert 'data-testid="error-new_password_again"' in response.content.decode()
        assert User.objects.get(pk=personas.sales_a.pk).check_password(PASSWORD)

    @pytest.mark.parametrize("weak", ["short1", "1234567890123", "password123"])
    def test_weak_new_password_lands_on_its_field(self, personas, login, weak):
        client = login(personas.sales_a)
        response = self.post(client, PASSWORD, weak)
        assert response.status_code == 200
        assert "new_password" in response.context["form"].errors
        assert User.objects.get(pk=personas.sales_a.pk).check_password(PASSWORD)

    def test_requires_sign_in(self, client):
        response = client.get("/accounts/password/")
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


class TestDeactivation:
    def test_deactivation_ends_existing_sessions_at_once(self, personas, login):
        client = login(personas.sales_a)
        assert signed_in(client)
        services.user_deactivate(user=User.objects.get(pk=personas.sales_a.pk))
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
        assert client.get("/api/v1/me/").status_code in (401, 403)

    def test_deactivation_through_the_people_page(self, personas, client):
        victim = Client()
        victim.force_login(personas.sales_b)
        assert signed_in(victim)
        client.force_login(personas.hr)
        response = client.post(f"/org/people/{personas.sales_b.pk}/active/")
        assert response.status_code == 302
        assert not User.objects.get(pk=personas.sales_b.pk).is_active
        assert victim.get("/").status_code == 302
        event = SecurityEvent.objects.get(
            kind=SecurityEventKind.USER_DEACTIVATED, subject=personas.sales_b
        )
        assert event.actor == personas.hr
        # The account cannot sign in again until reactivated.
        assert sign_in(Client(), "sales_b", PASSWORD).status_code == 200
        client.post(f"/org/people/{personas.sales_b.pk}/active/")
        assert User.objects.get(pk=personas.sales_b.pk).is_active
        assert sign_in(Client(), "sales_b", PASSWORD).status_code == 302

    def test_nobody_can_deactivate_themselves(self, personas):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError):
            services.user_deactivate(user=personas.hr, actor=personas.hr)
        assert User.objects.get(pk=personas.hr.pk).is_active

    def test_admin_password_reset_ends_the_persons_sessions(self, personas, login):
        victim = Client()
        victim.force_login(personas.sales_a)
        assert signed_in(victim)
        admin = login(personas.sysadmin)
        response = admin.post(
            f"/org/people/{personas.sales_a.pk}/password/", {"password": NEW_PASSWORD}
        )
        assert response.status_code == 302
        assert not signed_in(victim)
        assert SecurityEvent.objects.filter(
            kind=SecurityEventKind.PASSWORD_RESET, subject=personas.sales_a, actor=personas.sysadmin
        ).exists()
        assert sign_in(Client(), "sales_a", NEW_PASSWORD).status_code == 302
