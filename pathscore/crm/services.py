"""Writes to the records: customers, contacts, projects, follow-ups, documents, contracts.

Every service is keyword-only and atomic, checks that the actor may see what they touch
(a foreign object is "not found", never "forbidden"), and publishes domain events after
commit so higher apps (the process engine) can react without the records knowing them.

The ``*_update`` services take the ``expected_revision`` the caller loaded: a record
someone else saved in the meantime is refused with ``StaleRevision`` (nothing is saved).
Every other write to those records moves their revision on too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from pathscore.core.choices import Role
from pathscore.core.concurrency import claim_revision
from pathscore.core.events import publish
from pathscore.core.history import record_change
from pathscore.core.models import Option
from pathscore.core.permissions import require_write
from pathscore.core.related import known_empty
from pathscore.core.scoping import loaded_visible_to, scope_for
from pathscore.crm import active, chain, events, joint, options
from pathscore.crm.choices import MilestoneKind, ProjectStatus, TermState
from pathscore.crm.models import (
    Contact,
    ContractMilestone,
    ContractTerm,
    Customer,
    CustomerNeed,
    Document,
    DocumentVersion,
    FollowUp,
    Project,
    ProjectHandover,
)
from pathscore.crm.permissions import can_hand_over
from pathscore.crm.signer import signer_of
from pathscore.crm.uploads import check_upload
from pathscore.org.models import User

#: A follow-up may be dated a little ahead (time zones, clock drift) but not into the future.
FUTURE_TOLERANCE = timedelta(hours=1)
#: Earlier "when"s are typos (years before 1900 do not even have a sensible UTC offset).
EARLIEST_FOLLOWUP = datetime(2000, 1, 1, tzinfo=UTC)


class DuplicateCustomerError(ValidationError):
    """Another customer has the same credit code; ``existing`` is it, ``visible`` says
    whether the actor may open it."""

    def __init__(self, message, *, existing: Customer, visible: bool):
        super().__init__({"credit_code": [message]})
        self.existing = existing
        self.visible = visible


def _require_visible(model, obj, actor, field: str):
    """Refuse an object the actor may not see, naming the field as if it did not exist."""
    if obj is None or loaded_visible_to(obj, actor):
        return obj
    if not model.objects.visible_to(actor).filter(pk=obj.pk).exists():
        raise ValidationError(
            {field: _("Select a valid choice. That choice is not one of the available choices.")}
        )
    return obj


def _require_option(option: Option, kind: str, field: str) -> Option:
    if option is None or option.kind != kind or not option.is_active:
        raise ValidationError({field: _("Choose an active entry of the list.")})
    return option


def _check_owner(actor: User, owner: User | None, field: str = "owner") -> User:
    """The actor themselves, or someone they manage (managers, HR)."""
    if owner is None or owner.pk == actor.pk:
        return actor
    scope = scope_for(actor)
    if not scope.sees_all_records and not (
        scope.is_manager
        and owner.department_id
        and any(owner.department.path.startswith(p) for p in scope.managed_paths)
    ):
        raise ValidationError({field: _("You can only assign records to people you manage.")})
    if not owner.is_active:
        raise ValidationError({field: _("%(name)s is deactivated.") % {"name": owner.name}})
    return owner


# --- Customers -----------------------------------------------------------------------------


def _check_credit_code(actor: User, credit_code: str | None, exclude_pk=None) -> str | None:
    code = (credit_code or "").strip().upper() or None
    if code is None:
        return None
    existing = (
        Customer.objects.filter(credit_code=code)
        .exclude(pk=exclude_pk)
        .select_related("owner__department")
        .first()
    )
    if existing is not None:
        visible = Customer.objects.visible_to(actor).filter(pk=existing.pk).exists()
        if visible:
            message = _("A customer with this credit code already exists: %(name)s.") % {
                "name": existing.name
            }
        else:
            department = existing.owner.department.name if existing.owner.department_id else "—"
            message = _(
                "This credit code is already registered to a customer held by %(department)s."
            ) % {"department": department}
        raise DuplicateCustomerError(message, existing=existing, visible=visible)
    return code


@transaction.atomic
def customer_create(
    *,
    actor: User,
    name: str,
    customer_type: Option,
    credit_code: str | None = None,
    region: str = "",
    address: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    owner: User | None = None,
    notes: str = "",
) -> Customer:
    """Create a customer; a second customer with the same credit code is refused."""
    require_write(actor, Customer)
    customer = Customer(
        name=name.strip(),
        customer_type=_require_option(customer_type, options.CUSTOMER_TYPE, "customer_type"),
        credit_code=_check_credit_code(actor, credit_code),
        region=region,
        address=address,
        latitude=latitude,
        longitude=longitude,
        owner=_check_owner(actor, owner),
        notes=notes,
    )
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def customer_update(
    *, customer: Customer, actor: User, expected_revision: int | None = None, **fields
) -> Customer:
    """Change a customer's fields (the owner only by someone who manages the new owner)."""
    require_write(actor, Customer)
    claim_revision(customer, expected=expected_revision, actor=actor)
    if "customer_type" in fields:
        _require_option(fields["customer_type"], options.CUSTOMER_TYPE, "customer_type")
    if "credit_code" in fields:
        fields["credit_code"] = _check_credit_code(actor, fields["credit_code"], customer.pk)
    if "owner" in fields and fields["owner"] != customer.owner:
        fields["owner"] = _check_owner(actor, fields["owner"])
    type_changed = (
        "customer_type" in fields
        and getattr(fields["customer_type"], "pk", fields["customer_type"])
        != customer.customer_type_id
    )
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.full_clean()
    customer.save()
    if type_changed:
        publish(events.CUSTOMER_CHANGED, customer_id=customer.pk, actor_id=actor.pk)
    return customer


