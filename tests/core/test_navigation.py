"""The menu bar: items by role, drop-down groups, a group of one shown as its item, and
the current page marked once."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from pathscore.core.navigation import menu_for
from pathscore.core.scoping import scope_for

pytestmark = pytest.mark.django_db


def labels(person) -> list[tuple[str, list[str]]]:
    with translation.override("en"):
        return [
            (str(entry.label), [str(child.label) for child in entry.children])
            for entry in menu_for(scope_for(person))
        ]


def test_a_salesperson_has_a_short_bar_with_records_grouped(personas):
    bar = dict(labels(personas.sales_a))
    assert bar["Customers & documents"] == ["Customers", "Contacts", "Documents", "Import data"]
    # Alone in its group for a salesperson, "My score" stands on the bar itself.
    assert bar["My score"] == []
    assert "Evaluation" not in bar
    assert len(bar) <= 8


def test_a_manager_gets_the_evaluation_group(personas):
    bar = dict(labels(personas.manager_a))
    assert {"Appraisal periods", "Appeals"} <= set(bar["Evaluation"])
    assert "Scorecards" not in bar["Evaluation"]
    assert len(bar) <= 10


def test_hr_sees_the_scorecards_in_the_group(personas):
    assert "Scorecards" in dict(labels(personas.hr))["Evaluation"]


def test_the_page_marks_its_group_and_item_current(personas, login):
    page = login(personas.manager_a).get("/scoring/appeals/").content.decode()
    html = page[page.index('id="main-nav"') : page.index("</nav>")]
    current = re.findall(r'class="[^"]*\bactive\b[^"]*"[^>]*>(?:<i[^>]*></i>)?\s*([^<]+)<', html)
    assert [text.strip() for text in current] == ["考核评价", "申诉"]
