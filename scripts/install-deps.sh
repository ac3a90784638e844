#!/usr/bin/env bash
# Installs everything sensorgate needs to build, test and run its demo, from Debian 12 packages.
# With --fuzz also what the fuzz preset needs. Idempotent and quiet: installs only what is missing
# and runs `apt-get update` at most once.
set -euo pipefail

packages=(
  cmake g++ make pkg-config clang-format
  libsqlite3-dev sqlite3 libyaml-cpp-dev libcli11-dev catch2 nlohmann-json3-dev libsimdjson-dev
  librdkafka-dev libpaho-mqttpp-dev libpaho-mqtt-dev libmodbus-dev libcpp-httplib-dev
  libsystemd-dev mosquitto mosquitto-clients
  systemd dpkg-dev
  default-jre-headless maven  # test-only: the real Apache Kafka tier (tests/kafka)
  chromium  # test-only: the status page test renders the page headless (tests/gateway/status)
  curl
)
# --fuzz: also clang and its compiler-rt (libFuzzer and the sanitizer runtimes) for the fuzz
# preset (tests/fuzz, scripts/fuzz.sh); the default build does not need them.
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libclang-rt-14-dev)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
