"""Every quarantine reason the loader gives, through the loader, on small hand-made files."""

import json

from stdnum.cn import ric

from workcomp.contracts import get_contract
from workcomp.ingest.loader import load_batch

DEATHS = get_contract("public_security", "death_records")
PROJECTS = get_contract("social_insurance", "prevention_projects")
TRAINING = get_contract("social_insurance", "prevention_training")


def _id(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


MAN = _id("15082119800101001")  # odd sequence digit: male
WOMAN = _id("15082119800101002")


def _reasons(conn, batch_id):
    rows = conn.execute(
        "select row_number, reasons from raw.quarantine where batch_id = %s order by 1", (batch_id,)
    ).fetchall()
    return {n: sorted(r.split(":")[0] + ":" + r.split(":")[1] for r in rs) for n, rs in rows}


def test_json_lines_rows_with_cross_field_rules(conn, tmp_path):
    batch = tmp_path / "public_security" / "death_records" / "2024"
    batch.mkdir(parents=True)
    lines = [
        {
            "公民身份号码": MAN,
            "姓名": "甲",
            "性别": "男",
            "死亡日期": "2024-03-01",
            "注销日期": "2024/3/20",
        },
        {"公民身份号码": WOMAN, "姓名": "乙", "性别": "男", "死亡日期": "2024-03-01"},
        {"公民身份号码": MAN[:-1] + ("0" if MAN[-1] != "0" else "1"), "死亡日期": "2024-03-01"},
        {"公民身份号码": _id("15082119801301003"), "死亡日期": "2024-03-01"},  # month 13
        {"公民身份号码": MAN, "死亡日期": "2024-03-05", "注销日期": "2024-03-01"},
        {"公民身份号码": "1508211980", "死亡日期": "2024-03-01"},
    ]
    text = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n{not json\n"
    (batch / "deaths.jsonl").write_text(text, encoding="utf-8")
    result = load_batch(conn, DEATHS, batch)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 1, 6)
    assert _reasons(conn, result.batch_id) == {
        2: ["sex:sex_id_mismatch"],
        3: ["resident_id:bad_check_digit"],
        4: ["resident_id:bad_birth_date"],
        5: ["cancellation_date:before_death_date"],
        6: ["resident_id:bad_length"],
        7: ["row:bad_json"],
    }
    stored = conn.execute(
        "select resident_id, cancellation_date from raw.public_security__death_records"
    ).fetchall()
    assert stored == [(MAN, "2024-03-20")]


def test_booleans_amounts_and_codes(conn, tmp_path):
    import random

    from workcomp.codes import credit_code

    code = credit_code(random.Random(1), "150802")
    batch = tmp_path / "social_insurance" / "prevention_training" / "2024"
    batch.mkdir(parents=True)
    header = "记录编号,项目编号,身份证号码,姓名,统一社会信用代码,人员类别,培训日期,是否合格\n"
    rows = [
        f"R1,P1,{MAN},甲,{code},一线班组长,2024年5月6日,是\n",
        f"R2,P1,{WOMAN},乙,{code},接害劳动者,20240506,否\n",
        f"R3,P1,{WOMAN},丙,{code},临时工,2024-05-06,也许\n",
    ]
    (batch / "t.csv").write_text(header + "".join(rows), encoding="gb18030")
    result = load_batch(conn, TRAINING, batch)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert _reasons(conn, result.batch_id) == {
        4: ["passed:bad_boolean", "position_category:unknown_code"]
    }
    query = "select record_id, passed, training_date from raw.social_insurance__prevention_training"
    passed = conn.execute(query + " order by 1").fetchall()
    assert passed == [("R1", "true", "2024-05-06"), ("R2", "false", "2024-05-06")]

    batch = tmp_path / "social_insurance" / "prevention_projects" / "2024"
    batch.mkdir(parents=True)
    header = "项目编号,统筹地区代码,项目名称,项目类型,合同金额,签约日期,预付金额,预付日期\n"
    rows = [
        'P1,150800,培训一,培训,"120,000.50元",2024-03-01,60000,2024-03-10\n',
        "P2,150800,宣传一,宣传,十万,2024-03-01,,\n",
        "P3,150800,宣传二,宣传,1000,2024-03-01,500,2024-02-01\n",
    ]
    (batch / "p.csv").write_text(header + "".join(rows), encoding="utf-8")
    result = load_batch(conn, PROJECTS, batch)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert _reasons(conn, result.batch_id) == {
        3: ["contract_amount:not_number"],
        4: ["prepayment_date:before_contract_date"],
    }
    amount = conn.execute(
        "select contract_amount from raw.social_insurance__prevention_projects"
    ).fetchone()
    assert amount == ("120000.50",)
