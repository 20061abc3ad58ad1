"""Load one delivered batch into ``raw`` with COPY, quarantining rows that break the contract.

Rules, per batch (``landing/<source>/<dataset>/<batch>/``):

* rows read = rows loaded + rows quarantined: each COPY is held to the rows Postgres reports it
  stored, and the quarantine is counted in the database after the load;
* a batch already loaded with the same content (sha256 of its files) is skipped, and so is
  the same content delivered again under another batch name;
* a batch delivered again with different content replaces the earlier load as a whole;
* a file that cannot be read fails the batch: its transaction rolls back, so earlier data stays
  exactly as it was, and the failure is recorded in ``raw.batches`` with the file and problem;
* loads of one feed take turns (an advisory lock per raw table); readers of the table are never
  kept waiting by a load;
* rows are stored in ``raw_store.<feed>`` with a file id and shown by the view ``raw.<feed>``
  once the load's ``raw.files`` rows commit, so a large file may be written over two
  connections and still appear whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import psycopg
from psycopg import sql

from workcomp.contracts import Contract
from workcomp.ingest.csv_columnar import load_columnar
from workcomp.ingest.lineage import (
    COPIED_LINEAGE,
    FILE_ID_DEFAULT,
    STORED_LINEAGE,
    set_lineage,
    view_sql,
)
from workcomp.ingest.readers import ROW_PROBLEM, FileUnreadable, open_delivered
from workcomp.ingest.row_checks import row_problems
from workcomp.ingest.stored_rows import RowsNotStored, check_stored
from workcomp.ingest.values import CellError, canonical, to_text

MANIFEST = "manifest.json"
COPY_CONNECTIONS_ENV = "WORKCOMP_COPY_CONNECTIONS"


def copy_connections() -> int:
    """Connections a large CSV file is copied over: 2 (Postgres writes on two cores), or 1
    where the server's connection budget is tight (``WORKCOMP_COPY_CONNECTIONS=1``)."""
    value = os.environ.get(COPY_CONNECTIONS_ENV, "2")
    if value not in ("1", "2"):
        raise ValueError(f"{COPY_CONNECTIONS_ENV} must be 1 or 2, not {value!r}")
    return int(value)


class BatchFailed(Exception):
    """The batch could not be loaded; the message names the file and the problem."""


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    status: str  # loaded | skipped | failed
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""


SALT_ENV = "WORKCOMP_HASH_SALT"


class SaltMismatch(RuntimeError):
    pass


def bootstrap(conn: psycopg.Connection) -> None:
    """Create schemas, the batch log, quarantine and SQL helpers (idempotent).

    The person-key salt comes from WORKCOMP_HASH_SALT when set; otherwise the warehouse makes
    a random one on first use and keeps it. It never changes afterwards: a different salt
    would give every person a new key, so a mismatch is an error, not an update.
    """
    from workcomp.warehouse.roles import apply_roles, can_manage_roles

    ddl = resources.files("workcomp.warehouse").joinpath("sql/bootstrap.sql").read_text("utf-8")
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('workcomp.bootstrap'))")
        conn.execute(ddl)
        given = os.environ.get(SALT_ENV)
        stored = conn.execute(
            "select value from util.secrets where name = 'person_key_salt'"
        ).fetchone()
        if stored is None:
            conn.execute(
                "insert into util.secrets (name, value) values ('person_key_salt', %s)",
                (given or secrets.token_hex(32),),
            )
        elif given and given != stored[0]:
            raise SaltMismatch(
                f"{SALT_ENV} differs from the salt this warehouse was built with; person keys "
                "would all change. Unset it, or rebuild the warehouse from raw on purpose."
            )
    # Roles are needed before dbt builds (its grants name them); only the owner can make them.
    if can_manage_roles(conn):
        with conn.transaction():
            conn.execute("select pg_advisory_xact_lock(hashtext('workcomp.roles'))")
            apply_roles(conn, from_env=False)


