#!/bin/sh
# Installs what ragcache needs on a machine that has only Node/npm: Bun, the locked dependencies,
# and with "test" the servers and tools the tests drive (redis-server, chromium, promtool from Debian).
set -eu
cd "$(dirname "$0")/.."

if ! command -v bun >/dev/null 2>&1; then
  npm install -g bun@1.4.5 >/dev/null
fi
bun install --frozen-lockfile >/dev/null

if [ "${1:-}" = "test" ]; then
  missing=""
  command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
  [ -x /usr/bin/chromium ] || missing="$missing chromium"
  # promtool (in Debian's prometheus package) is the reference check of the /metrics exposition.
  [ -x /usr/bin/promtool ] || missing="$missing prometheus"
  if [ -n "$missing" ]; then
    echo "setup: installing$missing from Debian" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi
