"""The bundled default scorecard: the power-service salesperson.

Seeded by a data migration (``seed_default_scorecard`` takes an app registry so the
migration can pass its historical models). Existing rows are never touched, so running it
again is harmless. HR adapts it by publishing a new version.
"""

from decimal import Decimal

DEFAULT_CODE = "power-service-salesperson"
DEFAULT_NAME = "电力服务销售人员考核表"

#: Dimension weights (total 100).
DIMENSIONS = (("process", "40"), ("ability", "25"), ("attitude", "10"), ("results", "25"))

#: (indicator, dimension, weight, rule kind, direction, rule parameters). Within each
#: dimension the weights total 100. Team-relative rules are used where the unit depends on
#: the company's business (amounts, counts, hours); fixed targets where a norm exists. Rates
#: are percentages (0–100), ratings and quality scores points out of 100.
ITEMS = (
    ("followup_count", "process", "20", "team_relative", "higher", {"full_at": "1.5"}),
    ("node_completion_rate", "process", "10", "target", "higher", {"target": "100"}),
    ("node_on_time_rate", "process", "15", "target", "higher", {"target": "90"}),
    ("stage_conversion_rate", "process", "10", "target", "higher", {"target": "50"}),
    ("followup_cycle", "process", "10", "team_relative", "lower", {"full_at": "1"}),
    (
        "proposal_revision_count",
        "process",
        "15",
        "target",
        "lower",
        {"target": "2", "zero_at": "6"},
    ),
    ("feedback_relay_time", "process", "10", "team_relative", "lower", {"full_at": "1"}),
    ("cross_team_interactions", "process", "10", "team_relative", "higher", {"full_at": "1.5"}),
    ("customer_feedback_rating", "ability", "40", "target", "higher", {"target": "90"}),
    ("quality_score", "ability", "40", "target", "higher", {"target": "90"}),
    ("terms_agreed_rate", "ability", "20", "target", "higher", {"target": "90"}),
    ("training_participation_rate", "attitude", "60", "target", "higher", {"target": "100"}),
    ("initiative", "attitude", "40", "team_relative", "higher", {"full_at": "1.5"}),
    (
        "contracts_signed",
        "results",
        "30",
        "bands",
        "higher",
        {"bands": [["0", "0"], ["1", "60"], ["2", "80"], ["3", "100"]]},
    ),
    ("signed_amount", "results", "30", "team_relative", "higher", {"full_at": "1.5"}),
    ("pipeline_advanced", "results", "25", "team_relative", "higher", {"full_at": "1.5"}),
    ("node_score_total", "results", "15", "team_relative", "higher", {"full_at": "1.5"}),
)


def seed_default_scorecard(apps) -> None:
    """Create the published v1 of the default scorecard unless it exists."""
    Scorecard = apps.get_model("scoring", "Scorecard")
    ScorecardDimension = apps.get_model("scoring", "ScorecardDimension")
    ScorecardItem = apps.get_model("scoring", "ScorecardItem")
    if Scorecard.objects.filter(code=DEFAULT_CODE).exists():
        return
    card = Scorecard.objects.create(
        code=DEFAULT_CODE,
        version=1,
        name=DEFAULT_NAME,
        role="salesperson",
        status="published",
        note="bundled",
    )
    ScorecardDimension.objects.bulk_create(
        ScorecardDimension(scorecard=card, dimension=dimension, weight=Decimal(weight))
        for dimension, weight in DIMENSIONS
    )
    ScorecardItem.objects.bulk_create(
        ScorecardItem(
            scorecard=card,
            indicator=code,
            dimension=dimension,
            weight=Decimal(weight),
            rule_kind=kind,
            direction=direction,
            params=params,
            order=order,
        )
        for order, (code, dimension, weight, kind, direction, params) in enumerate(ITEMS, 1)
    )
