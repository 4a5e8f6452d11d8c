"""The evaluation's services: every write to the scoring records goes through here."""

import calendar
import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import JSONField, Max, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from pathscore.core.choices import Role
from pathscore.core.events import publish
from pathscore.core.history import record_change
from pathscore.core.scoping import scope_for
from pathscore.core.security import record_settings_change
from pathscore.scoring import engine, events, rules
from pathscore.scoring import indicators as indicator_registry
from pathscore.scoring.choices import (
    AppealState,
    Dimension,
    PeriodKind,
    PeriodState,
    RuleKind,
    ScorecardStatus,
)
from pathscore.scoring.models import (
    Adjustment,
    Appeal,
    Attendance,
    Commendation,
    CustomerRating,
    LiveScore,
    Period,
    QualityRating,
    Result,
    Scorecard,
    ScorecardDimension,
    ScorecardItem,
    TrainingCourse,
    TrainingSession,
)

# --- Scorecards ------------------------------------------------------------------------------
# HR admins keep the scorecards: a draft is edited, then published (the previous published
# version of the same code retires). Every refusal names the dimension or indicator and the
# field; a refused change saves nothing.

#: The rule parameters each kind of rule keeps (others are dropped when saving).
RULE_PARAMS = {
    RuleKind.TARGET: ("target", "floor", "zero_at"),
    RuleKind.BANDS: ("bands",),
    RuleKind.TEAM_RELATIVE: ("full_at",),
    RuleKind.PERCENTILE: (),
}


def can_edit_scorecards(user) -> bool:
    return scope_for(user).has_role(Role.HR_ADMIN)


def _require_scorecard_editor(actor) -> None:
    if not can_edit_scorecards(actor):
        raise PermissionDenied(_("Only HR admins change scorecards."))


def _require_draft(scorecard) -> None:
    if scorecard.status != ScorecardStatus.DRAFT:
        raise ValidationError(
            _("Only a draft can be changed: create a new draft of this scorecard first.")
        )


def _dimension_label(code: str) -> str:
    try:
        return str(Dimension(code).label)
    except ValueError:
        return code


def indicator_label(code: str) -> str:
    """The indicator's name as people read it (the code when it is not catalogued)."""
    try:
        return str(indicator_registry.get(code).name)
    except KeyError:
        return code


def _number(value, *, where: str, field: str, errors: list) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(
            _("%(where)s: %(field)s must be a number.") % {"where": where, "field": field}
        )
        return None
    if not number.is_finite():
        errors.append(
            _("%(where)s: %(field)s must be a number.") % {"where": where, "field": field}
        )
        return None
    return number


def _clean_params(where: str, kind: str, direction: str, params: dict, errors: list) -> dict:
    """Check one item's rule parameters; return them normalised (numbers as strings)."""
    before = len(errors)
    clean: dict = {}
    if kind not in RULE_PARAMS:
        errors.append(_("%(where)s: choose a rule.") % {"where": where})
        return clean
    if direction not in (rules.HIGHER, rules.LOWER):
        errors.append(_("%(where)s: choose a direction.") % {"where": where})
        return clean
    for name in RULE_PARAMS[kind]:
        if name == "bands":
            bands = []
            for row in params.get("bands") or []:
                threshold = _number(row[0], where=where, field=_("band threshold"), errors=errors)
                points = _number(row[1], where=where, field=_("band points"), errors=errors)
                if threshold is None or points is None:
                    if len(errors) == before:
                        errors.append(
                            _("%(where)s: every band needs a threshold and points.")
                            % {"where": where}
                        )
                    continue
                bands.append((threshold, points))
            if not bands and len(errors) == before:
                errors.append(
                    _("%(where)s: a band rule needs at least one band.") % {"where": where}
                )
            thresholds = [t for t, _p in bands]
            if thresholds != sorted(set(thresholds)):
                errors.append(_("%(where)s: band thresholds must increase.") % {"where": where})
            if any(not 0 <= p <= 100 for _t2, p in bands):
                errors.append(_("%(where)s: band points lie between 0 and 100.") % {"where": where})
            clean["bands"] = [[str(t), str(p)] for t, p in bands]
        else:
            label = {
                "target": _("target"),
                "floor": _("floor"),
                "zero_at": _("zero points at"),
                "full_at": _("full marks at"),
            }[name]
            number = _number(params.get(name), where=where, field=label, errors=errors)
            if number is not None:
                clean[name] = str(number)
    if len(errors) > before:
        return clean
    target = Decimal(clean["target"]) if "target" in clean else None
    floor = Decimal(clean.get("floor", "0"))
    zero_at = Decimal(clean["zero_at"]) if "zero_at" in clean else None
    if kind == RuleKind.TARGET:
        if target is None:
            errors.append(_("%(where)s: a target rule needs a target.") % {"where": where})
        elif direction == rules.HIGHER and target <= floor:
            errors.append(_("%(where)s: the target must be above the floor.") % {"where": where})
        elif direction == rules.LOWER and (zero_at is None or zero_at <= target):
            errors.append(
                _("%(where)s: when lower is better, zero points must lie above the target.")
                % {"where": where}
            )
    if kind == RuleKind.TEAM_RELATIVE:
        full_at = Decimal(clean.get("full_at", "1.5"))
        if full_at <= 0:
            errors.append(
                _("%(where)s: full marks must be at a positive multiple of the team average.")
                % {"where": where}
            )
    if len(errors) == before:
        try:
            rules.Rule.from_params(kind, direction, clean)
        except (rules.RuleError, InvalidOperation, KeyError, TypeError, ValueError) as error:
            errors.append(f"{where}: {error}")
    return clean


def _clean_header(*, department, role) -> None:
    if department is None and not role:
        raise ValidationError(
            {"department": _("A scorecard covers a department or a role: choose one.")}
        )
    if role and role not in Role.values:
        raise ValidationError({"role": _("Choose a valid role.")})


def scorecard_create(*, actor, code, name, department=None, role="", note="") -> Scorecard:
    """A new scorecard, as draft version 1."""
    _require_scorecard_editor(actor)
    code = (code or "").strip()
    name = (name or "").strip()
    if not code:
        raise ValidationError({"code": _("Give the scorecard a code.")})
    if not name:
        raise ValidationError({"name": _("Give the scorecard a name.")})
    if Scorecard.objects.filter(code=code).exists():
        raise ValidationError(
            {"code": _("A scorecard with the code %(code)s exists already.") % {"code": code}}
        )
    _clean_header(department=department, role=role)
    return Scorecard.objects.create(
        code=code, version=1, name=name, department=department, role=role or "", note=note
    )


