"""Template tags of appraisal periods: the response panel on a person's score page."""

from django import template

from pathscore.scoring import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def result_response(context):
    """What the viewer may do about the frozen result on this score page (acknowledge,
    appeal, adjust, resolve) and its history, or None for a live score or no result."""
    score = context.get("score")
    request = context.get("request")
    if not score or score.get("live") or score.get("result") is None or request is None:
        return None
    result = score["result"]
    period = context.get("period")
    if period is not None and period.pk == result.period_id:
        result.period = period  # already loaded by the page
    return selectors.result_response(result, request.user)
