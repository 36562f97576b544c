#!/bin/sh
# The program of a Terraform `external` data source (docs/gate/terraform/main.tf).
# Reads {"profile": FILE, "server": HOST:PORT} on stdin, asks ftgate, and prints one JSON object of
# strings: decision_id, verdict, outcome, allowed ("true" only with VERDICT_FINE_TUNE), exit_code
# and missing_fields. A bad profile (exit 2) or an unreachable server (exit 1) fails the data
# source, with ftgate's message on stderr, which Terraform shows. Needs ftgate and jq on PATH.
set -eu
query=$(cat)
profile=$(printf '%s' "$query" | jq -r '.profile')
server=$(printf '%s' "$query" | jq -r '.server')

set +e
report=$(ftgate check "$profile" --server "$server" --policy enforce --output json --timeout 20)
code=$?
set -e
case "$code" in
  0 | 3 | 4) ;;
  *) exit "$code" ;;
esac

printf '%s' "$report" | jq -c --arg code "$code" '{
  decision_id: .decisionId,
  verdict: .verdict,
  outcome: (.outcome // "OUTCOME_UNSPECIFIED"),
  allowed: (if $code == "0" then "true" else "false" end),
  exit_code: $code,
  missing_fields: ((.missingFields // []) | join(","))
}'