def scorecard_update(*, scorecard, actor, name, department=None, role="") -> Scorecard:
    """Rename a draft or change whom it covers."""
    _require_scorecard_editor(actor)
    _require_draft(scorecard)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the scorecard a name.")})
    _clean_header(department=department, role=role)
    scorecard.name, scorecard.department, scorecard.role = name, department, role or ""
    scorecard.save()
    return scorecard


def scorecard_new_draft(*, code, actor) -> Scorecard:
    """A new draft version copying the published one (else the latest version)."""
    _require_scorecard_editor(actor)
    with transaction.atomic():
        versions = Scorecard.objects.select_for_update().filter(code=code)
        if not versions.exists():
            raise ValidationError(_("There is no scorecard %(code)s.") % {"code": code})
        if versions.filter(status=ScorecardStatus.DRAFT).exists():
            raise ValidationError(
                _("Scorecard %(code)s already has a draft: edit that one.") % {"code": code}
            )
        source = (
            versions.filter(status=ScorecardStatus.PUBLISHED).first()
            or versions.order_by("-version").first()
        )
        number = versions.aggregate(top=Max("version"))["top"] + 1
        draft = Scorecard.objects.create(
            code=code,
            version=number,
            name=source.name,
            department=source.department,
            role=source.role,
        )
        # The copies are new rows of the draft: one history row each, credited to the actor.
        bulk_create_with_history(
            [
                ScorecardDimension(scorecard=draft, dimension=d.dimension, weight=d.weight)
                for d in source.dimensions.all()
            ],
            ScorecardDimension,
            default_user=actor,
        )
        bulk_create_with_history(
            [
                ScorecardItem(
                    scorecard=draft,
                    indicator=i.indicator,
                    dimension=i.dimension,
                    weight=i.weight,
                    rule_kind=i.rule_kind,
                    direction=i.direction,
                    params=i.params,
                    order=i.order,
                )
                for i in source.items.all()
            ],
            ScorecardItem,
            default_user=actor,
        )
    return draft


def _clean_dimensions(dimensions: dict) -> dict[str, Decimal]:
    errors: list[str] = []
    clean: dict[str, Decimal] = {}
    for code, weight in dimensions.items():
        where = _dimension_label(code)
        if code not in Dimension.values:
            errors.append(_("Unknown dimension %(code)s.") % {"code": code})
            continue
        number = _number(weight, where=where, field=_("weight"), errors=errors)
        if number is None:
            continue
        if number < 0:
            errors.append(_("%(where)s: the weight cannot be negative.") % {"where": where})
        clean[code] = number
    if errors:
        raise ValidationError({"dimensions": errors})
    return clean


def _clean_items(items: list[dict]) -> list[dict]:
    errors: list[str] = []
    known = {indicator.code: indicator for indicator in indicator_registry.catalogue()}
    seen: set[str] = set()
    clean = []
    for order, item in enumerate(items):
        code = item.get("indicator") or ""
        where = indicator_label(code) if code else _("Row %(n)s") % {"n": order + 1}
        if code not in known:
            errors.append(
                _("%(where)s: choose an indicator from the catalogue.") % {"where": where}
            )
            continue
        if code in seen:
            errors.append(_("%(where)s: this indicator is listed twice.") % {"where": where})
            continue
        seen.add(code)
        dimension = item.get("dimension") or known[code].dimension
        if dimension not in Dimension.values:
            errors.append(_("%(where)s: choose a dimension.") % {"where": where})
            continue
        weight = _number(item.get("weight"), where=where, field=_("weight"), errors=errors)
        if weight is None:
            if item.get("weight") in (None, ""):
                errors.append(_("%(where)s: give a weight.") % {"where": where})
            continue
        if weight < 0:
            errors.append(_("%(where)s: the weight cannot be negative.") % {"where": where})
        kind = item.get("rule_kind") or ""
        direction = item.get("direction") or known[code].direction
        params = _clean_params(where, kind, direction, dict(item.get("params") or {}), errors)
        clean.append(
            {
                "indicator": code,
                "dimension": dimension,
                "weight": weight,
                "rule_kind": kind,
                "direction": direction,
                "params": params,
                "order": order,
            }
        )
    if errors:
        raise ValidationError({"items": errors})
    return clean


def scorecard_set_dimensions(*, scorecard, actor, dimensions: dict) -> Scorecard:
    """Replace a draft's dimension weights: ``{"process": 40, ...}``."""
    _require_scorecard_editor(actor)
    _require_draft(scorecard)
    clean = _clean_dimensions(dimensions)
    with transaction.atomic():
        _sync_rows(
            scorecard=scorecard,
            model=ScorecardDimension,
            key="dimension",
            wanted=[{"dimension": code, "weight": weight} for code, weight in clean.items()],
        )
    return scorecard


def scorecard_set_items(*, scorecard, actor, items: list[dict]) -> Scorecard:
    """Replace a draft's indicators: dicts with indicator, dimension, weight, rule_kind,
    direction and params (target/floor/zero_at, bands ``[[threshold, points]]``, full_at)."""
    _require_scorecard_editor(actor)
    _require_draft(scorecard)
    clean = _clean_items(items)
    with transaction.atomic():
        _sync_rows(scorecard=scorecard, model=ScorecardItem, key="indicator", wanted=clean)
    return scorecard


def _sync_rows(*, scorecard, model, key: str, wanted: list[dict]) -> None:
    """Make a draft's dimension or indicator rows what ``wanted`` lists, row by row.

    A row whose values did not change is left alone, a changed one is saved, a new one
    created and a dropped one deleted: each row's history then shows exactly its own
    change (weight 30 → 40), where deleting and recreating every row would show them all
    removed and added again.
    """
    current = {getattr(row, key): row for row in model.objects.filter(scorecard=scorecard)}
    keep = {values[key] for values in wanted}
    for code, row in current.items():
        if code not in keep:
            row.delete()
    for values in wanted:
        row = current.get(values[key])
        if row is None:
            model.objects.create(scorecard=scorecard, **values)
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.save()


