"""What a just-written record's related lists are known to hold, so reading them is free."""

from __future__ import annotations


def known_empty(instance, *names: str) -> None:
    """Answer ``instance.<name>.all()`` with no rows, without a query, for each name.

    For a record a service has just created and whose many-to-many or reverse lists it
    left empty: they cannot hold anything yet, yet showing the record (an API answer)
    would ask the database for each. The answer is kept where a ``prefetch_related``
    keeps its own; a later ``add``/``set``/``create`` through the manager drops it.
    """
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    for name in names:
        # The related model's empty queryset: building the relation's manager just to
        # empty it would cost more than the answer saves.
        related = instance._meta.get_field(name).related_model
        rows = related._default_manager.none()
        # Filled in as a prefetch fills its own: iterating an unevaluated empty queryset
        # still compiles its whole SELECT before finding it has nothing to ask.
        rows._result_cache, rows._prefetch_done = [], True
        cache[name] = rows