def ensure_raw_table(conn: psycopg.Connection, contract: Contract) -> bool:
    """The feed's stored rows (``raw_store.<table>``) and its view (``raw.<table>``), with every
    contract column; a table from the loader that stored lineage text per row is moved over.
    Returns True when the stored table was already as the contract needs it, False when this
    transaction made or altered it (other connections cannot write to it until it commits).

    Called inside the load's transaction, holding the feed's load lock. Nothing is locked
    when nothing changes: even ``create index if not exists`` would hold a lock that keeps
    every other writer of the table out until the load commits."""
    view = _relkind(conn, "raw", contract.table)
    if view == "r":
        _move_legacy_table(conn, contract)
        view = "v"
    store = sql.Identifier("raw_store", contract.table)
    existed = _relkind(conn, "raw_store", contract.table) is not None
    if not existed:
        _create_store(conn, contract.table, [])
    delivered = [c for c in _stored_columns(conn, contract.table) if c not in STORED_LINEAGE]
    # New contract columns arrive as nullable text. Only a missing one is added, and the view
    # replaced only then: both lock out readers until the load commits.
    missing = [c.name for c in contract.all_fields if c.name not in delivered]
    for name in missing:
        conn.execute(
            sql.SQL("alter table {} add column {} text").format(store, sql.Identifier(name))
        )
    if missing or view is None:
        conn.execute(view_sql(contract.table, delivered + missing))
    # Files are appended whole and their ids increase, so a block-range index finds a file's
    # rows as well as a B-tree at a fraction of the cost of keeping it; monthly files arrive
    # in month order, so the month's ranges stay narrow too.
    wanted = {f"{contract.table}__file_brin": "_file_id"}
    if contract.month_column:
        wanted[f"{contract.table}__month_brin"] = contract.month_column
    present = {
        name
        for (name,) in conn.execute(
            "select indexname from pg_indexes where schemaname = 'raw_store' and tablename = %s",
            (contract.table,),
        )
    }
    for name, column in wanted.items():
        if name not in present:
            conn.execute(
                sql.SQL("create index {} on {} using brin ({})").format(
                    sql.Identifier(name), store, sql.Identifier(column)
                )
            )
    return existed and not missing and wanted.keys() <= present


def _relkind(conn, schema: str, name: str) -> str | None:
    row = conn.execute(
        "select c.relkind::text from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname = %s and c.relname = %s",
        (schema, name),
    ).fetchone()
    return row[0] if row else None


def _create_store(conn, table: str, delivered: list[str]) -> None:
    """``raw_store.<table>``: the file id, the line number and the delivered columns as text."""
    columns = sql.SQL("").join(sql.SQL(", {} text").format(sql.Identifier(n)) for n in delivered)
    conn.execute(
        sql.SQL(
            "create table {} (_file_id integer not null default {},"
            " _row_number integer not null{})"
        ).format(sql.Identifier("raw_store", table), sql.SQL(FILE_ID_DEFAULT), columns)
    )


def _stored_columns(conn, table: str) -> list[str]:
    return [
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'raw_store' and table_name = %s order by ordinal_position",
            (table,),
        )
    ]


LEGACY_LINEAGE = ("_batch_id", "_source_file", "_row_number", "_loaded_at")


