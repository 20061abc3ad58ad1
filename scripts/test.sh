#!/usr/bin/env bash
# Command 2: set everything up and run the whole test suite.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
bash "$(dirname "${BASH_SOURCE[0]}")/install-browser.sh"
workcomp dbt-manifest >/dev/null
ruff check include dags tests
exec pytest "$@"
