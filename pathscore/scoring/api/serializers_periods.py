"""API representations of appraisal periods, results (with the explanation of every
indicator) and appeals. Writes go through ``scoring.services``: these serializers only
check shapes."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pathscore.api import errors as api_errors
from pathscore.scoring import engine, indicators, selectors, services
from pathscore.scoring.choices import AppealState, PeriodKind, PeriodState, in_dimension_order
from pathscore.scoring.models import Adjustment, Appeal, Period, Result

POINTS = {"max_digits": 6, "decimal_places": 2}


# --- Periods ------------------------------------------------------------------------------------


class PeriodSerializer(serializers.ModelSerializer):
    appeal_deadline = serializers.SerializerMethodField()

    class Meta:
        model = Period
        fields = [
            "id",
            "name",
            "kind",
            "starts_on",
            "ends_on",
            "state",
            "version",
            "adjustment_bound",
            "appeal_days",
            "appeal_deadline",
            "closed_at",
            "closed_by",
            "published_at",
            "published_by",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_appeal_deadline(self, period):
        """When appeals stop being accepted (null while the period is open)."""
        deadline = services.appeal_deadline(period)
        return serializers.DateTimeField().to_representation(deadline) if deadline else None


class PeriodCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PeriodKind.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(
        required=False, allow_null=True, help_text="Needed for a custom range only."
    )
    name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    adjustment_bound = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
    )
    appeal_days = serializers.IntegerField(required=False, min_value=0, max_value=365)


class PeriodUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    ends_on = serializers.DateField(required=False)
    adjustment_bound = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        required=False,
        min_value=Decimal(0),
        max_value=Decimal(100),
    )
    appeal_days = serializers.IntegerField(required=False, min_value=0, max_value=365)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


# --- Results -------------------------------------------------------------------------------------


class AdjustmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Adjustment
        fields = ["id", "indicator", "points", "reason", "made_by", "made_at"]
        read_only_fields = fields


class ResultSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    department_name = serializers.CharField(
        source="department.name", read_only=True, allow_null=True, default=None
    )
    period_state = serializers.ChoiceField(
        source="period.state", choices=PeriodState.choices, read_only=True
    )
    dimension_scores = serializers.SerializerMethodField()

    class Meta:
        model = Result
        fields = [
            "id",
            "period",
            "period_state",
            "version",
            "person",
            "person_name",
            "department",
            "department_name",
            "scorecard",
            "computed_total",
            "adjustment",
            "total",
            "rank",
            "dimension_scores",
            "acknowledged_at",
            "change_reason",
        ]
        read_only_fields = fields

    @extend_schema_field(
        serializers.DictField(child=serializers.DecimalField(allow_null=True, **POINTS))
    )
    def get_dimension_scores(self, result) -> dict:
        """``{dimension: score}`` (null for a dimension that does not apply)."""
        return services.dimension_scores(result)


class ResultItemSerializer(serializers.Serializer):
    """One indicator's explanation: the value, how it compares with the team, and the rule
    (and rules version) that turned it into points. Numbers are null when the indicator
    does not apply to the person in the period."""

    indicator = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    dimension = serializers.CharField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    team_average = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    percentile = serializers.DecimalField(allow_null=True, **POINTS)
    points = serializers.DecimalField(allow_null=True, **POINTS)
    auto_points = serializers.DecimalField(allow_null=True, **POINTS)
    overridden = serializers.BooleanField()
    override_reason = serializers.CharField(allow_blank=True)
    rule_kind = serializers.CharField()
    direction = serializers.CharField()
    params = serializers.DictField()
    rule = serializers.CharField(help_text="The rule in plain words.")
    rules_version = serializers.IntegerField(allow_null=True)
    explanation = serializers.CharField(allow_blank=True)


class DimensionDetailSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    weight = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    score = serializers.DecimalField(allow_null=True, **POINTS)
    team_average = serializers.DecimalField(allow_null=True, **POINTS)


def _number(value):
    if value is None or value == "":
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))


def explained_items(result) -> list[dict]:
    """The frozen items with each indicator's name, unit and rule in words."""
    engine.load_catalogue()
    rows = []
    for item in result.items or []:
        code = item["indicator"]
        try:
            indicator = indicators.get(code)
            name, unit = str(indicator.name), str(indicator.unit)
        except KeyError:
            name, unit = code, ""
        auto = _number(item.get("auto_points"))
        points = _number(item.get("points"))
        rows.append(
            {
                **item,
                "name": name,
                "unit": unit,
                "value": _number(item.get("value")),
                "team_average": _number(item.get("team_average")),
                "percentile": _number(item.get("percentile")),
                "points": points,
                "auto_points": auto,
                "overridden": auto != points,
                "override_reason": item.get("override_reason", ""),
                "params": item.get("params") or {},
                "rule": selectors.describe_rule(
                    item.get("rule_kind", ""), item.get("direction", ""), item.get("params"), unit
                ),
                "rules_version": item.get("rules_version"),
                "explanation": item.get("explanation", ""),
            }
        )
    return rows


