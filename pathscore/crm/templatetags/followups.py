"""Template helpers of the follow-ups."""

from django import template

register = template.Library()


@register.filter
def records_followups(scope) -> bool:
    """Whether ``scope`` may record follow-ups: ``{% if user_scope|records_followups %}``."""
    from pathscore.crm.views.followups import can_record_followups

    return scope is not None and can_record_followups(scope)
