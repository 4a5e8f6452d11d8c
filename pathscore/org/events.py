"""Names of the domain events the organisation publishes (see ``pathscore.core.events``)."""

#: A person's roles changed (``user_create``, ``user_update``): ``user_id``, and the role
#: codes ``added`` and ``removed``.
ROLES_CHANGED = "org.roles_changed"