def weight_problems(dimensions: dict, items: list[dict]) -> list[str]:
    """Readable messages (naming the dimension) for weights that do not total 100;
    ``rules.check_weights`` is the judge, these messages say where."""
    dimension_weights = {code: Decimal(str(w)) for code, w in dimensions.items()}
    item_weights: dict[str, list[Decimal]] = {}
    for item in items:
        item_weights.setdefault(item["dimension"], []).append(Decimal(str(item["weight"])))
    if not rules.check_weights(dimension_weights, item_weights):
        return []
    problems = []
    total = sum(dimension_weights.values(), Decimal(0))
    if total != 100:
        problems.append(
            _("The dimension weights total %(total)s, not 100.") % {"total": _fmt(total)}
        )
    for code in Dimension.values:
        weights = item_weights.get(code, [])
        weight = dimension_weights.get(code, Decimal(0))
        label = _dimension_label(code)
        if weights and code not in dimension_weights:
            problems.append(_("%(dimension)s has indicators but no weight.") % {"dimension": label})
        elif weights and sum(weights, Decimal(0)) != 100:
            problems.append(
                _("%(dimension)s: the indicator weights total %(total)s, not 100.")
                % {"dimension": label, "total": _fmt(sum(weights, Decimal(0)))}
            )
        elif weight > 0 and not weights:
            problems.append(
                _("%(dimension)s has a weight but no indicators.") % {"dimension": label}
            )
    if any(w < 0 for w in dimension_weights.values()) or any(
        w < 0 for ws in item_weights.values() for w in ws
    ):
        problems.append(_("Weights cannot be negative."))
    return problems or [str(p) for p in rules.check_weights(dimension_weights, item_weights)]


def _fmt(number: Decimal) -> str:
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def scorecard_save_draft(
    *, scorecard, actor, name, department=None, role="", dimensions: dict, items: list[dict]
) -> Scorecard:
    """The editor's save: header, dimensions and items together, or nothing at all.
    Weights that do not total 100 are refused here already, naming the dimension."""
    _require_scorecard_editor(actor)
    _require_draft(scorecard)
    errors: dict[str, list] = {}
    try:
        _clean_header(department=department, role=role)
    except ValidationError as error:
        errors.update(error.message_dict)
    if not (name or "").strip():
        errors.setdefault("name", []).append(_("Give the scorecard a name."))
    clean_dimensions = clean_items = None
    try:
        clean_dimensions = _clean_dimensions(dimensions)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        clean_items = _clean_items(items)
    except ValidationError as error:
        errors.update(error.message_dict)
    if clean_dimensions is not None and clean_items is not None:
        problems = weight_problems(clean_dimensions, clean_items)
        if problems:
            errors.setdefault("weights", []).extend(problems)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        scorecard_update(
            scorecard=scorecard, actor=actor, name=name, department=department, role=role
        )
        scorecard_set_dimensions(scorecard=scorecard, actor=actor, dimensions=dimensions)
        scorecard_set_items(scorecard=scorecard, actor=actor, items=items)
    return scorecard


def scorecard_problems(scorecard) -> list[str]:
    """Everything that keeps a scorecard from being published (empty when it is fine)."""
    dimensions = {d.dimension: d.weight for d in scorecard.dimensions.all()}
    items = [
        {
            "indicator": i.indicator,
            "dimension": i.dimension,
            "weight": i.weight,
            "rule_kind": i.rule_kind,
            "direction": i.direction,
            "params": i.params,
        }
        for i in scorecard.items.all()
    ]
    problems: list[str] = []
    if scorecard.department_id is None and not scorecard.role:
        problems.append(_("A scorecard covers a department or a role: choose one."))
    if not items:
        problems.append(_("Add at least one indicator."))
    try:
        _clean_items(items)
    except ValidationError as error:
        problems.extend(error.messages)
    problems.extend(weight_problems(dimensions, items))
    clash = Scorecard.objects.filter(status=ScorecardStatus.PUBLISHED).exclude(code=scorecard.code)
    if scorecard.department_id:
        clash = clash.filter(department_id=scorecard.department_id)
    else:
        clash = clash.filter(department__isnull=True, role=scorecard.role)
    other = clash.first()
    if other is not None:
        problems.append(
            _("The published scorecard %(name)s already covers the same people.")
            % {"name": other.name}
        )
    return problems


def scorecard_publish(*, scorecard, actor, note="") -> Scorecard:
    """Publish a draft: the previous published version of its code retires."""
    _require_scorecard_editor(actor)
    _require_draft(scorecard)
    problems = scorecard_problems(scorecard)
    if problems:
        raise ValidationError({"note": problems})
    with transaction.atomic():
        retired = list(
            Scorecard.objects.select_for_update().filter(
                code=scorecard.code, status=ScorecardStatus.PUBLISHED
            )
        )
        Scorecard.objects.filter(pk__in=[old.pk for old in retired]).update(
            status=ScorecardStatus.RETIRED
        )
        for old in retired:
            record_change(old)  # the UPDATE wrote no history; the retirement gets its row
        scorecard.status = ScorecardStatus.PUBLISHED
        scorecard.note = (note or "").strip()[:300]
        scorecard.published_at = timezone.now()
        scorecard.published_by = actor
        scorecard.save()
        record_settings_change(
            actor=actor,
            setting="scorecard",
            action="published",
            scorecard=scorecard.code,
            version=scorecard.version,
        )
    return scorecard


def scorecard_discard(*, scorecard, actor) -> None:
    """Throw a draft away (a published or retired version is kept for ever)."""
    _require_scorecard_editor(actor)
    _require_draft(scorecard)
    scorecard.delete()


# --- Ratings, training and commendations -----------------------------------------------------
# Who records what: a salesperson's manager (up the tree) or HR rates a salesperson for the
# customer and commends them; technical support, managers and HR rate the quality of a
# report or proposal version; HR keeps the courses; HR and managers hold sessions, name the
# people required and tick attendance (managers for their own people only).


def manages_person(actor, person) -> bool:
    """HR, or a head of a department above (or of) the person's department."""
    scope = scope_for(actor)
    if scope.has_role(Role.HR_ADMIN):
        return True
    if person is None or person.pk == actor.pk or person.department_id is None:
        return False
    path = person.department.path
    return any(path.startswith(managed) for managed in scope.managed_paths)


def can_record_ratings(user) -> bool:
    scope = scope_for(user)
    return scope.has_role(Role.HR_ADMIN) or scope.is_manager


def can_rate_quality(user) -> bool:
    scope = scope_for(user)
    return (
        bool(scope.roles & {Role.TECHNICAL_SUPPORT, Role.SALES_MANAGER, Role.HR_ADMIN})
        or scope.is_manager
    )


def can_keep_courses(user) -> bool:
    return scope_for(user).has_role(Role.HR_ADMIN)


def can_hold_training(user) -> bool:
    return can_record_ratings(user)


def _require_manages(actor, person, field="person") -> None:
    if not manages_person(actor, person):
        raise ValidationError({field: _("You may record this only for the people you manage.")})


def _require_visible(model, obj, actor, field: str) -> None:
    if obj is None or not model.objects.visible_to(actor).filter(pk=obj.pk).exists():
        raise ValidationError({field: _("Choose one you can see.")})


