"""A large contributions file in the exchange's layout, written fast and streamed to disk."""

from __future__ import annotations

import csv
import random
from pathlib import Path

from stdnum.cn import ric

from workcomp.codes import credit_code

HEADER = ["公民身份号码", "单位统一社会信用代码", "费款所属期", "个人缴费基数", "费率",
          "应缴金额", "实缴金额", "到账日期"]  # fmt: skip
COUNTIES = ["150802", "150821", "150822", "150823", "150824", "150825", "150826"]


def _resident_id(rng: random.Random) -> str:
    body = f"{rng.choice(COUNTIES)}{rng.randint(1965, 2004)}{rng.randint(1, 12):02d}"
    body += f"{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return body + ric.calc_check_digit(body + "0")


def write_contributions(path: Path, rows: int, period: str = "202512", seed: int = 7,
                        dirty_share: float = 0.001) -> int:  # fmt: skip
    """``rows`` people paying for ``period`` (one row each), a small share with a broken check
    digit so the loader's quarantine is part of what is measured. Returns the dirty rows."""
    rng = random.Random(seed)
    employers = [credit_code(rng, rng.choice(COUNTIES)) for _ in range(max(rows // 30, 1))]
    dirty = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for _ in range(rows):
            person = _resident_id(rng)
            if rng.random() < dirty_share:  # a wrong but well-formed check character
                person = person[:-1] + rng.choice([c for c in "0123456789X" if c != person[-1]])
                dirty += 1
            base = rng.randint(3_000, 20_000)
            rate = rng.choice((0.002, 0.004, 0.008, 0.013, 0.019))
            due = round(base * rate, 2)
            # The date as the province exchange writes it (2025年12月15日), not ISO.
            writer.writerow([person, rng.choice(employers), period, base, rate, due, due,
                             f"{period[:4]}年{int(period[4:])}月15日"])  # fmt: skip
    return dirty
