"""Moving running projects from one version of a process template to a newer one.

Publishing a version never touches running projects: each keeps the version it started
with until a manager migrates it here, first looking at the plan (:func:`plan_migration`),
then applying it (:func:`apply_migration`). Nodes are matched by code. For every node of
every chosen project the plan says what will happen:

``keep``
    The node's code exists in both versions. The node instance is re-pointed at the new
    version's definition and keeps its state, dates, submissions, reviews, delay reasons
    and score (an approved node is not rescored). A node not started yet follows the new
    version's due rule when it starts.
``skip_moved``
    The code exists in both versions, the node has not started, and the new version puts
    it before the project's current node: the project has passed that point, so the node
    is marked skipped with a reason (otherwise it would never become current).
``add``
    A node new in the new version, after the current node: inserted as not started; it
    becomes current in its turn.
``add_skipped``
    A node new in the new version, before the current node (or anywhere, on a project that
    has finished its path): inserted as skipped with the reason "added by template
    migration", so the path shows it without pretending it was done.
``detach``
    A node the new version no longer has, already approved or skipped: kept as history,
    still pointing at the old version's definition, with its score.
``skip_removed``
    A node the new version no longer has, not started: marked skipped with a reason and
    kept on the path as history.

A project is **blocked** (left alone, and the plan says why) when its current node does not
exist in the new version: its owner or manager finishes or skips that node first. A project
on another version than the one being migrated from is blocked too.

Positions: the project's nodes are renumbered 1…n in the new version's order; nodes kept
only as history stay right after the node they followed before. Renumbering goes through a
temporary offset so the (project, order) constraint holds at every step.

Applying is atomic and checks that nothing changed since the plan was made: each node is
claimed with a conditional UPDATE on its revision and the project's process on its
version, so a review landing at the same moment makes the migration fail as a whole
(nothing half-migrated) with a message to preview again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pathscore.core.events import publish
from pathscore.core.scoping import scope_for
from pathscore.process import events
from pathscore.process.choices import NodeState, VersionStatus
from pathscore.process.models import NodeDefinition, NodeInstance, ProjectProcess, TemplateVersion

#: Added to every order while renumbering, far above any real position.
ORDER_OFFSET = 100_000


class Action(models.TextChoices):
    KEEP = "keep", gettext_lazy("Kept")
    SKIP_MOVED = "skip_moved", gettext_lazy("Skipped: now before the current node")
    ADD = "add", gettext_lazy("Added, not started")
    ADD_SKIPPED = "add_skipped", gettext_lazy("Added as skipped: before the current node")
    DETACH = "detach", gettext_lazy("Not in the new version: kept as history")
    SKIP_REMOVED = "skip_removed", gettext_lazy("Not in the new version: marked skipped")


#: Actions that leave the node's state as it is.
UNCHANGED_STATE = (Action.KEEP, Action.DETACH)


@dataclass
class NodeStep:
    """What happens to one node of one project."""

    action: str
    code: str
    name: str
    state_before: str | None
    state_after: str
    order_after: int = 0
    #: The existing node instance (None for a node the new version adds).
    instance: NodeInstance | None = None
    #: The definition the node points at afterwards.
    definition: NodeDefinition | None = None
    skip_reason: str = ""
    is_current: bool = False

    @property
    def action_label(self) -> str:
        return Action(self.action).label

    @property
    def state_before_label(self) -> str:
        return NodeState(self.state_before).label if self.state_before else "—"

    @property
    def state_after_label(self) -> str:
        return NodeState(self.state_after).label

    @property
    def changes_state(self) -> bool:
        return self.state_before != self.state_after


@dataclass
class ProjectPlan:
    """The plan for one project: its steps in their new order, or why it is blocked."""

    process: ProjectProcess
    steps: list[NodeStep] = field(default_factory=list)
    blocked_reason: str = ""

    @property
    def project(self):
        return self.process.project

    @property
    def ready(self) -> bool:
        return not self.blocked_reason

    def count(self, action: str) -> int:
        return sum(1 for step in self.steps if step.action == action)


@dataclass
class MigrationPlan:
    from_version: TemplateVersion
    to_version: TemplateVersion
    projects: list[ProjectPlan]

    @property
    def ready(self) -> list[ProjectPlan]:
        return [p for p in self.projects if p.ready]

    @property
    def blocked(self) -> list[ProjectPlan]:
        return [p for p in self.projects if not p.ready]

    @property
    def digest(self) -> str:
        """A fingerprint of the plan and of the rows it was made from: applying checks it,
        so what is applied is what the manager previewed."""
        parts = [f"{self.from_version.pk}>{self.to_version.pk}"]
        for plan in sorted(self.projects, key=lambda p: p.process.pk):
            parts.append(f"p{plan.process.pk}:{plan.process.version_id}:{plan.blocked_reason}")
            for step in plan.steps:
                instance = step.instance
                parts.append(
                    f"{instance.pk if instance else '+'}:{instance.revision if instance else ''}"
                    f":{step.action}:{step.order_after}:{step.code}:{step.state_after}"
                )
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


@dataclass
class MigrationResult:
    migrated: list = field(default_factory=list)
    blocked: list[ProjectPlan] = field(default_factory=list)


def can_migrate(user) -> bool:
    """Managers (their subtree's projects), HR admins and system admins migrate projects."""
    scope = scope_for(user)
    return scope.is_manager or scope.manages_org


def _check_versions(from_version: TemplateVersion, to_version: TemplateVersion) -> None:
    if from_version.template_id != to_version.template_id:
        raise ValidationError(_("Both versions must belong to the same template."))
    if to_version.status != VersionStatus.PUBLISHED:
        raise ValidationError(_("Projects can only be migrated to the published version."))
    if from_version.pk == to_version.pk:
        raise ValidationError(_("The projects are already on this version."))
    if from_version.number > to_version.number:
        raise ValidationError(_("Projects can only be migrated to a newer version."))


def _processes(projects: Iterable) -> list[ProjectProcess]:
    ids = [getattr(p, "pk", p) for p in projects]
    instances = NodeInstance.objects.select_related("definition").order_by("order")
    return list(
        ProjectProcess.objects.filter(project_id__in=ids)
        .select_related("project__owner", "project__customer", "version")
        .prefetch_related(Prefetch("project__nodes", queryset=instances, to_attr="path"))
        .order_by("project__name", "pk")
    )


def plan_migration(
    *, from_version: TemplateVersion, to_version: TemplateVersion, projects: Iterable
) -> MigrationPlan:
    """What migrating ``projects`` (Project objects or ids) from ``from_version`` to
    ``to_version`` would do, node by node. Reads only; a constant number of queries."""
    _check_versions(from_version, to_version)
    definitions = list(to_version.nodes.order_by("order"))
    plans = [
        _plan_project(process, from_version=from_version, to_version=to_version, new=definitions)
        for process in _processes(projects)
    ]
    return MigrationPlan(from_version=from_version, to_version=to_version, projects=plans)


def _plan_project(
    process: ProjectProcess,
    *,
    from_version: TemplateVersion,
    to_version: TemplateVersion,
    new: list[NodeDefinition],
) -> ProjectPlan:
    plan = ProjectPlan(process=process)
    if process.version_id != from_version.pk:
        plan.blocked_reason = _("The project is on %(version)s, not on v%(number)d.") % {
            "version": f"v{process.version.number}",
            "number": from_version.number,
        }
        return plan
    path: list[NodeInstance] = process.project.path
    attached = {n.definition.code: n for n in path if n.definition.version_id == from_version.pk}
    new_codes = [d.code for d in new]
    current = next((n for n in path if n.pk == process.current_node_id), None)
    if current is not None and current.definition.code not in new_codes:
        plan.blocked_reason = _(
            "The current node “%(node)s” (%(state)s) is not in v%(number)d: finish or skip it "
            "first."
        ) % {
            "node": current.definition.name,
            "state": current.get_state_display(),
            "number": to_version.number,
        }
        return plan
    # Where the project stands in the new version; a finished path stands after its end.
    here = new_codes.index(current.definition.code) if current is not None else len(new)
    number = to_version.number

    keyed: list[tuple[tuple, NodeStep]] = []
    for index, definition in enumerate(new):
        instance = attached.get(definition.code)
        if instance is None:
            before = index < here
            step = NodeStep(
                action=Action.ADD_SKIPPED if before else Action.ADD,
                code=definition.code,
                name=definition.name,
                state_before=None,
                state_after=NodeState.SKIPPED if before else NodeState.NOT_STARTED,
                definition=definition,
                skip_reason=_("Added by template migration to v%(number)d") % {"number": number}
                if before
                else "",
            )
        elif instance.state == NodeState.NOT_STARTED and index < here:
            step = NodeStep(
                action=Action.SKIP_MOVED,
                code=definition.code,
                name=definition.name,
                state_before=instance.state,
                state_after=NodeState.SKIPPED,
                instance=instance,
                definition=definition,
                skip_reason=_("Placed before the current node by template migration to v%(number)d")
                % {"number": number},
            )
        else:
            step = NodeStep(
                action=Action.KEEP,
                code=definition.code,
                name=definition.name,
                state_before=instance.state,
                state_after=instance.state,
                instance=instance,
                definition=definition,
                is_current=instance.pk == process.current_node_id,
            )
        keyed.append(((index, 0, 0), step))

    # Nodes the new version does not have stay right after the node they followed.
    anchor = -1
    for instance in path:
        code = instance.definition.code
        matched = instance.definition.version_id == from_version.pk and code in new_codes
        if matched:
            anchor = new_codes.index(code)
            continue
        if instance.state in (NodeState.APPROVED, NodeState.SKIPPED):
            step = NodeStep(
                action=Action.DETACH,
                code=code,
                name=instance.definition.name,
                state_before=instance.state,
                state_after=instance.state,
                instance=instance,
                definition=instance.definition,
            )
        elif instance.state == NodeState.NOT_STARTED:
            step = NodeStep(
                action=Action.SKIP_REMOVED,
                code=code,
                name=instance.definition.name,
                state_before=instance.state,
                state_after=NodeState.SKIPPED,
                instance=instance,
                definition=instance.definition,
                skip_reason=_("Removed from the template in v%(number)d") % {"number": number},
            )
        else:
            plan.blocked_reason = _(
                "The node “%(node)s” is %(state)s and is not in v%(number)d: finish or skip it "
                "first."
            ) % {
                "node": instance.definition.name,
                "state": instance.get_state_display(),
                "number": number,
            }
            return plan
        keyed.append(((anchor, 1, instance.order), step))

    keyed.sort(key=lambda item: item[0])
    for position, (_key, step) in enumerate(keyed, start=1):
        step.order_after = position
    plan.steps = [step for _key, step in keyed]
    return plan


@transaction.atomic
def apply_migration(
    *,
    from_version: TemplateVersion,
    to_version: TemplateVersion,
    projects: Iterable,
    actor=None,
    expected_digest: str | None = None,
) -> MigrationResult:
    """Migrate the projects the plan finds ready; blocked ones are left alone and reported.

    With ``expected_digest`` (the previewed plan's :attr:`MigrationPlan.digest`) nothing is
    changed unless the plan is still exactly the one previewed. All or nothing: if any node
    changes while the migration runs, the whole migration is rolled back."""
    projects = list(projects)
    if actor is not None:
        if not can_migrate(actor):
            raise ValidationError(_("Only managers and administrators migrate projects."))
        visible = set(
            ProjectProcess.objects.visible_to(actor)
            .filter(project_id__in=[getattr(p, "pk", p) for p in projects])
            .values_list("project_id", flat=True)
        )
        projects = [p for p in projects if getattr(p, "pk", p) in visible]
    plan = plan_migration(from_version=from_version, to_version=to_version, projects=projects)
    if expected_digest is not None and plan.digest != expected_digest:
        raise ValidationError(
            _("The projects changed since the preview. Look at the new plan before applying it."),
            code="stale",
        )
    result = MigrationResult(blocked=plan.blocked)
    reason = _("Template migration v%(old)d → v%(new)d") % {
        "old": from_version.number,
        "new": to_version.number,
    }
    for project_plan in plan.ready:
        _apply_project(project_plan, from_version=from_version, to_version=to_version, why=reason)
        result.migrated.append(project_plan.project)
    return result


def _stale(project_plan: ProjectPlan) -> ValidationError:
    return ValidationError(
        _("“%(project)s” changed while it was being migrated; nothing was migrated. Preview again.")
        % {"project": project_plan.project.name},
        code="conflict",
    )


def _apply_project(
    project_plan: ProjectPlan,
    *,
    from_version: TemplateVersion,
    to_version: TemplateVersion,
    why: str,
) -> None:
    process = project_plan.process
    claimed = ProjectProcess.objects.filter(pk=process.pk, version=from_version).update(
        version=to_version
    )
    if claimed != 1:
        raise _stale(project_plan)
    existing = [step for step in project_plan.steps if step.instance is not None]
    # Claim every node at the revision the plan saw, moving it out of the way of the final
    # positions at the same time.
    for step in existing:
        instance = step.instance
        changed = NodeInstance.objects.filter(pk=instance.pk, revision=instance.revision).update(
            order=F("order") + ORDER_OFFSET, revision=F("revision") + 1
        )
        if changed != 1:
            raise _stale(project_plan)
        instance.revision += 1
    for step in existing:
        instance = step.instance
        instance.order = step.order_after
        instance.definition = step.definition
        if step.state_after != instance.state:
            instance.state = step.state_after
            instance.skip_reason = step.skip_reason
        instance._change_reason = why
        instance.save()
    for step in project_plan.steps:
        if step.instance is None:
            instance = NodeInstance(
                project_id=process.project_id,
                definition=step.definition,
                order=step.order_after,
                state=step.state_after,
                skip_reason=step.skip_reason,
                # A new node has no submitter: it counts for the owner (process.credit).
                credited_to_id=process.project.owner_id,
            )
            instance._change_reason = why
            instance.save()
            step.instance = instance
    process.refresh_from_db()
    process._change_reason = why
    process.save()
    # The current node may now be another definition at another place.
    publish(events.CURRENT_NODE_CHANGED, project_id=process.project_id)