# --- Contacts ------------------------------------------------------------------------------


@transaction.atomic
def contact_create(*, actor: User, customer: Customer, name: str, **fields) -> Contact:
    """Add a person at a customer the actor can see."""
    require_write(actor, Contact)
    _require_visible(Customer, customer, actor, "customer")
    contact = Contact(customer=customer, name=name.strip(), **fields)
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, actor: User, expected_revision: int | None = None, **fields
) -> Contact:
    """Change a person's details at a customer the actor can see."""
    require_write(actor, Contact)
    claim_revision(contact, expected=expected_revision, actor=actor)
    if "customer" in fields:
        _require_visible(Customer, fields["customer"], actor, "customer")
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save()
    return contact


# --- Projects ------------------------------------------------------------------------------


@transaction.atomic
def project_create(
    *,
    actor: User,
    customer: Customer,
    name: str,
    category: Option,
    owner: User | None = None,
    estimated_amount: Decimal | None = None,
    expected_sign_date: date | None = None,
    started_on: date | None = None,
    description: str = "",
    external_code: str = "",
) -> Project:
    """Open a sales opportunity with a customer the actor can see."""
    require_write(actor, Project)
    _require_visible(Customer, customer, actor, "customer")
    started_on = started_on or timezone.localdate()
    if expected_sign_date and expected_sign_date < started_on:
        raise ValidationError(
            {"expected_sign_date": _("The expected signing date cannot be before the start.")}
        )
    if estimated_amount is not None and estimated_amount < 0:
        raise ValidationError({"estimated_amount": _("The amount cannot be negative.")})
    project = Project(
        customer=customer,
        name=name.strip(),
        category=_require_option(category, options.PROJECT_CATEGORY, "category"),
        owner=_check_owner(actor, owner),
        estimated_amount=estimated_amount,
        expected_sign_date=expected_sign_date,
        started_on=started_on,
        description=description,
        external_code=(external_code or "").strip(),
    )
    # No milestone yet: a contract signed now would count for the owner (crm.signer).
    project.signed_by = project.owner
    project.full_clean()
    project.save()
    publish(events.PROJECT_CREATED, project_id=project.pk, actor_id=actor.pk)
    return project


_PROJECT_EDITABLE = {
    "name",
    "category",
    "estimated_amount",
    "expected_sign_date",
    "description",
    "customer",
    "external_code",
}


@transaction.atomic
def project_update(
    *, project: Project, actor: User, expected_revision: int | None = None, **fields
) -> Project:
    """Change a project's descriptive fields; status and owner have their own services."""
    require_write(actor, Project)
    unknown = set(fields) - _PROJECT_EDITABLE
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %s") % ", ".join(sorted(unknown))
        )
    claim_revision(project, expected=expected_revision, actor=actor)
    if "category" in fields:
        _require_option(fields["category"], options.PROJECT_CATEGORY, "category")
    if "customer" in fields:
        _require_visible(Customer, fields["customer"], actor, "customer")
    for name, value in fields.items():
        setattr(project, name, value)
    if project.expected_sign_date and project.expected_sign_date < project.started_on:
        raise ValidationError(
            {"expected_sign_date": _("The expected signing date cannot be before the start.")}
        )
    moved = {"category", "customer"} & set(fields)
    project.full_clean()
    project.save()
    if moved:
        publish(events.PROJECT_CHANGED, project_id=project.pk, actor_id=actor.pk)
    return project


