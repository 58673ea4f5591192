#!/usr/bin/env bash
# Installs nginx from Debian packages for the benchmark's feed farm (make bench).
# The farm falls back to a Python server without it, which steals CPU from what is measured.
set -euo pipefail

if command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]]; then
    exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "ensure-nginx: not root and no sudo; the farm will use the slower Python server" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends nginx-light || \
    $SUDO apt-get install -y -q --no-install-recommends nginx
echo "ensure-nginx: $(/usr/sbin/nginx -v 2>&1)"
