"""The process engine's API routes; each area appends its registrations."""


def register(router):
    pass
