"""The bundled power-industry process templates, option lists and delay categories.

They make a fresh installation useful on day one; admins edit them afterwards (a changed
template becomes a new version, so seeding never overwrites an admin's work).
"""

from django.utils.translation import gettext_lazy as _

from pathscore.core.options import OptionList, register_option_list

TASK_KIND = "task_kind"

register_option_list(
    OptionList(
        kind=TASK_KIND,
        label=_("Hand-off task kinds"),
        defaults=(
            ("proposal-design", "方案设计", "Proposal design"),
            ("proposal-revision", "方案调整", "Proposal revision"),
            ("tech-question", "技术答疑", "Technical question"),
            ("site-survey", "现场勘查支持", "Site survey support"),
            ("quotation", "报价测算", "Quotation costing"),
        ),
    )
)

#: (code, Chinese name, English name, attribution)
DELAY_CATEGORIES = (
    ("customer-data", "客户未提供完整资料", "Customer did not provide complete data", "customer"),
    ("customer-decision", "客户内部决策推迟", "Customer's internal decision postponed", "customer"),
    ("customer-budget", "客户预算审批延迟", "Customer's budget approval delayed", "customer"),
    ("tech-team", "技术团队响应延迟", "Technical team responded late", "internal"),
    ("internal-review", "内部评审延迟", "Internal review delayed", "internal"),
    ("sales-workload", "销售人员工作安排", "Salesperson's own scheduling", "salesperson"),
    ("policy", "政策或电价调整", "Policy or tariff change", "external"),
    ("weather", "天气或不可抗力", "Weather or force majeure", "external"),
)

_REQUIREMENT_FIELDS = [
    {"name": "power_load", "label": "用电负荷", "type": "text", "required": True},
    {"name": "existing_equipment", "label": "现有设备情况", "type": "text", "required": True},
    {"name": "demand_forecast", "label": "未来3年需求预测", "type": "text", "required": True},
]

STANDARD_NODES = [
    {
        "code": "first-visit",
        "name": "首次拜访",
        "guidance": "与客户关键人建立联系，了解项目背景、决策链和初步需求。",
        "fields": [
            {"name": "key_contact", "label": "关键联系人", "type": "text", "required": True},
            {"name": "visit_date", "label": "拜访日期", "type": "date", "required": True},
        ],
        "checklist": ["已确认客户决策链", "已记录跟进记录"],
        "required_document_kinds": [],
        "deliverable_templates": ["followup-record"],
        "due_rule": "after_start",
        "due_days": 14,
        "base_score": "10",
        "stall_days": 21,
    },
    {
        "code": "requirement-report",
        "name": "需求分析报告提交",
        "guidance": "报告须包含客户的用电负荷、现有设备情况和未来3年需求预测。",
        "fields": _REQUIREMENT_FIELDS,
        "checklist": ["报告已与客户技术负责人核对"],
        "required_document_kinds": ["requirement_report"],
        "deliverable_templates": ["requirement-report"],
        "due_rule": "after_previous",
        "due_days": 14,
        "base_score": "20",
        "stall_days": 30,
    },
    {
        "code": "proposal-demo",
        "name": "方案演示",
        "guidance": "向客户演示技术方案，记录参会人和客户的反馈。",
        "fields": [{"name": "attendees", "label": "客户参会人", "type": "text", "required": True}],
        "checklist": ["方案已经技术支持审核", "已记录客户反馈"],
        "required_document_kinds": ["proposal"],
        "deliverable_templates": [],
        "due_rule": "after_previous",
        "due_days": 21,
        "base_score": "20",
        "reviewer_role": "manager",
        "stall_days": 30,
    },
    {
        "code": "feedback-handling",
        "name": "客户反馈处理",
        "guidance": "将客户反馈传递给技术团队，完成方案调整并再次确认。",
        "fields": [
            {"name": "feedback_summary", "label": "客户反馈要点", "type": "text", "required": True},
            {
                "name": "customer_confirmed",
                "label": "客户是否确认调整后方案",
                "type": "choice",
                "required": True,
                "choices": ["是", "否"],
            },
        ],
        "checklist": ["已创建方案调整任务"],
        "required_document_kinds": [],
        "deliverable_templates": [],
        "due_rule": "after_previous",
        "due_days": 14,
        "base_score": "15",
        "stall_days": 30,
    },
    {
        "code": "contract-negotiation",
        "name": "合同谈判",
        "guidance": "逐条确认合同条款；争议条款须写明双方立场。",
        "fields": [
            {
                "name": "contract_amount",
                "label": "合同金额（万元）",
                "type": "number",
                "required": True,
            }
        ],
        "checklist": ["价格条款已确认", "付款条款已确认", "质保条款已确认"],
        "required_document_kinds": ["contract_draft"],
        "deliverable_templates": [],
        "due_rule": "after_previous",
        "due_days": 30,
        "base_score": "15",
        "stall_days": 45,
    },
    {
        "code": "contract-signing",
        "name": "合同签订",
        "guidance": "完成客户法务审核与签字盖章，录入签约金额和日期。",
        "fields": [{"name": "signed_date", "label": "签订日期", "type": "date", "required": True}],
        "checklist": ["合同原件已归档"],
        "required_document_kinds": [],
        "deliverable_templates": [],
        "due_rule": "after_previous",
        "due_days": 21,
        "base_score": "20",
        "stall_days": 30,
    },
]

