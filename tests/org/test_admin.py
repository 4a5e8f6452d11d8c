"""The Django admin's department and user pages keep the tree and the roles consistent."""

from __future__ import annotations

import pytest

from pathscore.org.models import Department

pytestmark = pytest.mark.django_db


def paths():
    return dict(Department.objects.values_list("code", "path"))


def add_department(client, **fields):
    data = {"name": "新部门", "code": "t-new", "kind": "team", "sort_order": 0, "is_active": "on"}
    data.update(fields)
    return client.post("/admin/org/department/add/", data)


def test_adding_a_root_department_leaves_the_tree_alone(personas, login):
    before = paths()
    response = add_department(login(personas.sysadmin), code="t-root2", name="第二公司")
    assert response.status_code == 302
    created = Department.objects.get(code="t-root2")
    assert (created.path, created.depth) == (f"/{created.pk}/", 0)
    after = paths()
    after.pop("t-root2")
    assert after == before


def test_adding_a_department_under_a_parent(personas, login):
    before = paths()
    response = add_department(login(personas.sysadmin), parent=personas.east.pk)
    assert response.status_code == 302
    created = Department.objects.get(code="t-new")
    assert (created.path, created.depth) == (f"{personas.east.path}{created.pk}/", 2)
    after = paths()
    after.pop("t-new")
    assert after == before


def test_moving_a_department_in_the_admin_moves_its_subtree(personas, login):
    client = login(personas.sysadmin)
    east = personas.east
    response = client.post(
        f"/admin/org/department/{east.pk}/change/",
        {
            "name": east.name,
            "code": east.code,
            "kind": east.kind,
            "parent": personas.north.pk,
            "sort_order": 0,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    team_a = Department.objects.get(pk=personas.team_a.pk)
    assert team_a.path == f"{personas.north.path}{east.pk}/{team_a.pk}/"
    assert team_a.depth == 3
