"""Declaring and seeding admin-editable option lists.

An app declares its lists with :func:`register_option_list` (a kind, a label and the
bundled defaults); a data migration or the demo calls :func:`seed_options` so a fresh
installation works out of the box, and admins edit the lists afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction


@dataclass(frozen=True)
class OptionList:
    kind: str
    label: str
    #: (code, Chinese name, English name)
    defaults: tuple[tuple[str, str, str], ...]


_lists: dict[str, OptionList] = {}


def register_option_list(option_list: OptionList) -> OptionList:
    _lists[option_list.kind] = option_list
    return option_list


def option_lists() -> list[OptionList]:
    return list(_lists.values())


def get_option_list(kind: str) -> OptionList:
    return _lists[kind]


@transaction.atomic
def seed_options(kind: str | None = None, *, option_model=None) -> int:
    """Create the bundled entries that are missing; never touches edited ones.

    Data migrations pass their historical ``option_model``.
    """
    if option_model is None:
        from pathscore.core.models import Option as option_model

    Option = option_model
    created = 0
    for option_list in _lists.values():
        if kind and option_list.kind != kind:
            continue
        for order, (code, name, name_en) in enumerate(option_list.defaults, start=1):
            _, was_created = Option.objects.get_or_create(
                kind=option_list.kind,
                code=code,
                defaults={"name": name, "name_en": name_en, "sort_order": order * 10},
            )
            created += was_created
    return created
