"""Small landing files for the coverage slice: a dust-hazard roster and the employer registry.

巴彦淖尔市 (150800), 2020–2022. Enterprises in the pneumoconiosis key industries report their
headcount to the health department each October; the social-insurance agency snapshots
insured headcount at year end. Coverage climbs toward the 80/90/100% plan, with 乌拉特后旗
lagging. A few dirty rows are planted on purpose (bad check digit, headcount written as text,
unknown region code) and one year's CSV arrives in GBK, as agencies really send them.
The full multi-feed generator lives elsewhere; this is the slice's fixture.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from workcomp.codes import corrupt_check_digit, credit_code

YEARS = (2020, 2021, 2022)
COUNTIES = ("150802", "150821", "150822", "150823", "150824", "150825", "150826")
LAGGING_COUNTY = "150825"  # 乌拉特后旗
INDUSTRIES = {  # 所属行业 -> a GB/T 4754-2017 class code in it
    "煤矿": "0610",
    "非煤矿山": "0810",
    "冶金": "3110",
    "建材": "3021",
    "陶瓷": "3071",
    "水泥": "3011",
    "石材加工": "3032",
}
OTHER_INDUSTRIES = ("4710", "5411", "6110", "7212")  # employers outside the key industries
NAME_PARTS = ("鑫源", "金川", "河套", "阴山", "乌拉", "恒泰", "宏达", "北疆", "瑞丰", "华冶")
ROSTER_DATE_STYLES = ("{y}年10月{d}日", "{y}-10-{d:02d}", "{y}/10/{d}")
SNAPSHOT_DATE_STYLES = ("{y}-12-31", "{y}/12/31", "{y}1231", "{y}年12月31日")
ROSTER_HEADER = (
    "序号", "所属行业", "企业名称", "统一社会信用代码", "行政区划代码", "企业地址",
    "职工人数", "企业联系人", "联系电话", "备注",
)  # fmt: skip
EMPLOYER_HEADER = (
    "统一社会信用代码",
    "单位名称",
    "行政区划代码",
    "行业代码",
    "参保人数",
    "统计日期",
)


@dataclass
class Enterprise:
    credit_code: str
    name: str
    county: str
    industry: str  # 所属行业, or '' outside the key industries
    industry_code: str
    workers: dict[int, int] = field(default_factory=dict)
    insured: dict[int, int | None] = field(default_factory=dict)  # None: not registered


def _coverage_share(rng: random.Random, county: str, year: int) -> float:
    base = {2020: 0.82, 2021: 0.92, 2022: 1.0}[year]
    if county == LAGGING_COUNTY:
        base -= 0.22
    return max(0.0, min(1.0, rng.gauss(base, 0.06)))


def build_enterprises(seed: int) -> list[Enterprise]:
    rng = random.Random(seed)
    enterprises = []
    for i in range(48):
        county = COUNTIES[i % len(COUNTIES)]
        industry = list(INDUSTRIES)[rng.randrange(len(INDUSTRIES))]
        name = f"巴彦淖尔市{rng.choice(NAME_PARTS)}{industry}有限公司{i + 1:02d}"
        e = Enterprise(credit_code(rng, county), name, county, industry, INDUSTRIES[industry])
        size = rng.randint(20, 600)
        for year in YEARS:
            size = max(5, int(size * rng.uniform(0.92, 1.1)))
            e.workers[year] = size
            registered = rng.random() > (0.12 if year == 2020 else 0.05)
            share = _coverage_share(rng, county, year)
            e.insured[year] = round(size * share) if registered else None
        enterprises.append(e)
    for i in range(10):  # insured employers outside the dust roster
        county = COUNTIES[i % len(COUNTIES)]
        e = Enterprise(credit_code(rng, county), f"巴彦淖尔市{NAME_PARTS[i]}服务有限公司",
                       county, "", rng.choice(OTHER_INDUSTRIES))  # fmt: skip
        for year in YEARS:
            e.insured[year] = rng.randint(10, 300)
        enterprises.append(e)
    return enterprises


def _write_roster(path: Path, year: int, rows: list[tuple], report_day: int) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "一览表"
    ncols = len(ROSTER_HEADER)
    ws.append(["巴彦淖尔市尘肺病重点行业企业信息一览表"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    style = ROSTER_DATE_STYLES[year % len(ROSTER_DATE_STYLES)]
    ws.append(["填报单位：巴彦淖尔市卫生健康委员会", None, None, None, None, None,
               f"填报时间：{style.format(y=year, d=report_day)}"])  # fmt: skip
    ws.append(list(ROSTER_HEADER))
    for row in rows:
        ws.append(list(row))
    ws.append([])
    ws.append(["部门负责人：", None, None, "填表人：", None, None, "联系电话："])
    wb.save(path)


def _write_employers(path: Path, year: int, rows: list[tuple], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(EMPLOYER_HEADER)
        writer.writerows(rows)


def write_sample(landing: Path, seed: int = 2020) -> dict[str, int]:
    """Write the slice's landing batches; returns the number of data rows per dataset."""
    rng = random.Random(seed + 1)
    enterprises = build_enterprises(seed)
    counts = {"health/dust_enterprises": 0, "social_insurance/employers": 0}
    for year in YEARS:
        roster = [e for e in enterprises if e.industry]
        rows = []
        for n, e in enumerate(roster, start=1):
            rows.append((n, e.industry, e.name, e.credit_code, e.county,
                         f"内蒙古巴彦淖尔市{n}号工业园", e.workers[year], "王经理",
                         f"0478-{rng.randint(1000000, 9999999)}", None))  # fmt: skip
        # Dirty rows the loader must quarantine, never load.
        bad_code = corrupt_check_digit(credit_code(rng, COUNTIES[0]))
        rows.append((len(rows) + 1, "煤矿", "巴彦淖尔市错码煤业有限公司", bad_code, COUNTIES[0],
                     "临河区", 120, "李四", "0478-1234567", "校验位错误"))  # fmt: skip
        rows.append((len(rows) + 1, "冶金", "巴彦淖尔市约数冶炼有限公司",
                     credit_code(rng, COUNTIES[1]), COUNTIES[1], "五原县", "约50人", "张三",
                     "0478-7654321", None))  # fmt: skip
        batch = landing / "health" / "dust_enterprises" / f"{year}-10"
        batch.mkdir(parents=True, exist_ok=True)
        _write_roster(batch / f"尘肺病重点行业企业信息一览表_{year}.xlsx", year, rows, 9)
        counts["health/dust_enterprises"] += len(rows)

        style = SNAPSHOT_DATE_STYLES[year % len(SNAPSHOT_DATE_STYLES)]
        snapshot = style.format(y=year)
        rows = [
            (e.credit_code, e.name, e.county, e.industry_code, e.insured[year], snapshot)
            for e in enterprises
            if e.insured[year] is not None
        ]
        rows.append((credit_code(rng, "159999"), "外地挂靠单位", "159999", "7212", 9, snapshot))
        rng.shuffle(rows)
        batch = landing / "social_insurance" / "employers" / f"{year}-12"
        batch.mkdir(parents=True, exist_ok=True)
        encoding = "gbk" if year == 2021 else "utf-8-sig"
        _write_employers(batch / f"参保单位_{year}12.csv", year, rows, encoding)
        counts["social_insurance/employers"] += len(rows)
    return counts