def _move_legacy_table(conn, contract: Contract) -> None:
    """A raw table whose rows carry their batch and file as text becomes stored rows with a
    file id and a view: each (batch, file) gets a ``raw.files`` row, in the order they were
    loaded, so the latest delivery stays the latest. Runs once per feed."""
    legacy = sql.Identifier("raw", contract.table)
    delivered = [
        name
        for (name,) in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw'"
            " and table_name = %s order by ordinal_position",
            (contract.table,),
        )
        if name not in LEGACY_LINEAGE
    ]
    files = conn.execute(
        sql.SQL(
            "select _batch_id, _source_file, min(_loaded_at) from {} group by 1, 2"
            " order by 3, 1, 2"
        ).format(legacy)
    ).fetchall()
    for batch_id, source_file, loaded_at in files:
        conn.execute(
            "insert into raw.files (file_id, raw_table, batch_id, source_file, loaded_at)"
            " values (nextval('raw.file_ids'), %s, %s, %s, %s)",
            (contract.table, batch_id, source_file, loaded_at),
        )
    store = sql.Identifier("raw_store", contract.table)
    _create_store(conn, contract.table, delivered)
    names = sql.SQL("").join(sql.SQL(", t.{}").format(sql.Identifier(n)) for n in delivered)
    conn.execute(
        sql.SQL(
            "insert into {} select f.file_id, t._row_number{} from {} as t join raw.files as f"
            " on f.raw_table = %s and f.batch_id = t._batch_id and f.source_file = t._source_file"
            " order by f.file_id, t._row_number"
        ).format(store, names, legacy),
        (contract.table,),
    )
    try:
        conn.execute(sql.SQL("drop table {}").format(legacy))
    except psycopg.errors.DependentObjectsStillExist as exc:
        raise BatchFailed(
            f"raw.{contract.table} must become a view over raw_store.{contract.table}, but other"
            f" objects read it ({exc.diag.message_detail or exc}); drop them, load again, and"
            f" make them again over the view"
        ) from exc
    conn.execute(view_sql(contract.table, delivered))


def sweep_unpublished(conn, contract: Contract) -> int:
    """Delete the stored rows of files a dead load left unpublished (never visible in the
    view); returns how many. Run holding the feed's load lock."""
    store = sql.Identifier("raw_store", contract.table)
    ids = [
        file_id
        for (file_id,) in conn.execute(
            "delete from raw.unpublished_files where raw_table = %s returning file_id",
            (contract.table,),
        )
    ]
    if not ids:  # ids are marked only for a stored table that was committed
        return 0
    return conn.execute(
        sql.SQL("delete from {} where _file_id = any(%s)").format(store), (ids,)
    ).rowcount


def load_lock(contract: Contract) -> str:
    """The advisory lock a load of this feed holds for its transaction."""
    return f"workcomp.load.{contract.table}"


def batch_files(batch_dir: Path) -> list[Path]:
    return sorted(
        p
        for p in batch_dir.iterdir()
        if p.is_file() and p.name != MANIFEST and not p.name.startswith(".")
    )


def file_digests(paths: list[Path]) -> dict[str, str]:
    """SHA-256 of each file, read in blocks (a province's month is hundreds of MB)."""
    digests = {}
    for path in paths:
        with open(path, "rb") as fh:
            digests[path.name] = hashlib.file_digest(fh, "sha256").hexdigest()
    return digests


def batch_checksum(digests: dict[str, str]) -> str:
    """One checksum for the batch: its file names and their contents, in name order."""
    digest = hashlib.sha256()
    for name in sorted(digests):
        digest.update(name.encode())
        digest.update(bytes.fromhex(digests[name]))
    return digest.hexdigest()


