"""Template tags of the record pages."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def render_section(context, section):
    """Render a tab's template (a ``SectionOnPage``) inside the page's context, with the
    section's own context on top, as ``{% include %}`` would."""
    section_template = context.template.engine.get_template(section.template)
    with context.push(section.context):
        return section_template.render(context)
