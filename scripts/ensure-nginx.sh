#!/usr/bin/env bash
# Installs nginx from Debian packages for the benchmark's feed farm (make bench).
# The farm falls back to a Python server without it, which steals CPU from what is measured.
set -euo pipefail

if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
    exit 0
fi

bash "$(dirname "$0")/apt-install.sh" ensure-nginx nginx-light ||
    bash "$(dirname "$0")/apt-install.sh" ensure-nginx nginx
echo "ensure-nginx: $(/usr/sbin/nginx -v 2>&1)"
