"""One ingest method per process, so each one's peak memory is its own.

    python -m workcomp.benchmark.ingest_steps <method> <database url> <batch folder>

prints ``RESULT {"seconds", "rows", "peak_rss_mib"}``. Methods: ``copy`` (the file as it is into
an untyped table: the practical limit), ``pandas`` (``read_csv`` then ``DataFrame.to_sql``: what a
user writes by hand), ``workcomp`` (the loader: decoding, validation, quarantine and COPY).
"""

from __future__ import annotations

import contextlib
import json
import resource
import sys
import time
from pathlib import Path

import psycopg

COLUMNS = ["resident_id", "credit_code", "period", "contribution_base", "rate", "amount_due",
           "amount_paid", "paid_date"]  # fmt: skip


def copy_untyped(url: str, csv_path: Path) -> int:
    columns = ", ".join(f"{c} text" for c in COLUMNS)
    with psycopg.connect(url) as conn:
        conn.execute("drop table if exists bench_copy")
        conn.execute(f"create table bench_copy ({columns})")  # logged, like raw tables
        copy_sql = "copy bench_copy from stdin with (format csv, header)"
        with conn.cursor().copy(copy_sql) as copy, open(csv_path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                copy.write(chunk)
        return conn.execute("select count(*) from bench_copy").fetchone()[0]


def pandas_to_sql(url: str, csv_path: Path) -> int:
    import pandas as pd
    import sqlalchemy

    frame = pd.read_csv(csv_path, dtype=str, encoding="utf-8")
    frame.columns = COLUMNS
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.exec_driver_sql("drop table if exists bench_pandas")
    frame.to_sql("bench_pandas", engine, index=False, chunksize=10_000)
    with engine.connect() as conn:
        return conn.exec_driver_sql("select count(*) from bench_pandas").scalar()


def settle(conn: psycopg.Connection) -> None:
    """Write out the earlier rounds' dirty pages now, so no method pays for another's
    checkpoint (skipped where the benchmark's role may not ask for one)."""
    with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
        conn.execute("checkpoint")


def workcomp_ready(url: str) -> None:
    """The warehouse's schemas and the feed's empty raw table (as the months before left it),
    with no earlier round's load (it would be skipped as a repeat delivery): one-time setup,
    not part of what is timed."""
    from workcomp.contracts import get_contract
    from workcomp.ingest.loader import bootstrap, ensure_raw_table

    contract = get_contract("social_insurance", "contributions")
    table = contract.table
    with psycopg.connect(url, autocommit=True) as conn:
        bootstrap(conn)
        conn.execute(f"drop view if exists raw.{table}")
        conn.execute(f"drop table if exists raw_store.{table}")
        conn.execute("truncate raw.batches, raw.quarantine, raw.files, raw.unpublished_files")
        with conn.transaction():
            ensure_raw_table(conn, contract)
        settle(conn)


def workcomp_load(url: str, batch_dir: Path) -> int:
    from workcomp.contracts import get_contract
    from workcomp.ingest.loader import load_batch

    with psycopg.connect(url, autocommit=True) as conn:
        result = load_batch(conn, get_contract("social_insurance", "contributions"), batch_dir)
    if result.status != "loaded":
        raise RuntimeError(f"the batch was {result.status}: {result.message}")
    return result.rows_loaded + result.rows_quarantined


def main(method: str, url: str, batch_dir: Path) -> None:
    csv_path = next(batch_dir.glob("*.csv"))
    if method == "workcomp":  # imports are process start-up, not ingest: load them first
        import pyarrow

        import workcomp.ingest.loader  # noqa: F401

        pyarrow.array([])  # Arrow's first array loads its pandas bridge
        workcomp_ready(url)
    else:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("drop table if exists bench_copy")
            conn.execute("drop table if exists bench_pandas")
            settle(conn)
    run = {"copy": lambda: copy_untyped(url, csv_path),
           "pandas": lambda: pandas_to_sql(url, csv_path),
           "workcomp": lambda: workcomp_load(url, batch_dir)}[method]  # fmt: skip
    started = time.perf_counter()
    rows = run()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print("RESULT " + json.dumps({"seconds": seconds, "rows": rows, "peak_rss_mib": peak}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], Path(sys.argv[3]))
