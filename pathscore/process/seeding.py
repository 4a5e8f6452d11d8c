"""Seeding the bundled defaults (task kinds, delay categories, the two process templates).

Written against an app registry so the data migration can pass its historical models;
existing rows are never touched, so re-running is harmless.
"""

from decimal import Decimal

from pathscore.core.options import seed_options
from pathscore.process import bundled


def seed_defaults(apps) -> None:
    Option = apps.get_model("core", "Option")
    seed_options(bundled.TASK_KIND, option_model=Option)
    DelayCategory = apps.get_model("process", "DelayCategory")
    for order, (code, name, name_en, attribution) in enumerate(bundled.DELAY_CATEGORIES, start=1):
        DelayCategory.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "attribution": attribution,
                "sort_order": order * 10,
            },
        )
    ProcessTemplate = apps.get_model("process", "ProcessTemplate")
    TemplateVersion = apps.get_model("process", "TemplateVersion")
    NodeDefinition = apps.get_model("process", "NodeDefinition")
    for code, name, description, type_codes, category_codes, nodes in bundled.TEMPLATES:
        template, created = ProcessTemplate.objects.get_or_create(
            code=code, defaults={"name": name, "description": description}
        )
        if not created:
            continue
        template.customer_types.set(
            Option.objects.filter(kind="customer_type", code__in=type_codes)
        )
        template.categories.set(
            Option.objects.filter(kind="project_category", code__in=category_codes)
        )
        version = TemplateVersion.objects.create(
            template=template, number=1, status="published", note="bundled"
        )
        for order, node in enumerate(nodes, start=1):
            NodeDefinition.objects.create(
                version=version,
                order=order,
                code=node["code"],
                name=node["name"],
                guidance=node.get("guidance", ""),
                fields=node.get("fields", []),
                checklist=node.get("checklist", []),
                required_document_kinds=node.get("required_document_kinds", []),
                deliverable_templates=node.get("deliverable_templates", []),
                due_rule=node.get("due_rule", "after_previous"),
                due_days=node.get("due_days", 14),
                base_score=Decimal(node.get("base_score", "10")),
                reviewer_role=node.get("reviewer_role", "manager"),
                deduction_kind="per_day",
                deduction_per_day=Decimal("1"),
                deduction_cap=Decimal(node.get("deduction_cap", "5")),
                stall_days=node.get("stall_days", 30),
                reminder_days=[3, 1],
                escalate_after_days=3,
            )