class ResultDetailSerializer(ResultSerializer):
    """A result with its explanation: every dimension against the team and every
    indicator's value, team average, percentile, points, rule and rules version."""

    dimensions = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    team_size = serializers.SerializerMethodField()
    adjustments = AdjustmentSerializer(many=True, read_only=True)
    appeals = serializers.SerializerMethodField()

    class Meta(ResultSerializer.Meta):
        fields = [
            *ResultSerializer.Meta.fields,
            "team_size",
            "dimensions",
            "items",
            "adjustments",
            "appeals",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_team_size(self, result):
        return (result.dimensions or {}).get("team_size")

    @extend_schema_field(DimensionDetailSerializer(many=True))
    def get_dimensions(self, result) -> list[dict]:
        frozen = result.dimensions or {}
        scores, team = frozen.get("scores", {}), frozen.get("team", {})
        return DimensionDetailSerializer(
            [
                {
                    "dimension": code,
                    "weight": _number(weight),
                    "score": _number(scores.get(code)),
                    "team_average": _number(team.get(code)),
                }
                for code, weight in in_dimension_order(frozen.get("weights") or {})
            ],
            many=True,
        ).data

    @extend_schema_field(ResultItemSerializer(many=True))
    def get_items(self, result) -> list[dict]:
        return ResultItemSerializer(explained_items(result), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_appeals(self, result) -> list[int]:
        """The ids of the result's appeals (``/api/v1/appeals/<id>/``)."""
        return [appeal.pk for appeal in result.appeals.all()]


class AdjustSerializer(serializers.Serializer):
    points = serializers.DecimalField(
        help_text="± points on the total, or an indicator's new points (0–100) when "
        "`indicator` is given.",
        **POINTS,
    )
    reason = serializers.CharField(max_length=2000)
    indicator = serializers.CharField(max_length=40, required=False, allow_blank=True)


# --- Appeals -------------------------------------------------------------------------------------


class AppealSerializer(serializers.ModelSerializer):
    person = serializers.IntegerField(source="result.person_id", read_only=True)
    person_name = serializers.CharField(source="result.person.name", read_only=True)
    period = serializers.IntegerField(source="result.period_id", read_only=True)
    version = serializers.IntegerField(source="result.version", read_only=True)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "result",
            "person",
            "person_name",
            "period",
            "version",
            "reason",
            "state",
            "submitted_at",
            "resolution",
            "resolved_by",
            "resolved_at",
        ]
        read_only_fields = fields


class AppealResolveSerializer(serializers.Serializer):
    UPHOLD, REJECT = "uphold", "reject"

    decision = serializers.ChoiceField(choices=[UPHOLD, REJECT])
    resolution = serializers.CharField(max_length=2000)
    points = serializers.DecimalField(
        required=False,
        allow_null=True,
        help_text="With an upheld appeal: ± points, or the indicator's new points.",
        **POINTS,
    )
    indicator = serializers.CharField(max_length=40, required=False, allow_blank=True)


# --- Errors --------------------------------------------------------------------------------------


#: HTTP 400/403/404: ``errors`` names each refused field with its messages (the API's one
#: error body).
RefusalSerializer = api_errors.ErrorSerializer


class PeriodConflictSerializer(serializers.Serializer):
    """HTTP 409: the period (or the result's period) is not in a state that allows this."""

    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    current_state = serializers.ChoiceField(
        choices=PeriodState.choices, help_text="The period's state now."
    )


class AppealConflictSerializer(PeriodConflictSerializer):
    """HTTP 409 on an appeal: resolved already, or the period no longer allows it."""

    appeal_state = serializers.ChoiceField(
        choices=AppealState.choices, help_text="The appeal's state now."
    )


# --- Suggested training -------------------------------------------------------------------------


class WeakIndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2)
    share = serializers.DecimalField(
        max_digits=8, decimal_places=4, help_text="The indicator's share of the total, in %."
    )


class SuggestedSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="session.pk")
    held_on = serializers.DateField(source="session.held_on")
    location = serializers.CharField(source="session.location")
    assigned = serializers.BooleanField(help_text="The person is required there already.")


class SuggestedCourseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="course.pk")
    code = serializers.CharField(source="course.code")
    name = serializers.CharField(source="course.name")
    helps = serializers.SerializerMethodField()
    sessions = SuggestedSessionSerializer(many=True)

    def get_helps(self, suggestion) -> list[str]:
        return [indicator.code for indicator in suggestion.helps]


class TrainingSuggestionsSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    weakest = WeakIndicatorSerializer(many=True)
    courses = SuggestedCourseSerializer(many=True)
