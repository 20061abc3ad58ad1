"""Make valid identifiers for generated data (validation itself uses python-stdnum)."""

from __future__ import annotations

import random

from stdnum.cn import uscc

_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organization_code(rng: random.Random) -> str:
    """A 9-character organization code (GB 11714) with its check character."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    check = 11 - sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, region_code: str) -> str:
    """A unified social credit code (GB 32100) for an enterprise (登记管理部门 9, 类别 1)."""
    body = "91" + region_code + organization_code(rng)
    return body + uscc.calc_check_digit(body)


def corrupt_check_digit(code: str) -> str:
    """The same code with a wrong final character, for planting dirty rows."""
    last = code[-1]
    options = [c for c in _ORG_ALPHABET if c != last]
    return code[:-1] + options[sum(map(ord, code)) % len(options)]
