"""No secret is committed: every password, key and salt comes from the environment (.env,
Airflow connections) or is generated at first start. Scans every file git tracks."""

import re
import subprocess

import pytest

from workcomp.settings import PROJECT_ROOT

PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    # A password inside a connection URL: only a variable (${X}, $$X, an f-string field), the
    # word "password", or any value for a reserved host (127.0.0.1:1 where nothing listens,
    # RFC 2606 *.example / *.invalid) may stand there.
    "password in a URL": re.compile(
        r"://[^:/@\s\"']+:(?!\$|\{|password@|[^@\s/]+@(127\.0\.0\.1:1/|[\w.-]+\.(example|invalid)\b))"
        r"[^@\s/\"']+@"
    ),
    "assigned secret": re.compile(
        r"(?i)\b\w*(password|passwd|secret|token|api_key|salt)\w*\s*[:=]\s*"
        r"['\"](?!change-me|(?-i:[A-Z][A-Z0-9_]+)['\"])[^'\"\s${}<>]{8,}['\"]"
    ),
}
# An .env is for real values and must never be tracked; .env.example holds placeholders only.
PLACEHOLDER = re.compile(r"^(change-me[\w-]*|\d+|[A-Za-z]+Executor)$")


def tracked_files():
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")  # fmt: skip
    return [PROJECT_ROOT / name for name in listed if name and name != "uv.lock"]


def test_the_scan_finds_what_it_looks_for():
    # Assembled at run time, so that this file does not hold what it plants.
    planted = [
        "-----BEGIN RSA " + "PRIVATE KEY-----",
        "url = 'postgresql://workcomp:" + "s3cr3t-Pa55@db:5432/workcomp'",
        "WAREHOUSE_PASSWORD = " + '"Xk3v9Qp0Lm2Z"',
        "key AKIA" + "IOSFODNN7EXAMPLE here",
    ]
    for line in planted:
        assert any(p.search(line) for p in PATTERNS.values()), line
    for line in ["postgresql://workcomp:${WAREHOUSE_PASSWORD}@warehouse:5432/workcomp",
                 "password = os.environ['WORKCOMP_SMTP_PASSWORD']"]:  # fmt: skip
        assert not any(p.search(line) for p in PATTERNS.values()), line


def test_no_secret_is_committed():
    found = []
    files = tracked_files()
    assert len(files) > 100
    for path in files:
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary: xlsx examples
        for n, line in enumerate(text.splitlines(), start=1):
            for what, pattern in PATTERNS.items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(PROJECT_ROOT)}:{n}: {what}")
    assert found == []


@pytest.mark.parametrize("name", [".env", "deploy/.env", ".workcomp"])
def test_local_secrets_are_never_tracked(name):
    ignored = subprocess.run(["git", "check-ignore", "-q", name], cwd=PROJECT_ROOT)
    assert ignored.returncode == 0, f"{name} is not git-ignored"


def test_env_example_holds_placeholders_only():
    for line in (PROJECT_ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert PLACEHOLDER.match(value), f"{name} looks like a real value: {value!r}"
