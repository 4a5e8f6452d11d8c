"""What the records' views share: who may write records, and pages built from sections.

A record page (a project, a customer, a contact) is a header and a row of tabs. Each tab is
a :class:`Section`: a template and a function building its context. The view collects the
sections' contexts and the tab bar renders each template inside the page's context (so
context processors run once per page, not once per tab). Another part of the records adds
a tab to a page without touching the view that serves it (see ``register_project_section``
in ``projects.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pathscore.core.views import PermissionRequiredMixin
from pathscore.crm.models import Customer
from pathscore.crm.permissions import (  # noqa: F401  (the rules, where the pages look)
    RECORD_WRITER_ROLES,
    can_assign_owner,
    can_hand_over,
    can_record_followups,
    can_write_documents,
    can_write_records,
)


class RecordWriterRequiredMixin(PermissionRequiredMixin):
    """Pages that change records: refused (403) to read-only roles."""

    def allowed(self, scope):
        return can_write_records(scope)


@dataclass(frozen=True)
class Section:
    """One tab of a record page.

    ``context_fn(**kwargs)`` receives the page's object under its name (``project=``,
    ``customer=``…) and ``request=``, and returns the template's context, or ``None`` to
    leave the tab out for this viewer. A ``badge`` key in the context is shown on the tab.
    """

    key: str
    label: str
    template: str
    context_fn: Callable[..., dict | None]
    order: int = 100
    icon: str = ""


@dataclass
class SectionOnPage:
    """A section ready for the page: its template and context, rendered by the tab bar
    (``{% render_section %}``) inside the page's own context."""

    key: str
    label: str
    icon: str
    template: str
    context: dict
    badge: object = None
    active: bool = False


def collect_sections(
    sections: Iterable[Section], *, request, active: str | None = None, **objects
) -> list[SectionOnPage]:
    """Build each section's context with ``objects`` (the page's record) and ``request``;
    the section named by ``active`` (or else the first) is the tab shown first."""
    collected = []
    for section in sorted(sections, key=lambda s: (s.order, s.key)):
        context = section.context_fn(request=request, **objects)
        if context is None:
            continue
        collected.append(
            SectionOnPage(
                key=section.key,
                label=str(section.label),
                icon=section.icon,
                template=section.template,
                context={**objects, **context, "section_key": section.key},
                badge=context.get("badge"),
            )
        )
    if collected:
        chosen = next((s for s in collected if s.key == active), collected[0])
        chosen.active = True
    return collected


class SectionedDetailMixin:
    """A record page whose tabs are ``sections``: the record goes to each section's
    context function under ``context_object_name``; ``?tab=`` picks the tab shown first."""

    sections: Iterable[Section] = ()

    def get_sections(self) -> Iterable[Section]:
        return self.sections

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sections"] = collect_sections(
            self.get_sections(),
            request=self.request,
            active=self.request.GET.get("tab"),
            **{self.context_object_name: self.object},
        )
        return context


class CustomerFromQueryMixin:
    """A create form started from a customer's page (``?customer=<id>``) has that customer
    chosen, when the user may see it."""

    def get_initial(self):
        initial = super().get_initial()
        wanted = self.request.GET.get("customer", "")
        if wanted.isdigit():
            customer = Customer.objects.visible_to(self.request.user).filter(pk=wanted).first()
            if customer is not None:
                initial["customer"] = customer.pk
        return initial
