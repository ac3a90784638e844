#!/usr/bin/env bash
# Fails when a Catch2 test name of the given test binaries contains ';' (see tests/CMakeLists.txt):
# such a test is split in two by catch_discover_tests and never runs under ctest.
set -euo pipefail
status=0
for binary in "$@"; do
  # Catch2 exits with the number of tests it listed, so the exit code says nothing here.
  names=$("$binary" --list-test-names-only) || true
  if [ -z "$names" ]; then
    echo "$binary lists no tests" >&2
    status=1
  fi
  if bad=$(grep -F ';' <<<"$names"); then
    echo "$(basename "$binary"): test names with ';' (use ',' instead):" >&2
    echo "$bad" >&2
    status=1
  fi
done
exit "$status"
