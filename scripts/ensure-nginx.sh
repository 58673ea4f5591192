#!/usr/bin/env bash
# Installs nginx from Debian packages: the reverse proxy in front of the app in the proxy tests
# (make test: tests/web/test_reverse_proxy.py, which skip without it) and the benchmark's feed
# farm (make bench: it falls back to a Python server, which steals CPU from what is measured).
set -euo pipefail

if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
    exit 0
fi

bash "$(dirname "$0")/apt-install.sh" ensure-nginx nginx-light ||
    bash "$(dirname "$0")/apt-install.sh" ensure-nginx nginx
echo "ensure-nginx: $(/usr/sbin/nginx -v 2>&1)"
