#!/usr/bin/env bash
# Make Debian's chromium available for the console tests (tests/http/test_console.py).
# Installs it with apt-get when missing (needs root, as on our machines and in CI), bounded in
# time. Never fails: when the install is impossible it says why, and the browser tests skip.
set -u
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "console tests: chromium missing and cannot be installed here (need root and apt-get)" >&2
  exit 0
fi
echo "console tests: installing Debian's chromium package..." >&2
log=$(mktemp)
if timeout -s KILL 240 apt-get update >"$log" 2>&1 &&
   DEBIAN_FRONTEND=noninteractive timeout -s KILL 480 \
     apt-get install -y --no-install-recommends chromium >>"$log" 2>&1; then
  rm -f "$log"
  exit 0
fi
echo "console tests: could not install the chromium package (log below)" >&2
tail -n 20 "$log" >&2
rm -f "$log"
exit 0
