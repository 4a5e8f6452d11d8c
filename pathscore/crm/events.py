"""Names of the domain events the records publish (see ``pathscore.core.events``)."""

PROJECT_CREATED = "crm.project_created"
PROJECT_STATUS_CHANGED = "crm.project_status_changed"
PROJECT_HANDED_OVER = "crm.project_handed_over"
#: A project's category or customer changed (``project_update``).
PROJECT_CHANGED = "crm.project_changed"
#: A customer's type changed: every project of the customer moves with it.
CUSTOMER_CHANGED = "crm.customer_changed"
FOLLOWUP_RECORDED = "crm.followup_recorded"
#: Follow-ups of these authors were recorded, or moved in time, within a span of time:
#: ``author_ids``, ``first_at`` and ``last_at`` (aware datetimes), and ``added_only`` (True:
#: follow-ups were only added, none left a day). Published once per write, a bulk import
#: included.
FOLLOWUPS_DATED = "crm.followups_dated"
CUSTOMER_NEED_RAISED = "crm.customer_need_raised"
DOCUMENT_VERSION_UPLOADED = "crm.document_version_uploaded"
DOCUMENT_FEEDBACK_RECORDED = "crm.document_feedback_recorded"
