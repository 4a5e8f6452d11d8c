"""The indicator catalogue: each indicator's definition, computed from the records.

An indicator is registered once with a code, names, a dimension, a unit, a direction and
two functions:

* ``compute(person_ids, start, end, params) -> {person_id: Decimal}`` — the value for each
  person over the period ``[start, end]`` (dates, inclusive), aggregated in SQL. Every
  person asked for gets a value (0 when they did nothing), and each record is credited to
  the person who did it (the follow-up's author, the node's submitter), not to whoever
  owns the project today. An indicator registered with ``not_applicable_without`` leaves
  out the people with nothing to measure; they get ``None`` (not applicable), so that a
  "lower is better" indicator never gives full marks for doing nothing.
* ``evidence(person, start, end, params) -> QuerySet`` — the records behind one person's
  value, for the "why is my on-time rate 80%?" link on the score page.

Several indicators read the same rows (the period's follow-ups of the people asked for,
their signed contracts, the nodes approved in the period). Inside ``shared_reads()`` such a
read runs once for all of them (``read_once``); outside it, every ``compute`` reads afresh,
so a value never comes from another moment's rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.functional import Promise

ComputeFn = Callable[[list[int], date, date, dict], dict[int, Decimal]]
EvidenceFn = Callable[..., object]


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Promise | str
    dimension: str
    unit: Promise | str
    direction: str
    definition: Promise | str
    compute: ComputeFn
    evidence: EvidenceFn | None = None
    #: Default parameters (e.g. the from/to nodes of a stage conversion rate).
    params: dict = field(default_factory=dict)
    #: When set, what is missing for the indicator to apply (e.g. "no feedback relayed"):
    #: people ``compute`` leaves out are not applicable, instead of scoring 0.
    not_applicable_without: Promise | str = ""


_catalogue: dict[str, Indicator] = {}


def register(indicator: Indicator) -> Indicator:
    _catalogue[indicator.code] = indicator
    return indicator


def get(code: str) -> Indicator:
    return _catalogue[code]


def catalogue() -> list[Indicator]:
    return list(_catalogue.values())


def compute(
    code: str, person_ids: list[int], start: date, end: date, params: dict | None = None
) -> dict[int, Decimal | None]:
    indicator = get(code)
    merged = {**indicator.params, **(params or {})}
    values = indicator.compute(list(person_ids), start, end, merged)
    if indicator.not_applicable_without:
        return {pk: None if values.get(pk) is None else Decimal(values[pk]) for pk in person_ids}
    return {pk: Decimal(values.get(pk, 0) or 0) for pk in person_ids}


_shared: ContextVar[dict | None] = ContextVar("scoring_shared_reads", default=None)


@contextmanager
def shared_reads() -> Iterator[None]:
    """One evaluation: indicators reading the same rows for the same people and period
    share one query while the block runs (the engine wraps its compute calls in it)."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def read_once(key: tuple, read: Callable[[], object]):
    """``read()``, or what it returned earlier in the same ``shared_reads`` block for the
    same ``key`` (which must name the read, the people and the period)."""
    memo = _shared.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]
