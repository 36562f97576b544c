#!/usr/bin/env bash
# Make promtool and prometheus (Debian's "prometheus" package) available for make test-deploy.
# Installs them with apt-get when missing (needs root, as on our machines and in CI), bounded in
# time. Never fails the build: when the install is impossible it says why, and the tests that need
# the binaries skip with that reason.
set -u
if command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test-deploy: promtool/prometheus missing and cannot be installed here (need root and apt-get);" \
       "the alert and end-to-end tests will be skipped" >&2
  exit 0
fi
echo "test-deploy: installing Debian's prometheus package (promtool + server)..." >&2
log=$(mktemp)
if timeout -s KILL 240 apt-get update >"$log" 2>&1 &&
   DEBIAN_FRONTEND=noninteractive timeout -s KILL 300 \
     apt-get install -y --no-install-recommends prometheus >>"$log" 2>&1; then
  rm -f "$log"
  # The package's service is not wanted: these tests start their own Prometheus on a free port.
  exit 0
fi
echo "test-deploy: could not install the prometheus package (log below); the alert and" \
     "end-to-end tests will be skipped" >&2
tail -n 20 "$log" >&2
rm -f "$log"
exit 0
