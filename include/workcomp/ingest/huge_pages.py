"""Loads run without transparent huge pages.

A columnar load allocates and frees hundreds of MB of short-lived buffers per file (each
block's bytes, parsed columns, masks, CSV for COPY). Where the kernel backs them with 2 MiB
pages (numpy asks for them on large arrays, Arrow's allocator gets them too), every fresh page
is cleared whole on first touch: a quarter of a province month's load went to clearing pages in
a profile. With 4 KiB pages only what is touched is cleared, and the load finishes sooner.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import sys
import threading
from collections.abc import Iterator

log = logging.getLogger(__name__)

_PR_SET_THP_DISABLE = 41  # linux/prctl.h
_PR_GET_THP_DISABLE = 42
_lock = threading.Lock()
_holders = 0
_was_disabled = False


def _prctl(option: int, value: int = 0) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(option, value, 0, 0, 0)


@contextlib.contextmanager
def without_huge_pages() -> Iterator[None]:
    """Within the block the process takes no new transparent huge pages; the setting is the
    whole process's, so it is restored when the last of any concurrent loads leaves. Where
    the system has no such switch (not Linux) nothing changes."""
    global _holders, _was_disabled
    if not sys.platform.startswith("linux"):
        yield
        return
    with _lock:
        if _holders == 0:
            _was_disabled = _prctl(_PR_GET_THP_DISABLE) == 1
            if not _was_disabled and _prctl(_PR_SET_THP_DISABLE, 1) != 0:
                log.debug("transparent huge pages left on: prctl refused (%s)", ctypes.get_errno())
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and not _was_disabled:
                _prctl(_PR_SET_THP_DISABLE, 0)
