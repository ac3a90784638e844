#!/usr/bin/env bash
# The README's demo command: builds sensorgate, starts a local mosquitto and the Kafka-protocol
# cluster program on free loopback ports, runs the gateway with config/examples/demo.yaml,
# publishes simulated sensor readings, polls a simulated Modbus TCP boiler, shows the backlog and
# consumed records, takes the Kafka cluster down for a while (the backlog grows) and brings it
# back (the backlog drains), and shows the alerts an edge rule raised. It also posts one batch of
# readings over HTTP with curl.
# Finishes by itself in about two minutes and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target sensorgate kafka_cluster kafka_tail sample_sensors \
  modbus_server
bin=$root/build/release
sensorgate=$bin/gateway/sensorgate

work=$(mktemp -d /tmp/sensorgate-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# A free loopback port: one nobody answers on.
free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "demo: no free port found" >&2
  exit 1
}

say "starting mosquitto"
mqtt_port=$(free_port)
cat >"$work/mosquitto.conf" <<CONF
listener $mqtt_port 127.0.0.1
allow_anonymous true
user root
# Without this mosquitto silently drops QoS 1 messages to a subscriber that falls behind.
max_queued_messages 1000000
CONF
/usr/sbin/mosquitto -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
pids+=($!)

say "starting the Kafka-protocol cluster (3 brokers, 6 partitions per topic)"
mkfifo "$work/cluster.in"
"$bin/tests/tools/kafka_cluster" --brokers 3 --topic sensors.climate:6 --topic sensors.readings:6 \
  --topic sensors.alerts:3 <"$work/cluster.in" >"$work/cluster.out" 2>"$work/cluster.log" &
pids+=($!)
exec 4>"$work/cluster.in"   # keeps the cluster's stdin open for fault commands
for _ in $(seq 1 100); do grep -q '^bootstrap ' "$work/cluster.out" && break; sleep 0.1; done
bootstrap=$(sed -n 's/^bootstrap //p' "$work/cluster.out" | head -n 1)
echo "bootstrap servers: $bootstrap"

say "starting a simulated Modbus TCP boiler (tests/tools/modbus_server --simulate)"
modbus_port=$(free_port)
"$bin/tests/tools/modbus_server" --port "$modbus_port" --simulate </dev/null >"$work/modbus.out" \
  2>"$work/modbus.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^listening ' "$work/modbus.out" && break; sleep 0.1; done
cat "$work/modbus.out"

http_port=$(free_port)
sed -e "s#127.0.0.1:9092#$bootstrap#" -e "s#tcp://127.0.0.1:1883#tcp://127.0.0.1:$mqtt_port#" \
  -e "s#127.0.0.1:8080#127.0.0.1:$http_port#" -e "s#port: 1502#port: $modbus_port#" \
  -e "s#/tmp/sensorgate-demo#$work/data#" config/examples/demo.yaml >"$work/sensorgate.yaml"
mkdir -p "$work/data"

say "sensorgate check"
"$sensorgate" check --config "$work/sensorgate.yaml"

say "starting sensorgate run"
"$sensorgate" run --config "$work/sensorgate.yaml" 2>"$work/sensorgate.log" &
gateway_pid=$!
pids+=($gateway_pid)
# The sensors start once the gateway is subscribed: a broker keeps nothing for a session it
# does not know yet.
for _ in $(seq 1 100); do grep -q 'subscribed to' "$work/sensorgate.log" && break; sleep 0.1; done
sed -n '1,5p' "$work/sensorgate.log"

say "publishing: 6 devices, 20 readings/s each, for 75 s"
"$bin/tests/tools/sample_sensors" --url "tcp://127.0.0.1:$mqtt_port" --devices 6 --rate 20 \
  --seconds 75 &
publisher_pid=$!
pids+=($publisher_pid)

sleep 10
say "backlog while Kafka is up (drained as it arrives)"
"$sensorgate" backlog --config "$work/sensorgate.yaml" --by device

say "some records consumed from sensors.climate"
"$bin/tests/tools/kafka_tail" --bootstrap "$bootstrap" --topic sensors.climate --count 5

say "some records of the Modbus boiler, consumed from sensors.readings (key = device)"
"$bin/tests/tools/kafka_tail" --bootstrap "$bootstrap" --topic sensors.readings --count 4

say "posting one batch of 3 readings over HTTP with curl (202 = committed to the buffer)"
curl -sS -i -X POST "http://127.0.0.1:$http_port/v1/readings" \
  -H 'Content-Type: application/json' \
  --data '[{"device":"press-1","metric":"pressure","value":6.2,"unit":"bar"},
           {"device":"press-1","metric":"running","value":true},
           {"device":"press-2","metric":"pressure","value":5.9,"unit":"bar","tags":{"line":"2"}}]'
echo
"$bin/tests/tools/kafka_tail" --bootstrap "$bootstrap" --topic sensors.presses --count 3

say "taking every Kafka broker down for 25 s"
echo "broker down all" >&4
for step in 1 2 3; do
  sleep 8
  echo "-- after $((step * 8)) s without Kafka:"
  "$sensorgate" backlog --config "$work/sensorgate.yaml"
done

say "brokers back up: the backlog drains"
echo "broker up all" >&4
for step in 1 2 3; do
  sleep 5
  echo "-- $((step * 5)) s after the brokers returned:"
  "$sensorgate" backlog --config "$work/sensorgate.yaml"
done

wait "$publisher_pid" || true
sleep 3
say "final backlog"
"$sensorgate" backlog --config "$work/sensorgate.yaml" --by topic

say "alerts raised on site by the rule hall-warm (sensorgate alerts)"
"$sensorgate" alerts --config "$work/sensorgate.yaml" | head -n 8

say "the same alerts in Kafka (sensors.alerts)"
"$bin/tests/tools/kafka_tail" --bootstrap "$bootstrap" --topic sensors.alerts --count 2

say "stopping sensorgate (SIGTERM): flushes and exits 0"
kill -TERM "$gateway_pid"
wait "$gateway_pid" && echo "sensorgate exited 0"
tail -n 3 "$work/sensorgate.log"
say "demo finished; everything it started is stopped"
