"""The people every test talks about, reused by every app's tests.

    company
    ├── east region (head: regional_head)
    │   └── team A (head: manager_a) — sales_a
    ├── north region
    │   └── team B (head: manager_b) — sales_b
    ├── technical support — tech
    └── head office — hr, executive, auditor, sysadmin, deactivated

Build them with :func:`build_personas` inside a test database; every password is
:data:`PASSWORD`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pathscore.core.choices import Role

# Test accounts live in throw-away databases only.
PASSWORD = "persona-pass-2026"  # nosec B105

#: Persona names, in the order the authorisation tests try them.
PERSONA_NAMES = (
    "sales_a",
    "sales_b",
    "manager_a",
    "manager_b",
    "regional_head",
    "tech",
    "hr",
    "executive",
    "auditor",
    "sysadmin",
    "deactivated",
)


@dataclass
class Personas:
    company: object
    east: object
    north: object
    team_a: object
    team_b: object
    tech_dept: object
    office: object
    sales_a: object
    sales_b: object
    manager_a: object
    manager_b: object
    regional_head: object
    tech: object
    hr: object
    executive: object
    auditor: object
    sysadmin: object
    deactivated: object

    def get(self, name: str):
        return getattr(self, name)

    def all_people(self):
        return [getattr(self, name) for name in PERSONA_NAMES]


def build_personas() -> Personas:
    from pathscore.org import services
    from pathscore.org.choices import DepartmentKind

    def dept(name, code, kind, parent=None):
        return services.department_create(name=name, code=code, kind=kind, parent=parent)

    def person(username, name, roles, department, title=""):
        return services.user_create(
            username=username,
            name=name,
            password=PASSWORD,
            roles=roles,
            department=department,
            title=title,
            validate_password_strength=False,
        )

    company = dept("测试电力公司", "t-company", DepartmentKind.COMPANY)
    east = dept("华东区域", "t-east", DepartmentKind.BRANCH, company)
    north = dept("华北区域", "t-north", DepartmentKind.BRANCH, company)
    team_a = dept("华东一部", "t-team-a", DepartmentKind.TEAM, east)
    team_b = dept("华北一部", "t-team-b", DepartmentKind.TEAM, north)
    tech_dept = dept("技术支持部", "t-tech", DepartmentKind.TEAM, company)
    office = dept("总部", "t-office", DepartmentKind.TEAM, company)

    sales_a = person("sales_a", "王销售", [Role.SALESPERSON], team_a, "客户经理")
    sales_b = person("sales_b", "赵销售", [Role.SALESPERSON], team_b, "客户经理")
    manager_a = person("manager_a", "李经理", [Role.SALES_MANAGER], team_a, "销售经理")
    manager_b = person("manager_b", "周经理", [Role.SALES_MANAGER], team_b, "销售经理")
    regional_head = person("regional_head", "陈总监", [Role.SALES_MANAGER], east, "区域总监")
    tech = person("tech", "林工", [Role.TECHNICAL_SUPPORT], tech_dept, "方案工程师")
    hr = person("hr", "黄绩效", [Role.HR_ADMIN], office, "绩效管理员")
    executive = person("executive", "高总", [Role.EXECUTIVE], office, "总经理")
    auditor = person("auditor", "钱审计", [Role.AUDITOR], office, "内审")
    sysadmin = person("sysadmin", "系统管理员", [Role.SYSTEM_ADMIN], office, "工程师")
    deactivated = person("deactivated", "谢离职", [Role.SALESPERSON], team_a, "客户经理")
    services.user_deactivate(user=deactivated)

    for department, head in ((team_a, manager_a), (team_b, manager_b), (east, regional_head)):
        services.department_update(department=department, head=head)

    return Personas(
        company=company,
        east=east,
        north=north,
        team_a=team_a,
        team_b=team_b,
        tech_dept=tech_dept,
        office=office,
        sales_a=sales_a,
        sales_b=sales_b,
        manager_a=manager_a,
        manager_b=manager_b,
        regional_head=regional_head,
        tech=tech,
        hr=hr,
        executive=executive,
        auditor=auditor,
        sysadmin=sysadmin,
        deactivated=deactivated,
    )
