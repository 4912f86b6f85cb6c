#!/usr/bin/env bash
# Regenerates schema.graphql from the schema the gateway serves, after an intended schema change.
# The snapshot test writes the served SDL to __mismatch__/ when it differs; that becomes the new schema.graphql.
set -euo pipefail
cd "$(dirname "$0")/.."
mismatch=tests/Scheduling.Tests/__snapshots__/__mismatch__/schema.graphql
rm -f "$mismatch"
status=0
CI= dotnet test tests/Scheduling.Tests --filter "FullyQualifiedName~SchemaSnapshotTests" >/tmp/update-schema.log 2>&1 || status=$?
if [ -f "$mismatch" ]; then
  mv "$mismatch" schema.graphql
  rmdir "$(dirname "$mismatch")" 2>/dev/null || true
  echo "schema.graphql updated ($(wc -l < schema.graphql) lines); review: git diff schema.graphql"
elif [ "$status" -ne 0 ]; then
  # No mismatch written and the run failed: the test did not get as far as comparing (build error, aborted host).
  echo "the snapshot test failed without writing a mismatch (see /tmp/update-schema.log); schema.graphql not checked" >&2
  exit "$status"
else
  echo "schema.graphql already matches the served schema"
fi
