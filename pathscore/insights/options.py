"""The insights' admin-editable option list: what a manager did about an alert."""

from django.utils.translation import gettext_lazy as _

from pathscore.core.options import OptionList, register_option_list

INTERVENTION_KIND = "intervention_kind"

register_option_list(
    OptionList(
        kind=INTERVENTION_KIND,
        label=_("Intervention kinds"),
        defaults=(
            ("coached", "辅导", "Coached"),
            ("called-customer", "致电客户", "Called the customer"),
            ("pushed-tech", "督促技术团队", "Pushed the technical team"),
            ("joint-visit", "陪同拜访", "Joint visit"),
            ("other", "其他", "Other"),
        ),
    )
)
