// Paho C's trace, kept off unless asked for. Debian's libpaho-mqtt1.3 is built without
// HIGH_PERFORMANCE, so by default Paho formats a line for every packet it sends or receives
// (vsnprintf, about four per QoS 1 message, under one process-wide mutex) into an in-memory
// ring that it only ever writes out when MQTT_C_CLIENT_TRACE names a destination. callgrind,
// bench_mqtt: ~8,200 instructions per message, 11.7% of the on_receive phase.
// Thread-safe.
#pragma once

namespace sensorgate::mqtt {

// Whether the environment asks Paho for a trace: MQTT_C_CLIENT_TRACE or
// MQTT_C_CLIENT_TRACE_LEVEL set and not empty (the values as getenv returns them).
bool paho_trace_requested(const char* trace, const char* trace_level);

// Lowers Paho's trace to errors only (MQTTAsync_setTraceLevel), process-wide, unless the
// environment asks for a trace; what a user asks for is left as Paho set it up. Idempotent.
void quiet_paho_trace();

}  // namespace sensorgate::mqtt
