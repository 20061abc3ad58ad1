#!/usr/bin/env bash
# Command 1: set everything up and run the main job end to end on the embedded warehouse.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
bash "$(dirname "${BASH_SOURCE[0]}")/install-browser.sh"  # for the bulletin's PDF; optional
exec workcomp run "$@"
