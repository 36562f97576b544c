#!/usr/bin/env bash
# Make PostgreSQL's server binaries (initdb, postgres, pg_ctl) available for the tests of the
# shared audit store (tests/fleet). Installs Debian's "postgresql" package with apt-get when they
# are missing (needs root, as on our machines and in CI), bounded in time. Never fails the
# build: when the install is impossible it says why, and the tests that need the binaries skip.
# Prints the directory of the binaries on stdout when they are there.
set -u
find_bin() {
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  done
  return 1
}
if find_bin; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-postgresql: PostgreSQL server binaries missing and cannot be installed here" \
       "(need root and apt-get); the PostgreSQL tests will be skipped" >&2
  exit 0
fi
echo "ensure-postgresql: installing Debian's postgresql package..." >&2
log=$(mktemp)
if timeout -s KILL 240 apt-get update >"$log" 2>&1 &&
   DEBIAN_FRONTEND=noninteractive timeout -s KILL 300 \
     apt-get install -y --no-install-recommends postgresql >>"$log" 2>&1; then
  rm -f "$log"
  # The package's own cluster is not used: the tests start their own on a free port.
  find_bin
  exit 0
fi
echo "ensure-postgresql: could not install the postgresql package (log below); the" \
     "PostgreSQL tests will be skipped" >&2
tail -n 20 "$log" >&2
rm -f "$log"
exit 0
