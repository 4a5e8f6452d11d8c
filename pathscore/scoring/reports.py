"""The evaluation report of a period: one row per person the viewer may see, with every
indicator's value and points, the dimension scores, the total and the rank in the team.

A closed or published period reports its frozen ``Result`` rows (the current version); an
open period reports live scores, computed for everyone at once by ``engine.evaluate``.
Either way the report costs a fixed number of queries, whatever the number of people.
Turning the rows into a spreadsheet is the view's business (``views/reports.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q

from pathscore.core.scoping import scope_for, subtree_q
from pathscore.org.models import Department, User
from pathscore.scoring import engine, indicators, services
from pathscore.scoring.choices import Dimension, PeriodState
from pathscore.scoring.models import Period, Result


@dataclass
class ReportColumn:
    """An indicator reported as two columns: its value and its points."""

    code: str
    name: str
    unit: str


@dataclass
class ReportRow:
    person_id: int
    employee_no: str
    name: str
    department: str
    department_id: int | None
    department_path: str
    #: ``{indicator code: (value, points)}``; either is None when the indicator does not
    #: apply to the person (or is not on their scorecard).
    values: dict[str, tuple[Decimal | None, Decimal | None]]
    dimensions: dict[str, Decimal | None]
    computed_total: Decimal
    adjustment: Decimal
    total: Decimal
    rank: int | None = None


@dataclass
class Report:
    period: Period
    #: True for an open period: the scores are live, not frozen.
    live: bool
    #: The department asked for (None: everyone the viewer may see).
    department: Department | None
    columns: list[ReportColumn] = field(default_factory=list)
    #: Dimension codes in their usual order.
    dimensions: list[str] = field(default_factory=list)
    rows: list[ReportRow] = field(default_factory=list)


def can_export_report(user) -> bool:
    """Managers (for their subtree), HR and executives export the evaluation report; a
    salesperson sees only their own score, so there is no report for them."""
    scope = scope_for(user)
    return scope.sees_all_records or scope.is_manager


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _department(viewer, department_id) -> tuple[bool, Department | None]:
    """``(asked, department)``: a department id the viewer cannot see, or no department
    at all, answers ``(True, None)`` — an empty report, never an error."""
    if department_id in (None, ""):
        return False, None
    try:
        pk = int(department_id)
    except (TypeError, ValueError):
        return True, None
    return True, Department.objects.visible_to(viewer).filter(pk=pk).first()


def _frozen_rows(period: Period, viewer, department: Department | None):
    results = (
        Result.objects.visible_to(viewer)
        .filter(period=period, version=period.version)
        .select_related("person", "department")
    )
    if department is not None:
        results = results.filter(department__path__startswith=department.path)
    results = list(results)
    rows = []
    for result in results:
        scores = (result.dimensions or {}).get("scores", {})
        rows.append(
            ReportRow(
                person_id=result.person_id,
                employee_no=result.person.employee_no or "",
                name=result.person.name,
                department=result.department.name if result.department else "",
                department_id=result.department_id,
                department_path=result.department.path if result.department else "",
                values={
                    item["indicator"]: (_decimal(item.get("value")), _decimal(item.get("points")))
                    for item in result.items or []
                },
                dimensions={code: _decimal(score) for code, score in scores.items()},
                computed_total=result.computed_total,
                adjustment=result.adjustment,
                total=result.total,
                rank=result.rank,
            )
        )
    return rows, [result.items or [] for result in results]


def _people(viewer, department: Department | None):
    """Active people whose scores the viewer may see (the rule of
    ``Result.objects.visible_to``, applied to the people themselves)."""
    scope = scope_for(viewer)
    people = User.objects.filter(is_active=True).select_related("department")
    if not scope.sees_all_records:
        people = people.filter(
            Q(pk=scope.user_id) | subtree_q("department__path", scope.managed_paths)
        )
    if department is not None:
        people = people.filter(department__path__startswith=department.path)
    return list(people)


def _live_rows(period: Period, viewer, department: Department | None):
    people = {person.pk: person for person in _people(viewer, department)}
    # The live cache is bypassed: filling it would cost a write per person.
    scores = engine.evaluate(list(people), period, use_cache=False)
    rows = []
    for person_id, score in scores.items():
        person = people[person_id]
        rows.append(
            ReportRow(
                person_id=person_id,
                employee_no=person.employee_no or "",
                name=person.name,
                department=person.department.name if person.department else "",
                department_id=score.department_id,
                department_path=person.department.path if person.department else "",
                values={item["indicator"]: (item["value"], item["points"]) for item in score.items},
                dimensions=dict(score.dimensions),
                computed_total=score.total,
                adjustment=Decimal(0),
                total=score.total,
            )
        )
    # The same competition rank within the team as closing the period gives.
    services.rank_in_teams(rows)
    return rows, [score.items for score in scores.values()]


def _columns(item_lists) -> tuple[list[ReportColumn], list[str]]:
    """Every indicator on the scorecards involved, by dimension in the usual order and
    then in scorecard order; and the dimensions that occur."""
    engine.load_catalogue()
    order = {code: index for index, code in enumerate(Dimension.values)}
    seen: dict[str, tuple[int, int]] = {}
    dimensions: set[str] = set()
    for items in item_lists:
        for position, item in enumerate(items):
            dimensions.add(item["dimension"])
            if item["indicator"] not in seen:
                seen[item["indicator"]] = (order.get(item["dimension"], len(order)), position)
    columns = []
    for code in sorted(seen, key=lambda code: seen[code]):
        try:
            indicator = indicators.get(code)
            columns.append(ReportColumn(code, str(indicator.name), str(indicator.unit)))
        except KeyError:
            columns.append(ReportColumn(code, code, ""))
    return columns, sorted(dimensions, key=lambda code: order.get(code, len(order)))


def evaluation_report(*, period: Period, viewer, department_id=None) -> Report:
    """The report of ``period`` for ``viewer``, optionally limited to a department's
    subtree (an unknown or invisible department gives an empty report)."""
    asked, department = _department(viewer, department_id)
    live = period.state == PeriodState.OPEN
    report = Report(period=period, live=live, department=department)
    if not can_export_report(viewer) or (asked and department is None):
        return report
    if live:
        rows, item_lists = _live_rows(period, viewer, department)
    else:
        rows, item_lists = _frozen_rows(period, viewer, department)
    report.columns, report.dimensions = _columns(item_lists)
    report.rows = sorted(
        rows,
        key=lambda row: (
            row.department_path,
            row.rank if row.rank is not None else 10**9,
            row.name,
        ),
    )
    return report
