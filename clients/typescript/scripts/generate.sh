#!/usr/bin/env bash
# Regenerates src/gen/ from the repository's proto/ (plus proto-vendor/) with buf + ts-proto, both
# pinned in package.json and installed by `npm ci`: no protoc download, no network.
#   scripts/generate.sh           rewrite src/gen/
#   scripts/generate.sh --check   exit 1 (with a diff) when src/gen/ is stale against the protos
set -euo pipefail
cd "$(dirname "$0")/.."
buf=node_modules/.bin/buf
if [ ! -x "$buf" ] || [ ! -x node_modules/.bin/protoc-gen-ts_proto ]; then
  echo "generate.sh: run 'npm ci' first (needs @bufbuild/buf and ts-proto)" >&2
  exit 2
fi
if [ "${1:-}" = "--check" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$buf" generate --template buf.gen.yaml -o "$tmp"
  if ! diff -ru src/gen "$tmp/src/gen"; then
    echo "generate.sh: src/gen is stale against proto/; run 'npm run generate' and commit" >&2
    exit 1
  fi
  echo "generate.sh: src/gen is up to date"
else
  rm -rf src/gen
  "$buf" generate --template buf.gen.yaml
  echo "generate.sh: regenerated src/gen"
fi
