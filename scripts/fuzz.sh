#!/usr/bin/env bash
# Builds the libFuzzer targets with the fuzz preset (clang, -fsanitize=fuzzer,address,undefined)
# and fuzzes each for 60 s through ctest's `fuzz` label (tests/fuzz/README.md). Not part of the
# default suite, which replays the seed corpus and saved crashes instead. Extra arguments go to
# ctest, e.g. `scripts/fuzz.sh -R mqtt_mapping`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh --fuzz
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2
ctest --preset fuzz -j2 "$@"
