"""What the benchmark commands share: the console, the machine's description and a fresh
database for each run."""

from __future__ import annotations

import os

import psycopg
from rich.console import Console

console = Console()


def machine() -> str:
    with open("/proc/meminfo") as fh:
        total_kib = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
    return f"{os.cpu_count()} cores, {total_kib / 1024 / 1024:.1f} GiB memory"


def fresh_database(server_url: str, name: str) -> str:
    """An empty database ``name`` on the server (dropped first if a run left it); its URL."""
    from workcomp.warehouse.connection import with_database

    with psycopg.connect(with_database(server_url, "postgres"), autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")
        conn.execute(f"create database {name}")
    return with_database(server_url, name)