def _score_between(value, low, high, field, label) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(
            {field: _("%(label)s must be a whole number.") % {"label": label}}
        ) from None
    if not low <= number <= high:
        raise ValidationError(
            {
                field: _("%(label)s lies between %(low)s and %(high)s.")
                % {"label": label, "low": low, "high": high}
            }
        )
    return number


def customer_rating_create(
    *,
    actor,
    person,
    customer,
    rated_on,
    domain_knowledge,
    communication,
    project=None,
    comment="",
    source="survey",
) -> CustomerRating:
    """Record a customer's rating of a salesperson (from a survey, a call or a visit)."""
    from pathscore.crm.models import Customer, Project

    if not can_record_ratings(actor):
        raise PermissionDenied(_("Only managers and HR record customer ratings."))
    _require_manages(actor, person)
    _require_visible(Customer, customer, actor, "customer")
    if project is not None:
        _require_visible(Project, project, actor, "project")
        if project.customer_id != customer.pk:
            raise ValidationError({"project": _("The project belongs to another customer.")})
    if rated_on is None or rated_on > timezone.localdate():
        raise ValidationError({"rated_on": _("The rating date cannot be in the future.")})
    ensure_day_open(rated_on)  # a closed period's inputs are frozen
    domain_knowledge = _score_between(
        domain_knowledge, 1, 5, "domain_knowledge", _("Power-domain knowledge")
    )
    communication = _score_between(communication, 1, 5, "communication", _("Communication"))
    return CustomerRating.objects.create(
        person=person,
        customer=customer,
        project=project,
        rated_on=rated_on,
        domain_knowledge=domain_knowledge,
        communication=communication,
        comment=(comment or "").strip(),
        source=source or "survey",
        recorded_by=actor,
    )


def quality_rating_create(*, actor, version, score, comment="", rated_on=None) -> QualityRating:
    """Rate a report or proposal version 0–100, credited to whoever uploaded it."""
    from pathscore.crm.models import DocumentVersion

    if not can_rate_quality(actor):
        raise PermissionDenied(_("Only technical support, managers and HR rate quality."))
    _require_visible(DocumentVersion, version, actor, "version")
    if version.uploaded_by_id == actor.pk:
        raise ValidationError({"version": _("You cannot rate your own document.")})
    score = _score_between(score, 0, 100, "score", _("The quality score"))
    rated_on = rated_on or timezone.localdate()
    if rated_on > timezone.localdate():
        raise ValidationError({"rated_on": _("The rating date cannot be in the future.")})
    ensure_day_open(rated_on)  # a closed period's inputs are frozen
    if QualityRating.objects.filter(version=version, rated_by=actor).exists():
        raise ValidationError({"version": _("You have rated this version already.")})
    try:
        with transaction.atomic():
            return QualityRating.objects.create(
                person_id=version.uploaded_by_id,
                version=version,
                score=score,
                comment=(comment or "").strip(),
                rated_by=actor,
                rated_on=rated_on,
            )
    except IntegrityError:
        raise ValidationError({"version": _("You have rated this version already.")}) from None


