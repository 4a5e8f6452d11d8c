from django import template
from django.utils.http import urlencode

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes):
    """The current query string with some parameters replaced (None removes one)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    params.pop("page", None) if "page" not in changes else None
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"


@register.simple_tag(takes_context=True)
def sort_link(context, column_name, current):
    """The query string that sorts by ``column_name``, toggling the direction."""
    new = f"-{column_name}" if current == column_name else column_name
    return query_with(context, sort=new)


@register.filter
def field_type(bound_field):
    return bound_field.field.widget.__class__.__name__