@transaction.atomic
def project_set_status(
    *,
    project: Project,
    actor: User,
    status: str,
    reason: str = "",
    signed_amount: Decimal | None = None,
    signed_on: date | None = None,
) -> Project:
    """Mark a project won (amount and date), lost or paused (with a reason), or active."""
    require_write(actor, Project)
    status = ProjectStatus(status)
    reason = (reason or "").strip()
    today = timezone.localdate()
    if status == ProjectStatus.WON:
        errors = {}
        if signed_amount is None or signed_amount <= 0:
            errors["signed_amount"] = _("Enter the signed amount.")
        if signed_on is None:
            errors["signed_on"] = _("Enter the signing date.")
        elif signed_on > today:
            errors["signed_on"] = _("The signing date cannot be in the future.")
        elif signed_on < project.started_on:
            errors["signed_on"] = _("The signing date cannot be before the project started.")
        if errors:
            raise ValidationError(errors)
        project.signed_amount, project.signed_on, project.closed_on = (
            signed_amount,
            signed_on,
            signed_on,
        )
    elif status in (ProjectStatus.LOST, ProjectStatus.PAUSED):
        if not reason:
            raise ValidationError({"reason": _("Say why the project was lost or paused.")})
        project.closed_on = today if status == ProjectStatus.LOST else None
    else:
        project.closed_on = None
    claim_revision(project, actor=actor)
    project.status = status
    project.status_reason = reason if status != ProjectStatus.WON else ""
    project._change_reason = reason
    project.save()
    # The follow-up cycle counts gaps on active projects: its follow-ups say so (crm.active).
    active.reflag_project(project)
    publish(
        events.PROJECT_STATUS_CHANGED, project_id=project.pk, status=str(status), actor_id=actor.pk
    )
    return project


