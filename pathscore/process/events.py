"""Names of the domain events the process engine publishes."""

NODE_SUBMITTED = "process.node_submitted"
NODE_APPROVED = "process.node_approved"
NODE_RETURNED = "process.node_returned"
DELAY_REASON_GIVEN = "process.delay_reason_given"
TASK_CREATED = "process.task_created"
TASK_DONE = "process.task_done"
