"""Words the generated company is made of: regions and cities, people's names, and the
texts of follow-ups, delays and reviews. Most lists are the demo company's own (its
modules hold the power-service vocabulary); the scale generator adds what a company of a
thousand salespeople needs beyond them: ten regions and many more names.
"""

from __future__ import annotations

from pathscore.crm.demo import (
    CATEGORY_FOR_TYPE,
    CONCERNS,
    CONTACT_ROLES,
    DISTRICTS,
    EQUIPMENT,
    FEEDBACK,
    FOLLOWUP_TEMPLATES,
    NAME_PATTERNS,
    NEEDS,
    NEXT_ACTIONS,
    PROJECT_PATTERNS,
    TOPICS,
    TYPE_WEIGHTS,
    WORDS,
)
from pathscore.process.demo import (
    APPROVE_COMMENTS,
    DELAY_TEXTS,
    KIND_LATENESS,
    LONG_DELAY_CATEGORIES,
    RETURN_COMMENTS,
    TASK_RESULTS,
)
from pathscore.scoring.demo import (
    COURSES,
    GOOD_COMMENTS,
    LOCATIONS,
    QUALITY_COMMENTS,
    WEAK_COMMENTS,
)

__all__ = [
    "APPROVE_COMMENTS",
    "CATEGORY_FOR_TYPE",
    "CONCERNS",
    "CONTACT_ROLES",
    "COURSES",
    "DELAY_TEXTS",
    "DISTRICTS",
    "EQUIPMENT",
    "FEEDBACK",
    "FOLLOWUP_TEMPLATES",
    "GOOD_COMMENTS",
    "KIND_LATENESS",
    "LOCATIONS",
    "LONG_DELAY_CATEGORIES",
    "NAME_PATTERNS",
    "NEEDS",
    "NEXT_ACTIONS",
    "PROJECT_PATTERNS",
    "QUALITY_COMMENTS",
    "RETURN_COMMENTS",
    "TASK_RESULTS",
    "TOPICS",
    "TYPE_WEIGHTS",
    "WEAK_COMMENTS",
]

COMPANY_NAME = "远景电力服务集团有限公司"

#: (region name, [(province, city, administrative code of the city)])
REGIONS = (
    (
        "华东",
        [
            ("上海", "上海", "310100"),
            ("江苏", "南京", "320100"),
            ("江苏", "苏州", "320500"),
            ("浙江", "杭州", "330100"),
            ("浙江", "宁波", "330200"),
        ],
    ),
    (
        "华北",
        [
            ("北京", "北京", "110100"),
            ("天津", "天津", "120100"),
            ("河北", "石家庄", "130100"),
            ("河北", "唐山", "130200"),
            ("山西", "太原", "140100"),
        ],
    ),
    (
        "西南",
        [
            ("四川", "成都", "510100"),
            ("四川", "绵阳", "510700"),
            ("重庆", "重庆", "500100"),
            ("云南", "昆明", "530100"),
            ("贵州", "贵阳", "520100"),
        ],
    ),
    (
        "华南",
        [
            ("广东", "广州", "440100"),
            ("广东", "深圳", "440300"),
            ("广东", "佛山", "440600"),
            ("广西", "南宁", "450100"),
            ("海南", "海口", "460100"),
        ],
    ),
    (
        "华中",
        [
            ("湖北", "武汉", "420100"),
            ("湖北", "宜昌", "420500"),
            ("湖南", "长沙", "430100"),
            ("河南", "郑州", "410100"),
            ("江西", "南昌", "360100"),
        ],
    ),
    (
        "西北",
        [
            ("陕西", "西安", "610100"),
            ("甘肃", "兰州", "620100"),
            ("宁夏", "银川", "640100"),
            ("青海", "西宁", "630100"),
            ("新疆", "乌鲁木齐", "650100"),
        ],
    ),
    (
        "东北",
        [
            ("辽宁", "沈阳", "210100"),
            ("辽宁", "大连", "210200"),
            ("吉林", "长春", "220100"),
            ("黑龙江", "哈尔滨", "230100"),
            ("黑龙江", "大庆", "230600"),
        ],
    ),
    (
        "山东",
        [
            ("山东", "济南", "370100"),
            ("山东", "青岛", "370200"),
            ("山东", "烟台", "370600"),
            ("山东", "潍坊", "370700"),
            ("山东", "临沂", "371300"),
        ],
    ),
    (
        "福建",
        [
            ("福建", "福州", "350100"),
            ("福建", "厦门", "350200"),
            ("福建", "泉州", "350500"),
            ("福建", "漳州", "350600"),
            ("福建", "龙岩", "350800"),
        ],
    ),
    (
        "安徽",
        [
            ("安徽", "合肥", "340100"),
            ("安徽", "芜湖", "340200"),
            ("安徽", "蚌埠", "340300"),
            ("安徽", "马鞍山", "340500"),
            ("安徽", "安庆", "340800"),
        ],
    ),
)