def _clean_course_indicators(codes) -> list[str]:
    known = {indicator.code for indicator in indicator_registry.catalogue()}
    codes = list(dict.fromkeys(codes or []))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(
            {"indicators": _("Unknown indicators: %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    return codes


def training_course_create(
    *, actor, code, name, description="", indicators=(), is_active=True
) -> TrainingCourse:
    if not can_keep_courses(actor):
        raise PermissionDenied(_("Only HR admins keep the training courses."))
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise ValidationError({"name" if code else "code": _("This field is required.")})
    if TrainingCourse.objects.filter(code=code).exists():
        raise ValidationError(
            {"code": _("A course with the code %(code)s exists already.") % {"code": code}}
        )
    return TrainingCourse.objects.create(
        code=code,
        name=name,
        description=(description or "").strip(),
        indicators=_clean_course_indicators(indicators),
        is_active=is_active,
    )


def training_course_update(*, actor, course, **fields) -> TrainingCourse:
    if not can_keep_courses(actor):
        raise PermissionDenied(_("Only HR admins keep the training courses."))
    if "indicators" in fields:
        fields["indicators"] = _clean_course_indicators(fields["indicators"])
    if "name" in fields and not (fields["name"] or "").strip():
        raise ValidationError({"name": _("This field is required.")})
    fields.pop("code", None)  # the code is the course's stable identity
    for name, value in fields.items():
        setattr(course, name, value)
    course.save()
    return course


def training_session_create(
    *, actor, course, held_on, location="", required=(), reason=""
) -> TrainingSession:
    """A session of a course, with the people required to attend."""
    if not can_hold_training(actor):
        raise PermissionDenied(_("Only HR and managers hold training sessions."))
    if course is None or not course.is_active:
        raise ValidationError({"course": _("Choose an active course.")})
    if held_on is None:
        raise ValidationError({"held_on": _("This field is required.")})
    for person in required:
        _require_manages(actor, person, "required")
    with transaction.atomic():
        session = TrainingSession.objects.create(
            course=course, held_on=held_on, location=(location or "").strip()
        )
        bulk_create_with_history(
            [
                Attendance(session=session, person=person, assigned_by=actor, reason=reason)
                for person in dict.fromkeys(required)
            ],
            Attendance,
            default_user=actor,
        )
    return session


def training_assign(*, actor, session, person, reason="") -> Attendance:
    """Require one more person at a session (e.g. a course suggested by their score)."""
    if not can_hold_training(actor):
        raise PermissionDenied(_("Only HR and managers assign training."))
    _require_manages(actor, person)
    attendance, _created = Attendance.objects.update_or_create(
        session=session,
        person=person,
        defaults={"required": True, "assigned_by": actor, "reason": (reason or "")[:200]},
    )
    return attendance


def attendance_record(*, actor, session, attended_ids) -> int:
    """Tick who attended; only the people the actor manages change. Returns how many rows
    the actor could change."""
    if not can_hold_training(actor):
        raise PermissionDenied(_("Only HR and managers record attendance."))
    ensure_day_open(session.held_on)  # a closed period's inputs are frozen
    attended = {int(pk) for pk in attended_ids}
    rows = list(session.attendances.select_related("person__department"))
    mine = [row for row in rows if manages_person(actor, row.person)]
    strangers = attended - {row.person_id for row in mine}
    if strangers:
        raise ValidationError(
            {"attended": _("You may record attendance only for the people you manage.")}
        )
    # Only the rows whose tick changed are written, each with its one history row.
    changed = [row for row in mine if row.attended != (row.person_id in attended)]
    for row in changed:
        row.attended = row.person_id in attended
    if changed:
        bulk_update_with_history(changed, Attendance, ["attended"], default_user=actor)
    return len(mine)


def commendation_create(
    *, actor, person, title, given_on=None, text="", period=None
) -> Commendation:
    """Recognise a person's work (in a period)."""
    if not can_record_ratings(actor):
        raise PermissionDenied(_("Only managers and HR give commendations."))
    _require_manages(actor, person)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the commendation a title.")})
    given_on = given_on or timezone.localdate()
    if given_on > timezone.localdate():
        raise ValidationError({"given_on": _("The date cannot be in the future.")})
    return Commendation.objects.create(
        person=person,
        title=title,
        text=(text or "").strip(),
        period=period,
        given_by=actor,
        given_on=given_on,
    )


# --- Periods and results ---------------------------------------------------------------------
# A period is open (live scores), then closed by HR (every score frozen with its inputs and
# rule versions), then published by HR. After closing only bounded adjustments by the
# person's manager or HR, the person's acknowledgement and appeals change anything; after
# publication nothing does, except a new version that HR creates with a reason. Every state
# change is a conditional UPDATE, so two people acting at once cannot both succeed.


def is_hr(user) -> bool:
    return scope_for(user).has_role(Role.HR_ADMIN)


def _require_hr(actor, message: str) -> None:
    if not is_hr(actor):
        raise ValidationError(message, code="forbidden")


def manages_result(actor, result) -> bool:
    """HR, or the head of a department above (or of) the person's team at closing; nobody
    adjusts or resolves their own result."""
    if actor.pk == result.person_id:
        return False
    scope = scope_for(actor)
    if scope.has_role(Role.HR_ADMIN):
        return True
    department = result.department
    if department is None:
        return False
    return any(department.path.startswith(path) for path in scope.managed_paths)


def period_bounds(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The month or quarter containing ``day``."""
    if kind == PeriodKind.MONTH:
        first_month = day.month
        months = 1
    elif kind == PeriodKind.QUARTER:
        first_month = (day.month - 1) // 3 * 3 + 1
        months = 3
    else:
        raise ValueError(kind)
    last_month = first_month + months - 1
    last_day = calendar.monthrange(day.year, last_month)[1]
    return datetime.date(day.year, first_month, 1), datetime.date(day.year, last_month, last_day)


def period_default_name(kind: str, starts_on: datetime.date, ends_on: datetime.date) -> str:
    if kind == PeriodKind.MONTH:
        return _("%(year)s-%(month)02d") % {"year": starts_on.year, "month": starts_on.month}
    if kind == PeriodKind.QUARTER:
        return _("%(year)s Q%(quarter)s") % {
            "year": starts_on.year,
            "quarter": (starts_on.month - 1) // 3 + 1,
        }
    return f"{starts_on:%Y-%m-%d} – {ends_on:%Y-%m-%d}"


def _clean_period(kind, starts_on, ends_on, adjustment_bound, appeal_days, exclude=None):
    if kind not in PeriodKind.values:
        raise ValidationError({"kind": _("Choose a month, a quarter or a custom range.")})
    if starts_on is None:
        raise ValidationError({"starts_on": _("Give the first day of the period.")})
    if kind != PeriodKind.CUSTOM:
        expected = period_bounds(kind, starts_on)
        if ends_on is None:
            ends_on = expected[1]
        if (starts_on, ends_on) != expected:
            raise ValidationError(
                {
                    "starts_on": _(
                        "A month or quarter runs from its first to its last day "
                        "(here %(start)s to %(end)s)."
                    )
                    % {"start": expected[0], "end": expected[1]}
                }
            )
    if ends_on is None:
        raise ValidationError({"ends_on": _("Give the last day of the period.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The period must end on or after its first day.")})
    bound = Decimal(str(adjustment_bound))
    if not Decimal(0) <= bound <= Decimal(100):
        raise ValidationError(
            {"adjustment_bound": _("The adjustment bound lies between 0 and 100 points.")}
        )
    if int(appeal_days) < 0:
        raise ValidationError({"appeal_days": _("The days to appeal cannot be negative.")})
    overlapping = Period.objects.filter(
        kind=kind, state=PeriodState.OPEN, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude.pk)
    other = overlapping.first()
    if other is not None:
        raise ValidationError(
            {
                "starts_on": _("The open period %(name)s already covers some of these days.")
                % {"name": other.name}
            }
        )
    return ends_on, bound, int(appeal_days)


def period_create(
    *,
    actor,
    kind: str,
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    name: str = "",
    adjustment_bound=Decimal("10"),
    appeal_days: int = 7,
) -> Period:
    """Open a month, a quarter (whole calendar units) or a custom range; two open periods
    of the same kind may not overlap."""
    _require_hr(actor, _("Only HR admins open appraisal periods."))
    with transaction.atomic():
        ends_on, bound, days = _clean_period(
            kind, starts_on, ends_on, adjustment_bound, appeal_days
        )
        return Period.objects.create(
            name=(name or "").strip() or period_default_name(kind, starts_on, ends_on),
            kind=kind,
            starts_on=starts_on,
            ends_on=ends_on,
            adjustment_bound=bound,
            appeal_days=days,
        )


def ensure_period_open(period: Period) -> None:
    """Refuse any change to a closed or published period other than adjustments,
    acknowledgements and appeals (which have their own services)."""
    if period.state == PeriodState.PUBLISHED:
        raise ValidationError(
            _(
                "The period %(name)s is published: nothing in it changes. "
                "HR can create a new version with a reason."
            )
            % {"name": period.name},
            code="published",
        )
    if period.state == PeriodState.CLOSED:
        raise ValidationError(
            _(
                "The period %(name)s is closed: only adjustments, acknowledgements and "
                "appeals change it now."
            )
            % {"name": period.name},
            code="closed",
        )


def ensure_day_open(day: datetime.date) -> None:
    """Refuse a change to a record dated inside a closed or published period (its
    inputs are frozen)."""
    frozen = (
        Period.objects.filter(starts_on__lte=day, ends_on__gte=day)
        .exclude(state=PeriodState.OPEN)
        .first()
    )
    if frozen is not None:
        ensure_period_open(frozen)


def period_update(
    *, period: Period, actor, name: str, ends_on=None, adjustment_bound=None, appeal_days=None
) -> Period:
    """Rename an open period or change its end (custom), bound or appeal days."""
    _require_hr(actor, _("Only HR admins change appraisal periods."))
    ensure_period_open(period)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the period a name.")})
    with transaction.atomic():
        ends, bound, days = _clean_period(
            period.kind,
            period.starts_on,
            ends_on if ends_on is not None else period.ends_on,
            period.adjustment_bound if adjustment_bound is None else adjustment_bound,
            period.appeal_days if appeal_days is None else appeal_days,
            exclude=period,
        )
        changed = Period.objects.filter(pk=period.pk, state=PeriodState.OPEN).update(
            name=name,
            ends_on=ends,
            adjustment_bound=bound,
            appeal_days=days,
            updated_at=timezone.now(),
        )
        if changed != 1:
            raise ValidationError(_("The period has just been closed."), code="conflict")
        period.refresh_from_db()
        period.save()  # records the change in the period's history
    engine.invalidate_live(period)
    return period


def _claim_period(period: Period, *, from_state: str, message: str, **values) -> None:
    changed = Period.objects.filter(pk=period.pk, state=from_state, version=period.version).update(
        updated_at=timezone.now(), **values
    )
    if changed != 1:
        raise ValidationError(message, code="conflict")
    period.refresh_from_db()
    period.save()  # records the transition in the period's history


def rank_in_teams(results: list[Result]) -> None:
    """Competition rank (1, 2, 2, 4) by total within each team."""
    by_team: dict = {}
    for result in results:
        by_team.setdefault(result.department_id, []).append(result)
    for members in by_team.values():
        members.sort(key=lambda r: r.total, reverse=True)
        for index, result in enumerate(members):
            if index and result.total == members[index - 1].total:
                result.rank = members[index - 1].rank
            else:
                result.rank = index + 1


def _frozen_items(score) -> list[dict]:
    items = []
    for item in score.items:
        frozen = engine.to_json(item)
        frozen["auto_points"] = frozen["points"]
        items.append(frozen)
    return items


def _as_literal(items: list[dict]) -> Value:
    """The frozen items as an SQL literal for the close's one INSERT.

    Given plain values, Django inserts many rows on PostgreSQL as arrays (``UNNEST``):
    1,000 results' items (about 8 MB of JSON) then go through psycopg's Python array
    escaping, a regular expression substitution per quote. With an expression among the
    values it writes ``VALUES`` rows instead, whose JSON is quoted in C: at L the INSERT
    took 2.0–3.5 s instead of 5.9–6.1 s (0.6 s of the process's CPU instead of 1.7 s).
    """
    return Value(items, output_field=JSONField())


def period_close(*, period: Period, actor) -> Period:
    """Freeze the period: one Result per active person with a scorecard, holding every
    indicator's value, team average, percentile, points, rule and rule version, the
    dimension scores, the total and the rank in the team. Exactly once."""
    from pathscore.org.models import User

    _require_hr(actor, _("Only HR admins close appraisal periods."))
    if period.state != PeriodState.OPEN:
        ensure_period_open(period)
    with transaction.atomic():
        _claim_period(
            period,
            from_state=PeriodState.OPEN,
            message=_("The period %(name)s has been closed already.") % {"name": period.name},
            state=PeriodState.CLOSED,
            closed_at=timezone.now(),
            closed_by=actor,
        )
        people = User.objects.filter(is_active=True).values_list("pk", flat=True)
        scores = engine.evaluate(list(people), period, use_cache=False)
        results = [
            Result(
                period=period,
                version=period.version,
                person_id=score.person_id,
                department_id=score.department_id,
                scorecard_id=score.scorecard_id,
                computed_total=score.total,
                adjustment=Decimal(0),
                total=score.total,
                dimensions={
                    "scores": engine.to_json(score.dimensions),
                    "weights": engine.to_json(score.dimension_weights),
                    "team": engine.to_json(score.team_dimensions),
                    "team_size": score.team_size,
                },
                # A literal, not a plain value: see _as_literal.
                items=_as_literal(_frozen_items(score)),
            )
            for score in scores.values()
        ]
        rank_in_teams(results)
        Result.objects.bulk_create(results)
        # The frozen results are the truth from now on; the refresh skips closed periods.
        LiveScore.objects.filter(period=period).delete()
        transaction.on_commit(lambda: engine.invalidate_live(period))
        publish(
            events.PERIOD_CLOSED, period_id=period.pk, version=period.version, actor_id=actor.pk
        )
    return period


def dimension_scores(result: Result) -> dict[str, str]:
    """The result's dimension scores (as frozen, after any indicator override)."""
    return dict((result.dimensions or {}).get("scores", {}))


def _lock_current_result(result: Result) -> Result:
    fresh = (
        # Lock only the result row: PostgreSQL cannot lock the nullable side of the
        # outer join to the department.
        Result.objects.select_for_update(of=("self",))
        .select_related("period", "department", "person")
        .get(pk=result.pk)
    )
    period = fresh.period
    if period.state == PeriodState.OPEN:
        raise ValidationError(
            _("Scores of an open period are live: they can be changed once it is closed."),
            code="open",
        )
    if period.state == PeriodState.PUBLISHED:
        ensure_period_open(period)
    if fresh.version != period.version:
        raise ValidationError(
            _("This is an earlier version of the result; only the current one changes."),
            code="old_version",
        )
    return fresh


def _apply_adjustment(result: Result, *, actor, points, reason: str, indicator: str = ""):
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for the adjustment.")})
    try:
        points = Decimal(str(points)).quantize(Decimal("0.01"))
    except (ArithmeticError, ValueError):
        raise ValidationError({"points": _("The points must be a number.")}) from None
    bound = result.period.adjustment_bound
    items = [dict(item) for item in result.items]
    weights = (result.dimensions or {}).get("weights") or {
        d.dimension: str(d.weight) for d in result.scorecard.dimensions.all()
    }
    # The plain ± adjustments so far: whatever the total holds beyond the (possibly
    # overridden) indicator points.
    manual = Decimal(str(result.total)) - engine.recombine(weights, items).total
    if indicator:
        matching = [item for item in items if item["indicator"] == indicator]
        if not matching:
            raise ValidationError(
                {"indicator": _("This result has no indicator %(code)s.") % {"code": indicator}}
            )
        if not Decimal(0) <= points <= Decimal(100):
            raise ValidationError({"points": _("An indicator's points lie between 0 and 100.")})
        matching[0]["points"] = str(points)
        matching[0]["override"] = str(points)
        matching[0]["override_reason"] = reason
    else:
        if points == 0:
            raise ValidationError({"points": _("An adjustment of 0 points changes nothing.")})
        manual += points
    combined = engine.recombine(weights, items)
    total = combined.total + manual
    change = total - result.computed_total
    if abs(change) > bound:
        raise ValidationError(
            {
                "points": _(
                    "Adjustments may change a score by at most %(bound)s points in all; "
                    "this would change it by %(change)s."
                )
                % {"bound": bound, "change": f"{change:+}"}
            },
            code="beyond_bound",
        )
    if not Decimal(0) <= total <= Decimal(100):
        raise ValidationError({"points": _("The adjusted score must lie between 0 and 100.")})
    dimensions = dict(result.dimensions or {})
    dimensions["scores"] = engine.to_json(combined.dimensions)
    dimensions["weights"] = weights
    Result.objects.filter(pk=result.pk).update(
        items=items,
        dimensions=dimensions,
        total=total,
        adjustment=change,
        updated_at=timezone.now(),
    )
    adjustment = Adjustment.objects.create(
        result=result, indicator=indicator or "", points=points, reason=reason, made_by=actor
    )
    result.refresh_from_db()
    _rerank(result.period, department_id=result.department_id)
    return adjustment


def result_adjust(*, result: Result, actor, points, reason: str, indicator: str = "") -> Adjustment:
    """Change a closed (unpublished) score by ± points, or override one indicator's
    automatic points (0–100) and recombine; the changes together stay within the period's
    bound, and every one keeps its reason."""
    with transaction.atomic():
        fresh = _lock_current_result(result)
        if not manages_result(actor, fresh):
            raise ValidationError(
                _("Only the person's manager or HR adjusts a score."), code="forbidden"
            )
        adjustment = _apply_adjustment(
            fresh, actor=actor, points=points, reason=reason, indicator=indicator
        )
    result.refresh_from_db()
    return adjustment


def result_acknowledge(*, result: Result, person) -> Result:
    """The person accepts their closed result."""
    with transaction.atomic():
        fresh = _lock_current_result(result)
        if person.pk != fresh.person_id:
            raise ValidationError(
                _("Only the person assessed acknowledges a result."), code="forbidden"
            )
        if fresh.appeals.filter(state=AppealState.OPEN).exists():
            raise ValidationError(
                _("Your appeal is still open: wait for its resolution."), code="appeal_open"
            )
        changed = Result.objects.filter(pk=fresh.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now()
        )
        if changed != 1:
            raise ValidationError(_("You have acknowledged this result already."), code="conflict")
    result.refresh_from_db()
    return result


def appeal_deadline(period: Period):
    """The moment after which appeals are refused (None while the period is open)."""
    if period.closed_at is None:
        return None
    return period.closed_at + datetime.timedelta(days=period.appeal_days)


def appeal_submit(*, result: Result, person, reason: str) -> Appeal:
    """The person disputes their closed result, with a reason, before the deadline."""
    with transaction.atomic():
        fresh = _lock_current_result(result)
        if person.pk != fresh.person_id:
            raise ValidationError(
                _("Only the person assessed appeals against a result."), code="forbidden"
            )
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": _("Say why you appeal.")})
        deadline = appeal_deadline(fresh.period)
        if deadline is not None and timezone.now() > deadline:
            raise ValidationError(
                _("The deadline for appeals passed on %(deadline)s.")
                % {"deadline": timezone.localtime(deadline).strftime("%Y-%m-%d %H:%M")},
                code="deadline",
            )
        if fresh.acknowledged_at is not None:
            raise ValidationError(
                _("You have acknowledged this result: it can no longer be appealed."),
                code="acknowledged",
            )
        if fresh.appeals.filter(state=AppealState.OPEN).exists():
            raise ValidationError(_("Your appeal is already open."), code="appeal_open")
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(result=fresh, reason=reason)
        except IntegrityError:
            raise ValidationError(_("Your appeal is already open."), code="appeal_open") from None
        publish(events.APPEAL_SUBMITTED, appeal_id=appeal.pk, actor_id=person.pk)
    return appeal


def appeal_resolve(
    *, appeal: Appeal, actor, upheld: bool, resolution: str, points=None, indicator: str = ""
) -> Appeal:
    """The manager or HR upholds (optionally adjusting within the bound) or rejects an
    open appeal, saying why."""
    with transaction.atomic():
        fresh = _lock_current_result(appeal.result)
        if not manages_result(actor, fresh):
            raise ValidationError(
                _("Only the person's manager or HR resolves an appeal."), code="forbidden"
            )
        resolution = (resolution or "").strip()
        if not resolution:
            raise ValidationError({"resolution": _("Say how the appeal was resolved.")})
        if not upheld and points not in (None, ""):
            raise ValidationError(
                {"points": _("A rejected appeal changes no points.")}, code="rejected_points"
            )
        changed = Appeal.objects.filter(pk=appeal.pk, state=AppealState.OPEN).update(
            state=AppealState.UPHELD if upheld else AppealState.REJECTED,
            resolution=resolution,
            resolved_by=actor,
            resolved_at=timezone.now(),
        )
        if changed != 1:
            raise ValidationError(_("This appeal has been resolved already."), code="conflict")
        if upheld and points not in (None, ""):
            _apply_adjustment(
                fresh, actor=actor, points=points, reason=resolution, indicator=indicator
            )
        publish(events.APPEAL_RESOLVED, appeal_id=appeal.pk, actor_id=actor.pk)
    appeal.refresh_from_db()
    return appeal


def period_publish(*, period: Period, actor) -> Period:
    """HR publishes a closed period once every appeal is resolved."""
    _require_hr(actor, _("Only HR admins publish appraisal periods."))
    if period.state != PeriodState.CLOSED:
        if period.state == PeriodState.OPEN:
            raise ValidationError(_("Close the period before publishing it."), code="open")
        ensure_period_open(period)
    with transaction.atomic():
        open_appeals = Appeal.objects.filter(
            result__period=period, result__version=period.version, state=AppealState.OPEN
        ).count()
        if open_appeals:
            raise ValidationError(
                _("Resolve the %(count)s open appeal(s) before publishing.")
                % {"count": open_appeals},
                code="appeals_open",
            )
        _claim_period(
            period,
            from_state=PeriodState.CLOSED,
            message=_("The period %(name)s has been published already.") % {"name": period.name},
            state=PeriodState.PUBLISHED,
            published_at=timezone.now(),
            published_by=actor,
        )
        publish(
            events.PERIOD_PUBLISHED,
            period_id=period.pk,
            version=period.version,
            actor_id=actor.pk,
        )
    return period


def period_new_version(*, period: Period, actor, reason: str) -> Period:
    """HR reopens a published period as a new version (for adjustments and appeals, then
    publication again). The previous version's results stay as they were, so the
    difference is visible."""
    _require_hr(actor, _("Only HR admins create a new version of a period."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give a reason for the new version.")})
    if period.state != PeriodState.PUBLISHED:
        raise ValidationError(
            _("Only a published period gets a new version; change this one directly."),
            code="not_published",
        )
    previous = period.version
    with transaction.atomic():
        _claim_period(
            period,
            from_state=PeriodState.PUBLISHED,
            message=_("A new version of %(name)s has just been created.") % {"name": period.name},
            state=PeriodState.CLOSED,
            version=previous + 1,
            closed_at=timezone.now(),
            closed_by=actor,
            published_at=None,
            published_by=None,
        )
        copies = [
            Result(
                period=period,
                version=period.version,
                person_id=old.person_id,
                department_id=old.department_id,
                scorecard_id=old.scorecard_id,
                computed_total=old.computed_total,
                adjustment=old.adjustment,
                total=old.total,
                dimensions=old.dimensions,
                items=old.items,
                rank=old.rank,
                change_reason=reason[:300],
            )
            for old in Result.objects.filter(period=period, version=previous)
        ]
        Result.objects.bulk_create(copies)
    return period


def _rerank(period: Period, *, department_id=None) -> None:
    """Rank the current version's results again after adjustments changed totals."""
    results = list(
        Result.objects.filter(
            period=period, version=period.version, department_id=department_id
        ).only("pk", "total", "rank", "department_id")
    )
    before = {result.pk: result.rank for result in results}
    rank_in_teams(results)
    changed = [result for result in results if result.rank != before[result.pk]]
    Result.objects.bulk_update(changed, ["rank"])


# --- Live scores -----------------------------------------------------------------------------
# The dashboard ranks up to a thousand people by their score in the open period. Evaluating
# seventeen indicators for all of them costs as much as closing the period, so a scheduled
# job stores everyone's live score and the ranking reads those rows. A person's own score
# page still evaluates live.

log = logging.getLogger(__name__)

#: The scheduled refresh runs this often (minutes). A refresh of 1,000 people costs about
#: as much as closing their period (under a minute at scale L on a busy machine), so every
#: ten minutes keeps it under a tenth of the time, while a ranking is never much older than
#: a person's own live score (cached ``engine.LIVE_TIMEOUT``, five minutes).
LIVE_REFRESH_MINUTES = 10
#: Stored scores older than this are stale (the scheduler has missed two runs): the
#: dashboard says so and queues a refresh.
LIVE_STALE_AFTER = datetime.timedelta(minutes=LIVE_REFRESH_MINUTES * 5 // 2)
#: People evaluated together. Whole departments go into a chunk, so a team is compared
#: once; the bound keeps a refresh's memory flat whatever the company's size.
LIVE_CHUNK = 500


def live_chunks(
    people: Iterable[tuple[int, int | None]], size: int | None = None
) -> Iterator[list]:
    """Person ids in chunks of whole departments, each of at most ``size`` people
    (``LIVE_CHUNK``); a larger department is one chunk of its own."""
    size = size or LIVE_CHUNK
    by_department: dict = defaultdict(list)
    for person_id, department_id in people:
        by_department[department_id].append(person_id)
    chunk: list[int] = []
    for department_id in sorted(by_department, key=lambda pk: (pk is None, pk or 0)):
        members = by_department[department_id]
        if chunk and len(chunk) + len(members) > size:
            yield chunk
            chunk = []
        chunk.extend(members)
    if chunk:
        yield chunk


def _live_rows(period: Period, scores: dict, now) -> list[LiveScore]:
    return [
        LiveScore(
            period=period,
            person_id=score.person_id,
            scorecard_id=score.scorecard_id,
            scorecard_version=score.scorecard_version,
            total=score.total,
            dimensions=engine.to_json(score.dimensions),
            computed_at=now,
        )
        for score in scores.values()
    ]


def live_scores_refresh(period: Period) -> int:
    """Store the live score of every active person with a scorecard in the open ``period``
    and remove the rows of people no longer scored. Returns the rows written.

    Idempotent: a second run rewrites the same rows (an upsert per person). Each chunk is
    written only while the period is still open, holding the period's row, so a refresh
    racing the period's closing leaves nothing behind.
    """
    from pathscore.org.models import User

    started = timezone.now()
    people = User.objects.filter(is_active=True).order_by().values_list("pk", "department_id")
    written = 0
    for chunk in live_chunks(people):
        scores = engine.evaluate(chunk, period, use_cache=False)
        with transaction.atomic():
            still_open = (
                Period.objects.select_for_update()
                .filter(pk=period.pk, state=PeriodState.OPEN)
                .exists()
            )
            if not still_open:
                LiveScore.objects.filter(period=period).delete()
                return 0
            LiveScore.objects.bulk_create(
                _live_rows(period, scores, timezone.now()),
                update_conflicts=True,
                unique_fields=["period", "person"],
                update_fields=[
                    "scorecard",
                    "scorecard_version",
                    "total",
                    "dimensions",
                    "computed_at",
                ],
            )
        written += len(scores)
    LiveScore.objects.filter(period=period, computed_at__lt=started).delete()
    return written


def current_open_period(today: datetime.date) -> Period | None:
    """The open period covering ``today``, else the latest open one: the period whose live
    scores the dashboard ranks (and so the one the scheduled job keeps stored)."""
    periods = Period.objects.filter(state=PeriodState.OPEN)
    return (
        periods.filter(starts_on__lte=today, ends_on__gte=today).order_by("-starts_on").first()
        or periods.order_by("-starts_on").first()
    )


def live_scores_refresh_current() -> dict[int, int]:
    """Refresh the stored scores of the current open period and drop those of every other
    period (closed ones, or open ones nothing ranks any more). ``{period id: rows}``: what
    the scheduled job and ``pathscore manage refresh_live_scores`` run.

    Only the current period: at 1,000 people a refresh costs as much as closing the
    period, and older periods left open are still scored live on the score pages."""
    period = current_open_period(timezone.localdate())
    LiveScore.objects.exclude(period=period).delete()
    if period is None:
        return {}
    try:
        return {period.pk: live_scores_refresh(period)}
    except ValidationError as error:
        # A scorecard naming an indicator the catalogue lacks: the score pages explain it.
        log.warning("live scores of period %s not refreshed: %s", period.pk, error)
        return {}


def _queued_key(period: Period) -> str:
    return f"scoring:live-refresh-queued:{period.pk}"


def live_scores_request_refresh(period: Period) -> bool:
    """Queue a refresh of ``period``'s stored scores (the dashboard found none, or stale
    ones), at most once per refresh interval however many pages ask. True when queued."""
    if not cache.add(_queued_key(period), 1, LIVE_REFRESH_MINUTES * 60):
        return False
    from pathscore.scoring import tasks

    tasks.refresh_period_live_scores(period.pk)
    return True
