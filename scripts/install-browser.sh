#!/usr/bin/env bash
# A headless Chromium for the bulletin's PDF and its browser test. Installed from the system
# package manager (Debian/Ubuntu: chromium + a CJK font) when we are root and apt-get exists;
# otherwise say what to do. Never fails the caller: without a browser the bulletin is HTML only.
set -uo pipefail
for b in "${WORKCOMP_BROWSER:-}" chromium chromium-browser google-chrome google-chrome-stable; do
    if [ -n "$b" ] && command -v "$b" >/dev/null 2>&1; then
        echo "browser: $(command -v "$b")"
        exit 0
    fi
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium and a CJK font (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    if apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium fonts-wqy-zenhei >/dev/null; then
        echo "browser: $(command -v chromium)"
        exit 0
    fi
    echo "apt-get could not install chromium" >&2
fi
echo "no browser found: the bulletin is written as HTML only and its browser test is skipped" \
     "(install chromium, or set WORKCOMP_BROWSER to a Chromium binary)" >&2
exit 0
