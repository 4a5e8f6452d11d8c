"""Huey tasks of the import: thin wrappers named after the services they call."""

from huey.contrib.djhuey import db_task

from pathscore.transfer import services


@db_task()
def batch_check(batch_id: int):
    """Check an uploaded file's rows; idempotent (the batch is claimed first)."""
    return services.batch_check(batch_id=batch_id)


@db_task()
def batch_write(batch_id: int):
    """Write a confirmed file's rows, all or none; idempotent (the batch is claimed first)."""
    return services.batch_write(batch_id=batch_id)
