"""The in-app inbox: sending, the bell, opening a message, marking read."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from pathscore.notify.models import Notification
from pathscore.notify.services import mark_read, notify_inbox

pytestmark = pytest.mark.django_db


def bell_count(response) -> int | None:
    match = re.search(r'data-testid="unread-count">(\d+)<', response.content.decode())
    return int(match.group(1)) if match else None


def unread(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


class TestServices:
    def test_notify_inbox(self, personas):
        note = notify_inbox(
            recipient=personas.sales_a,
            title="需求分析报告明天到期",
            body="国网某供电公司项目",
            url="/org/people/",
            kind="node_due",
        )
        note.refresh_from_db()
        assert note.recipient == personas.sales_a
        assert (note.title, note.body, note.url, note.kind) == (
            "需求分析报告明天到期",
            "国网某供电公司项目",
            "/org/people/",
            "node_due",
        )
        assert note.read_at is None
        assert note.created_at is not None

    def test_long_title_and_url_are_cut_to_fit(self, personas):
        note = notify_inbox(recipient=personas.sales_a, title="长" * 300, url="/" + "a" * 400)
        note.refresh_from_db()
        assert len(note.title) == 200
        assert len(note.url) == 300

    def test_mark_one_read(self, personas):
        first = notify_inbox(recipient=personas.sales_a, title="一")
        notify_inbox(recipient=personas.sales_a, title="二")
        assert mark_read(user=personas.sales_a, notification_id=first.pk) == 1
        first.refresh_from_db()
        assert first.read_at is not None
        assert unread(personas.sales_a) == 1
        # Marking it again changes nothing and keeps the first read time.
        read_at = first.read_at
        assert mark_read(user=personas.sales_a, notification_id=first.pk) == 0
        first.refresh_from_db()
        assert first.read_at == read_at

    def test_mark_all_read_touches_only_my_inbox(self, personas):
        for title in ("一", "二", "三"):
            notify_inbox(recipient=personas.sales_a, title=title)
        notify_inbox(recipient=personas.sales_b, title="别人的")
        assert mark_read(user=personas.sales_a) == 3
        assert unread(personas.sales_a) == 0
        assert unread(personas.sales_b) == 1

    def test_cannot_mark_someone_elses_message(self, personas):
        theirs = notify_inbox(recipient=personas.sales_b, title="别人的")
        assert mark_read(user=personas.sales_a, notification_id=theirs.pk) == 0
        assert mark_read(user=personas.hr, notification_id=theirs.pk) == 0
        assert unread(personas.sales_b) == 1

    def test_inbox_is_personal_even_for_company_wide_roles(self, personas):
        notify_inbox(recipient=personas.sales_a, title="私人")
        for viewer in (personas.hr, personas.executive, personas.sysadmin, personas.auditor):
            assert not Notification.objects.visible_to(viewer).exists()
        assert Notification.objects.visible_to(personas.sales_a).count() == 1


class TestBell:
    def test_bell_shows_the_unread_count(self, personas, login):
        client = login(personas.sales_a)
        assert bell_count(client.get("/")) is None
        notes = [notify_inbox(recipient=personas.sales_a, title=f"提醒{i}") for i in range(4)]
        notify_inbox(recipient=personas.sales_b, title="别人的")
        mark_read(user=personas.sales_a, notification_id=notes[0].pk)
        for url in ("/", "/inbox/", "/accounts/profile/"):
            assert bell_count(client.get(url)) == unread(personas.sales_a) == 3
        mark_read(user=personas.sales_a)
        assert bell_count(client.get("/")) is None

    def test_inbox_lists_mine_newest_first_and_filters_unread(self, personas, login):
        old = notify_inbox(recipient=personas.sales_a, title="旧的")
        Notification.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timezone.timedelta(days=2)
        )
        new = notify_inbox(recipient=personas.sales_a, title="新的")
        notify_inbox(recipient=personas.sales_b, title="别人的")
        client = login(personas.sales_a)
        response = client.get("/inbox/")
        assert [n.pk for n in response.context["notifications"]] == [new.pk, old.pk]
        assert "别人的" not in response.content.decode()
        mark_read(user=personas.sales_a, notification_id=old.pk)
        response = client.get("/inbox/?unread=1")
        assert [n.pk for n in response.context["notifications"]] == [new.pk]

    def test_empty_inbox(self, personas, login):
        response = login(personas.sales_a).get("/inbox/")
        assert 'data-testid="inbox-empty"' in response.content.decode()

    def test_mark_all_read_view(self, personas, login):
        for title in ("一", "二"):
            notify_inbox(recipient=personas.sales_a, title=title)
        notify_inbox(recipient=personas.sales_b, title="别人的")
        client = login(personas.sales_a)
        response = client.post("/inbox/read-all/")
        assert response.status_code == 302
        assert response["Location"] == "/inbox/"
        assert unread(personas.sales_a) == 0
        assert unread(personas.sales_b) == 1
        assert client.get("/inbox/read-all/").status_code == 405

    def test_inbox_requires_sign_in(self, client):
        response = client.get("/inbox/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


class TestOpen:
    def open(self, client, note):
        return client.post(f"/inbox/{note.pk}/open/")

    def test_open_marks_read_and_follows_a_local_link(self, personas, login):
        note = notify_inbox(recipient=personas.sales_a, title="看看", url="/org/people/?q=x")
        client = login(personas.sales_a)
        response = self.open(client, note)
        assert response.status_code == 302
        assert response["Location"] == "/org/people/?q=x"
        note.refresh_from_db()
        assert note.read_at is not None

    @pytest.mark.parametrize(
        "url",
        [
            "https://evil.example/phish",
            "//evil.example/phish",
            "http://evil.example",
            "javascript:alert(1)",
            "https:///evil.example",
            "",
        ],
    )
    def test_links_off_site_go_to_the_inbox_instead(self, personas, login, url):
        note = notify_inbox(recipient=personas.sales_a, title="外链", url=url)
        response = self.open(login(personas.sales_a), note)
        assert response.status_code == 302
        assert response["Location"] == "/inbox/"
        note.refresh_from_db()
        assert note.read_at is not None

    def test_someone_elses_message_is_not_found(self, personas, login):
        theirs = notify_inbox(recipient=personas.sales_b, title="别人的", url="/")
        for name in ("sales_a", "manager_b", "hr", "sysadmin"):
            response = self.open(login(personas.get(name)), theirs)
            assert response.status_code == 404, name
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_open_needs_post(self, personas, login):
        note = notify_inbox(recipient=personas.sales_a, title="x", url="/")
        assert login(personas.sales_a).get(f"/inbox/{note.pk}/open/").status_code == 405
        note.refresh_from_db()
        assert note.read_at is None

    def test_open_needs_sign_in(self, personas, client):
        note = notify_inbox(recipient=personas.sales_a, title="x", url="/")
        response = client.post(f"/inbox/{note.pk}/open/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
        note.refresh_from_db()
        assert note.read_at is None
