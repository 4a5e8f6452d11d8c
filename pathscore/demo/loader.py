"""Loads the demo company, one part per app.

Every installed app that has a ``demo`` module with a ``load(ctx)`` function contributes
its part, in INSTALLED_APPS order (which follows the layering: org before crm before
process…). Dates are relative to ``ctx.today`` so the demo always looks current.
"""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field
from datetime import date

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

#: The fixed seed: the same demo company every time, whatever the day.
DEMO_SEED = 20261126


@dataclass
class DemoContext:
    today: date
    password: str
    # Deterministic demo data, not security: the same company every run.
    rng: random.Random = field(default_factory=lambda: random.Random(DEMO_SEED))  # nosec B311
    #: Objects earlier parts created, for later parts to build on (e.g. "people").
    shared: dict = field(default_factory=dict)


def demo_parts():
    for config in apps.get_app_configs():
        if not config.name.startswith("pathscore."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.demo":
                raise
            continue
        if hasattr(module, "load"):
            yield config.label, module.load


def database_is_empty() -> bool:
    from pathscore.org.models import User

    return not User.objects.exists()


@transaction.atomic
def load_demo(
    *, today: date | None = None, password: str | None = None, stdout=None
) -> DemoContext:
    ctx = DemoContext(
        today=today or timezone.localdate(), password=password or settings.PATHSCORE_DEMO_PASSWORD
    )
    for label, load in demo_parts():
        if stdout is not None:
            stdout.write(f"  · {label}\n")
        load(ctx)
    # Parts may write projects or follow-ups past the services: count them once at the end.
    from pathscore.insights.rollups import rollup_rebuild

    rollup_rebuild()
    return ctx


def demo_logins(*, per_role: int = 3) -> list[tuple[str, list]]:
    """Who to sign in as: a few active people per role, for the start-up banner."""
    from pathscore.core.choices import Role
    from pathscore.org.models import User

    result = []
    for role in Role:
        people = list(
            User.objects.filter(is_active=True, role_grants__role=role)
            .select_related("department")
            .order_by("employee_no", "username")[:per_role]
        )
        if people:
            result.append((str(role.label), people))
    return result
