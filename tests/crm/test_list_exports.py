"""The customer, project and document lists export from value tuples the same cells
their model instances give."""

from __future__ import annotations

import csv
import io

import pytest

from pathscore.core.export import table_rows, value_plan
from pathscore.crm import selectors
from pathscore.crm.tables import CustomerTable, DocumentTable, ProjectTable
from pathscore.crm.views.customers import customers_for_list
from pathscore.crm.views.projects import projects_for_list
from tests.crm import factories
from tests.crm.test_documents import new_document

pytestmark = pytest.mark.django_db


def _csv(client, url):
    body = b"".join(client.get(url, {"export": "csv"}).streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize(
    ("url", "table", "rows_of"),
    [
        ("/customers/", CustomerTable, customers_for_list),
        ("/projects/", ProjectTable, projects_for_list),
        ("/documents/", DocumentTable, selectors.documents_for_list),
    ],
)
def test_the_export_gives_what_the_instances_give(personas, login, url, table, rows_of):
    first = factories.project(personas.sales_a, name="=华东配网运维项目")
    factories.project(personas.sales_a, name="华东储能项目", the_customer=first.customer)
    factories.project(personas.sales_a, name="钢厂节能项目")
    for project in first.customer.projects.all():
        new_document(personas.sales_a, project, title=f"{project.name}方案")
    queryset = rows_of(personas.sales_a)
    assert value_plan(table, queryset) is not None
    expected = [[str(cell) for cell in row] for row in table_rows(table, list(queryset))]
    exported = _csv(login(personas.sales_a), url)
    assert exported[0] == expected[0]
    assert sorted(exported[1:]) == sorted(expected[1:])
    assert len(exported) > 2