@transaction.atomic
def project_hand_over(
    *, project: Project, actor: User, new_owner: User, reason: str
) -> ProjectHandover:
    """A manager hands a project to another owner; the hand-over is kept with its reason.

    Records keep their authors: the previous owner still sees the follow-ups and
    documents they wrote (credit follows the doer).
    """
    if not can_hand_over(scope_for(actor)):
        raise PermissionDenied(_("Only a manager or HR can hand a project over."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the project is handed over.")})
    if new_owner.pk == project.owner_id:
        raise ValidationError(
            {"new_owner": _("%(name)s already owns the project.") % {"name": new_owner.name}}
        )
    _check_owner(actor, new_owner, field="new_owner")
    if not new_owner.has_role(Role.SALESPERSON) and not new_owner.has_role(Role.SALES_MANAGER):
        raise ValidationError({"new_owner": _("Projects can only be handed to sales staff.")})
    handover = ProjectHandover.objects.create(
        project=project,
        from_owner_id=project.owner_id,
        to_owner=new_owner,
        handed_over_by=actor,
        reason=reason.strip(),
    )
    claim_revision(project, actor=actor)
    project.owner = new_owner
    project.signed_by_id = signer_of(project)
    project._change_reason = reason.strip()
    project.save()
    publish(
        events.PROJECT_HANDED_OVER,
        project_id=project.pk,
        from_owner_id=handover.from_owner_id,
        to_owner_id=new_owner.pk,
        actor_id=actor.pk,
    )
    return handover


# --- Follow-ups ----------------------------------------------------------------------------


def _clean_followup(
    *,
    actor: User,
    project: Project | None,
    customer: Customer | None,
    occurred_at: datetime,
    mode: Option,
    content: str,
    contacts: Iterable[Contact],
    participants: Iterable[User],
    next_action: str,
    next_action_date: date | None,
    visibility_checked: bool = False,
) -> tuple[Customer, list[Contact], list[User]]:
    # ``visibility_checked``: the caller has checked, in bulk, that the actor sees the
    # project or customer (followup_create_many); every other check still runs here.
    errors: dict[str, list[str]] = {}
    if project is not None:
        if not visibility_checked:
            _require_visible(Project, project, actor, "project")
        if customer is not None and customer.pk != project.customer_id:
            errors["customer"] = [_("The project belongs to another customer.")]
        if customer is None or customer.pk != project.customer_id:
            customer = project.customer
        # else the caller's customer is the project's, already loaded: no second read
    elif customer is None:
        errors["project"] = [_("Choose a project or a customer.")]
    elif not visibility_checked:
        _require_visible(Customer, customer, actor, "customer")
    # Every problem is reported at once, so a form shows them all in one round.
    if mode is None:
        errors["mode"] = [_("Choose how the customer was contacted.")]
    else:
        try:
            _require_option(mode, options.FOLLOWUP_MODE, "mode")
        except ValidationError as error:
            errors.update(error.message_dict)
    if not (content or "").strip():
        errors["content"] = [_("Describe what was discussed.")]
    if occurred_at is None:
        errors["occurred_at"] = [_("Enter when it happened.")]
    elif occurred_at > timezone.now() + FUTURE_TOLERANCE:
        errors["occurred_at"] = [_("A follow-up cannot be recorded in the future.")]
    elif occurred_at < EARLIEST_FOLLOWUP:
        errors["occurred_at"] = [_("Enter a time in the year 2000 or later.")]
    contacts = list(contacts)
    if customer is not None and any(c.customer_id != customer.pk for c in contacts):
        errors["contacts"] = [_("Every contact must work at the follow-up's customer.")]
    participants = [p for p in participants if p.pk != actor.pk]
    if any(not p.is_active for p in participants):
        errors["participants"] = [_("Deactivated people cannot take part.")]
    next_action = (next_action or "").strip()
    if next_action_date and not next_action:
        errors["next_action"] = [_("Say what the next action is.")]
    if next_action and not next_action_date:
        errors["next_action_date"] = [_("Plan a date for the next action.")]
    if next_action_date and occurred_at and next_action_date < timezone.localdate(occurred_at):
        errors["next_action_date"] = [_("The next action cannot be planned before the follow-up.")]
    if errors:
        raise ValidationError(errors)
    return customer, contacts, participants


@transaction.atomic
def followup_create(
    *,
    actor: User,
    occurred_at: datetime,
    mode: Option,
    content: str,
    project: Project | None = None,
    customer: Customer | None = None,
    participants: Iterable[User] = (),
    contacts: Iterable[Contact] = (),
    needs: Iterable[str] = (),
    next_action: str = "",
    next_action_date: date | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    location_accuracy: float | None = None,
    client_key: uuid.UUID | None = None,
    external_id: str = "",
) -> FollowUp:
    """Record a follow-up by ``actor``. The same ``client_key`` twice saves it once."""
    require_write(actor, FollowUp)
    customer, contacts, participants = _clean_followup(
        actor=actor,
        project=project,
        customer=customer,
        occurred_at=occurred_at,
        mode=mode,
        content=content,
        contacts=contacts,
        participants=participants,
        next_action=next_action,
        next_action_date=next_action_date,
    )
    followup = FollowUp(
        customer=customer,
        project=project,
        author=actor,
        occurred_at=occurred_at,
        mode=mode,
        content=content.strip(),
        next_action=(next_action or "").strip(),
        next_action_date=next_action_date,
        latitude=latitude,
        longitude=longitude,
        location_accuracy=location_accuracy,
        client_key=client_key,
        external_id=(external_id or "").strip(),
        joint=joint.is_joint(participants),
        project_active=active.is_active(project),
    )
    # _clean_followup checked the related rows (they are loaded, visible objects), so the
    # fields' own rules need no existence query each; the external ID's uniqueness is
    # checked only when there is one (a query and two savepoints on every API call else).
    followup.full_clean(
        exclude=["client_key", "customer", "project", "author", "mode"],
        validate_constraints=bool(followup.external_id),
    )
    try:
        with transaction.atomic():
            followup.save()
    except IntegrityError:
        # The key was saved before (a double tap, a retried sync, or a twin that raced
        # this one): answer with that follow-up. The unique key finds it, so a new
        # follow-up (nearly every call) needs no query asking first.
        existing = FollowUp.objects.filter(client_key=client_key).first() if client_key else None
        if existing is None:
            raise
        if existing.author_id != actor.pk:
            raise ValidationError(_("This form was already submitted by someone else.")) from None
        return existing
    # The previous follow-up's time, here and on the one after it (crm.chain).
    chain.relink([followup.project_id])
    publish(
        events.FOLLOWUPS_DATED,
        author_ids=[actor.pk],
        first_at=followup.occurred_at,
        last_at=followup.occurred_at,
        added_only=True,
    )
    # A new follow-up has no participants or contacts yet: setting none costs queries.
    if participants:
        followup.participants.set(participants)
    if contacts:
        followup.contacts.set(contacts)
    texts = [text.strip()[:200] for text in needs if text and text.strip()]
    if texts:
        bulk_create_with_history(
            [CustomerNeed(followup=followup, text=t) for t in texts], CustomerNeed
        )
    # Whoever shows the new follow-up (the API's answer) reads its lists; the empty ones
    # are known to be empty, so they are not asked for.
    known_empty(
        followup,
        *(
            name
            for name, given in (("participants", participants), ("contacts", contacts))
            if not given
        ),
        *(() if texts else ("needs",)),
    )
    publish(
        events.FOLLOWUP_RECORDED,
        followup_id=followup.pk,
        project_id=followup.project_id,
        actor_id=actor.pk,
        needs=len(texts),
    )
    if texts:
        publish(
            events.CUSTOMER_NEED_RAISED,
            followup_id=followup.pk,
            project_id=followup.project_id,
            actor_id=actor.pk,
            raised_at=followup.occurred_at.isoformat(),
        )
    return followup


class FollowUpEntryError(ValidationError):
    """An entry of :func:`followup_create_many` was refused; ``index`` says which one."""

    def __init__(self, error: ValidationError, *, index: int):
        super().__init__(error.error_dict if hasattr(error, "error_dict") else error.error_list)
        self.index = index


def _visible_ids(model, user: User, ids: set[int]) -> set[int]:
    visible: set[int] = set()
    ordered = sorted(ids)
    # Chunks keep each query below SQLite's limit on query parameters.
    for start in range(0, len(ordered), 900):
        chunk = ordered[start : start + 900]
        visible.update(
            model.objects.visible_to(user).filter(pk__in=chunk).values_list("pk", flat=True)
        )
    return visible


@transaction.atomic
def followup_create_many(
    *, entries: Iterable[dict], recorded_by: User, batch_size: int = 1000
) -> list[FollowUp]:
    """Record many follow-ups at once (an import of another CRM's history).

    Each entry holds :func:`followup_create`'s arguments, its ``actor`` being the author;
    participants, contacts, needs and client keys are not taken. Every entry gets the checks
    of ``followup_create`` — whether its author may see the project or customer is asked
    once per author for all entries — then the rows and their history rows (naming
    ``recorded_by``) are inserted ``batch_size`` at a time, and FOLLOWUP_RECORDED goes out
    for each after commit. Saving them one by one costs about twenty queries each, far too
    many for fifty thousand rows (docs/architecture.md). The first refused entry raises
    FollowUpEntryError, and nothing is saved.
    """
    from simple_history.utils import bulk_create_with_history

    entries = list(entries)
    authors = {entry["actor"].pk: entry["actor"] for entry in entries}
    for author in authors.values():
        require_write(author, FollowUp)
    seen_projects, seen_customers = {}, {}
    for author in authors.values():
        mine = [e for e in entries if e["actor"].pk == author.pk]
        seen_projects[author.pk] = _visible_ids(
            Project, author, {e["project"].pk for e in mine if e.get("project") is not None}
        )
        seen_customers[author.pk] = _visible_ids(
            Customer,
            author,
            {e["customer"].pk for e in mine if e.get("project") is None and e.get("customer")},
        )
    external_ids = [e.get("external_id", "").strip() for e in entries if e.get("external_id")]
    taken = set()
    for start in range(0, len(external_ids), 900):
        taken.update(
            FollowUp.objects.filter(external_id__in=external_ids[start : start + 900]).values_list(
                "external_id", flat=True
            )
        )
    not_visible = _("Select a valid choice. That choice is not one of the available choices.")
    followups = []
    for index, entry in enumerate(entries):
        author, project = entry["actor"], entry.get("project")
        try:
            if project is not None and project.pk not in seen_projects[author.pk]:
                raise ValidationError({"project": [not_visible]})
            customer = entry.get("customer")
            if (
                project is None
                and customer is not None
                and customer.pk not in seen_customers[author.pk]
            ):
                raise ValidationError({"customer": [not_visible]})
            customer, _contacts, _participants = _clean_followup(
                actor=author,
                project=project,
                customer=customer,
                occurred_at=entry.get("occurred_at"),
                mode=entry.get("mode"),
                content=entry.get("content", ""),
                contacts=(),
                participants=(),
                next_action=entry.get("next_action", ""),
                next_action_date=entry.get("next_action_date"),
                visibility_checked=True,
            )
            external_id = (entry.get("external_id") or "").strip()
            if external_id and external_id in taken:
                raise ValidationError(
                    {"external_id": [_("Another follow-up has this external ID.")]}
                )
            taken.add(external_id)
            followup = FollowUp(
                customer=customer,
                project=project,
                author=author,
                occurred_at=entry["occurred_at"],
                mode=entry["mode"],
                content=entry["content"].strip(),
                next_action=(entry.get("next_action") or "").strip(),
                next_action_date=entry.get("next_action_date"),
                external_id=external_id,
                project_active=active.is_active(project),
            )
            # The related rows were checked above; the fields' own rules need no query.
            followup.clean_fields(exclude=["customer", "project", "author", "mode", "client_key"])
        except ValidationError as error:
            raise FollowUpEntryError(error, index=index) from None
        followups.append(followup)
    created = bulk_create_with_history(
        followups,
        FollowUp,
        batch_size=batch_size,
        default_user=recorded_by,
        default_date=timezone.now(),
    )
    # The previous follow-up's times of every chain the rows joined: one UPDATE per 500
    # projects (crm.chain).
    chain.relink(followup.project_id for followup in followups)
    if followups:
        # One event for the whole batch (its authors, its first and last times), not one
        # per row: whoever keeps counts per day recounts the span once.
        times = [followup.occurred_at for followup in followups]
        publish(
            events.FOLLOWUPS_DATED,
            author_ids=sorted(authors),
            first_at=min(times),
            last_at=max(times),
            added_only=True,
        )
    for followup in created:
        publish(
            events.FOLLOWUP_RECORDED,
            followup_id=followup.pk,
            project_id=followup.project_id,
            actor_id=followup.author_id,
            needs=0,
        )
    return created


@transaction.atomic
def followup_update(
    *,
    followup: FollowUp,
    actor: User,
    participants: Iterable[User] | None = None,
    contacts: Iterable[Contact] | None = None,
    expected_revision: int | None = None,
    **fields,
) -> FollowUp:
    """Correct a follow-up. Only its author may (credit and accountability follow the doer)."""
    require_write(actor, FollowUp)
    if followup.author_id != actor.pk:
        raise ValidationError(_("Only the person who recorded a follow-up can change it."))
    claim_revision(followup, expected=expected_revision, actor=actor)
    checked = (
        "project",
        "customer",
        "occurred_at",
        "mode",
        "content",
        "next_action",
        "next_action_date",
    )
    merged = {name: fields.get(name, getattr(followup, name)) for name in checked}
    customer, contacts_list, participants_list = _clean_followup(
        actor=actor,
        contacts=contacts if contacts is not None else followup.contacts.all(),
        participants=participants if participants is not None else followup.participants.all(),
        **merged,
    )
    moved_from = followup.project_id
    was_at, was_by = followup.occurred_at, followup.author_id
    for name, value in fields.items():
        setattr(followup, name, value)
    followup.customer = customer
    if participants is not None:
        followup.joint = joint.is_joint(participants_list)
    if "project" in fields:
        followup.project_active = active.is_active(followup.project)
    if followup.project_id is None:
        # Out of every chain: no previous follow-up, nothing planned (crm.chain).
        followup.previous_at, followup.planned = None, False
    followup.full_clean(exclude=["client_key"])
    followup.save()
    # A new time, project or next action moves the follow-up within its chain or to
    # another one: both projects' chains are recomputed (crm.chain).
    chain.relink([moved_from, followup.project_id])
    if followup.occurred_at != was_at or followup.author_id != was_by:
        # It left one day and joined another: both, and the days between, are recounted.
        publish(
            events.FOLLOWUPS_DATED,
            author_ids=sorted({was_by, followup.author_id}),
            first_at=min(was_at, followup.occurred_at),
            last_at=max(was_at, followup.occurred_at),
            added_only=False,
        )
    if participants is not None:
        followup.participants.set(participants_list)
    if contacts is not None:
        followup.contacts.set(contacts_list)
    return followup


@transaction.atomic
def followup_complete_next_action(*, followup: FollowUp, actor: User) -> bool:
    """Tick off a follow-up's next action; True if this call did it (idempotent)."""
    require_write(actor, FollowUp)
    _require_visible(FollowUp, followup, actor, "followup")
    if followup.author_id != actor.pk and (
        followup.project is None or followup.project.owner_id != actor.pk
    ):
        raise ValidationError(_("Only the author or the project owner can complete this action."))
    done = FollowUp.objects.filter(pk=followup.pk, next_action_done_at__isnull=True).update(
        next_action_done_at=timezone.now(), revision=F("revision") + 1
    )
    if done == 1:
        record_change(followup)
    else:
        followup.refresh_from_db(fields=["next_action_done_at", "revision"])
    return done == 1


@transaction.atomic
def need_mark_handled(*, need: CustomerNeed, actor: User, handled: bool = True) -> CustomerNeed:
    """Mark a customer need handled (or open again)."""
    require_write(actor, CustomerNeed)
    _require_visible(CustomerNeed, need, actor, "need")
    need.handled_at = timezone.now() if handled else None
    need.handled_by = actor if handled else None
    need.save()
    return need


# --- Documents -----------------------------------------------------------------------------


@transaction.atomic
def document_create(
    *, actor: User, project: Project, kind: str, title: str, file, change_note: str = ""
) -> DocumentVersion:
    """Create a document on a project with its first version (V1)."""
    require_write(actor, Document)
    _require_visible(Project, project, actor, "project")
    checked = _checked(file)
    document = Document(project=project, kind=kind, title=title.strip(), created_by=actor)
    document.full_clean()
    document._history_user = actor
    document.save()
    return _store_version(
        document=document, actor=actor, file=file, checked=checked, change_note=change_note
    )


def _checked(file):
    try:
        return check_upload(file)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from None


@transaction.atomic
def document_add_version(
    *, actor: User, document: Document, file, change_note: str = ""
) -> DocumentVersion:
    """Upload the next version of a document (V2, V3, …), checked before anything is stored."""
    require_write(actor, Document)
    _require_visible(Project, document.project, actor, "document")
    checked = _checked(file)
    if not (change_note or "").strip():
        raise ValidationError({"change_note": _("Say what changed in this version.")})
    return _store_version(
        document=document, actor=actor, file=file, checked=checked, change_note=change_note
    )


def _store_version(*, document, actor, file, checked, change_note) -> DocumentVersion:
    # Claim the next number with one UPDATE so two uploads never get the same one.
    Document.objects.filter(pk=document.pk).update(version_count=F("version_count") + 1)
    number = Document.objects.values_list("version_count", flat=True).get(pk=document.pk)
    document.version_count = number
    version = DocumentVersion(
        document=document,
        number=number,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        change_note=(change_note or "").strip(),
        uploaded_by=actor,
    )
    version.file.save(checked.original_name, file, save=False)
    stored_name = version.file.name
    version._history_user = actor
    try:
        version.save()
    except Exception:
        version.file.storage.delete(stored_name)
        raise
    publish(
        events.DOCUMENT_VERSION_UPLOADED,
        version_id=version.pk,
        document_id=document.pk,
        project_id=document.project_id,
        kind=document.kind,
        number=number,
        actor_id=actor.pk,
    )
    return version


@transaction.atomic
def version_record_feedback(
    *, actor: User, version: DocumentVersion, feedback: str, feedback_on: date | None = None
) -> DocumentVersion:
    """Record the customer's feedback on a version (e.g. "客户反馈：成本过高").

    Only someone who may see the project records it: after a hand-over the previous owner
    still reads the versions they uploaded, but the customer relationship is no longer theirs.
    """
    require_write(actor, DocumentVersion)
    _require_visible(DocumentVersion, version, actor, "version")
    _require_visible(Project, version.document.project, actor, "version")
    feedback = (feedback or "").strip()
    if not feedback:
        raise ValidationError({"feedback": _("Enter the customer's feedback.")})
    feedback_on = feedback_on or timezone.localdate()
    if feedback_on > timezone.localdate():
        raise ValidationError({"feedback_on": _("The feedback date cannot be in the future.")})
    if feedback_on < timezone.localdate(version.uploaded_at):
        raise ValidationError(
            {"feedback_on": _("Feedback cannot predate the version it is about.")}
        )
    version.customer_feedback = feedback
    version.feedback_on = feedback_on
    version.feedback_recorded_by = actor
    version._history_user = actor
    version.save()
    publish(
        events.DOCUMENT_FEEDBACK_RECORDED,
        version_id=version.pk,
        document_id=version.document_id,
        project_id=version.document.project_id,
        kind=version.document.kind,
        feedback_on=feedback_on.isoformat(),
        actor_id=actor.pk,
    )
    return version


# --- Contract negotiation ------------------------------------------------------------------


@transaction.atomic
def term_create(
    *,
    actor: User,
    project: Project,
    topic: str,
    description: str,
    state: str = TermState.OPEN,
    note: str = "",
) -> ContractTerm:
    """Add a contract term under negotiation."""
    require_write(actor, ContractTerm)
    _require_visible(Project, project, actor, "project")
    term = ContractTerm(
        project=project,
        topic=topic,
        description=description.strip(),
        state=state,
        note=note,
        updated_by=actor,
    )
    term.full_clean()
    term._history_user = actor
    term.save()
    return term


@transaction.atomic
def term_update(
    *, term: ContractTerm, actor: User, expected_revision: int | None = None, **fields
) -> ContractTerm:
    """Change a term or its state (open / disputed / agreed); history keeps each change."""
    require_write(actor, ContractTerm)
    _require_visible(ContractTerm, term, actor, "term")
    claim_revision(term, expected=expected_revision, actor=actor)
    for name, value in fields.items():
        if name not in {"topic", "description", "state", "note"}:
            raise ValidationError(_("This field cannot be changed: %s") % name)
        setattr(term, name, value)
    term.updated_by = actor
    term.full_clean()
    term._history_user = actor
    term.save()
    return term


#: The order milestones happen in; a later one cannot be dated before an earlier one.
MILESTONE_ORDER = [
    MilestoneKind.INTERNAL_REVIEW,
    MilestoneKind.CUSTOMER_LEGAL_REVIEW,
    MilestoneKind.AWAITING_SIGNATURE,
    MilestoneKind.SIGNED,
]


@transaction.atomic
def milestone_record(
    *,
    actor: User,
    project: Project,
    kind: str,
    reached_on: date,
    note: str = "",
    signed_amount: Decimal | None = None,
) -> ContractMilestone:
    """Record (or correct) the date a contract milestone was reached.

    Dates must follow the milestones' order. Recording "signed" wins the project, so it
    needs the signed amount.
    """
    require_write(actor, ContractMilestone)
    _require_visible(Project, project, actor, "project")
    kind = MilestoneKind(kind)
    if reached_on > timezone.localdate():
        raise ValidationError({"reached_on": _("A milestone cannot be reached in the future.")})
    position = MILESTONE_ORDER.index(kind)
    for other in ContractMilestone.objects.filter(project=project).exclude(kind=kind):
        other_position = MILESTONE_ORDER.index(MilestoneKind(other.kind))
        if other_position < position and other.reached_on > reached_on:
            raise ValidationError(
                {
                    "reached_on": _("%(this)s cannot be before %(other)s (%(date)s).")
                    % {
                        "this": kind.label,
                        "other": other.get_kind_display(),
                        "date": other.reached_on,
                    }
                }
            )
        if other_position > position and other.reached_on < reached_on:
            raise ValidationError(
                {
                    "reached_on": _("%(this)s cannot be after %(other)s (%(date)s).")
                    % {
                        "this": kind.label,
                        "other": other.get_kind_display(),
                        "date": other.reached_on,
                    }
                }
            )
    if kind == MilestoneKind.SIGNED and project.status != ProjectStatus.WON:
        try:
            project_set_status(
                project=project,
                actor=actor,
                status=ProjectStatus.WON,
                signed_amount=signed_amount,
                signed_on=reached_on,
            )
        except ValidationError as error:
            if "signed_on" in getattr(error, "error_dict", {}):
                raise ValidationError({"reached_on": error.error_dict["signed_on"]}) from None
            raise
    milestone = ContractMilestone.objects.filter(project=project, kind=kind).first()
    if milestone is None:
        milestone = ContractMilestone(project=project, kind=kind)
    milestone.reached_on = reached_on
    milestone.note = (note or "").strip()
    milestone.recorded_by = actor
    milestone._history_user = actor
    milestone.save()
    if kind == MilestoneKind.SIGNED and project.signed_by_id != actor.pk:
        # Whoever records the signing is credited with the contract (crm.signer).
        Project.objects.filter(pk=project.pk).update(signed_by=actor)
        project.signed_by = actor
    return milestone
