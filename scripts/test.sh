#!/usr/bin/env bash
# The README's test command: installs dependencies, builds with -j2 and runs the whole suite
# through ctest. With CI=true the build treats warnings as errors (the `ci` preset).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
preset=${SENSORGATE_PRESET:-ci}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j2
ctest --preset "$preset" -j2 --timeout 300
