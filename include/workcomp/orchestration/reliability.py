"""What Airflow retries, whom it tells, and how much of the warehouse a DAG may take at once.

Only transient faults are retried, with exponential backoff: the warehouse unreachable or
restarting, a lock or deadlock, a statement timeout, a dropped connection. A data error (a
batch that cannot be read, a critical expectation that failed) fails at once: it would fail
the same way again. Failures, and runs that miss their deadline, are logged with the DAG,
task, try and cause, posted to a webhook (``WORKCOMP_ALERT_WEBHOOK``) and mailed
(``WORKCOMP_ALERT_EMAIL`` through ``WORKCOMP_SMTP_*``) when those are configured.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import smtplib
import urllib.request
from email.message import EmailMessage

log = logging.getLogger(__name__)

WEBHOOK_ENV = "WORKCOMP_ALERT_WEBHOOK"
EMAIL_ENV = "WORKCOMP_ALERT_EMAIL"  # recipients, comma-separated

# How long after a run is queued its work must be done, or the on-call engineer is told while
# it still runs. Ingest: the batch sensor may wait six hours for a late sender, plus the loads.
# The build and checks run after the morning loads and must be done before the working day.
DEADLINES = {
    "ingest": dt.timedelta(hours=7),
    "warehouse_build": dt.timedelta(hours=2),
    "quality_checks": dt.timedelta(hours=1),
    "monthly_reports": dt.timedelta(hours=1),
}

# Pools keep loads and dbt from swamping the warehouse (2 cores by default).
POOLS = {
    "warehouse_loads": (2, "COPY loads into raw (workcomp ingest DAGs)"),
    "warehouse_dbt": (2, "dbt nodes building in the warehouse (warehouse_build)"),
}


def retry_args(retries: int = 3, first_delay: dt.timedelta = dt.timedelta(seconds=30)) -> dict:
    """default_args for a DAG: transient faults retried with backoff, failures reported."""
    return {
        "retries": retries,
        "retry_delay": first_delay,
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=10),
        "on_failure_callback": report_failure,
        "on_retry_callback": report_retry,
    }


def is_transient(exc: BaseException) -> bool:
    """A fault that may pass by itself: worth a retry. Looks through wrapped causes."""
    import psycopg

    transient = (
        psycopg.OperationalError,  # connection refused or lost, server shutting down
        psycopg.errors.SerializationFailure,
        psycopg.errors.DeadlockDetected,
        psycopg.errors.LockNotAvailable,
        ConnectionError,
        TimeoutError,
    )
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, transient):
            return True
        current = current.__cause__ or current.__context__
    return False


def fail_fast_on_data_errors(fn):
    """Let transient faults through for Airflow to retry; turn anything else into a failure
    Airflow does not retry (AirflowFailException), keeping the message."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from airflow.sdk.exceptions import AirflowFailException

        try:
            return fn(*args, **kwargs)
        except AirflowFailException:
            raise
        except Exception as exc:
            if is_transient(exc):
                log.warning("transient fault, Airflow will retry: %s: %s", type(exc).__name__, exc)
                raise
            raise AirflowFailException(
                f"{type(exc).__name__}: {exc} (a data or code error: not retried)"
            ) from exc

    return wrapper


def _describe(context: dict, what: str) -> dict:
    ti = context.get("ti") or context.get("task_instance")
    exc = context.get("exception")
    return {
        "event": what,
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(ti, "run_id", None),
        "try_number": getattr(ti, "try_number", None),
        "error": f"{type(exc).__name__}: {exc}" if exc else None,
    }


def report_failure(context: dict) -> None:
    alert = _describe(context, "task_failed")
    log.error("workcomp alert: %(dag_id)s.%(task_id)s failed on try %(try_number)s: %(error)s",
              alert)  # fmt: skip
    send_alert(alert)


def report_retry(context: dict) -> None:
    alert = _describe(context, "task_retrying")
    log.warning("workcomp: %(dag_id)s.%(task_id)s will be retried after: %(error)s", alert)