NEW_ENERGY_EXTRA = {
    "first-visit": [
        {
            "code": "site-survey",
            "name": "现场勘查",
            "guidance": "勘查屋顶/场地条件、接入点和配电设施，拍照留档。",
            "fields": [
                {
                    "name": "usable_area",
                    "label": "可用面积（平方米）",
                    "type": "number",
                    "required": True,
                },
                {"name": "grid_access", "label": "并网接入点", "type": "text", "required": True},
            ],
            "checklist": ["已拍摄现场照片", "已核对配电房设备铭牌"],
            "required_document_kinds": [],
            "deliverable_templates": [],
            "due_rule": "after_previous",
            "due_days": 10,
            "base_score": "10",
            "stall_days": 21,
        }
    ],
    "requirement-report": [
        {
            "code": "pv-capacity",
            "name": "光伏电站装机容量分析",
            "guidance": "根据可用面积、日照和负荷曲线测算装机容量与自发自用比例。",
            "fields": [
                {
                    "name": "capacity_kwp",
                    "label": "建议装机容量（kWp）",
                    "type": "number",
                    "required": True,
                },
                {
                    "name": "self_use_ratio",
                    "label": "自发自用比例（%）",
                    "type": "number",
                    "required": True,
                },
            ],
            "checklist": ["已使用近12个月负荷数据"],
            "required_document_kinds": ["technical_proposal"],
            "deliverable_templates": [],
            "due_rule": "after_previous",
            "due_days": 14,
            "base_score": "15",
            "reviewer_role": "technical_support",
            "stall_days": 30,
        },
        {
            "code": "storage-assessment",
            "name": "储能系统需求评估",
            "guidance": "评估峰谷价差、需量电费和备用需求，给出储能容量与充放电策略建议。",
            "fields": [
                {
                    "name": "storage_kwh",
                    "label": "建议储能容量（kWh）",
                    "type": "number",
                    "required": True,
                },
                {
                    "name": "strategy",
                    "label": "充放电策略",
                    "type": "choice",
                    "required": True,
                    "choices": ["峰谷套利", "需量管理", "备用电源"],
                },
            ],
            "checklist": [],
            "required_document_kinds": [],
            "deliverable_templates": [],
            "due_rule": "after_previous",
            "due_days": 14,
            "base_score": "15",
            "reviewer_role": "technical_support",
            "stall_days": 30,
        },
    ],
}


def new_energy_nodes():
    nodes = []
    for node in STANDARD_NODES:
        nodes.append(node)
        nodes.extend(NEW_ENERGY_EXTRA.get(node["code"], []))
    return nodes


#: (code, name, description, customer type codes, category codes, nodes)
TEMPLATES = (
    (
        "power-service",
        "电力服务标准流程",
        "首次拜访 → 需求分析报告提交 → 方案演示 → 客户反馈处理 → 合同谈判 → 合同签订",
        (),
        (),
        STANDARD_NODES,
    ),
    (
        "new-energy",
        "新能源项目流程",
        "在标准流程中加入现场勘查、光伏电站装机容量分析和储能系统需求评估。",
        (),
        ("new-energy",),
        new_energy_nodes(),
    ),
)

#: Bundled automation: (name, event, node code, document kind, task kind code, due days)
AUTOMATION_RULES = (
    ("需求报告通过后安排方案设计", "node_approved", "requirement-report", "", "proposal-design", 5),
    ("客户对方案有反馈时安排方案调整", "document_feedback", "", "proposal", "proposal-revision", 5),
    ("客户提出新需求时安排技术答疑", "customer_need", "", "", "tech-question", 3),
)
