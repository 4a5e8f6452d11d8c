"""Names of the domain events the records publish (see ``pathscore.core.events``)."""

PROJECT_CREATED = "crm.project_created"
PROJECT_STATUS_CHANGED = "crm.project_status_changed"
PROJECT_HANDED_OVER = "crm.project_handed_over"
FOLLOWUP_RECORDED = "crm.followup_recorded"
CUSTOMER_NEED_RAISED = "crm.customer_need_raised"
DOCUMENT_VERSION_UPLOADED = "crm.document_version_uploaded"
DOCUMENT_FEEDBACK_RECORDED = "crm.document_feedback_recorded"
