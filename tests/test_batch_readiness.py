"""A batch is loaded only when complete: its manifest written (senders that send one) or its
folder quiet for the contract's period, and never while an upload is visibly in progress."""

import dataclasses
import json
import os
import random
import time

import psycopg

from workcomp.codes import credit_code
from workcomp.contracts import all_contracts, get_contract
from workcomp.ingest.batch_readiness import incomplete_batches, incomplete_reason
from workcomp.orchestration import tasks

EMPLOYERS = get_contract("social_insurance", "employers")  # complete_when: manifest
QUIET = dataclasses.replace(EMPLOYERS, complete_when="quiet", quiet_seconds=60)
HEADER = "统一社会信用代码,单位名称,行政区划代码,行业代码,参保人数,统计日期\n"


def _batch(root, name, rows=2):
    batch = root / "social_insurance" / "employers" / name
    batch.mkdir(parents=True)
    rng = random.Random(7)
    codes = [credit_code(rng, "150802") for _ in range(rows)]
    lines = [f"{code},单位{i},150802,0610,10,2021-12-31\n" for i, code in enumerate(codes)]
    (batch / "employers.csv").write_text(HEADER + "".join(lines), encoding="utf-8")
    return batch


def _manifest(batch, rows=2):
    (batch / "manifest.json").write_text(
        json.dumps({"files": [{"file": "employers.csv", "rows": rows}]}), encoding="utf-8"
    )


def _age(batch, seconds):
    """Pretend the batch's files were last written ``seconds`` ago."""
    past = time.time() - seconds
    for path in [*batch.iterdir(), batch]:
        os.utime(path, (past, past))


def test_every_contract_says_how_a_batch_is_known_complete():
    rules = {c.table: c.complete_when for c in all_contracts().values()}
    assert set(rules.values()) <= {"manifest", "quiet"}
    # The exchange sends manifests; the other agencies do not.
    assert {t for t, r in rules.items() if r == "manifest"} == {
        t for t in rules if t.startswith("social_insurance__")
    }


def test_manifest_rule_waits_for_the_manifest(tmp_path):
    batch = _batch(tmp_path, "2021-12")
    assert "waiting for manifest.json" in incomplete_reason(batch, EMPLOYERS)
    _manifest(batch)
    assert incomplete_reason(batch, EMPLOYERS) is None


def test_quiet_rule_waits_until_the_folder_has_not_changed_for_the_period(tmp_path):
    batch = _batch(tmp_path, "2021-12")
    now = time.time()
    reason = incomplete_reason(batch, QUIET, now=now)
    assert reason is not None and "complete after 60 s without changes" in reason
    assert incomplete_reason(batch, QUIET, now=now + 59) is not None
    assert incomplete_reason(batch, QUIET, now=now + 61) is None
    # A file changed again restarts the wait.
    _age(batch, 120)
    assert incomplete_reason(batch, QUIET) is None
    (batch / "employers.csv").write_text(HEADER, encoding="utf-8")
    assert incomplete_reason(batch, QUIET) is not None


def test_an_upload_in_progress_is_never_complete(tmp_path):
    for n, name in enumerate([".employers.csv.Xa81", "employers.csv.part", "~$roster.xlsx"]):
        batch = _batch(tmp_path, f"2021-1{n}")
        _manifest(batch)
        (batch / name).write_bytes(b"partial")
        _age(batch, 3600)
        for contract in (EMPLOYERS, QUIET):
            assert incomplete_reason(batch, contract) == f"upload in progress ({name})"


def test_an_empty_folder_is_not_a_batch_yet(tmp_path):
    batch = tmp_path / "social_insurance" / "employers" / "2021-12"
    batch.mkdir(parents=True)
    _age(batch, 3600)
    assert incomplete_reason(batch, QUIET) == "no data file delivered yet"


def test_incomplete_batches_respects_the_run_month(tmp_path):
    done, *_ = (_batch(tmp_path, m) for m in ("2021-11", "2021-12", "2022-01"))
    _manifest(done)
    waiting = incomplete_batches(tmp_path, EMPLOYERS, until="2021-12")
    assert [(b.name, r.split(" ")[0]) for b, r in waiting] == [("2021-12", "waiting")]
    assert len(incomplete_batches(tmp_path, EMPLOYERS)) == 2  # no month: every batch


def test_ingest_leaves_an_incomplete_batch_for_the_next_run(tmp_path, fresh_url, monkeypatch):
    monkeypatch.setenv("WORKCOMP_LANDING_DIR", str(tmp_path))
    monkeypatch.setenv("WORKCOMP_DATABASE_URL", fresh_url)
    batch = _batch(tmp_path, "2021-12", rows=3)
    assert tasks.batches_waiting("social_insurance", "employers") == [
        "2021-12: waiting for manifest.json (the sender writes it after the data files)"
    ]
    assert tasks.ingest("social_insurance", "employers") == []
    with psycopg.connect(fresh_url) as conn:
        assert conn.execute("select count(*) from raw.batches").fetchone()[0] == 0

    _manifest(batch, rows=3)
    assert tasks.batches_waiting("social_insurance", "employers") == []
    [loaded] = tasks.ingest("social_insurance", "employers")
    assert (loaded["status"], loaded["rows_read"], loaded["rows_loaded"]) == ("loaded", 3, 3)
    with psycopg.connect(fresh_url) as conn:
        count = conn.execute("select count(*) from raw.social_insurance__employers").fetchone()
        assert count[0] == 3
