"""The records' admin-editable option lists and their bundled power-industry defaults."""

from django.utils.translation import gettext_lazy as _

from pathscore.core.options import OptionList, register_option_list

CUSTOMER_TYPE = "customer_type"
PROJECT_CATEGORY = "project_category"
FOLLOWUP_MODE = "followup_mode"

register_option_list(
    OptionList(
        kind=CUSTOMER_TYPE,
        label=_("Customer types"),
        defaults=(
            ("grid", "电网公司", "Grid company"),
            ("industrial", "工业企业", "Industrial enterprise"),
            ("new-energy", "新能源企业", "New-energy enterprise"),
            ("public", "政府及事业单位", "Government and public institution"),
            ("other", "其他", "Other"),
        ),
    )
)
register_option_list(
    OptionList(
        kind=PROJECT_CATEGORY,
        label=_("Project categories"),
        defaults=(
            ("grid-om", "电网运维", "Grid operation & maintenance"),
            ("new-energy", "新能源项目", "New-energy project"),
            ("equipment", "电力设备解决方案", "Power equipment solution"),
            ("energy-saving", "节能改造", "Energy-saving retrofit"),
        ),
    )
)
register_option_list(
    OptionList(
        kind=FOLLOWUP_MODE,
        label=_("Follow-up modes"),
        defaults=(
            ("visit", "上门拜访", "Visit"),
            ("phone", "电话沟通", "Phone call"),
            ("online", "线上会议", "Online meeting"),
            ("survey", "现场勘查", "On-site survey"),
            ("tech-exchange", "技术交流", "Technical exchange"),
            ("demo", "方案演示", "Proposal demonstration"),
            ("dinner", "商务接待", "Business reception"),
        ),
    )
)
