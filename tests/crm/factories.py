"""Small builders for records in tests, all going through the services."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from pathscore.core.models import Option
from pathscore.crm import services


def option(kind, code):
    return Option.objects.get(kind=kind, code=code)


def customer(owner, name="测试电网公司", type_code="grid", **fields):
    return services.customer_create(
        actor=owner, name=name, customer_type=option("customer_type", type_code), **fields
    )


def project(owner, the_customer=None, name="配网运维项目", **fields):
    the_customer = the_customer or customer(owner, name=f"{name}客户")
    fields.setdefault("estimated_amount", Decimal("1200000"))
    fields.setdefault("started_on", timezone.localdate() - dt.timedelta(days=60))
    return services.project_create(
        actor=owner,
        customer=the_customer,
        name=name,
        category=option("project_category", "grid-om"),
        **fields,
    )


def followup(author, the_project, content="拜访客户，了解用电负荷。", days_ago=1, **fields):
    return services.followup_create(
        actor=author,
        project=the_project,
        occurred_at=timezone.now() - dt.timedelta(days=days_ago),
        mode=option("followup_mode", "visit"),
        content=content,
        **fields,
    )
