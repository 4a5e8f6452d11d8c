"""Every model of the product either keeps a field-level history or is exempt, with a reason.

The test walks every concrete model of Pathscore's apps, so a model added later without
``history = HistoricalRecords()`` fails here until it gets a history or an entry below
(docs/security.md, point 5).
"""

from __future__ import annotations

from django.apps import apps
from simple_history.models import HistoricalChanges

#: Models that keep no history of their own, each with why. Two kinds are exempt by rule
#: and not listed: the history tables themselves, and many-to-many through tables (a
#: many-to-many change is kept in the history of the model that declares the field).
EXEMPT: dict[str, str] = {
    # Logs: append-only, each row is itself the record of an event.
    "core.SecurityEvent": "the security log: append-only, save() refuses updates",
    "notify.Notification": "a person's inbox, written by the system; only read_at changes",
    "notify.WebhookDelivery": "the delivery log of webhooks, written by the delivery job",
    "process.ReminderLog": "job bookkeeping: which reminder went out, so none goes twice",
    # Sessions and credentials.
    "org.ApiToken": (
        "a credential, not business data: creation and revocation are in the security log, "
        "and last_used_at changes on every call"
    ),
    "org.RoleGrant": (
        "a user's roles: each change is in the security log (roles_changed, with the new "
        "roles, who and when)"
    ),
    # Append-only records that carry their own who and when.
    "crm.ProjectHandover": (
        "append-only record of a hand-over (from, to, by whom, when, why); the project's own "
        "history keeps the owner change"
    ),
    "process.Submission": (
        "one row per attempt, carrying who submitted and who reviewed, when; the node's "
        "history keeps each review's outcome"
    ),
    "scoring.Adjustment": "append-only, carries who made it, when and why",
    "scoring.Appeal": (
        "carries who appealed and who resolved it, when and how; resolved once, by a claim"
    ),
    "scoring.Commendation": "created once with who gave it and when; never edited",
    # Derived, recomputed or job-maintained rows.
    "insights.ActiveProjectCount": (
        "derived: recomputed from the projects by every write that moves one, and rebuilt nightly"
    ),
    "insights.FollowUpDayCount": (
        "derived: recounted from the follow-ups by every write that records or moves one, and "
        "rebuilt nightly; the follow-ups keep their own history"
    ),
    "process.StallThreshold": "derived: a daily job recomputes every row from approved nodes",
    "scoring.Result": (
        "a frozen snapshot of a closed period; a change is a new version row with its reason"
    ),
    "insights.Alert": (
        "written by the detection job at every run (measured, detected_at); a person's "
        "resolution carries who and when, and interventions keep their own history"
    ),
    "insights.FiguresSnapshot": (
        "derived: the company dashboard's figures, rewritten from the raw rows every ten "
        "minutes; the records behind them keep their own history"
    ),
    "scoring.LiveScore": (
        "derived: the periodic job rewrites every row from the engine; the records behind a "
        "score keep their own history"
    ),
    "transfer.ImportBatch": (
        "job bookkeeping of an upload; the records it imports keep their own history"
    ),
}

PROJECT_APPS = {"core", "org", "crm", "process", "scoring", "insights", "notify", "transfer"}


def _project_models():
    for config in apps.get_app_configs():
        if not config.name.startswith("pathscore."):
            continue
        for model in config.get_models(include_auto_created=True):
            if model._meta.proxy or model._meta.abstract:
                continue
            yield model


def _has_history(model) -> bool:
    return getattr(model._meta, "simple_history_manager_attribute", None) is not None


def _is_exempt_by_rule(model) -> bool:
    return issubclass(model, HistoricalChanges) or model._meta.auto_created


def test_the_walk_sees_every_app_of_the_product():
    seen = {model._meta.app_label for model in _project_models()}
    assert seen >= PROJECT_APPS


def test_every_model_has_a_history_or_a_reason():
    missing = [
        model._meta.label
        for model in _project_models()
        if not _has_history(model)
        and not _is_exempt_by_rule(model)
        and model._meta.label not in EXEMPT
    ]
    assert not missing, (
        "These models keep no history: add `history = HistoricalRecords()` (excluding "
        f"secrets) or an entry with a reason in EXEMPT: {missing}"
    )


def test_the_exemptions_are_current():
    """An exempt model that was removed, or that got a history since, leaves the list."""
    by_label = {model._meta.label: model for model in _project_models()}
    stale = [label for label in EXEMPT if label not in by_label or _has_history(by_label[label])]
    assert not stale, stale
    assert all(reason.strip() for reason in EXEMPT.values())


def test_the_configuration_records_have_a_history():
    for label in (
        "core.Option",
        "notify.Webhook",
        "org.DepartmentRobot",
        "process.DelayCategory",
        "process.TemplateVersion",
        "process.NodeDefinition",
        "process.AutomationRule",
        "scoring.ScorecardDimension",
        "scoring.ScorecardItem",
        "scoring.TrainingCourse",
        "scoring.TrainingSession",
        "scoring.Attendance",
    ):
        assert _has_history(apps.get_model(label)), label


def test_secrets_stay_out_of_the_history():
    webhook_history = apps.get_model("notify.Webhook").history.model
    robot_history = apps.get_model("org.DepartmentRobot").history.model
    assert "secret" not in {f.name for f in webhook_history._meta.fields}
    assert "url" not in {f.name for f in robot_history._meta.fields}
    user_history = apps.get_model("org.User").history.model
    assert "password" not in {f.name for f in user_history._meta.fields}