#: Rough latitude and longitude of each region, for customer sites.
REGION_CENTRES = (
    (31.2, 120.5),
    (39.5, 116.5),
    (29.5, 104.5),
    (23.1, 112.5),
    (30.0, 113.5),
    (36.0, 106.0),
    (43.5, 125.5),
    (36.5, 119.0),
    (25.5, 118.5),
    (31.8, 117.5),
)

TEAM_NUMBERS = "一二三四五六七八九十"

#: More trade-name words than the demo's, so 30,000 customers rarely share a name.
MORE_WORDS = [
    "华电",
    "国电",
    "东方",
    "南方",
    "长江",
    "黄河",
    "泰山",
    "华宇",
    "鑫源",
    "中能",
    "光华",
    "嘉盛",
    "力拓",
    "德润",
    "信达",
    "鸿运",
    "万通",
    "安泰",
    "华润",
    "丰泽",
    "晨光",
    "海川",
    "蓝天",
    "绿源",
    "新航",
    "锦程",
    "宏图",
    "中泰",
    "佳能",
    "科达",
]
TRADE_WORDS = [*WORDS, *MORE_WORDS]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许"
    "韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯帆志远海峰"
    "建国文博晨阳欣然佳怡子轩雨泽梓涵思源嘉豪立新振华"
)

ENGINEER_TITLES = ("方案工程师", "高级方案工程师", "技术支持工程师")

LOST_REASONS = (
    "客户预算削减，项目取消",
    "竞争对手报价更低，客户选择其他供应商",
    "客户上级单位统一集采，项目并入集团招标",
    "客户需求变更，项目暂不实施",
)
PAUSED_REASONS = (
    "客户等待上级单位批复预算",
    "客户厂区搬迁，项目暂缓",
    "并网政策调整，客户暂停决策",
)
HANDOVER_REASONS = ("客户关系调整，交由同组同事跟进", "工作量平衡，项目重新分配")
DEPARTURE_REASON = "原负责人离职，项目移交"
SKIP_REASON = "客户暂不考虑储能，本节点不适用"
TERMS = (
    ("price", "合同总价含税，分项报价见附件"),
    ("payment", "预付30%，到货40%，验收25%，质保金5%"),
    ("warranty", "整体质保24个月"),
    ("delivery", "合同签订后60日内到货"),
    ("penalties", "逾期交付按日千分之一计违约金，上限5%"),
    ("acceptance", "到货后15日内完成验收"),
)
COMMENDATIONS = (
    ("季度客户满意之星", "客户回访满意度全组最高，多次获客户书面表扬。"),
    ("优秀方案奖", "储能项目技术方案一次通过客户评审，可作为同类项目范本。"),
    ("跨部门协作奖", "与技术支持中心配合完成紧急投标，按期提交全部资料。"),
    ("开拓奖", "主动回访老客户，挖掘出新的改造需求。"),
)
