#!/usr/bin/env bash
# apt-install.sh NAME PACKAGE...: installs Debian packages as root, or through `sudo -n`.
# NAME prefixes the messages. Exits non-zero when they cannot be installed.
set -euo pipefail

name="$1"
shift
SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "$name: not root and no sudo; cannot install $*" >&2
        exit 1
    fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "$@"
