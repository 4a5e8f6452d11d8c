"""The demo company's records: customers, contacts, projects, follow-ups, proposals and
contract negotiations, spread over the last months so every screen has something real.

Everything goes through the services, exactly as a user's input would.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from pathscore.core.models import Option
from pathscore.crm import options, services
from pathscore.crm.choices import (
    DecisionRole,
    DocumentKind,
    MilestoneKind,
    ProjectStatus,
    TermState,
    TermTopic,
)
from pathscore.crm.models import ContractTerm
from pathscore.crm.validators import CREDIT_CODE_ALPHABET, credit_code_check_character

REGIONS = {
    "sales-east": [
        ("江苏", "南京", "320100"),
        ("江苏", "苏州", "320500"),
        ("浙江", "杭州", "330100"),
        ("浙江", "宁波", "330200"),
        ("上海", "上海", "310100"),
    ],
    "sales-north": [
        ("北京", "北京", "110100"),
        ("天津", "天津", "120100"),
        ("河北", "石家庄", "130100"),
        ("河北", "唐山", "130200"),
        ("山西", "太原", "140100"),
    ],
    "sales-southwest": [
        ("四川", "成都", "510100"),
        ("四川", "绵阳", "510700"),
        ("重庆", "重庆", "500100"),
        ("云南", "昆明", "530100"),
        ("贵州", "贵阳", "520100"),
    ],
}

NAME_PATTERNS = {
    "grid": ["{city}供电局", "{city}城区供电中心", "{city}配电运维中心", "{city}电力调度中心"],
    "industrial": [
        "{city}{word}钢铁有限公司",
        "{city}{word}化工集团有限公司",
        "{city}{word}水泥股份有限公司",
        "{city}{word}汽车零部件有限公司",
        "{city}{word}造纸有限公司",
    ],
    "new-energy": [
        "{word}光伏电力开发有限公司",
        "{word}储能科技有限公司",
        "{word}风电运营有限公司",
        "{city}{word}新能源有限公司",
    ],
    "public": [
        "{city}高新区管理委员会",
        "{city}第一人民医院",
        "{city}轨道交通运营有限公司",
        "{city}大学",
    ],
    "other": ["{city}{word}物业管理有限公司", "{city}{word}数据中心有限公司"],
}
DISTRICTS = ["经开区", "高新区", "江北新区", "工业园区", "城南"]
WORDS = [
    "恒通",
    "华力",
    "正泰",
    "金桥",
    "宏达",
    "远景",
    "新源",
    "协鑫",
    "明阳",
    "天合",
    "盛达",
    "中联",
    "凯盛",
    "永安",
    "瑞丰",
    "博远",
    "昌盛",
    "汇能",
]
TYPE_WEIGHTS = [("grid", 18), ("industrial", 22), ("new-energy", 14), ("public", 8), ("other", 4)]

CONTACT_NAMES = [
    "周建国",
    "吴志强",
    "郑海燕",
    "王立新",
    "冯晓东",
    "陈永红",
    "褚卫东",
    "卫丽娟",
    "蒋文涛",
    "沈国平",
    "韩雪梅",
    "杨振华",
    "朱明辉",
    "秦晓燕",
    "尤立军",
    "许红霞",
    "何志刚",
    "吕静",
]
CONTACT_ROLES = [
    (DecisionRole.DECISION_MAKER, ["副总经理", "总经理", "分管副局长"]),
    (DecisionRole.TECHNICAL_EVALUATOR, ["总工程师", "设备部主任", "技术科科长"]),
    (DecisionRole.PROCUREMENT, ["采购部经理", "物资部主任"]),
    (DecisionRole.FINANCE, ["财务总监", "财务部经理"]),
    (DecisionRole.USER_DEPARTMENT, ["运维班班长", "动力车间主任", "电站站长"]),
]

PROJECT_PATTERNS = {
    "grid-om": [
        "{short}10kV配网运维服务项目",
        "{short}变电站智能巡检外包",
        "{short}配电房运维托管",
    ],
    "new-energy": [
        "{short}屋顶分布式光伏项目",
        "{short}储能电站EPC项目",
        "{short}光伏电站并网改造",
    ],
    "equipment": [
        "{short}高压开关柜改造项目",
        "{short}智能配电监测系统",
        "{short}无功补偿装置采购",
    ],
    "energy-saving": ["{short}能效提升改造项目", "{short}电机节能改造", "{short}余热发电配套工程"],
}
CATEGORY_FOR_TYPE = {
    "grid": ["grid-om", "grid-om", "equipment"],
    "industrial": ["equipment", "energy-saving", "new-energy"],
    "new-energy": ["new-energy", "new-energy", "equipment"],
    "public": ["energy-saving", "equipment"],
    "other": ["energy-saving", "new-energy"],
}

FOLLOWUP_TEMPLATES = {
    "visit": [
        "拜访{contact}，介绍公司在{category}方面的案例，客户对{topic}比较感兴趣。",
        "与{contact}面谈，了解到客户{season}有{topic}的计划，预算正在走审批流程。",
        "上门拜访{contact}，客户反馈现有{equipment}运行{years}年，故障率偏高，希望我方给出改造思路。",
    ],
    "phone": [
        "电话联系{contact}，确认下周现场勘查时间，客户要求提前提供勘查清单。",
        "与{contact}电话沟通方案细节，客户关心{topic}的投资回收期。",
        "电话回访{contact}，客户表示内部评审推迟到下月，需要持续跟进。",
    ],
    "online": [
        "线上会议向{contact}及技术团队讲解{topic}方案，对方重点关注{concern}。",
        "线上沟通需求分析报告初稿，客户补充了{load}的用电负荷数据。",
    ],
    "survey": [
        "现场勘查{site}，记录{equipment}铭牌参数及配电房布局，拍照留档。",
        "会同技术支持到{site}现场踏勘，屋顶可用面积约{area}平方米，具备安装条件。",
    ],
    "tech-exchange": [
        "与{contact}技术交流，重点讨论{topic}的技术路线及{concern}。",
        "组织技术交流会，向客户介绍储能系统的充放电策略及安全措施。",
    ],
    "demo": [
        "向客户演示{topic}方案V{version}，{contact}认可整体思路，但对{concern}有疑虑。",
        "方案演示会，客户方{contact}提出需要补充{concern}方面的说明。",
    ],
    "dinner": ["商务接待{contact}一行，沟通双方合作意向，气氛良好。"],
}
TOPICS = [
    "配网自动化改造",
    "分布式光伏",
    "储能调峰",
    "变电站智能巡检",
    "无功补偿",
    "电能质量治理",
    "需量管理",
    "运维托管",
    "光储充一体化",
]
CONCERNS = [
    "整体造价",
    "工期安排",
    "与现有系统的兼容性",
    "安全资质",
    "运维响应时间",
    "电价政策变化的影响",
]
FEEDBACK = [
    "成本过高",
    "工期偏紧",
    "储能容量配置偏大",
    "缺少运维响应承诺",
    "设备选型需更换国产品牌",
]
EQUIPMENT = ["10kV开关柜", "主变压器", "箱式变电站", "环网柜", "直流屏", "无功补偿柜"]
NEEDS = [
    "提供同类项目案例",
    "补充投资回收期测算",
    "提供设备选型清单",
    "出具初步报价",
    "安排技术人员现场答疑",
    "提供运维服务响应承诺",
    "补充安全资质证明",
    "优化并网方案成本结构",
]
NEXT_ACTIONS = [
    "提交需求分析报告",
    "发送方案修订版",
    "安排现场勘查",
    "约技术交流会",
    "提交报价单",
    "跟进内部评审结果",
    "准备方案演示材料",
    "确认合同条款",
]


def _credit_code(rng, region_code: str) -> str:
    body = (
        "91"
        + region_code
        + "".join(rng.choice(CREDIT_CODE_ALPHABET[:10] + "ABCDEFGHJK") for _ in range(9))
    )
    return body + credit_code_check_character(body)


def _pdf(title: str) -> bytes:
    """A small, valid one-page PDF naming the document (ASCII only)."""
    text = title.encode("ascii", "replace").decode()
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _at(day: dt.date, rng, hour_from=9, hour_to=17) -> dt.datetime:
    naive = dt.datetime.combine(
        day, dt.time(rng.randint(hour_from, hour_to), rng.choice([0, 15, 30, 45]))
    )
    # Today's follow-ups happened earlier today, never later than now.
    latest = timezone.now() - dt.timedelta(minutes=rng.randint(5, 90))
    return min(timezone.make_aware(naive), latest)


def _backdate(version, day: dt.date, rng, feedback_on: dt.date | None = None) -> None:
    fields = {"uploaded_at": _at(day, rng)}
    if feedback_on is not None:
        fields["feedback_on"] = feedback_on
    type(version).objects.filter(pk=version.pk).update(**fields)


def load(ctx) -> None:
    rng = ctx.rng
    today = ctx.today
    opts = {
        kind: {o.code: o for o in Option.objects.filter(kind=kind)}
        for kind in (options.CUSTOMER_TYPE, options.PROJECT_CATEGORY, options.FOLLOWUP_MODE)
    }
    teams = ctx.shared["teams"]
    salespeople = ctx.shared["salespeople"]
    engineers = ctx.shared["engineers"]
    by_team = {team.pk: [p for p in salespeople if p.department_id == team.pk] for team in teams}

    customers, projects = [], []
    type_pool = [code for code, weight in TYPE_WEIGHTS for _ in range(weight)]
    used_names = set()
    for index in range(66):
        team = teams[index % len(teams)]
        owner = by_team[team.pk][(index // len(teams)) % len(by_team[team.pk])]
        province, city, region_code = rng.choice(REGIONS[team.code])
        type_code = rng.choice(type_pool)
        for _attempt in range(20):
            name = rng.choice(NAME_PATTERNS[type_code]).format(city=city, word=rng.choice(WORDS))
            if name not in used_names:
                break
        used_names.add(name)
        customer = services.customer_create(
            actor=owner,
            name=name,
            customer_type=opts[options.CUSTOMER_TYPE][type_code],
            credit_code=_credit_code(rng, region_code) if rng.random() < 0.85 else None,
            region=f"{province}·{city}",
            address=f"{city}市{rng.choice(DISTRICTS)}{rng.randint(1, 399)}号",
            latitude=Decimal(f"{rng.uniform(22, 40):.6f}"),
            longitude=Decimal(f"{rng.uniform(102, 122):.6f}"),
        )
        contacts = []
        for role, titles in rng.sample(CONTACT_ROLES, k=rng.randint(2, 4)):
            contacts.append(
                services.contact_create(
                    actor=owner,
                    customer=customer,
                    name=rng.choice(CONTACT_NAMES),
                    title=rng.choice(titles),
                    decision_role=role,
                    mobile=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
                )
            )
        customers.append((customer, owner, contacts, type_code))

    # Projects: 46, at various ages and stages; a few won, lost or paused.
    for index in range(46):
        customer, owner, contacts, type_code = (
            customers[index % len(customers)] if index < 40 else rng.choice(customers)
        )
        category = rng.choice(CATEGORY_FOR_TYPE[type_code])
        short = customer.name.replace("有限公司", "").replace("股份", "")[:10]
        age = rng.randint(20, 300)
        started = today - dt.timedelta(days=age)
        project = services.project_create(
            actor=owner,
            customer=customer,
            name=rng.choice(PROJECT_PATTERNS[category]).format(short=short),
            category=opts[options.PROJECT_CATEGORY][category],
            estimated_amount=Decimal(rng.choice([35, 68, 120, 180, 260, 450, 800, 1200])) * 10000,
            expected_sign_date=today + dt.timedelta(days=rng.randint(-20, 240)),
            started_on=started,
            description=f"客户{customer.name}的{opts[options.PROJECT_CATEGORY][category].name}需求。",
        )
        projects.append((project, owner, contacts, age))

    modes = opts[options.FOLLOWUP_MODE]
    mode_weights = (
        ["visit"] * 5
        + ["phone"] * 6
        + ["online"] * 3
        + ["survey"] * 2
        + ["tech-exchange"] * 2
        + ["demo"] * 2
        + ["dinner"]
    )
    for project, owner, contacts, age in projects:
        count = max(2, min(int(age / rng.uniform(9, 20)), 16))
        days = sorted({rng.randint(0, age) for _ in range(count)}, reverse=True)
        for position, days_ago in enumerate(days):
            day = today - dt.timedelta(days=days_ago)
            mode = rng.choice(mode_weights)
            template = rng.choice(FOLLOWUP_TEMPLATES[mode])
            contact = rng.choice(contacts)
            content = template.format(
                contact=f"{contact.name}{contact.title}",
                category=project.category.name,
                topic=rng.choice(TOPICS),
                season=rng.choice(["今年下半年", "明年一季度", "十四五后期"]),
                equipment=rng.choice(EQUIPMENT),
                years=rng.randint(8, 20),
                concern=rng.choice(CONCERNS),
                load=f"{rng.randint(2, 40)}MW",
                site=project.customer.name,
                area=rng.randint(3, 60) * 100,
                version=rng.randint(1, 3),
            )
            last = position == len(days) - 1
            needs = rng.sample(NEEDS, k=rng.choice([0, 0, 1, 1, 2])) if mode != "dinner" else []
            next_action, next_date = "", None
            if last and project.status == ProjectStatus.ACTIVE:
                next_action = rng.choice(NEXT_ACTIONS)
                next_date = today + dt.timedelta(days=rng.randint(-6, 12))
                if next_date < day:
                    next_date = day
            elif rng.random() < 0.35:
                next_action = rng.choice(NEXT_ACTIONS)
                next_date = day + dt.timedelta(days=rng.randint(2, 10))
            participants = (
                [rng.choice(engineers)] if mode in ("survey", "tech-exchange", "demo") else []
            )
            followup = services.followup_create(
                actor=owner,
                project=project,
                occurred_at=_at(day, rng),
                mode=modes[mode],
                content=content,
                contacts=[contact],
                participants=participants,
                needs=needs,
                next_action=next_action,
                next_action_date=next_date,
            )
            if next_date and next_date < today and not last:
                services.followup_complete_next_action(followup=followup, actor=owner)
            for need in followup.needs.all():
                if day < today - dt.timedelta(days=14) and rng.random() < 0.7:
                    services.need_mark_handled(need=need, actor=owner)

    # Proposals with 2–3 versions and customer feedback on older ones. Uploads are stamped
    # "now" by the service, so their dates are moved back afterwards to tell a real story.
    for project, owner, _contacts, age in projects[:24]:
        if age < 45:
            continue
        report = services.document_create(
            actor=owner,
            project=project,
            kind=DocumentKind.REQUIREMENT_REPORT,
            title="需求分析报告",
            file=ContentFile(_pdf(f"Requirement report {project.pk}"), name="需求分析报告.pdf"),
            change_note="初版，含用电负荷、现有设备情况与未来3年需求预测",
        )
        day = project.started_on + dt.timedelta(days=rng.randint(8, 15))
        _backdate(report, day, rng)
        version = services.document_create(
            actor=owner,
            project=project,
            kind=DocumentKind.PROPOSAL,
            title=f"{project.name}技术方案",
            file=ContentFile(_pdf(f"Proposal {project.pk} V1"), name="技术方案V1.pdf"),
            change_note="首版方案",
        )
        day += dt.timedelta(days=rng.randint(10, 20))
        timeline = [(version, day)]
        for number in range(2, rng.choice([1, 2, 2, 3, 3]) + 1):
            concern = rng.choice(FEEDBACK)
            services.version_record_feedback(
                actor=owner, version=version, feedback=f"客户反馈：{concern}"
            )
            version = services.document_add_version(
                actor=owner,
                document=version.document,
                file=ContentFile(
                    _pdf(f"Proposal {project.pk} V{number}"), name=f"技术方案V{number}.pdf"
                ),
                change_note=f"根据客户反馈调整：{concern}",
            )
            day += dt.timedelta(days=rng.randint(6, 15))
            timeline.append((version, min(day, today)))
        for (earlier, uploaded), (_later, next_uploaded) in zip(
            timeline, timeline[1:], strict=False
        ):
            _backdate(earlier, uploaded, rng, feedback_on=uploaded + (next_uploaded - uploaded) / 2)
        _backdate(*timeline[-1], rng)

    # Contract negotiation on the most advanced projects; two of them signed.
    advanced = [item for item in projects if item[3] > 150][:8]
    for position, (project, owner, _contacts, _age) in enumerate(advanced):
        start = today - dt.timedelta(days=rng.randint(20, 40))
        terms = []
        for topic, text, state in [
            (
                TermTopic.PRICE,
                "合同总价含税，分项报价见附件",
                rng.choice([TermState.AGREED, TermState.DISPUTED]),
            ),
            (
                TermTopic.PAYMENT,
                "预付30%，到货40%，验收25%，质保金5%",
                rng.choice([TermState.AGREED, TermState.OPEN]),
            ),
            (TermTopic.WARRANTY, "整体质保24个月", TermState.AGREED),
            (
                TermTopic.DELIVERY,
                "合同签订后60日内到货",
                rng.choice([TermState.AGREED, TermState.OPEN]),
            ),
            (
                TermTopic.PENALTIES,
                "逾期交付按日千分之一计违约金，上限5%",
                rng.choice([TermState.DISPUTED, TermState.OPEN]),
            ),
        ]:
            terms.append(
                services.term_create(
                    actor=owner, project=project, topic=topic, description=text, state=state
                )
            )
        # Negotiated in the days before the internal review, not all today.
        for term in terms:
            when = _at(start - dt.timedelta(days=rng.randint(1, 12)), rng)
            ContractTerm.objects.filter(pk=term.pk).update(created_at=when, updated_at=when)
        services.milestone_record(
            actor=owner, project=project, kind=MilestoneKind.INTERNAL_REVIEW, reached_on=start
        )
        if position % 2 == 0:
            services.milestone_record(
                actor=owner,
                project=project,
                kind=MilestoneKind.CUSTOMER_LEGAL_REVIEW,
                reached_on=start + dt.timedelta(days=7),
            )
        if position < 2:
            services.milestone_record(
                actor=owner,
                project=project,
                kind=MilestoneKind.AWAITING_SIGNATURE,
                reached_on=start + dt.timedelta(days=12),
            )
            services.milestone_record(
                actor=owner,
                project=project,
                kind=MilestoneKind.SIGNED,
                reached_on=start + dt.timedelta(days=15),
                signed_amount=project.estimated_amount * Decimal("0.95"),
            )

    # A few closed or paused projects, with their reasons.
    for project, owner, _contacts, _age in projects[-6:-3]:
        services.project_set_status(
            project=project, actor=owner, status=ProjectStatus.LOST, reason="客户预算削减，项目取消"
        )
    for project, owner, _contacts, _age in projects[-3:-1]:
        services.project_set_status(
            project=project,
            actor=owner,
            status=ProjectStatus.PAUSED,
            reason="客户等待上级单位批复预算",
        )

    ctx.shared.update(customers=[c[0] for c in customers], projects=[p[0] for p in projects])
