"""Turn the dashboard's aggregates into chart data for ``dashboard.js``.

Every chart is a small JSON document written into the page with ``json_script``: its kind
(bar, line, heat map, pie), translated labels, and for each element the drill-down URL a
click opens. A chart with nothing to draw gets no data at all: the page shows a sentence
saying what is missing instead of an empty canvas.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pathscore.insights import selectors
from pathscore.insights.filters import Slice
from pathscore.org.models import Department

#: Okabe–Ito: distinguishable with every common colour-vision deficiency. Yellow is last
#: because it is faint on white.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#000000",
    "#F0E442",
)
#: Pixels per row of a horizontal bar chart, so names stay readable however many people.
ROW_HEIGHT = 28


def _number(value) -> float | None:
    return float(value) if isinstance(value, Decimal) else value


@functools.cache
def _path(name: str) -> str:
    # URL names without arguments: reversing once per process is enough.
    return reverse(name)


def _url(name: str, s: Slice, **extra) -> str:
    return f"{_path(name)}?{s.query(**extra)}"


def week_label(week: dt.date) -> str:
    return week.strftime("%m-%d")


def type_colours(type_names: dict[int, str]) -> dict[int, str]:
    """One colour per customer type, the same in every chart (in the list's order)."""
    return {pk: PALETTE[i % len(PALETTE)] for i, pk in enumerate(type_names)}


def projects_by_node(s: Slice, columns, type_names: dict[int, str]) -> dict | None:
    if not columns:
        return None
    type_ids = [pk for pk in type_names if any(pk in column.by_type for column in columns)]
    colours = type_colours(type_names)
    series = []
    for type_id in type_ids:
        series.append(
            {
                "name": type_names[type_id],
                "color": colours[type_id],
                "data": [
                    {
                        "value": column.by_type.get(type_id, 0),
                        "url": _url(
                            "insights:projects", s, node=column.code, customer_type=type_id
                        ),
                    }
                    for column in columns
                ],
            }
        )
    return {
        "type": "bar",
        "stacked": True,
        "categories": [column.name for column in columns],
        "series": series,
        "valueName": _("Projects"),
        "totals": [column.total for column in columns],
    }


def followup_cycle(s: Slice, by_week: dict[dt.date, Decimal]) -> dict | None:
    if not by_week:
        return None
    weeks = selectors.weeks_of(s.start, s.end)
    return {
        "type": "line",
        "categories": [week_label(week) for week in weeks],
        "series": [
            {
                "name": _("Average days between follow-ups"),
                "data": [
                    {
                        "value": _number(by_week.get(week)),
                        "url": _url("insights:followups", s, week=week.isoformat(), active="1"),
                    }
                    for week in weeks
                ],
            }
        ],
        "valueName": _("days"),
    }


def funnel(s: Slice, result, people, teams=None) -> dict | None:
    """Each salesperson's share of projects reaching each key node — or, given ``teams``
    (see ``teams_of``), each team's share, for a slice too large to list everyone."""
    if not result.stages or not result.shares:
        return None
    if teams is not None:
        return _funnel_by_team(s, result, teams)
    shown = [person for person in people if person.pk in result.shares]
    categories = [_("Team average")] + [person.name for person in shown]
    series = []
    for i, stage in enumerate(result.stages):
        data = [{"value": _number(result.team[i]), "url": ""}]
        for person in shown:
            data.append(
                {
                    "value": _number(result.shares[person.pk][i]),
                    "url": _url(
                        "insights:projects", s, set="funnel", owner=person.pk, reached=stage.code
                    ),
                }
            )
        series.append({"name": stage.name, "data": data})
    return _funnel_chart(categories, series)


def _funnel_chart(categories: list[str], series: list[dict]) -> dict:
    return {
        "type": "bar",
        "horizontal": True,
        "categories": categories,
        "series": series,
        "max": 100,
        "valueName": "%",
        "height": 80 + len(categories) * max(ROW_HEIGHT, 9 * len(series)),
    }


def _funnel_by_team(s: Slice, result, teams) -> dict | None:
    """A team's share is its projects reaching the stage over its projects in the funnel
    (not the mean of its members' shares); the company's average is the teams' mean."""
    rows = []
    for department, members in teams:
        total = sum(result.projects.get(pk, 0) for pk in members)
        if total:
            reached = [
                sum(result.reached[pk][i] for pk in members if pk in result.reached)
                for i in range(len(result.stages))
            ]
            rows.append((department, [selectors.share(n, total) for n in reached]))
    if not rows:
        return None
    categories = [_("Average of the teams")] + [department.name for department, _shares in rows]
    series = []
    for i, stage in enumerate(result.stages):
        values = [shares[i] for _department, shares in rows]
        data = [{"value": _number(selectors.mean(values)), "url": ""}]
        data += [
            {
                "value": _number(shares[i]),
                "url": _url(
                    "insights:projects",
                    s,
                    set="funnel",
                    department=department.pk,
                    reached=stage.code,
                ),
            }
            for department, shares in rows
        ]
        series.append({"name": stage.name, "data": data})
    return _funnel_chart(categories, series)


def teams_of(people) -> list[tuple]:
    """The salespeople grouped by their (leaf) department, in the list's order: the rows of
    the per-team charts."""
    teams: dict[int, tuple] = {}
    for person in people:
        if person.department_id is not None:
            teams.setdefault(person.department_id, (person.department, []))[1].append(person.pk)
    return list(teams.values())


#: Above this many teams a per-team chart groups them into the departments above them (a
#: hundred teams' bars made a chart several screens tall).
MOST_GROUPS = 30


def _parent_id(department) -> int | None:
    ids = [part for part in department.path.split("/") if part]
    return int(ids[-2]) if len(ids) > 1 else None


def groups_of(people, at_most: int = MOST_GROUPS) -> list[tuple]:
    """The rows of the per-team charts: ``teams_of``, and while there are more than
    ``at_most``, the deepest groups merged into their parent department (a region), level
    by level; never into a single row. One query when grouping is needed, none otherwise."""
    groups = teams_of(people)
    if len(groups) <= at_most:
        return groups
    departments = {department.pk: department for department in Department.objects.all()}
    while len(groups) > at_most:
        deepest = max(department.path.count("/") for department, _members in groups)
        merged: dict[int, tuple] = {}
        for department, members in groups:
            parent = departments.get(_parent_id(department))
            if department.path.count("/") == deepest and parent is not None:
                department = parent
            merged.setdefault(department.pk, (department, []))[1].extend(members)
        if len(merged) < 2 or len(merged) == len(groups):
            break  # one row says nothing, and no level is left to climb
        groups = list(merged.values())
    return groups


def heatmap(s: Slice, counts: dict, people, teams=None) -> dict | None:
    """Follow-ups per salesperson per week — or, given ``teams``, per team per week."""
    if not counts or not people:
        return None
    weeks = selectors.weeks_of(s.start, s.end)
    if teams is None:
        rows = [(person.name, [person.pk], {"author": person.pk}) for person in people]
    else:
        rows = [
            (department.name, members, {"department": department.pk})
            for department, members in teams
        ]
    cells = []
    values = []
    for y, (_name, members, link) in enumerate(rows):
        for x, week in enumerate(weeks):
            n = sum(counts.get((pk, week), 0) for pk in members)
            values.append(n)
            cells.append(
                {
                    "value": [x, y, n],
                    "url": _url("insights:followups", s, week=week.isoformat(), **link),
                }
            )
    return {
        "type": "heatmap",
        "x": [week_label(week) for week in weeks],
        "y": [name for name, _members, _link in rows],
        "data": cells,
        "max": max(values),
        "valueName": _("Follow-ups"),
        "height": 90 + len(rows) * ROW_HEIGHT,
    }


def customer_types(s: Slice, counts: dict[int, int], type_names: dict[int, str]) -> dict | None:
    if not counts:
        return None
    colours = type_colours(type_names)
    return {
        "type": "pie",
        "data": [
            {
                "name": type_names.get(type_id, "—"),
                "value": n,
                "itemStyle": {"color": colours.get(type_id, PALETTE[-1])},
                "url": _url("insights:projects", s, customer_type=type_id),
            }
            for type_id, n in sorted(counts.items(), key=lambda item: -item[1])
        ],
        "valueName": _("Active projects"),
    }


def cycle_label(key: str) -> str:
    low, _dash, high = key.partition("-")
    if not high:
        return _("%(days)s+ d") % {"days": low.rstrip("+")}
    return _("%(low)s–%(high)s d") % {"low": low, "high": high}


def cycle_distribution(s: Slice, counts: dict[str, int]) -> dict | None:
    if not any(counts.values()):
        return None
    return {
        "type": "bar",
        "categories": [cycle_label(key) for key in counts],
        "series": [
            {
                "name": _("Projects won"),
                "data": [
                    {"value": n, "url": _url("insights:projects", s, set="won", cycle=key)}
                    for key, n in counts.items()
                ],
            }
        ],
        "valueName": _("Projects won"),
    }


def versions_label(versions: int) -> str:
    if versions >= selectors.MOST_VERSIONS:
        return _("%(count)s+ versions") % {"count": versions}
    return ngettext("%(count)s version", "%(count)s versions", versions) % {"count": versions}


def revision_distribution(s: Slice, counts: dict[int, int]) -> dict | None:
    if not any(counts.values()):
        return None
    return {
        "type": "bar",
        "categories": [versions_label(versions) for versions in counts],
        "series": [
            {
                "name": _("Proposals"),
                "data": [
                    {
                        "value": n,
                        "url": _url("insights:projects", s, set="proposals", versions=versions),
                    }
                    for versions, n in counts.items()
                ],
            }
        ],
        "valueName": _("Proposals"),
    }


def adjustment_cycle(s: Slice, result, teams=None) -> dict | None:
    """Average days between proposal versions by project owner — or, given ``teams`` (see
    ``groups_of``), by the owner's team or group of teams (its summed gaps over its
    revisions; an owner in none of them, who left say, by their own department)."""
    if not result.by_owner:
        return None
    if teams is not None:
        seconds: dict = {}
        counts: dict = {}
        names: dict = {}
        group_of = {
            pk: (department.pk, department.name) for department, members in teams for pk in members
        }
        for pk, own in result.departments.items():
            department, name = group_of.get(pk, own)
            seconds[department] = seconds.get(department, 0) + result.seconds[pk]
            counts[department] = counts.get(department, 0) + result.revisions[pk]
            names[department] = name
        values = {key: selectors.days(seconds[key], counts[key]) for key in seconds}
        link = "department"
    else:
        values, names, link = result.by_owner, result.names, "owner"
    keys = sorted(values, key=lambda key: (-values[key], names.get(key, "")))
    return {
        "type": "bar",
        "horizontal": True,
        "categories": [names[key] for key in keys],
        "series": [
            {
                "name": _("Average days between proposal versions"),
                "data": [
                    {
                        "value": _number(values[key]),
                        # An owner without a department has no team page to open.
                        "url": (
                            _url("insights:projects", s, set="revised", **{link: key})
                            if key is not None
                            else ""
                        ),
                    }
                    for key in keys
                ],
            }
        ],
        "average": {"name": _("Average"), "value": _number(result.average)},
        "valueName": _("days"),
        "height": 90 + len(keys) * ROW_HEIGHT,
    }


def sparkline(history: list[tuple[str, Decimal]], width: int = 96, height: int = 24) -> dict:
    """An inline SVG polyline of frozen totals (0–100), oldest first."""
    if not history:
        return {}
    values = [float(total) for _name, total in history]
    step = width / max(len(values) - 1, 1)
    coordinates = [
        (round(i * step, 1), round(height - 2 - value / 100 * (height - 4), 1))
        for i, value in enumerate(values)
    ]
    points = " ".join(f"{x},{y}" for x, y in coordinates)
    # The latest total as a dot: with one closed period the line alone would draw nothing.
    last_x, last_y = coordinates[-1]
    return {
        "points": points,
        "last_x": min(max(last_x, 2), width - 2),
        "last_y": last_y,
        "width": width,
        "height": height,
        "title": " · ".join(f"{name}: {total}" for name, total in history),
    }


def delays_by_category(rows, url_of) -> dict | None:
    """Delayed nodes by the category of their reason (the delay report); a bar opens its
    nodes (``url_of(row)``)."""
    if not rows:
        return None
    return {
        "type": "bar",
        "horizontal": True,
        "categories": [row.label for row in rows],
        "series": [
            {
                "name": _("Delayed nodes"),
                "data": [{"value": row.count, "url": url_of(row)} for row in rows],
            }
        ],
        "valueName": _("Delayed nodes"),
        "height": 90 + len(rows) * ROW_HEIGHT,
    }
