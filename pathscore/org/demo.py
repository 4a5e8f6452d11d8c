"""The demo company's organisation: 华东恒源电力服务有限公司 and its people."""

from __future__ import annotations

from datetime import timedelta

from pathscore.core.choices import Role
from pathscore.org import services
from pathscore.org.choices import DepartmentKind

COMPANY = ("恒源电力服务有限公司", "hengyuan")

# (code, name, manager username, manager name, [(username, name, title)])
SALES_TEAMS = [
    (
        "sales-east",
        "华东销售部",
        ("liqiang", "李强", "华东销售部经理"),
        [
            ("wangfang", "王芳", "高级客户经理"),
            ("zhangwei", "张伟", "客户经理"),
            ("liuyang", "刘洋", "客户经理"),
            ("chenjing", "陈静", "客户经理"),
            ("yangfan", "杨帆", "销售代表"),
        ],
    ),
    (
        "sales-north",
        "华北销售部",
        ("zhaomin", "赵敏", "华北销售部经理"),
        [
            ("sunhao", "孙浩", "高级客户经理"),
            ("zhoujie", "周杰", "客户经理"),
            ("wuxia", "吴霞", "客户经理"),
            ("zhenglei", "郑磊", "销售代表"),
            ("fengtao", "冯涛", "销售代表"),
        ],
    ),
    (
        "sales-southwest",
        "西南销售部",
        ("hejun", "何军", "西南销售部经理"),
        [
            ("luoping", "罗平", "高级客户经理"),
            ("tangli", "唐丽", "客户经理"),
            ("hanbing", "韩冰", "客户经理"),
            ("caoyu", "曹宇", "销售代表"),
            ("xuqian", "许倩", "销售代表"),
        ],
    ),
]


def load(ctx) -> None:
    today = ctx.today
    rng = ctx.rng
    employee_seq = iter(range(1001, 2000))

    def person(username, name, title, department, roles, years=3):
        hire = today - timedelta(days=int(365 * years) + rng.randint(0, 300))
        return services.user_create(
            username=username,
            name=name,
            password=ctx.password,
            roles=roles,
            department=department,
            employee_no=f"HY{next(employee_seq)}",
            title=title,
            email=f"{username}@hengyuan-power.example",
            mobile=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            hire_date=hire,
            validate_password_strength=False,
        )

    company = services.department_create(
        name=COMPANY[0], code=COMPANY[1], kind=DepartmentKind.COMPANY
    )
    sales_centre = services.department_create(
        name="销售中心", code="sales", kind=DepartmentKind.BRANCH, parent=company, sort_order=1
    )
    tech = services.department_create(
        name="技术支持部",
        code="tech-support",
        kind=DepartmentKind.TEAM,
        parent=company,
        sort_order=2,
    )
    hr = services.department_create(
        name="人力资源部", code="hr", kind=DepartmentKind.TEAM, parent=company, sort_order=3
    )
    it = services.department_create(
        name="信息中心", code="it", kind=DepartmentKind.TEAM, parent=company, sort_order=4
    )
    audit = services.department_create(
        name="审计部", code="audit", kind=DepartmentKind.TEAM, parent=company, sort_order=5
    )

    ceo = person("gaojian", "高建", "总经理", company, [Role.EXECUTIVE], years=12)
    director = person("mahui", "马辉", "销售总监", sales_centre, [Role.SALES_MANAGER], years=9)
    services.department_update(department=company, head=ceo)
    services.department_update(department=sales_centre, head=director)

    salespeople, managers, teams = [], [], []
    for order, (code, name, (m_user, m_name, m_title), members) in enumerate(SALES_TEAMS, 1):
        team = services.department_create(
            name=name, code=code, kind=DepartmentKind.TEAM, parent=sales_centre, sort_order=order
        )
        manager = person(m_user, m_name, m_title, team, [Role.SALES_MANAGER], years=7)
        services.department_update(department=team, head=manager)
        teams.append(team)
        managers.append(manager)
        for index, (username, person_name, title) in enumerate(members):
            years = 5 - index * 0.9 + rng.random()
            salespeople.append(
                person(
                    username, person_name, title, team, [Role.SALESPERSON], years=max(years, 0.4)
                )
            )

    tech_head = person("linfeng", "林峰", "技术支持部经理", tech, [Role.TECHNICAL_SUPPORT], 8)
    services.department_update(department=tech, head=tech_head)
    engineers = [tech_head] + [
        person("songyu", "宋宇", "方案工程师", tech, [Role.TECHNICAL_SUPPORT], 4),
        person("dengxin", "邓欣", "方案工程师", tech, [Role.TECHNICAL_SUPPORT], 2),
    ]
    hr_admin = person("huangli", "黄丽", "绩效管理员", hr, [Role.HR_ADMIN], 6)
    services.department_update(department=hr, head=hr_admin)
    admin = person("admin", "系统管理员", "信息中心工程师", it, [Role.SYSTEM_ADMIN], 5)
    auditor = person("qianyun", "钱云", "内审专员", audit, [Role.AUDITOR], 4)

    # A former employee, to show that deactivated accounts keep their history.
    former = person("xiemin", "谢敏", "客户经理", teams[0], [Role.SALESPERSON], 2)
    services.user_deactivate(user=former)

    ctx.shared.update(
        company=company,
        sales_centre=sales_centre,
        teams=teams,
        managers=managers,
        salespeople=salespeople,
        engineers=engineers,
        executive=ceo,
        director=director,
        hr_admin=hr_admin,
        admin=admin,
        auditor=auditor,
    )
