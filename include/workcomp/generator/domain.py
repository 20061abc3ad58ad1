"""Domain constants the generator draws from. The warehouse's own rules live in dbt seeds;
these only make the synthetic region plausible."""

from __future__ import annotations

import calendar
import datetime as dt

START_YEAR, END_YEAR = 2020, 2025
MONTHS = (END_YEAR - START_YEAR + 1) * 12  # month index 0 = 2020-01
POOLING_REGION = "150800"  # 巴彦淖尔市
COUNTIES = ("150802", "150821", "150822", "150823", "150824", "150825", "150826")
COUNTY_WEIGHTS = (30, 14, 10, 12, 8, 10, 16)
LAGGING_COUNTY = "150825"  # 乌拉特后旗 lags the coverage plan

# industry class (GB/T 4754-2017) -> (所属行业 on the dust roster or None, weight, injury ‰ in
# 2020, yearly change of that rate). Rates fall in mining and construction, not elsewhere.
INDUSTRIES = {
    "0610": ("煤矿", 3, 14.0, -0.07),
    "0810": ("非煤矿山", 2, 12.0, -0.06),
    "0916": ("非煤矿山", 1, 12.0, -0.06),
    "1019": ("非煤矿山", 1, 11.0, -0.05),
    "3110": ("冶金", 2, 9.0, 0.0),
    "3216": ("冶金", 1, 9.0, 0.0),
    "3011": ("水泥", 1, 8.0, -0.04),
    "3021": ("建材", 2, 7.0, -0.04),
    "3032": ("石材加工", 1, 8.0, 0.0),
    "3071": ("陶瓷", 1, 6.0, 0.0),
    "2614": (None, 2, 6.0, 0.0),  # chemicals (危化)
    "4710": (None, 6, 10.0, -0.05),  # building construction
    "4812": (None, 3, 9.0, -0.05),  # civil engineering
    "5430": (None, 4, 7.0, 0.02),  # road freight
    "3411": (None, 3, 5.0, -0.03),  # machinery
    "3511": (None, 2, 5.0, -0.03),
    "1310": (None, 4, 3.0, 0.0),  # food processing
    "5211": (None, 10, 1.2, 0.0),  # retail
    "6210": (None, 8, 1.5, 0.0),  # catering
    "7221": (None, 6, 0.6, 0.0),  # business services
    "6513": (None, 3, 0.3, 0.0),  # software
    "8310": (None, 4, 0.5, 0.0),  # education
}

# Base rate by GB/T 4754 division (人社部发〔2015〕71号 class base rates); others 0.4%.
BASE_RATE_BY_DIVISION = {
    "06": "0.019",
    "08": "0.019",
    "09": "0.019",
    "10": "0.019",
    "26": "0.013",
    "30": "0.013",
    "31": "0.013",
    "32": "0.013",
    "47": "0.013",
    "48": "0.013",
    "54": "0.011",
    "34": "0.009",
    "35": "0.009",
    "13": "0.007",
    "65": "0.002",
}

POSITIONS = {
    "06": ["采煤工", "掘进工", "支护工", "爆破工", "运输工", "通风工"],
    "08": ["凿岩工", "爆破工", "破碎工", "装载工", "球磨工"],
    "09": ["凿岩工", "爆破工", "破碎工", "选矿工"],
    "10": ["凿岩工", "破碎工", "筛分工", "装载工"],
    "31": ["炼钢工", "轧钢工", "电焊工", "天车工"],
    "32": ["冶炼工", "电解工", "电焊工", "铸造工"],
    "30": ["烧成工", "破碎工", "包装工", "切割工", "打磨工"],
    "26": ["化工操作工", "装卸工", "维修工"],
    "47": ["钢筋工", "架子工", "瓦工", "电焊工", "木工"],
    "48": ["挖掘机司机", "钢筋工", "架子工", "爆破工"],
    "54": ["货车司机", "装卸工"],
    "34": ["车工", "铣工", "电焊工", "装配工"],
    "35": ["车工", "电焊工", "装配工"],
}
OTHER_POSITIONS = ["营业员", "厨师", "服务员", "文员", "保洁员", "教师", "软件工程师"]

