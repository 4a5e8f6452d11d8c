"""Names of the domain events the process engine publishes."""

NODE_SUBMITTED = "process.node_submitted"
NODE_APPROVED = "process.node_approved"
NODE_RETURNED = "process.node_returned"
#: A project's current node changed: its process started, a node was approved or
#: skipped and the next one became current (or none), or a template migration moved it.
CURRENT_NODE_CHANGED = "process.current_node_changed"
#: Published once per node and due date, when the reminder job first finds it overdue.
NODE_OVERDUE = "process.node_overdue"
DELAY_REASON_GIVEN = "process.delay_reason_given"
TASK_CREATED = "process.task_created"
TASK_DONE = "process.task_done"
