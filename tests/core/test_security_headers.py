"""Security headers, and pages that keep to the Content Security Policy (no inline script)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from pathscore.notify.services import notify_inbox

pytestmark = pytest.mark.django_db


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


class ScriptAudit(HTMLParser):
    """Collects inline script bodies, script-less <script> tags and inline handlers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inline_scripts: list[str] = []
        self.external_scripts: list[str] = []
        self.forbidden_attributes: list[tuple[str, str]] = []
        self._in_script = False
        self._script_body = ""
        self._script_src = None

    def handle_starttag(self, tag, attrs):
        for name, _value in attrs:
            lowered = name.lower()
            if lowered.startswith("hx-on") or lowered.startswith("on") or lowered == "hx-vars":
                self.forbidden_attributes.append((tag, name))
        for name, value in attrs:
            if name in {"href", "src", "action"} and (value or "").lower().startswith(
                "javascript:"
            ):
                self.forbidden_attributes.append((tag, name))
        if tag == "script":
            self._in_script = True
            self._script_body = ""
            self._script_src = dict(attrs).get("src")

    def handle_data(self, data):
        if self._in_script:
            self._script_body += data

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script:
            self._in_script = False
            if self._script_src:
                self.external_scripts.append(self._script_src)
            if self._script_body.strip() or not self._script_src:
                self.inline_scripts.append(self._script_body.strip())


def audit(response) -> ScriptAudit:
    parser = ScriptAudit()
    parser.feed(response.content.decode())
    parser.close()
    return parser


class TestHeaders:
    @pytest.mark.parametrize("url", ["/accounts/login/", "/no-such-page/"])
    def test_anonymous_pages(self, client, url):
        self.assert_secure(client.get(url))

    @pytest.mark.parametrize("url", ["/", "/org/people/", "/inbox/", "/api/v1/me/"])
    def test_signed_in_pages(self, personas, login, url):
        self.assert_secure(login(personas.hr).get(url))

    def assert_secure(self, response):
        directives = csp_directives(response)
        assert directives["script-src"] == ["'self'"]
        assert "'unsafe-inline'" not in directives["script-src"]
        assert "'unsafe-eval'" not in directives["script-src"]
        assert directives["default-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["base-uri"] == ["'self'"]
        assert directives["form-action"] == ["'self'"]
        # No origin other than our own serves anything (intranets have no internet).
        for sources in directives.values():
            for source in sources:
                assert not source.startswith(("http:", "https:", "*")), source
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cross-Origin-Opener-Policy"] == "same-origin"

    def test_session_and_csrf_cookies(self, personas, client):
        from pathscore.core.testing.personas import PASSWORD

        client.get("/accounts/login/")
        response = client.post("/accounts/login/", {"username": "sales_a", "password": PASSWORD})
        session = response.cookies["sessionid"]
        assert session["httponly"] is True
        assert session["samesite"] == "Lax"


class TestNoInlineScript:
    def pages_for(self, personas):
        person = personas.sales_a
        return {
            "hr": [
                "/",
                "/org/people/",
                "/org/people/?q=%E9%94%80%E5%94%AE",
                f"/org/people/{person.pk}/",
                f"/org/people/{person.pk}/edit/",
                f"/org/people/{person.pk}/password/",
                "/org/people/new/",
                "/org/departments/",
                f"/org/departments/{personas.team_a.pk}/",
                f"/org/departments/{personas.team_a.pk}/edit/",
                "/org/departments/new/",
                "/inbox/",
                "/accounts/profile/",
                "/accounts/password/",
            ],
            "sales_a": ["/", "/inbox/", "/accounts/profile/"],
            "manager_a": ["/", "/org/people/", "/org/departments/"],
            "auditor": ["/", "/security-log/"],
            "executive": ["/"],
            "tech": ["/"],
            "sysadmin": ["/", "/org/people/"],
        }

    def test_login_page(self, client):
        response = client.get("/accounts/login/")
        result = audit(response)
        assert result.inline_scripts == []
        assert result.forbidden_attributes == []
        # The page does load its behaviour, from files on our own origin.
        assert any(src.endswith("/pathscore/app.js") for src in result.external_scripts)
        assert any(src.endswith("/htmx.min.js") for src in result.external_scripts)

    def test_signed_in_pages(self, personas, login):
        for name, urls in self.pages_for(personas).items():
            client = login(personas.get(name))
            notify_inbox(recipient=personas.get(name), title="<script>alert(1)</script>", url="/")
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, (name, url)
                result = audit(response)
                assert result.inline_scripts == [], (name, url)
                assert result.forbidden_attributes == [], (name, url)
                for src in result.external_scripts:
                    assert src.startswith("/static/"), (name, url, src)

    def test_error_pages(self, personas, login):
        for response in (
            login(personas.sales_a).get("/org/people/new/"),
            login(personas.sales_a).get("/org/people/999999/"),
        ):
            assert response.status_code in (403, 404)
            result = audit(response)
            assert result.inline_scripts == []
            assert result.forbidden_attributes == []

    def test_user_supplied_text_cannot_become_script(self, personas, login):
        from pathscore.org import services

        services.user_update(user=personas.sales_b, title='"><script>alert(1)</script>')
        response = login(personas.hr).get("/org/people/")
        assert "<script>alert(1)</script>" not in response.content.decode()
        assert audit(response).inline_scripts == []


def test_the_audit_itself_catches_what_it_looks_for():
    parser = ScriptAudit()
    parser.feed(
        '<script>var x = 1;</script><script src="/static/a.js"></script>'
        '<button hx-on:click="go()">x</button><a href="javascript:go()">y</a>'
        '<img src="/x.png" onerror="go()"><script></script>'
    )
    parser.close()
    assert parser.inline_scripts == ["var x = 1;", ""]
    assert parser.external_scripts == ["/static/a.js"]
    assert parser.forbidden_attributes == [
        ("button", "hx-on:click"),
        ("a", "href"),
        ("img", "onerror"),
    ]
