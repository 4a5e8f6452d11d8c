"""What every part of the generator shares: the clock, the random streams, the option
lists and process templates of the installation, and the people once they exist.

Time: the company's history ends when the as-of date begins (local midnight, the
generator's "now"): every recorded moment lies before it, so nothing is ever dated in the
future whatever the hour the generator runs. Due dates and planned dates may lie after it.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.conf import settings

from pathscore.core.models import Option
from pathscore.crm import options as crm_options
from pathscore.demo.scale.sizes import Scale
from pathscore.process import bundled
from pathscore.process.models import DelayCategory, NodeDefinition
from pathscore.process.rules import DelayRule
from pathscore.process.services import template_for

UTC = dt.UTC


class Person:
    """A generated employee, as much of them as the generator needs at hand."""

    __slots__ = (
        "id",
        "username",
        "name",
        "department_id",
        "team",
        "hire_date",
        "left_on",
        "weight",
        "punctuality",
        "skill",
        "lag",
        "is_active",
    )

    #: Defaults for people the generator does not profile (managers, engineers…).
    DEFAULTS = {"weight": 1.0, "punctuality": 0.85, "skill": 80.0, "lag": 1.0}

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name, self.DEFAULTS.get(name)))

    def present_on(self, day: dt.date) -> bool:
        """Whether the person worked here on ``day``."""
        if self.hire_date and day < self.hire_date:
            return False
        return not (self.left_on and day >= self.left_on)


class Team:
    """A sales team: its department, its manager, its members."""

    __slots__ = ("index", "department_id", "region", "manager", "members", "cities", "centre")

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.get(name))


@dataclass
class NodeSpec:
    """A template node, loaded once: what the simulation and the rows need of it."""

    id: int
    order: int
    code: str
    name: str
    fields: list
    checklist: list
    document_kinds: list
    due_rule: str
    due_days: int
    due_date: dt.date | None
    base_score: Decimal
    reviewer_role: str
    delay_rule: DelayRule
    deduction: dict
    stall_days: int


@dataclass
class TemplateSpec:
    version_id: int
    code: str
    nodes: list[NodeSpec]


@dataclass
class World:
    """The shared state of one generation."""

    scale: Scale
    seed: int
    as_of: dt.date
    password_hash: str
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))
    #: Filled by the parts as they run.
    people: dict[str, list[Person]] = field(default_factory=dict)
    teams: list[Team] = field(default_factory=list)
    departments: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    _midnights: dict[dt.date, dt.datetime] = field(default_factory=dict)

    def __post_init__(self):
        self.last_day = self.as_of - dt.timedelta(days=1)
        self.start = self.as_of - dt.timedelta(days=self.scale.history_days)
        self.now = self.midnight(self.as_of)

    # --- random streams ------------------------------------------------------------------

    def rng(self, *key) -> random.Random:
        """An independent random stream per purpose (and per project), so changing how
        one part draws never shifts what another part generates."""
        # Deterministic test data, not security: the same company for the same seed.
        return random.Random(":".join(str(part) for part in (self.seed, *key)))  # nosec B311

    # --- the clock -------------------------------------------------------------------------

    def midnight(self, day: dt.date) -> dt.datetime:
        """Local midnight of ``day`` as a naive UTC datetime."""
        cached = self._midnights.get(day)
        if cached is None:
            noon = dt.datetime.combine(day, dt.time(12), tzinfo=self.zone)
            offset = noon.utcoffset()
            cached = dt.datetime.combine(day, dt.time()) - offset
            self._midnights[day] = cached
        return cached

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        """``hour:minute`` local time on ``day``, as naive UTC (working hours never cross a
        daylight-saving change, so the day's noon offset is right)."""
        return self.midnight(day) + dt.timedelta(hours=hour, minutes=minute)

    def before_now(self, moment: dt.datetime) -> dt.datetime:
        return min(moment, self.now - dt.timedelta(minutes=5))

    def to_local(self, moment: dt.datetime) -> dt.datetime:
        return moment.replace(tzinfo=UTC).astimezone(self.zone).replace(tzinfo=None)

    def from_local(self, moment: dt.datetime) -> dt.datetime:
        return moment.replace(tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)

    def local_day(self, moment: dt.datetime) -> dt.date:
        """The local date of a naive UTC moment."""
        return self.to_local(moment).date()

    def working(self, moment: dt.datetime) -> dt.datetime:
        """The same moment, or the start of the next working hours if it fell at night."""
        local = self.to_local(moment)
        if local.hour < 8:
            local = local.replace(hour=8, minute=local.minute % 30)
        elif local.hour >= 20:
            local = (local + dt.timedelta(days=1)).replace(hour=8, minute=local.minute % 30)
        else:
            return moment
        return self.from_local(local)

    # --- the installation's lists ------------------------------------------------------------

    def load_installation(self) -> None:
        """Option lists, delay categories and the templates new projects get."""
        options = {}
        for kind in (
            crm_options.CUSTOMER_TYPE,
            crm_options.PROJECT_CATEGORY,
            crm_options.FOLLOWUP_MODE,
            bundled.TASK_KIND,
        ):
            options[kind] = {
                o.code: o for o in Option.objects.filter(kind=kind, is_active=True).order_by("pk")
            }
        self.options = options
        self.customer_types = options[crm_options.CUSTOMER_TYPE]
        self.categories = options[crm_options.PROJECT_CATEGORY]
        self.modes = options[crm_options.FOLLOWUP_MODE]
        self.task_kinds = options[bundled.TASK_KIND]
        self.delay_categories = list(
            DelayCategory.objects.filter(is_active=True).order_by("sort_order", "pk")
        )
        self.templates: dict[tuple[int, int], TemplateSpec] = {}
        loaded: dict[int, TemplateSpec] = {}
        for type_option in self.customer_types.values():
            for category in self.categories.values():
                probe = SimpleNamespace(
                    customer=SimpleNamespace(customer_type_id=type_option.pk),
                    category_id=category.pk,
                )
                version = template_for(probe)
                if version is None:
                    continue
                if version.pk not in loaded:
                    loaded[version.pk] = TemplateSpec(
                        version_id=version.pk,
                        code=version.template.code,
                        nodes=[_node_spec(d) for d in version.nodes.order_by("order")],
                    )
                self.templates[(type_option.pk, category.pk)] = loaded[version.pk]


def _node_spec(definition: NodeDefinition) -> NodeSpec:
    return NodeSpec(
        id=definition.pk,
        order=definition.order,
        code=definition.code,
        name=definition.name,
        fields=list(definition.fields or []),
        checklist=list(definition.checklist or []),
        document_kinds=list(definition.required_document_kinds or []),
        due_rule=definition.due_rule,
        due_days=definition.due_days,
        due_date=definition.due_date,
        base_score=definition.base_score,
        reviewer_role=definition.reviewer_role,
        delay_rule=DelayRule(
            kind=definition.deduction_kind,
            points_per_day=Decimal(str(definition.deduction_per_day)),
            cap=Decimal(str(definition.deduction_cap)),
            bands=tuple(
                (int(first_day), Decimal(str(points)))
                for first_day, points in (definition.deduction_bands or [])
            ),
        ),
        deduction={
            "kind": definition.deduction_kind,
            "per_day": str(definition.deduction_per_day),
            "cap": str(definition.deduction_cap),
            "bands": definition.deduction_bands,
        },
        stall_days=definition.stall_days,
    )
