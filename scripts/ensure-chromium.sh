#!/usr/bin/env bash
# Installs headless Chromium and its WebDriver from Debian packages for the browser tests.
# Never downloads a browser any other way. Exits non-zero when they cannot be installed.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    exit 0
fi

bash "$(dirname "$0")/apt-install.sh" ensure-chromium chromium chromium-driver

if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    echo "ensure-chromium: packages installed but /usr/bin/chromium or /usr/bin/chromedriver missing" >&2
    exit 1
fi
echo "ensure-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo chromium installed)"
