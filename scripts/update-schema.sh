#!/usr/bin/env bash
# Regenerates schema.graphql from the schema the gateway serves, after an intended schema change.
# The snapshot test writes the served SDL to __mismatch__/ when it differs; that becomes the new schema.graphql.
set -euo pipefail
cd "$(dirname "$0")/.."
mismatch=tests/Scheduling.Tests/__snapshots__/__mismatch__/schema.graphql
rm -f "$mismatch"
CI= dotnet test tests/Scheduling.Tests --filter "FullyQualifiedName~SchemaSnapshotTests" >/dev/null || true
if [ -f "$mismatch" ]; then
  mv "$mismatch" schema.graphql
  rmdir "$(dirname "$mismatch")" 2>/dev/null || true
  echo "schema.graphql updated ($(wc -l < schema.graphql) lines); review: git diff schema.graphql"
else
  echo "schema.graphql already matches the served schema"
fi
