"""Run one command and report its wall time and the peak memory of its largest process.

    python -m workcomp.benchmark.measure <command> [args...]

prints the command's output, then ``RESULT {"seconds", "peak_rss_mib", "returncode"}``. The peak
is ``ru_maxrss`` of the children (the largest process of the tree this one waited for: the
command itself, or a dbt or Airflow process it started); the Postgres server is not among them.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time


def main(argv: list[str]) -> int:
    started = time.perf_counter()
    code = subprocess.call(argv)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = {"seconds": seconds, "peak_rss_mib": peak_kib / 1024, "returncode": code}
    print("RESULT " + json.dumps(result), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
