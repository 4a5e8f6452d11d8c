"""People and department pages: lists, exports, who may change what, forms, history."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from pathscore.core.choices import Role, SecurityEventKind
from pathscore.core.models import SecurityEvent
from pathscore.org import services
from pathscore.org.choices import DepartmentKind
from pathscore.org.models import Department, User

pytestmark = pytest.mark.django_db

USER_HEADER = [
    "Name",
    "User name",
    "Employee number",
    "Department",
    "Title",
    "Roles",
    "Mobile",
    "Status",
]
ORG_ADMINS = ["hr", "sysadmin"]
NOT_ORG_ADMINS = ["sales_a", "manager_a", "regional_head", "tech", "executive", "auditor"]


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def listed(response) -> list[str]:
    return [row.username for row in response.context["object_list"]]


def english(user):
    """Export headers are translated; use English so the assertions do not depend on catalogues."""
    services.user_set_preferences(user=user, language="en")
    return fresh(user)


def add_people(count, department, prefix="extra"):
    start = User.objects.filter(username__startswith=prefix).count()
    for number in range(start, start + count):
        services.user_create(
            username=f"{prefix}{number:03d}",
            name=f"销售{number:03d}",
            password=None,
            roles=[Role.SALESPERSON],
            department=department,
            employee_no=f"{prefix.upper()}-{number:03d}",
            title="客户经理",
        )


class TestPeopleList:
    def test_org_admin_sees_everyone(self, personas, login):
        response = login(personas.hr).get("/org/people/")
        assert response.status_code == 200
        assert set(listed(response)) == {p.username for p in personas.all_people()}
        # Default order is by user name.
        assert listed(response) == list(
            User.objects.order_by("username").values_list("username", flat=True)
        )
        assert response.context["create_url"] == "/org/people/new/"

    def test_manager_sees_the_subtree_and_cannot_create(self, personas, login):
        response = login(personas.regional_head).get("/org/people/")
        assert set(listed(response)) == {"sales_a", "manager_a", "regional_head", "deactivated"}
        assert response.context["create_url"] is None
        assert 'data-testid="create"' not in response.content.decode()

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("q=sales_", {"sales_a", "sales_b"}),
            (
                "q=%E7%BB%8F%E7%90%86",  # 经理: in names and in titles (客户经理, 总经理 …)
                {"manager_a", "manager_b", "sales_a", "sales_b", "deactivated", "executive"},
            ),
            ("q=%E9%99%88%E6%80%BB", {"regional_head"}),
            ("role=sales_manager", {"manager_a", "manager_b", "regional_head"}),
            ("role=auditor", {"auditor"}),
            ("is_active=false", {"deactivated"}),
            ("q=nobody-matches-this", set()),
        ],
    )
    def test_search_and_filters(self, personas, login, query, expected):
        response = login(personas.hr).get(f"/org/people/?{query}")
        assert response.status_code == 200
        assert set(listed(response)) == expected
        if not expected:
            assert 'data-testid="empty-state"' in response.content.decode()

    def test_department_filter_covers_the_subtree(self, personas, login):
        response = login(personas.hr).get(f"/org/people/?department={personas.east.pk}")
        assert set(listed(response)) == {"sales_a", "manager_a", "regional_head", "deactivated"}

    def test_department_filter_refuses_a_foreign_department(self, personas, login):
        response = login(personas.manager_a).get(f"/org/people/?department={personas.team_b.pk}")
        assert response.status_code == 200
        assert "department" in response.context["filter"].form.errors

    @pytest.mark.parametrize(
        ("sort", "order_by"),
        [
            ("username", ["username", "pk"]),
            ("-username", ["-username", "-pk"]),
            ("name", ["name", "pk"]),
            ("-name", ["-name", "-pk"]),
            ("department", ["department__path", "pk"]),
        ],
    )
    def test_sort(self, personas, login, sort, order_by):
        response = login(personas.hr).get(f"/org/people/?sort={sort}")
        # Compared with the database's own ordering, so the collation does not matter.
        expected = list(User.objects.order_by(*order_by).values_list("username", flat=True))
        assert listed(response) == expected
        assert listed(response) != list(reversed(expected))

    def test_unknown_sort_falls_back_to_the_default(self, personas, login):
        response = login(personas.hr).get("/org/people/?sort=password")
        assert response.status_code == 200
        assert listed(response) == list(
            User.objects.order_by("username").values_list("username", flat=True)
        )

    def test_pagination(self, personas, login):
        add_people(30, personas.team_b)
        client = login(personas.hr)
        first = client.get("/org/people/?role=salesperson&sort=username")
        assert first.context["is_paginated"]
        assert first.context["paginator"].count == 33
        assert len(first.context["object_list"]) == 25
        second = client.get("/org/people/?role=salesperson&sort=username&page=2")
        assert len(second.context["object_list"]) == 8
        assert not set(listed(first)) & set(listed(second))
        assert set(listed(first)) | set(listed(second)) == set(
            User.objects.with_role(Role.SALESPERSON).values_list("username", flat=True)
        )
        # The page links keep the filters.
        assert 'href="?role=salesperson&amp;sort=username&page=2"' in first.content.decode()
        assert 'href="?role=salesperson&amp;sort=username&page=1"' in second.content.decode()
        assert client.get("/org/people/?page=99").status_code == 404

    def test_htmx_request_gets_only_the_table(self, personas, login):
        response = login(personas.hr).get("/org/people/?q=sales_a", HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert html.startswith('<div id="list-results">')
        assert "<html" not in html
        assert listed(response) == ["sales_a"]


class TestDepartmentList:
    def test_tree_order_with_member_counts(self, personas, login):
        response = login(personas.sysadmin).get("/org/departments/")
        rows = list(response.context["object_list"])
        assert len(rows) == Department.objects.count()
        # Tree order: every department comes after its parent.
        position = {d.pk: index for index, d in enumerate(rows)}
        for department in rows:
            if department.parent_id:
                assert position[department.parent_id] < position[department.pk]
        counts = {d.code: d.member_count for d in rows}
        # Only active members count; team A also has the deactivated person.
        assert counts["t-team-a"] == 2
        assert counts["t-office"] == 4
        assert counts["t-company"] == 0
        assert response.context["create_url"] == "/org/departments/new/"

    def test_search_and_kind_filter(self, personas, login):
        client = login(personas.hr)
        codes = lambda r: {d.code for d in r.context["object_list"]}  # noqa: E731
        assert codes(client.get("/org/departments/?q=%E5%8D%8E%E4%B8%9C")) == {"t-east", "t-team-a"}
        assert codes(client.get("/org/departments/?q=t-tech")) == {"t-tech"}
        assert codes(client.get("/org/departments/?kind=branch")) == {"t-east", "t-north"}

    def test_pagination(self, personas, login):
        for number in range(95):
            services.department_create(
                name=f"班组{number:03d}",
                code=f"t-crew-{number:03d}",
                kind="team",
                parent=personas.team_b,
            )
        client = login(personas.sysadmin)
        first = client.get("/org/departments/")
        assert first.context["paginator"].count == 102
        assert len(first.context["object_list"]) == 100
        second = client.get("/org/departments/?page=2")
        assert len(second.context["object_list"]) == 2
        seen = {d.code for d in first.context["object_list"]} | {
            d.code for d in second.context["object_list"]
        }
        assert seen == set(Department.objects.values_list("code", flat=True))
        filtered = client.get("/org/departments/?q=t-crew-09")
        assert {d.code for d in filtered.context["object_list"]} == {
            f"t-crew-{n:03d}" for n in range(90, 95)
        }

    def test_manager_sees_only_the_subtree(self, personas, login):
        response = login(personas.regional_head).get("/org/departments/")
        assert {d.code for d in response.context["object_list"]} == {"t-east", "t-team-a"}
        assert response.context["create_url"] is None

    def test_detail_shows_members_and_children(self, personas, login):
        response = login(personas.hr).get(f"/org/departments/{personas.east.pk}/")
        assert response.status_code == 200
        assert [c.code for c in response.context["children"]] == ["t-team-a"]
        assert [m.username for m in response.context["members"]] == ["regional_head"]
        assert [a.code for a in response.context["ancestors"]] == ["t-company"]


class TestExport:
    def test_xlsx(self, personas, login):
        client = login(english(personas.hr))
        response = client.get("/org/people/?export=xlsx&is_active=true")
        assert response.status_code == 200
        assert response["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        assert response["Content-Disposition"] == 'attachment; filename="people.xlsx"'
        workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
        rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
        assert rows[0] == USER_HEADER
        by_username = {row[1]: row for row in rows[1:]}
        assert by_username["sales_a"] == [
            "王销售",
            "sales_a",
            None,
            "华东一部",
            "客户经理",
            "Salesperson",
            None,
            True,
        ]
        assert "deactivated" not in by_username  # the filter applies to the export
        assert len(rows) == 1 + 10

    def test_csv(self, personas, login):
        client = login(english(personas.hr))
        response = client.get("/org/people/?export=csv&q=sales_a")
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == 'attachment; filename="people.csv"'
        text = b"".join(response.streaming_content).decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert rows == [
            USER_HEADER,
            ["王销售", "sales_a", "", "华东一部", "客户经理", "Salesperson", "", "True"],
        ]

    def test_department_export(self, personas, login):
        client = login(english(personas.sysadmin))
        response = client.get("/org/departments/?export=csv")
        text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["Name", "Code", "Kind", "Head", "Members", "Status"]
        assert ["华东一部", "t-team-a", "Team", "李经理", "2", "True"] in rows

    def test_formula_cells_are_neutralised(self, personas, login):
        services.user_update(
            user=fresh(personas.sales_b),
            name='=HYPERLINK("http://evil.example","x")',
            title="+cmd|' /C calc'!A0",
            mobile="-1+1",
        )
        client = login(english(personas.hr))
        text = b"".join(client.get("/org/people/?export=csv&q=sales_b").streaming_content).decode()
        row = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1]
        assert row[0] == '\'=HYPERLINK("http://evil.example","x")'
        assert row[4] == "'+cmd|' /C calc'!A0"
        assert row[6] == "'-1+1"

        response = client.get("/org/people/?export=xlsx&q=sales_b")
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        cell = sheet.cell(row=2, column=1)
        assert cell.data_type == "s"
        assert cell.value == '\'=HYPERLINK("http://evil.example","x")'

    def test_export_is_scoped_and_logged(self, personas, login):
        client = login(english(personas.manager_a))
        text = b"".join(client.get("/org/people/?export=csv").streaming_content).decode()
        usernames = {row[1] for row in list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]}
        assert usernames == {"sales_a", "manager_a", "deactivated"}
        event = SecurityEvent.objects.get(kind=SecurityEventKind.EXPORT)
        assert event.actor == personas.manager_a
        assert event.detail["format"] == "csv"
        assert event.detail["view"] == "UserListView"


class TestWhoMayChange:
    @pytest.mark.parametrize("name", NOT_ORG_ADMINS)
    def test_others_are_refused(self, personas, login, name):
        person = personas.get(name)
        client = login(person)
        # Their own account and department: objects they can see, so the answer is the role's.
        target = person.pk
        department = person.department_id
        for method, url in [
            ("get", "/org/people/new/"),
            ("post", "/org/people/new/"),
            ("get", f"/org/people/{target}/edit/"),
            ("post", f"/org/people/{target}/edit/"),
            ("post", f"/org/people/{target}/active/"),
            ("get", f"/org/people/{target}/password/"),
            ("get", "/org/departments/new/"),
            ("get", f"/org/departments/{department}/edit/"),
            ("post", f"/org/departments/{department}/deactivate/"),
        ]:
            response = getattr(client, method)(url, {"name": "x", "username": "x"})
            assert response.status_code == 403, (name, method, url)
        assert fresh(person).is_active
        assert fresh(person).name == person.name
        assert fresh(person.department).is_active
        assert not User.objects.filter(username="x").exists()

    @pytest.mark.parametrize("name", ORG_ADMINS)
    def test_org_admins_may(self, personas, login, name):
        client = login(personas.get(name))
        for url in (
            "/org/people/new/",
            f"/org/people/{personas.sales_a.pk}/edit/",
            f"/org/people/{personas.sales_a.pk}/password/",
            "/org/departments/new/",
            f"/org/departments/{personas.team_a.pk}/edit/",
        ):
            assert client.get(url).status_code == 200, url

    def test_anonymous_is_sent_to_sign_in(self, personas, client):
        for url in ("/org/people/", "/org/people/new/", f"/org/people/{personas.sales_a.pk}/"):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/?next=")

    @pytest.mark.parametrize(
        ("name", "url"),
        [
            ("manager_a", "people/{sales_b}/"),
            ("sales_a", "people/{sales_b}/"),
            ("sales_a", "people/{hr}/"),
            ("manager_b", "departments/{team_a}/"),
            ("regional_head", "departments/{team_b}/"),
            ("sales_a", "departments/{east}/"),
        ],
    )
    def test_foreign_objects_are_not_found(self, personas, login, name, url):
        ids = {key: personas.get(key).pk for key in ("sales_b", "hr", "team_a", "team_b", "east")}
        response = login(personas.get(name)).get("/org/" + url.format(**ids))
        assert response.status_code == 404

    def test_missing_objects_are_not_found_for_admins(self, personas, login):
        client = login(personas.hr)
        assert client.get("/org/people/999999/edit/").status_code == 404
        assert client.post("/org/people/999999/active/").status_code == 404
        assert client.get("/org/departments/999999/edit/").status_code == 404


def person_form(personas, **overrides):
    data = {
        "username": "zhouxin",
        "name": "周欣",
        "employee_no": "HY-9001",
        "department": personas.team_a.pk,
        "title": "客户经理",
        "mobile": "13800138000",
        "email": "zhouxin@example.com",
        "hire_date": "2026-03-02",
        "language": "zh-hans",
        "roles": [Role.SALESPERSON],
        "password": "Load-Forecast-2026",
    }
    data.update(overrides)
    return data


class TestPersonForm:
    def test_create(self, personas, login):
        client = login(personas.hr)
        response = client.post("/org/people/new/", person_form(personas))
        person = User.objects.get(username="zhouxin")
        assert response.status_code == 302
        assert response["Location"] == f"/org/people/{person.pk}/"
        assert person.department == personas.team_a
        assert person.role_codes == {Role.SALESPERSON}
        assert person.check_password("Load-Forecast-2026")
        assert str(person.hire_date) == "2026-03-02"
        # The history names who created the account.
        assert person.history.earliest().history_user == personas.hr

    def test_errors_keep_what_was_typed_and_name_the_field(self, personas, login):
        client = login(personas.hr)
        response = client.post(
            "/org/people/new/", person_form(personas, username="bad name!", email="nope")
        )
        assert response.status_code == 200
        form = response.context["form"]
        assert set(form.errors) == {"username", "email"}
        html = response.content.decode()
        assert 'data-testid="error-username"' in html
        assert 'data-testid="error-email"' in html
        for typed in (
            'value="bad name!"',
            'value="周欣"',
            'value="HY-9001"',
            'value="13800138000"',
        ):
            assert typed in html
        assert re.search(
            r'<input type="checkbox" name="roles" value="salesperson"[^>]* checked>', html
        )
        assert not re.search(
            r'<input type="checkbox" name="roles" value="auditor"[^>]* checked>', html
        )
        assert not User.objects.filter(name="周欣").exists()

    def test_weak_password_lands_on_the_password_field(self, personas, login):
        client = login(personas.hr)
        response = client.post("/org/people/new/", person_form(personas, password="1234567890"))
        assert response.status_code == 200
        assert "password" in response.context["form"].errors
        assert 'data-testid="error-password"' in response.content.decode()
        assert 'value="周欣"' in response.content.decode()
        assert not User.objects.filter(username="zhouxin").exists()

    def test_duplicate_username_and_employee_number(self, personas, login):
        services.user_create(username="taken", name="某人", password=None, employee_no="HY-9001")
        client = login(personas.hr)
        response = client.post("/org/people/new/", person_form(personas, username="taken"))
        assert "username" in response.context["form"].errors
        response = client.post("/org/people/new/", person_form(personas))
        assert "employee_no" in response.context["form"].errors
        assert not User.objects.filter(username="zhouxin").exists()

    def test_department_is_required(self, personas, login):
        response = login(personas.hr).post("/org/people/new/", person_form(personas, department=""))
        assert "department" in response.context["form"].errors

    def test_edit_moves_to_another_department_and_records_who(self, personas, login):
        client = login(personas.hr)
        person = fresh(personas.sales_a)
        data = person_form(
            personas,
            username="sales_a",
            name="王销售",
            employee_no="",
            department=personas.team_b.pk,
            title="高级客户经理",
            email="",
            hire_date="",
        )
        data.pop("password")
        response = client.post(f"/org/people/{person.pk}/edit/", data)
        assert response.status_code == 302, response.context["form"].errors
        person = fresh(person)
        assert person.department == personas.team_b
        assert person.title == "高级客户经理"
        latest = person.history.latest()
        assert latest.history_user == personas.hr
        assert latest.department_id == personas.team_b.pk
        assert latest.prev_record.department_id == personas.team_a.pk
        # The move is visible in the history on the person's page.
        page = client.get(f"/org/people/{person.pk}/")
        changes = {c.label: (c.old, c.new) for c in page.context["history"][0].changes}
        with translation.override("zh-hans"):
            label = str(User._meta.get_field("department").verbose_name)
        assert changes[label] == ("华东一部", "华北一部")
        assert page.context["history"][0].who == personas.hr
        # And the managers' views follow.
        assert "sales_a" in set(
            User.objects.visible_to(fresh(personas.manager_b)).values_list("username", flat=True)
        )
        assert not SecurityEvent.objects.filter(kind=SecurityEventKind.ROLES_CHANGED).exists()

    def test_edit_roles_through_the_form_is_logged(self, personas, login):
        client = login(personas.sysadmin)
        person = fresh(personas.tech)
        data = person_form(
            personas,
            username="tech",
            name="林工",
            employee_no="",
            department=personas.tech_dept.pk,
            roles=[Role.TECHNICAL_SUPPORT, Role.SYSTEM_ADMIN],
        )
        data.pop("password")
        assert client.post(f"/org/people/{person.pk}/edit/", data).status_code == 302
        person = fresh(person)
        assert person.is_staff
        event = SecurityEvent.objects.get(kind=SecurityEventKind.ROLES_CHANGED)
        assert event.actor == personas.sysadmin and event.subject == person
        assert event.ip_address == "127.0.0.1"


class TestDepartmentForm:
    def test_create_under_a_parent(self, personas, login):
        client = login(personas.sysadmin)
        response = client.post(
            "/org/departments/new/",
            {
                "name": "华东二部",
                "code": "t-team-a2",
                "kind": "team",
                "parent": personas.east.pk,
                "sort_order": 2,
            },
        )
        department = Department.objects.get(code="t-team-a2")
        assert response.status_code == 302
        assert response["Location"] == f"/org/departments/{department.pk}/"
        assert department.path == f"{personas.east.path}{department.pk}/"
        assert department.depth == 2

    def test_errors_keep_what_was_typed(self, personas, login):
        client = login(personas.sysadmin)
        response = client.post(
            "/org/departments/new/",
            {
                "name": "华东二部",
                "code": "t-east",
                "kind": "team",
                "parent": personas.east.pk,
                "sort_order": 0,
            },
        )
        assert response.status_code == 200
        assert list(response.context["form"].errors) == ["code"]
        assert 'value="华东二部"' in response.content.decode()
        assert 'data-testid="error-code"' in response.content.decode()

    def test_edit_moves_the_subtree(self, personas, login):
        client = login(personas.hr)
        east = fresh(personas.east)
        response = client.post(
            f"/org/departments/{east.pk}/edit/",
            {
                "name": east.name,
                "code": east.code,
                "kind": east.kind,
                "parent": personas.north.pk,
                "sort_order": 0,
            },
        )
        assert response.status_code == 302
        team_a = fresh(personas.team_a)
        assert team_a.path == f"{fresh(personas.north).path}{east.pk}/{team_a.pk}/"
        assert team_a.depth == 3
        assert fresh(east).history.latest().history_user == personas.hr

    def test_edit_cannot_pick_its_own_descendant_as_parent(self, personas, login):
        client = login(personas.hr)
        east = fresh(personas.east)
        response = client.post(
            f"/org/departments/{east.pk}/edit/",
            {
                "name": east.name,
                "code": east.code,
                "kind": east.kind,
                "parent": personas.team_a.pk,
                "sort_order": 0,
            },
        )
        assert response.status_code == 200
        assert "parent" in response.context["form"].errors
        assert fresh(east).parent_id == personas.company.pk

    def test_deactivate_refusal_is_shown_and_changes_nothing(self, personas, login):
        client = login(personas.hr)
        response = client.post(f"/org/departments/{personas.team_a.pk}/deactivate/", follow=True)
        assert response.status_code == 200
        messages = [str(m) for m in response.context["messages"]]
        with translation.override("zh-hans"):
            expected = gettext(
                "Move or deactivate the department's active members before deactivating it."
            )
        assert messages == [expected]
        assert fresh(personas.team_a).is_active

    def test_deactivate_empty_department(self, personas, login):
        empty = services.department_create(
            name="空部门", code="t-empty", kind=DepartmentKind.TEAM, parent=personas.company
        )
        response = login(personas.hr).post(f"/org/departments/{empty.pk}/deactivate/")
        assert response.status_code == 302
        assert not fresh(empty).is_active
