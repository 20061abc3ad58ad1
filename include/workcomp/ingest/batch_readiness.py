"""Whether a delivered batch is complete, so that a half-uploaded batch is never loaded.

Each feed contract says how its sender marks a finished delivery (``complete_when``):

* ``manifest``: the sender writes ``manifest.json`` after the data files (the social-insurance
  exchange). No manifest yet means the upload is still running.
* ``quiet``: agencies that upload files by hand send no manifest (the health department's Excel
  forms), so a batch is complete once nothing in its folder has changed for ``quiet_seconds``.

Either way a batch is not complete while an upload is visibly in progress: a hidden temporary
file (rsync and many SFTP clients upload to ``.name.XXXX`` and rename), a partial-download
suffix, or an Excel lock file (``~$name.xlsx``, the form is still open on someone's desk).
"""

from __future__ import annotations

import time
from pathlib import Path

from workcomp.contracts import Contract
from workcomp.ingest.loader import MANIFEST, batch_files, pending_batches

IN_PROGRESS_SUFFIXES = (".part", ".partial", ".tmp", ".filepart", ".crdownload", ".uploading")


def _in_progress(name: str) -> bool:
    return (
        name.startswith(".") or name.startswith("~$") or name.lower().endswith(IN_PROGRESS_SUFFIXES)
    )


def incomplete_reason(batch_dir: Path, contract: Contract, now: float | None = None) -> str | None:
    """Why ``batch_dir`` is not ready to load yet, or None when it is complete."""
    entries = [p for p in batch_dir.iterdir() if p.is_file()]
    uploading = sorted(p.name for p in entries if _in_progress(p.name))
    if uploading:
        return f"upload in progress ({', '.join(uploading)})"
    if not batch_files(batch_dir):
        return "no data file delivered yet"
    if contract.complete_when == "manifest":
        if not (batch_dir / MANIFEST).exists():
            return f"waiting for {MANIFEST} (the sender writes it after the data files)"
        return None
    newest = max(p.stat().st_mtime for p in [batch_dir, *entries])
    quiet_for = (time.time() if now is None else now) - newest
    if quiet_for < contract.quiet_seconds:
        return (
            f"changed {max(quiet_for, 0):.0f} s ago; complete after "
            f"{contract.quiet_seconds} s without changes"
        )
    return None


def incomplete_batches(
    landing: Path, contract: Contract, until: str | None = None, now: float | None = None
) -> list[tuple[Path, str]]:
    """The pending batches (up to the month ``until``) that are not complete, with the reason."""
    waiting = []
    for batch_dir in pending_batches(landing, contract, until):
        reason = incomplete_reason(batch_dir, contract, now)
        if reason is not None:
            waiting.append((batch_dir, reason))
    return waiting
