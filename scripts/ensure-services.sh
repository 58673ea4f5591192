#!/usr/bin/env bash
# Make sure the PostgreSQL server the storage tests use is reachable; start it if it is installed but stopped.
# If no server can be had, the PostgreSQL tests skip with a loud reason (see tests/conftest.py).
set -u
host=127.0.0.1
port=5432
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$host" -p "$port"; then
  exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  done
  for _ in $(seq 1 20); do
    pg_isready -q -h "$host" -p "$port" && exit 0
    sleep 0.5
  done
fi
echo "WARNING: PostgreSQL is not reachable at $host:$port; PostgreSQL tests will be skipped" >&2
exit 0
