"""Deadline alerts and mail: a run past its deadline is reported the way Airflow's triggerer
runs the DAG's deadline callback, and alerts reach the webhook and the mailbox."""

import asyncio
import logging

from workcomp.orchestration import reliability

# The context Airflow's scheduler hands the callback when a deadline is missed
# (Deadline.handle_miss: the run as the REST API shows it, and the deadline).
MISSED = {
    "dag_run": {
        "dag_id": "warehouse_build",
        "dag_run_id": "asset_triggered__2026-11-23T05:00:00+00:00",
        "state": "running",
        "queued_at": "2026-11-23T05:00:00Z",
    },
    "deadline": {"id": "0193a1", "deadline_time": "2026-11-23T07:00:00+00:00"},
}


def _configure(monkeypatch, webhook, smtp_server):
    host, port, _ = smtp_server
    monkeypatch.setenv("WORKCOMP_ALERT_WEBHOOK", webhook[0])
    monkeypatch.setenv("WORKCOMP_ALERT_EMAIL", "oncall@example.org")
    monkeypatch.setenv("WORKCOMP_SMTP_HOST", host)
    monkeypatch.setenv("WORKCOMP_SMTP_PORT", str(port))
    monkeypatch.setenv("WORKCOMP_SMTP_FROM", "workcomp@bureau.example")


def test_a_missed_deadline_is_posted_and_mailed_by_the_triggerer(monkeypatch, webhook,
                                                                 smtp_server):  # fmt: skip
    from airflow.triggers.callback import CallbackTrigger

    _configure(monkeypatch, webhook, smtp_server)
    alert = reliability.deadline("warehouse_build")
    assert alert.interval.total_seconds() == 2 * 3600
    trigger = CallbackTrigger(
        callback_path=alert.callback.path,
        callback_kwargs={**alert.callback.kwargs, "context": MISSED},
    )

    async def events():
        return [event.payload async for event in trigger.run()]

    states = [e["state"] for e in asyncio.run(events())]
    assert [str(getattr(s, "value", s)) for s in states] == ["running", "success"]
    assert webhook[1] == [
        {
            "event": "deadline_missed",
            "dag_id": "warehouse_build",
            "run_id": "asset_triggered__2026-11-23T05:00:00+00:00",
            "state": "running",
            "deadline": "2026-11-23T07:00:00+00:00",
        }
    ]
    [mail] = smtp_server[2]
    assert mail["Subject"] == "[workcomp] warehouse_build missed its deadline"
    assert (mail["From"], mail["To"]) == ("workcomp@bureau.example", "oncall@example.org")
    assert "deadline: 2026-11-23T07:00:00+00:00" in mail.get_content()


def test_a_broken_alert_channel_is_logged_and_does_not_raise(monkeypatch, caplog):
    monkeypatch.setenv("WORKCOMP_ALERT_WEBHOOK", "http://127.0.0.1:1/alerts")
    monkeypatch.setenv("WORKCOMP_ALERT_EMAIL", "oncall@example.org")
    monkeypatch.setenv("WORKCOMP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("WORKCOMP_SMTP_PORT", "1")
    with caplog.at_level(logging.ERROR):
        reliability.send_alert({"event": "task_failed", "dag_id": "d", "task_id": "t"})
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("could not post the alert") for m in messages)
    assert any(m.startswith("could not mail the alert") for m in messages)


def test_nothing_is_sent_when_no_channel_is_configured(monkeypatch, webhook, smtp_server):
    for name in ("WORKCOMP_ALERT_WEBHOOK", "WORKCOMP_ALERT_EMAIL", "WORKCOMP_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    reliability.send_alert({"event": "task_failed", "dag_id": "d", "task_id": "t"})
    assert webhook[1] == [] and smtp_server[2] == []
