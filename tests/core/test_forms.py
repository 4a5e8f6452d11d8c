"""``core.forms``: the quick single select writes what Django's own select writes."""

from __future__ import annotations

import pytest
from django import forms
from django.test.html import parse_html

from pathscore.core.forms import QuickSelect, style_form

CHOICES = [("", "全部"), ("1", '东区 <b>"一部"</b> & 二部'), ("2", "西区")]


class Chooser(forms.Form):
    team = forms.ChoiceField(choices=CHOICES, required=False)
    lead = forms.ChoiceField(choices=CHOICES)
    grouped = forms.ChoiceField(
        choices=[("东区", [("1", "一部"), ("2", "二部")]), ("3", "西区")], required=False
    )


def rendered(data) -> dict[str, str]:
    form = Chooser(data)
    return {name: str(form[name]) for name in form.fields}


@pytest.mark.parametrize("data", [None, {"team": "1", "lead": "2"}, {"team": "9"}])
def test_the_quick_select_writes_the_same_html_as_djangos(data):
    django_html = rendered(data)
    form = style_form(Chooser(data))
    for name in ("team", "lead"):
        assert type(form.fields[name].widget) is QuickSelect
        # The same elements, attributes, selection and escaped labels; Bootstrap's class
        # comes from style_form.
        expected = django_html[name].replace("<select ", '<select class="form-select" ', 1)
        if data is not None and name in form.errors:
            expected = expected.replace('class="form-select"', 'class="form-select is-invalid"')
        assert parse_html(str(form[name])) == parse_html(expected), name
    assert "&lt;b&gt;&quot;一部&quot;&lt;/b&gt; &amp; 二部" in str(form["team"])


def test_option_groups_keep_djangos_templates():
    form = style_form(Chooser({"grouped": "2"}))
    html = str(form["grouped"])
    assert '<optgroup label="东区">' in html
    assert parse_html(html) == parse_html(
        rendered({"grouped": "2"})["grouped"].replace("<select ", '<select class="form-select" ', 1)
    )
