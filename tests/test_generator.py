"""The generator: deterministic, complete, and plants what the audit rules must find."""

import hashlib

from workcomp.contracts import all_contracts
from workcomp.generator import generate


def _tree_digest(root):
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_same_seed_same_files_other_seed_other_files(tmp_path):
    a = generate(tmp_path / "a", tmp_path / "a.json", "tiny", seed=5)
    b = generate(tmp_path / "b", tmp_path / "b.json", "tiny", seed=5)
    c = generate(tmp_path / "c", tmp_path / "c.json", "tiny", seed=6)
    assert _tree_digest(tmp_path / "a") == _tree_digest(tmp_path / "b")
    assert a == b
    assert _tree_digest(tmp_path / "a") != _tree_digest(tmp_path / "c")
    assert c["datasets"] != a["datasets"]


def test_every_contract_gets_files_in_its_format_and_truth_stays_outside_landing(tmp_path):
    landing = tmp_path / "landing"
    truth = generate(landing, tmp_path / "truth.json", "tiny", seed=9)
    suffix = {"xlsx_form": ".xlsx", "csv": ".csv", "jsonl": ".jsonl"}
    for table, contract in all_contracts().items():
        files = list((landing / contract.source / contract.dataset).glob("*/*"))
        data = [f for f in files if f.name != "manifest.json"]
        assert data, table
        assert {f.suffix for f in data} == {suffix[contract.format]}, table
        assert truth["datasets"][table]["rows"] > 0
    assert not list(landing.rglob("*.json"))[:0] and not (landing / "truth.json").exists()
    encodings = set()
    for f in landing.rglob("*.csv"):
        head = f.read_bytes()[:3]
        encodings.add("bom" if head == b"\xef\xbb\xbf" else "other")
    assert encodings == {"bom", "other"}  # UTF-8 with BOM and GB18030/UTF-8 without


def test_anomalies_are_planted_and_coverage_truth_follows_the_plan(tmp_path):
    truth = generate(tmp_path / "l", tmp_path / "t.json", "tiny", seed=2020)
    planted = truth["anomalies"]
    for rule in ("prepayment_out_of_range", "balance_before_acceptance", "prevention_over_cap",
                 "fund_ledger_break"):  # fmt: skip
        assert len(planted[rule]) == 1, rule
    assert sum(len(v) for v in planted.values()) > 6
    rates = {}
    for key, c in truth["coverage"].items():
        year = int(key.split(":")[0])
        req, ins = rates.get(year, (0, 0))
        rates[year] = (req + c["workers_required"], ins + c["workers_insured"])
    share = {y: ins / req for y, (req, ins) in rates.items()}
    assert share[2020] < share[2022]  # the expansion campaign raises coverage
    assert all(0 < s <= 1 for s in share.values())