DUST_BY_CATEGORY = {  # 所属行业 -> (hazard, pneumoconiosis it causes)
    "煤矿": ("煤尘", "煤工尘肺"),
    "非煤矿山": ("矽尘", "矽肺"),
    "冶金": ("电焊烟尘", "电焊工尘肺"),
    "水泥": ("水泥粉尘", "水泥尘肺"),
    "建材": ("矽尘", "矽肺"),
    "石材加工": ("矽尘", "矽肺"),
    "陶瓷": ("陶土粉尘", "陶工尘肺"),
}

# GB 6441 categories by division group, weighted.
ACCIDENT_CATEGORIES = {
    "mining": {"11": 4, "01": 3, "03": 2, "02": 2, "13": 1, "09": 1, "15": 1, "12": 1},
    "construction": {"09": 5, "01": 3, "10": 2, "04": 2, "05": 1, "03": 1},
    "transport": {"02": 8, "01": 1, "09": 1},
    "industry": {"03": 5, "01": 3, "07": 2, "04": 1, "05": 1, "19": 1},
    "other": {"20": 4, "01": 2, "09": 2, "02": 2, "07": 1},
}

GRADE_WEIGHTS = {1: 1, 2: 2, 3: 3, 4: 5, 5: 7, 6: 9, 7: 13, 8: 16, 9: 20, 10: 24}
DISABILITY_SUBSIDY_MONTHS = {1: 27, 2: 25, 3: 23, 4: 21, 5: 18, 6: 16, 7: 13, 8: 11, 9: 9, 10: 7}
MEDICAL_SUBSIDY_MONTHS = {5: 18, 6: 16, 7: 13, 8: 10, 9: 7, 10: 4}  # local rule, varies
# National urban per-capita disposable income of the year (国家统计局); death subsidy = 20 ×
# the previous year's figure.
URBAN_DISPOSABLE_INCOME = {
    2019: 42359,
    2020: 43834,
    2021: 47412,
    2022: 49283,
    2023: 51821,
    2024: 54188,
}
REGION_AVG_MONTHLY_WAGE = {2020: 6100, 2021: 6450, 2022: 6800, 2023: 7100, 2024: 7400, 2025: 7650}

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段漕钱汤尹黎易常武乔贺赖龚文"  # noqa: E501
GIVEN_CHARS = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"  # noqa: E501
NAME_PARTS = (
    "鑫源",
    "金川",
    "河套",
    "阴山",
    "乌拉",
    "恒泰",
    "宏达",
    "北疆",
    "瑞丰",
    "华冶",
    "黄河",
    "草原",
    "磴口",
    "天骄",
    "塞北",
    "兴盛",
    "永固",
    "嘉禾",
    "远通",
    "利民",
)
INDUSTRY_WORDS = {
    "06": "煤业",
    "08": "矿业",
    "09": "矿业",
    "10": "矿业",
    "31": "钢铁",
    "32": "冶炼",
    "30": "建材",
    "26": "化工",
    "47": "建筑工程",
    "48": "路桥工程",
    "54": "物流运输",
    "34": "机械制造",
    "35": "装备制造",
    "13": "食品",
    "52": "商贸",
    "62": "餐饮管理",
    "72": "商务服务",
    "65": "软件科技",
    "83": "培训学校",
}


def month_start(index: int) -> dt.date:
    return dt.date(START_YEAR + index // 12, index % 12 + 1, 1)


def month_label(index: int) -> str:
    d = month_start(index)
    return f"{d.year:04d}-{d.month:02d}"


def year_of(index: int) -> int:
    return START_YEAR + index // 12


def division_group(division: str) -> str:
    if division in ("06", "08", "09", "10"):
        return "mining"
    if division in ("47", "48"):
        return "construction"
    if division == "54":
        return "transport"
    if division in ("26", "30", "31", "32", "34", "35", "13"):
        return "industry"
    return "other"


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier), clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def retirement_date(birth: dt.date, sex: str) -> dt.date:
    """Statutory retirement date of a worker (women: 工人, 50), with the gradual rise from
    2025-01 (全国人大常委会 2024-09-13 决定): men one month later for every 4 months, up to 63;
    women workers one month later for every 2 months, up to 55."""
    age, every, cap = (60, 4, 36) if sex == "男" else (50, 2, 60)
    original = add_months(birth, age * 12)
    months_after = (original.year - 2025) * 12 + original.month - 1
    delay = 0 if months_after < 0 else min(months_after // every + 1, cap)
    return add_months(original, delay)
