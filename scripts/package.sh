#!/usr/bin/env bash
# Builds the release binary and the Debian package (CPack, packaging/debian.cmake) and prints
# the .deb's path as its last line.
#   scripts/package.sh              configures and builds the `release` preset (build/release)
#   scripts/package.sh BUILD_DIR    packages an already configured build tree instead (the
#                                   package test reuses the binary the suite built)
# The package lands in BUILD_DIR/package/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -ge 1 ]; then
  build_dir=$(realpath "$1")
else
  cmake --preset release >&2
  build_dir=$(realpath build/release)
fi
cmake --build "$build_dir" -j2 --target sensorgate >&2
out="$build_dir/package"
rm -rf "$out"
cpack --config "$build_dir/CPackConfig.cmake" -B "$out" >&2
debs=("$out"/sensorgate_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
  echo "package.sh: expected one sensorgate_*.deb in $out" >&2
  exit 1
fi
echo "${debs[0]}"