def deadline(kind: str):
    """The DeadlineAlert of a DAG: DEADLINES[kind] after its run was queued, the triggerer
    calls ``deadline_missed``."""
    from airflow.sdk.definitions.callback import AsyncCallback
    from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference

    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=DEADLINES[kind],
        callback=AsyncCallback(deadline_missed),
    )


async def deadline_missed(context: dict | None = None, **_) -> dict:
    """Run by Airflow's triggerer when a run is past its deadline (the run goes on)."""
    import asyncio

    context = context or {}
    run = context.get("dag_run") or {}
    alert = {
        "event": "deadline_missed",
        "dag_id": run.get("dag_id"),
        "run_id": run.get("dag_run_id") or run.get("run_id"),
        "state": run.get("state"),
        "deadline": str((context.get("deadline") or {}).get("deadline_time")),
    }
    log.error("workcomp alert: %(dag_id)s run %(run_id)s missed its deadline %(deadline)s "
              "(state %(state)s)", alert)  # fmt: skip
    await asyncio.to_thread(send_alert, alert)
    return alert


def send_alert(alert: dict) -> None:
    """Post the alert to the webhook and mail it, each when configured. Never raises: a broken
    alert channel must not hide the failure it reports."""
    post_alert(alert)
    mail_alert(alert)


def post_alert(alert: dict) -> None:
    """POST the alert as JSON to the configured webhook."""
    url = os.environ.get(WEBHOOK_ENV)
    if not url:
        return
    request = urllib.request.Request(
        url,
        data=json.dumps(alert, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            log.info("alert posted to webhook: HTTP %s", response.status)
    except Exception as exc:
        log.error("could not post the alert to %s: %s", WEBHOOK_ENV, exc)


def alert_subject(alert: dict) -> str:
    what = {"task_failed": "failed", "deadline_missed": "missed its deadline"}
    where = ".".join(str(alert[k]) for k in ("dag_id", "task_id") if alert.get(k))
    return f"[workcomp] {where} {what.get(alert['event'], alert['event'])}"


def mail_alert(alert: dict) -> None:
    """Mail the alert to WORKCOMP_ALERT_EMAIL through WORKCOMP_SMTP_HOST (port, user,
    password, sender and STARTTLS from the other WORKCOMP_SMTP_* variables)."""
    recipients = [a.strip() for a in os.environ.get(EMAIL_ENV, "").split(",") if a.strip()]
    host = os.environ.get("WORKCOMP_SMTP_HOST")
    if not recipients or not host:
        return
    message = EmailMessage()
    message["Subject"] = alert_subject(alert)
    message["From"] = os.environ.get("WORKCOMP_SMTP_FROM", "workcomp@localhost")
    message["To"] = ", ".join(recipients)
    message.set_content(
        "\n".join(f"{k}: {v}" for k, v in alert.items() if v is not None), charset="utf-8"
    )
    try:
        port = int(os.environ.get("WORKCOMP_SMTP_PORT", "25"))
        with smtplib.SMTP(host, port, timeout=10) as smtp:
            if os.environ.get("WORKCOMP_SMTP_STARTTLS", "").lower() in {"1", "true", "yes"}:
                smtp.starttls()
            if os.environ.get("WORKCOMP_SMTP_USER"):
                smtp.login(os.environ["WORKCOMP_SMTP_USER"], os.environ["WORKCOMP_SMTP_PASSWORD"])
            smtp.send_message(message)
        log.info("alert mailed to %s", ", ".join(recipients))
    except Exception as exc:
        log.error("could not mail the alert to %s: %s", EMAIL_ENV, exc)


def ensure_pools() -> None:
    """Create or resize the pools (Airflow's metadata database must exist)."""
    from airflow.models.pool import Pool

    for name, (slots, description) in POOLS.items():
        Pool.create_or_update_pool(name, slots, description, include_deferred=False)


def reliably(fn, *args, **kwargs):
    """Call a task's work with fail_fast_on_data_errors: what DAG task bodies use."""
    return fail_fast_on_data_errors(fn)(*args, **kwargs)