def _check_manifest(batch_dir: Path, files: list[Path], digests: dict[str, str]) -> dict[str, int]:
    """Verify a sender's manifest when there is one; returns the promised row counts."""
    path = batch_dir / MANIFEST
    if not path.exists():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        entries = {e["file"]: e for e in manifest["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        raise BatchFailed(f"{path.name}: not a valid manifest ({exc})") from exc
    names = {p.name for p in files}
    for name in entries.keys() - names:
        raise BatchFailed(f"{name}: listed in {MANIFEST} but not delivered")
    for file in files:
        entry = entries.get(file.name)
        if entry is None:
            raise BatchFailed(f"{file.name}: delivered but not listed in {MANIFEST}")
        actual = digests[file.name]
        if "sha256" in entry and entry["sha256"].lower() != actual:
            raise BatchFailed(f"{file.name}: sha256 {actual} differs from the manifest")
    return {name: int(e["rows"]) for name, e in entries.items() if "rows" in e}


# Cells of these types are mostly unique per file; caching them would only cost memory.
_UNCACHED_TYPES = {"text", "resident_id"}
_CACHE_LIMIT = 200_000


class _Canonicalizer:
    """``canonical()`` with a per-column memo: codes, months, rates and dates repeat a lot."""

    def __init__(self, contract: Contract):
        self.columns = contract.columns
        self.caches = {c.name: {} for c in contract.columns if c.type not in _UNCACHED_TYPES}

    def row(self, cells: dict[str, object]) -> tuple[list[str | None], list[str]]:
        values, reasons = [], []
        for column in self.columns:
            raw = cells.get(column.name)
            cache = self.caches.get(column.name)
            key = raw if isinstance(raw, (str, int, float)) else None
            hit = cache.get(key, _MISS) if cache is not None and key is not None else _MISS
            if hit is _MISS:
                try:
                    hit = canonical(raw, column)
                except CellError as exc:
                    hit = exc
                if cache is not None and key is not None:
                    if len(cache) > _CACHE_LIMIT:
                        cache.clear()
                    cache[key] = hit
            if isinstance(hit, CellError):
                reasons.append(f"{column.name}:{hit.code}: {hit}")
                values.append(None)
            else:
                values.append(hit)
        return values, reasons


_MISS = object()


ORIGINAL_CELL_CHARS = 2_000


def quarantine_original(cells: dict[str, object]) -> str:
    """A rejected row's cells as JSON for raw.quarantine: text as delivered, except that a NUL
    (which jsonb cannot hold) shows as ␀ and a huge cell is cut, its length noted."""
    original = {}
    for name, value in cells.items():
        text = to_text(value).replace("\x00", "\u2400")
        if len(text) > ORIGINAL_CELL_CHARS:
            text = f"{text[:ORIGINAL_CELL_CHARS]}…[{len(text)} characters]"
        original[name] = text
    return json.dumps(original, ensure_ascii=False)


def _load_file(cur, contract: Contract, file_id: int, path: Path, set_based: bool = True,
               second_writer: bool = False):  # fmt: skip
    """Load one file; returns (rows read, rows loaded, quarantine rows).

    A CSV goes columnar (``csv_columnar``) when Arrow reads it exactly as the csv module
    would, over a second connection too when ``second_writer`` (the stored table was made
    before this transaction); workbooks, JSON Lines and other CSV files are checked row by
    row in Python.
    """
    set_lineage(cur, file_id)
    if set_based and path.suffix.lower() == ".csv":

        def slow_rows(rows):
            return _load_rows(cur, contract, rows, {})

        result = load_columnar(cur, contract, path, slow_rows, file_id, second_writer)
        if result is not None:
            return result
    delivered = open_delivered(path, contract)
    form: dict[str, str | None] = {}
    for form_field in contract.form_fields:
        try:
            form[form_field.name] = canonical(
                delivered.form_values.get(form_field.name), form_field
            )
        except CellError as exc:
            raise FileUnreadable(path, f"form field {form_field.label}: {exc}") from exc
    return _load_rows(cur, contract, delivered.rows, form)


def _load_rows(cur, contract, rows, form):
    """Check ``(row_number, cells)`` pairs in Python; COPY the valid ones into raw (the file
    comes from the lineage setting ``_load_file`` made)."""
    names = [c.name for c in contract.all_fields]
    copy_sql = sql.SQL("copy {} ({}) from stdin").format(
        sql.Identifier("raw_store", contract.table),
        sql.SQL(", ").join(map(sql.Identifier, [*COPIED_LINEAGE, *names])),
    )
    read = loaded = 0
    rejected: list[tuple] = []
    canonicalizer = _Canonicalizer(contract)
    with cur.copy(copy_sql) as copy:
        for row_number, cells in rows:
            read += 1
            if ROW_PROBLEM in cells:
                rejected.append((row_number, quarantine_original(cells), [cells[ROW_PROBLEM]]))
                continue
            values, reasons = canonicalizer.row(cells)
            if contract.checks and not reasons:
                named = dict(zip((c.name for c in contract.columns), values, strict=True))
                reasons = row_problems(contract.checks, named)
            if reasons:
                rejected.append((row_number, quarantine_original(cells), reasons))
                continue
            copy.write_row((row_number, *values, *form.values()))
            loaded += 1
    check_stored(cur, loaded, f"raw_store.{contract.table}")
    return read, loaded, rejected


def load_batch(conn: psycopg.Connection, contract: Contract, batch_dir: Path,
               set_based: bool = True) -> BatchResult:  # fmt: skip
    """Load ``batch_dir`` for ``contract``; see the module docstring for the rules."""
    batch_id = f"{contract.source}/{contract.dataset}/{batch_dir.name}"
    started = dt.datetime.now(dt.UTC)
    files = batch_files(batch_dir)
    try:
        if not files:
            raise BatchFailed(f"{batch_dir}: the batch folder holds no data file")
        digests = file_digests(files)
        checksum = batch_checksum(digests)
        previous = conn.execute(
            "select sha256 from raw.batches where batch_id = %s and status = 'loaded'", (batch_id,)
        ).fetchone()
        if previous and previous[0] == checksum:
            return BatchResult(batch_id, "skipped", message="already loaded with the same content")
        twin = conn.execute(
            "select batch_id from raw.batches where source = %s and dataset = %s"
            " and sha256 = %s and status = 'loaded' and batch_id <> %s",
            (contract.source, contract.dataset, checksum, batch_id),
        ).fetchone()
        if twin:  # the same files sent again under another folder name: loading would double
            return BatchResult(
                batch_id, "skipped", message=f"same content as the loaded batch {twin[0]}"
            )
        promised = _check_manifest(batch_dir, files, digests)
        with conn.transaction():
            # Loads of one feed take turns (a batch delivered twice at once must not load
            # twice); readers of the raw table are not kept waiting.
            conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (load_lock(contract),))
            # A second connection can write only to a table committed before this transaction.
            two = ensure_raw_table(conn, contract) and copy_connections() > 1
            result = _replace_batch(conn, contract, batch_id, files, promised, checksum, started,
                                    set_based, second_writer=two)  # fmt: skip
        return result
    except (BatchFailed, FileUnreadable, RowsNotStored) as exc:
        _record_failure(conn, contract, batch_id, batch_dir, files, started, str(exc))
        raise BatchFailed(f"batch {batch_id} failed: {exc}") from exc


def _replace_batch(conn, contract, batch_id, files, promised, checksum, started,
                   set_based=True, second_writer=False) -> BatchResult:  # fmt: skip
    store = sql.Identifier("raw_store", contract.table)
    sweep_unpublished(conn, contract)
    earlier = [
        file_id
        for (file_id,) in conn.execute(
            "delete from raw.files where raw_table = %s and batch_id = %s returning file_id",
            (contract.table, batch_id),
        )
    ]
    if earlier:
        conn.execute(sql.SQL("delete from {} where _file_id = any(%s)").format(store), (earlier,))
    conn.execute("delete from raw.quarantine where batch_id = %s", (batch_id,))
    read = loaded = 0
    file_ids = []
    with conn.cursor() as cur:
        for path in files:
            # now(): every file of the batch has the load transaction's start as its load time.
            (file_id,) = cur.execute(
                "insert into raw.files (file_id, raw_table, batch_id, source_file)"
                " values (nextval('raw.file_ids'), %s, %s, %s) returning file_id",
                (contract.table, batch_id, path.name),
            ).fetchone()
            file_ids.append(file_id)
            f_read, f_loaded, rejected = _load_file(cur, contract, file_id, path, set_based,
                                                    second_writer)  # fmt: skip
            if path.name in promised and promised[path.name] != f_read:
                raise BatchFailed(
                    f"{path.name}: {f_read} data rows read, the manifest promises "
                    f"{promised[path.name]}"
                )
            with cur.copy(
                "copy raw.quarantine (batch_id, source, dataset, source_file, row_number,"
                " original, reasons) from stdin"
            ) as copy:
                for rejected_row in rejected:
                    copy.write_row((batch_id, contract.source, contract.dataset, path.name,
                                    *rejected_row))  # fmt: skip
            read += f_read
            loaded += f_loaded
    # Rows a helper connection wrote are published by this transaction's raw.files rows.
    conn.execute("delete from raw.unpublished_files where file_id = any(%s)", (file_ids,))
    # Every COPY was held to the rows it was sent (check_stored), so ``loaded`` is what
    # Postgres stored; the quarantine is counted where it lies.
    in_quarantine = conn.execute(
        "select count(*) from raw.quarantine where batch_id = %s", (batch_id,)
    ).fetchone()[0]
    if read != loaded + in_quarantine:
        raise BatchFailed(
            f"rows do not reconcile: read {read}, stored {loaded}, quarantined {in_quarantine}"
        )
    _upsert_batch(conn, batch_id, contract, files, checksum, started,
                  "loaded", read, loaded, in_quarantine, None)  # fmt: skip
    return BatchResult(batch_id, "loaded", read, loaded, in_quarantine)


def _upsert_batch(conn, batch_id, contract, files, checksum, started, status,
                  read, loaded, quarantined, message) -> None:  # fmt: skip
    conn.execute(
        """
        insert into raw.batches (batch_id, source, dataset, batch_name, files, sha256, rows_read,
            rows_loaded, rows_quarantined, status, message, started_at, finished_at)
        values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())
        on conflict (batch_id) do update set
            files = excluded.files, sha256 = excluded.sha256, rows_read = excluded.rows_read,
            rows_loaded = excluded.rows_loaded, rows_quarantined = excluded.rows_quarantined,
            status = excluded.status, message = excluded.message,
            started_at = excluded.started_at, finished_at = excluded.finished_at
        """,
        (batch_id, contract.source, contract.dataset, batch_id.rsplit("/", 1)[1],
         [p.name for p in files], checksum, read, loaded, quarantined, status, message, started),
    )  # fmt: skip


def _record_failure(conn, contract, batch_id, batch_dir, files, started, message) -> None:
    """Log a failed delivery without touching a batch that loaded earlier; rows its helper
    connection had stored are deleted (they were never published)."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext(%s))", (load_lock(contract),))
        sweep_unpublished(conn, contract)
        loaded_before = conn.execute(
            "select 1 from raw.batches where batch_id = %s and status = 'loaded'", (batch_id,)
        ).fetchone()
        if loaded_before:
            # Keep the earlier good load and its record; note the failed re-delivery beside it.
            batch_id = f"{batch_id}#failed@{started:%Y%m%dT%H%M%S}"
        checksum = batch_checksum(file_digests(files)) if files else ""
        _upsert_batch(conn, batch_id, contract, files, checksum, started,
                      "failed", None, None, None, message)  # fmt: skip


def pending_batches(landing: Path, contract: Contract, until: str | None = None) -> list[Path]:
    """Batch folders of a dataset, oldest first. With ``until`` (a month, "2024-06"), only
    batches for periods up to that month: what a run for that month (or its backfill) loads.
    A folder not named by its period ("2024", "2024-06", "2024-06-15") is always included."""
    root = landing / contract.source / contract.dataset
    if not root.exists():
        return []
    batches = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if until is None:
        return batches
    return [b for b in batches if not _PERIOD.match(b.name) or b.name[:7] <= until]


_PERIOD = re.compile(r"^\d{4}(-\d{2}){0,2}$")
