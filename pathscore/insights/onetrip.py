"""Several independent aggregates read in one round trip.

Each query of a dashboard costs a round trip and, on PostgreSQL, its own planning, on top
of the work it does; the KPI tiles are four small counts over different tables. Here each
count stays an ordinary ORM queryset (so it keeps the scope rule and the slice's filters,
and the drill-downs can share its definition), and the compiled queries are joined side by
side into one statement.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet


def one_row(*querysets: QuerySet) -> dict:
    """The single row of each aggregate queryset, merged into one dict, in one query.

    Each queryset must select aggregates only (``values()`` of ``annotate()`` with no
    grouping column), so that it answers exactly one row even over no records, and its
    column names must differ from the others'. A queryset that cannot match anything
    (``none()``, as for an anonymous viewer) counts nothing: its columns are 0 and it is
    left out of the statement."""
    parts, params, result = [], [], {}
    using = querysets[0].db if querysets else "default"
    for queryset in querysets:
        names = list(queryset.query.annotation_select)
        try:
            sql, part_params = queryset.query.get_compiler(using=using).as_sql()
        except EmptyResultSet:
            result.update(dict.fromkeys(names, 0))
            continue
        parts.append(f"({sql}) part{len(parts)}")
        params.extend(part_params)
    if not parts:
        return result
    # Every part is the ORM's own compiled query; every value in it travels as a parameter.
    statement = "SELECT * FROM " + " CROSS JOIN ".join(parts)  # noqa: S608 # nosec B608
    with connections[using].cursor() as cursor:
        cursor.execute(statement, params)  # nosec B608
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
    result.update(zip(names, row, strict=True))
    return result
